//! The whole command line (clap derive), and nothing else: one subcommand per dbt command, each
//! flattening the shared project/profile flags and, where it selects nodes, the selection flags.
//! Every command's arguments live here; its behaviour lives in `commands/<name>.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::compile::Options;
use crate::output::LogFormat;

#[derive(Parser, Debug)]
#[command(name = "transform", version, about = "A dbt-compatible transformation CLI on embedded DuckDB")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse the project and write target/manifest.json (no warehouse connection).
    Parse(CommonArgs),
    /// Render selected models and tests to SQL under target/compiled/.
    Compile(SelectCommand),
    /// Build selected models in dependency order.
    Run(RunArgs),
    /// Run selected data tests.
    Test(RunArgs),
    /// Seeds, models and tests in DAG order; a failed model or test skips its descendants.
    Build(RunArgs),
    /// Load CSV seeds into the warehouse.
    Seed(RunArgs),
    /// Build or update the selected snapshots (SCD2 tables).
    Snapshot(RunArgs),
    /// List selected resources.
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Check the project, the profile and the warehouse connection.
    Debug(CommonArgs),
    /// Delete the clean-targets of dbt_project.yml (target/ by default).
    Clean(CommonArgs),
    /// Install the packages of packages.yml (or dependencies.yml) into packages-install-path,
    /// pinning them in package-lock.yml.
    Deps(DepsArgs),
    /// Source commands: `transform source freshness`.
    Source {
        #[command(subcommand)]
        command: SourceCommand,
    },
    /// Run an Airbyte source (discover + read with saved state) into the warehouse's raw schema.
    Sync(SyncArgs),
    /// Run one query and print its rows as a table: `transform show --inline "select ..."`.
    Show(ShowArgs),
}

#[derive(Subcommand, Debug)]
pub enum SourceCommand {
    /// Check `loaded_at_field` of selected sources against their `freshness` thresholds.
    Freshness(SelectCommand),
}

#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// The dbt project directory (holding dbt_project.yml).
    #[arg(long, default_value = ".", env = "DBT_PROJECT_DIR")]
    pub project_dir: PathBuf,
    /// Directory with profiles.yml (default: $DBT_PROFILES_DIR, the project dir, then ~/.dbt).
    #[arg(long)]
    pub profiles_dir: Option<PathBuf>,
    /// The profile target to use (default: the profile's `target:`).
    #[arg(long, short = 't')]
    pub target: Option<String>,
    /// Variables as YAML, overriding dbt_project.yml vars: --vars '{key: value}'.
    #[arg(long)]
    pub vars: Option<String>,
    /// Worker threads (default: the target's `threads`).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output format of log lines.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(Args, Debug, Clone)]
pub struct SelectArgs {
    /// Nodes to include (dbt selection syntax; space = union, comma = intersection).
    #[arg(long, short = 's', num_args = 1.., action = clap::ArgAction::Append, alias = "models", short_alias = 'm')]
    pub select: Vec<String>,
    /// Nodes to exclude (same syntax).
    #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
    pub exclude: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct SelectCommand {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub selection: SelectArgs,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub selection: SelectArgs,
    /// Rebuild incremental models and seeds from scratch.
    #[arg(long)]
    pub full_refresh: bool,
    /// Stop at the first failure.
    #[arg(long, short = 'x')]
    pub fail_fast: bool,
    /// Build nothing: report the bytes each selected model would process (BigQuery dry-run jobs).
    #[arg(long, alias = "estimate")]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LsOutput {
    Selector,
    Name,
    Path,
    Json,
}

#[derive(Args, Debug, Clone)]
pub struct LsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub selection: SelectArgs,
    /// What to print per resource.
    #[arg(long, short = 'o', value_enum, default_value = "selector")]
    pub output: LsOutput,
    /// Only these resource types (model, seed, test, source).
    #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
    pub resource_type: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct DepsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Resolve packages.yml again even when package-lock.yml matches it.
    #[arg(long)]
    pub upgrade: bool,
    /// Only write package-lock.yml; install nothing.
    #[arg(long)]
    pub lock: bool,
    /// Also offer hub versions whose `require_dbt_version` excludes this dbt version.
    #[arg(long)]
    pub no_version_check: bool,
}

#[derive(Args, Debug, Clone)]
pub struct SyncArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The Airbyte source executable (it must answer `discover` and `read`), e.g. source-bitcoin.
    #[arg(long, env = "TRANSFORM_SYNC_SOURCE")]
    pub source: PathBuf,
    /// The source's config file (JSON), passed as is to `discover` and `read --config`.
    #[arg(long, env = "TRANSFORM_SYNC_CONFIG")]
    pub config: PathBuf,
    /// The schema (BigQuery dataset) of the raw tables; the models read `raw`.
    #[arg(long, default_value = "raw")]
    pub raw_schema: String,
    /// Only these streams (comma-separated; default: every stream the source discovers).
    #[arg(long, value_delimiter = ',')]
    pub streams: Vec<String>,
    /// Records per committed batch (a batch ends at the first STATE message after this many).
    #[arg(long, default_value_t = 50_000)]
    pub batch_size: usize,
}

#[derive(Args, Debug, Clone)]
pub struct ShowArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The SQL query to run (plain SQL; relations as the warehouse names them, e.g. main.rpt_bitcoin_kpis).
    #[arg(long)]
    pub inline: String,
    /// At most this many rows.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

impl Command {
    /// The flags every command shares (the log format is read before the command runs).
    pub fn common(&self) -> &CommonArgs {
        match self {
            Command::Parse(a) | Command::Debug(a) | Command::Clean(a) => a,
            Command::Compile(a) | Command::Source { command: SourceCommand::Freshness(a) } => &a.common,
            Command::Run(a) | Command::Test(a) | Command::Build(a) | Command::Seed(a) | Command::Snapshot(a) => &a.common,
            Command::Ls(a) => &a.common,
            Command::Deps(a) => &a.common,
            Command::Sync(a) => &a.common,
            Command::Show(a) => &a.common,
        }
    }
}

impl CommonArgs {
    pub fn options(&self, command: &str, full_refresh: bool) -> Options {
        Options {
            project_dir: self.project_dir.clone(),
            profiles_dir: self.profiles_dir.clone(),
            target: self.target.clone(),
            vars: self.vars.clone(),
            threads: self.threads,
            full_refresh,
            command: command.to_string(),
        }
    }
}
