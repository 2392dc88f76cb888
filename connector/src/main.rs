//! `source-bitcoin`: an Airbyte source for Bitcoin market and on-chain data. `spec`, `check`, `discover` and
//! `read` speak the Airbyte protocol on stdout (one JSON message per line); human logs go to stderr.
//! Exit status: 0 on success (and for `check`, whatever the verdict), 1 when a command or a stream failed.
#![recursion_limit = "256"]
mod catalog;
mod config;
mod error;
mod http;
mod protocol;
mod provider;
mod read;
mod record;
mod request;
mod spec;
mod state;
mod streams;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::error::{Error, FailureType};
use crate::http::{HttpClient, Provider, Request};
use crate::protocol::Output;

#[derive(Parser)]
#[command(
    name = "source-bitcoin",
    version,
    about = "Airbyte source: Bitcoin market, on-chain and network data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Accepted for Airbyte compatibility; ignored.
    #[arg(long, global = true)]
    debug: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Print the connector specification (the config's JSON Schema).
    Spec,
    /// Validate a config and try one cheap request per provider.
    Check {
        #[arg(long)]
        config: PathBuf,
    },
    /// Print the catalog of streams with their JSON Schemas.
    Discover {
        #[arg(long)]
        config: PathBuf,
    },
    /// Read the streams of a configured catalog, resuming from a state.
    Read {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        catalog: PathBuf,
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

fn main() {
    let cli = Cli::parse();
    let out = Output::stdout();
    let code = match run(cli.command, &out) {
        Ok(code) => code,
        Err(e) => match e.downcast::<Error>() {
            Ok(Error::Output(io)) if io.kind() == std::io::ErrorKind::BrokenPipe => 0,
            Ok(e) => report(&out, &e.to_string(), e.failure_type()),
            Err(e) => report(&out, &format!("{e:#}"), FailureType::System),
        },
    };
    let _ = out.flush();
    std::process::exit(code);
}

fn report(out: &Output, message: &str, failure: FailureType) -> i32 {
    let _ = out.error(message, failure, None);
    1
}

fn run(command: Command, out: &Output) -> anyhow::Result<i32> {
    // Two workers: the next slice downloads on one while this thread parses and writes the current one.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match command {
        Command::Spec => out.spec(&spec::spec())?,
        Command::Check { config } => return runtime.block_on(check(&config, out)),
        Command::Discover { config } => {
            let config = load_config(&config)?;
            out.add_secrets(config.secrets());
            out.catalog(&catalog::discover(&streams::available(&config))?)?;
        }
        Command::Read {
            config,
            catalog,
            state,
        } => return runtime.block_on(read(&config, &catalog, state.as_deref(), out)),
    }
    Ok(0)
}

fn read_file(what: &'static str, path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Input {
        what,
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn load_config(path: &Path) -> Result<Config, Error> {
    Config::from_json(&read_file("config", path)?)
}

async fn check(path: &Path, out: &Output) -> anyhow::Result<i32> {
    let mut config = match load_config(path) {
        Ok(config) => config,
        Err(e) => {
            out.connection_status(false, Some(&e.to_string()))?;
            return Ok(0);
        }
    };
    out.add_secrets(config.secrets());
    // A connection check answers quickly: two attempts per probe, whatever the read policy says.
    config.http.max_attempts = config.http.max_attempts.min(2);
    let http = HttpClient::new(&config, out.clone())?;
    let mut probes = vec![
        (Provider::CoinGecko, Request::new("/ping")),
        (Provider::BlockchainCom, Request::new("/stats")),
        (
            Provider::MempoolSpace,
            Request::new("/v1/difficulty-adjustment"),
        ),
        // Free of GitHub's rate limit and of CoinMarketCap credits.
        (Provider::GitHub, Request::new("/rate_limit")),
    ];
    if let Some(sub) = config.reddit_subreddits.first() {
        probes.push((
            Provider::Reddit,
            Request::new(format!("/r/{sub}/about.json")),
        ));
    }
    if config.coinmarketcap_api_key.is_some() {
        probes.push((Provider::CoinMarketCap, Request::new("/v1/key/info")));
    }
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for (provider, request) in probes {
        match http.get(provider, &request, None).await {
            Ok(page) => notes.extend(probe_note(provider, &page.body)),
            Err(e) => failures.push(format!("{} is unreachable: {e}", provider.name())),
        }
    }
    if failures.is_empty() {
        out.connection_status(
            true,
            (!notes.is_empty()).then(|| notes.join("; ")).as_deref(),
        )?;
    } else {
        out.connection_status(false, Some(&failures.join("; ")))?;
    }
    Ok(0)
}

/// What `check` reports about a plan: CoinMarketCap's limits and remaining credits, GitHub's quota.
fn probe_note(provider: Provider, body: &serde_json::Value) -> Option<String> {
    let n = |p: &str| match body.pointer(p) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "?".to_string(),
    };
    match provider {
        Provider::CoinMarketCap => Some(format!(
            "CoinMarketCap plan: {} credits/month ({} left this month, {} left today), {} requests/minute; monthly reset {}",
            n("/data/plan/credit_limit_monthly"),
            n("/data/usage/current_month/credits_left"),
            n("/data/usage/current_day/credits_left"),
            n("/data/plan/rate_limit_minute"),
            n("/data/plan/credit_limit_monthly_reset_timestamp"),
        )),
        Provider::GitHub => Some(format!(
            "GitHub: {} of {} requests left this hour",
            n("/resources/core/remaining"),
            n("/resources/core/limit")
        )),
        _ => None,
    }
}

async fn read(
    config: &Path,
    catalog: &Path,
    state: Option<&Path>,
    out: &Output,
) -> anyhow::Result<i32> {
    let config = load_config(config)?;
    out.add_secrets(config.secrets());
    let streams = streams::all();
    let (selected, catalog_errors) = catalog::parse_configured(
        &catalog.display().to_string(),
        &read_file("catalog", catalog)?,
        &streams,
    )?;
    let input = match state {
        Some(path) => state::parse_input(&path.display().to_string(), &read_file("state", path)?)?,
        None => Default::default(),
    };
    for e in &catalog_errors {
        let stream = match e {
            Error::Catalog { stream, .. } => Some(stream.as_str()),
            _ => None,
        };
        out.error(&e.to_string(), e.failure_type(), stream)?;
    }
    let http = std::sync::Arc::new(HttpClient::new(&config, out.clone())?);
    let reader = read::Reader {
        config: &config,
        http,
        out,
    };
    let all_ok = reader.read_all(&streams, &selected, &input).await?;
    Ok(if all_ok && catalog_errors.is_empty() {
        0
    } else {
        1
    })
}
