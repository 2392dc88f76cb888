//! The command line: `spec`, `check`, `discover` and `read` (arguments, exit status, and the small commands
//! themselves; `read` is in `read.rs`). Errors that end a command become one TRACE ERROR on stdout.
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::error::{Error, FailureType};
use crate::http::HttpClient;
use crate::protocol::Output;
use crate::{catalog, read, state};

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

/// Runs the command line and exits with its status.
pub fn main() -> ! {
    keep_freed_memory();
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

/// glibc gives freed heap back to the OS as soon as 128 KiB lie free at its top, and serves larger blocks
/// (a page's body, its records) by `mmap`: either way the next page takes the memory back a page fault at a
/// time — most of a long read's system time. Freed heap up to 32 MiB (glibc's most) is kept for reuse, and
/// blocks up to 4 MiB come from the heap (a real CoinGecko page is ~200 KB). Larger ones — a dense chart's
/// 20 MB body, grown by doubling as it arrives — stay `mmap`ed: `realloc` moves them without a copy left
/// behind, and freeing returns them (kept, their old copies made the peak RSS 61 MiB at 10M points; 45 now).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets two of glibc's malloc tunables, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
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
        Command::Spec => out.spec(&config::spec())?,
        Command::Check { config } => return runtime.block_on(check(&config, out)),
        Command::Discover { config } => {
            let config = load_config(&config)?;
            out.add_secrets(config.secrets.clone());
            out.catalog(&catalog::discover(&config.available())?)?;
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

/// One cheap request per provider the config enables; the verdict is a CONNECTION_STATUS, exit 0 either way.
async fn check(path: &Path, out: &Output) -> anyhow::Result<i32> {
    let config = match load_config(path) {
        Ok(config) => config,
        Err(e) => {
            out.connection_status(false, Some(&e.to_string()))?;
            return Ok(0);
        }
    };
    out.add_secrets(config.secrets.clone());
    // A connection check answers quickly: two attempts per probe, whatever the read policy says.
    let mut policy = config.http.clone();
    policy.max_attempts = policy.max_attempts.min(2);
    let http = match HttpClient::new(&policy, &config.providers, out.clone()) {
        Ok(http) => http,
        Err(e) => {
            out.connection_status(false, Some(&e.to_string()))?;
            return Ok(0);
        }
    };
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for api in &config.providers {
        let Some(request) = api.probe() else { continue };
        let provider = api.provider();
        match http.get(provider, &request, None).await {
            Ok(page) => notes.extend(api.probe_note(page.json())),
            Err(e) => failures.push(format!("{} is unreachable: {e}", provider.name())),
        }
    }
    if failures.is_empty() {
        let notes = (!notes.is_empty()).then(|| notes.join("; "));
        out.connection_status(true, notes.as_deref())?;
    } else {
        out.connection_status(false, Some(&failures.join("; ")))?;
    }
    Ok(0)
}

async fn read(
    config: &Path,
    catalog: &Path,
    state: Option<&Path>,
    out: &Output,
) -> anyhow::Result<i32> {
    let config = load_config(config)?;
    out.add_secrets(config.secrets.clone());
    let streams = config.streams();
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
    let http = std::sync::Arc::new(HttpClient::new(
        &config.http,
        &config.providers,
        out.clone(),
    )?);
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
