//! The whole command line (clap derive), and nothing else: one subcommand per dbt command, each
//! flattening the shared project/profile flags and, where it selects nodes, the selection flags.
//! Every command's arguments live here; its behaviour lives in `commands/<name>.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::compile::Options;
use crate::error::Result;
use crate::flags::{self, Flags};
use crate::output::LogFormat;

#[derive(Parser, Debug)]
#[command(name = "transform", version, about = "A dbt-compatible transformation CLI on embedded DuckDB")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
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
    /// The live dashboard of the project's dashboards/*.yml: `serve` it, or `export` it as static files.
    Dashboard {
        #[command(subcommand)]
        command: DashboardCommand,
    },
    /// The docs site: `generate` target/catalog.json (and manifest.json), `serve` the site.
    Docs {
        #[command(subcommand)]
        command: DocsCommand,
    },
    /// Run one query and print its rows as a table: `transform show --inline "select ..."`.
    Show(ShowArgs),
    /// Rerun what failed or was skipped in the last run/test/seed/build (target/run_results.json).
    Retry(CommonArgs),
    /// Call a macro: `transform run-operation grant_select --args '{role: reporter}'`.
    RunOperation(RunOperationArgs),
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
    /// Worker threads (default: the target's `threads`); 1 or more.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
}

#[derive(Args, Debug, Clone)]
pub struct SelectArgs {
    /// Nodes to include (dbt selection syntax; space = union, comma = intersection).
    #[arg(long, short = 's', num_args = 1.., action = clap::ArgAction::Append, alias = "models", short_alias = 'm')]
    pub select: Vec<String>,
    /// Nodes to exclude (same syntax).
    #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
    pub exclude: Vec<String>,
    /// A named selector of selectors.yml (instead of --select/--exclude).
    #[arg(long)]
    pub selector: Option<String>,
    /// Which tests of the selected nodes are selected too: eager (default), cautious, buildable, empty.
    #[arg(long, env = "DBT_INDIRECT_SELECTION")]
    pub indirect_selection: Option<String>,
    #[command(flatten)]
    pub state: StateArgs,
}

/// Slim CI: compare with an earlier run's artifacts, and build against its relations.
#[derive(Args, Debug, Clone, Default)]
pub struct StateArgs {
    /// Directory of an earlier run's manifest.json (and run_results.json): enables `state:` and `result:`.
    #[arg(long, env = "DBT_STATE")]
    pub state: Option<PathBuf>,
    /// Refs to nodes not selected here resolve to the relations recorded in the state (when absent here).
    #[arg(long)]
    pub defer: bool,
    #[arg(long, hide = true)]
    pub no_defer: bool,
    /// The artifacts to defer to, when not --state.
    #[arg(long, env = "DBT_DEFER_STATE")]
    pub defer_state: Option<PathBuf>,
    /// With --defer: use the state's relation even when this target has one.
    #[arg(long)]
    pub favor_state: bool,
    #[arg(long, hide = true)]
    pub no_favor_state: bool,
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
    /// Rebuild incremental models and seeds from scratch. Env DBT_FULL_REFRESH.
    #[arg(long, short = 'f')]
    pub full_refresh: bool,
    /// Stop at the first failure. Env DBT_FAIL_FAST.
    #[arg(long, short = 'x')]
    pub fail_fast: bool,
    #[arg(long, hide = true)]
    pub no_fail_fast: bool,
    /// Build with no rows: every ref() and source() reads `(select * from … where false limit 0)`. Env DBT_EMPTY.
    #[arg(long)]
    pub empty: bool,
    #[arg(long, hide = true)]
    pub no_empty: bool,
    /// Keep the failing rows of every test in a table (as `store_failures: true`). Env DBT_STORE_FAILURES.
    #[arg(long)]
    pub store_failures: bool,
    /// Only these resource types (build: model, seed, test). Env DBT_RESOURCE_TYPES.
    #[arg(long, alias = "resource-types", num_args = 1.., action = clap::ArgAction::Append)]
    pub resource_type: Vec<String>,
    /// Leave out these resource types. Env DBT_EXCLUDE_RESOURCE_TYPES.
    #[arg(long, alias = "exclude-resource-types", num_args = 1.., action = clap::ArgAction::Append)]
    pub exclude_resource_type: Vec<String>,
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
    /// Only these resource types (model, seed, snapshot, test, unit_test, source, exposure, metric,
    /// semantic_model, saved_query).
    #[arg(long, alias = "resource-types", num_args = 1.., action = clap::ArgAction::Append)]
    pub resource_type: Vec<String>,
    /// Leave out these resource types.
    #[arg(long, alias = "exclude-resource-types", num_args = 1.., action = clap::ArgAction::Append)]
    pub exclude_resource_type: Vec<String>,
    /// With `--output json`: only these keys of each resource (dbt's manifest keys).
    #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
    pub output_keys: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct RunOperationArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The macro to call (`name` or `package.name`).
    pub macro_name: String,
    /// Its keyword arguments, as a YAML mapping: --args '{table: orders, days: 3}'.
    #[arg(long)]
    pub args: Option<String>,
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

#[derive(Subcommand, Debug)]
pub enum DashboardCommand {
    /// Serve the dashboard (default http://127.0.0.1:8080/), refreshed when the warehouse changes.
    Serve(DashboardServeArgs),
    /// Write the dashboard as static files with the data inlined: DIR/index.html opens without a server.
    Export(DashboardExportArgs),
}

#[derive(Args, Debug, Clone)]
pub struct DashboardServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The dashboard file to serve (dashboards/NAME.yml); needed when there are several.
    #[arg(long)]
    pub dashboard: Option<String>,
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to bind; anything but loopback exposes the page (use --auth-token then).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Also run `transform sync` + `transform build` on this interval (30s, 5m, 1h) as the one writer.
    #[arg(long)]
    pub sync_every: Option<String>,
    /// The Airbyte source executable for --sync-every (as `transform sync --source`).
    #[arg(long, env = "TRANSFORM_SYNC_SOURCE")]
    pub source: Option<PathBuf>,
    /// The source config for --sync-every (as `transform sync --config`).
    #[arg(long, env = "TRANSFORM_SYNC_CONFIG")]
    pub config: Option<PathBuf>,
    /// How often to look for new data in the warehouse (the DuckDB file, BigQuery tables' modification times).
    #[arg(long, default_value = "2s")]
    pub watch_every: String,
    /// Require this token on every request (Authorization: Bearer, or ?token= once in the browser).
    #[arg(long, env = "TRANSFORM_DASHBOARD_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct DashboardExportArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The folder to write (created if missing).
    pub dir: PathBuf,
    /// The dashboard file to export (dashboards/NAME.yml); needed when there are several.
    #[arg(long)]
    pub dashboard: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum DocsCommand {
    /// Compile the project, then write target/manifest.json and target/catalog.json (dbt's shape).
    Generate(DocsGenerateArgs),
    /// Serve the docs site over target/manifest.json and target/catalog.json.
    Serve(DocsServeArgs),
}

#[derive(Args, Debug, Clone)]
pub struct DocsGenerateArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Which nodes to compile first (dbt's --select/--exclude of `docs generate`).
    #[command(flatten)]
    pub selection: SelectArgs,
    /// Skip compiling the project first (dbt's --no-compile).
    #[arg(long)]
    pub no_compile: bool,
    /// Write a catalog without querying the warehouse (dbt's --empty-catalog).
    #[arg(long)]
    pub empty_catalog: bool,
}

#[derive(Args, Debug, Clone)]
pub struct DocsServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Accepted for dbt compatibility: no browser is ever opened.
    #[arg(long)]
    pub no_browser: bool,
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
            Command::Retry(a) => a,
            Command::RunOperation(a) => &a.common,
            Command::Dashboard { command: DashboardCommand::Serve(a) } => &a.common,
            Command::Dashboard { command: DashboardCommand::Export(a) } => &a.common,
            Command::Docs { command: DocsCommand::Generate(a) } => &a.common,
            Command::Docs { command: DocsCommand::Serve(a) } => &a.common,
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
            empty: false,
        }
    }
}

/// dbt's global flags: accepted before or after the subcommand (`transform --no-write-json run`,
/// `transform run -q`), each with its `DBT_*` variable (resolved in `flags.rs`).
#[derive(Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// Log line format on stdout: text (default), json (dbt's structured events), debug, default. Env DBT_LOG_FORMAT.
    #[arg(long, global = true)]
    pub log_format: Option<String>,
    /// Format of logs/dbt.log (default: the --log-format). Env DBT_LOG_FORMAT_FILE.
    #[arg(long, global = true)]
    pub log_format_file: Option<String>,
    /// Minimum level on stdout: debug, info (default), warn, error, none. Env DBT_LOG_LEVEL.
    #[arg(long, global = true)]
    pub log_level: Option<String>,
    /// Minimum level in logs/dbt.log (default debug). Env DBT_LOG_LEVEL_FILE.
    #[arg(long, global = true)]
    pub log_level_file: Option<String>,
    /// Directory of dbt.log (default: <project>/logs). Env DBT_LOG_PATH.
    #[arg(long, global = true)]
    pub log_path: Option<PathBuf>,
    /// Directory of the artifacts and compiled SQL, overriding dbt_project.yml's target-path. Env DBT_TARGET_PATH.
    #[arg(long, global = true)]
    pub target_path: Option<PathBuf>,
    /// The profile to use, overriding dbt_project.yml's `profile:`. Env DBT_PROFILE.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Only errors and what the command prints as its result (ls lines, show tables). Env DBT_QUIET.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    #[arg(long, global = true, hide = true)]
    pub no_quiet: bool,
    /// Debug-level log lines on stdout too. Env DBT_DEBUG.
    #[arg(long, short = 'd', global = true)]
    pub debug: bool,
    #[arg(long, global = true, hide = true)]
    pub no_debug: bool,
    /// Write no artifacts (manifest.json, run_results.json, sources.json). Env DBT_WRITE_JSON=false.
    #[arg(long, global = true)]
    pub no_write_json: bool,
    #[arg(long, global = true, hide = true)]
    pub write_json: bool,
    /// Colour codes in text logs (default on a terminal). Env DBT_USE_COLORS.
    #[arg(long, global = true)]
    pub use_colors: bool,
    #[arg(long, global = true)]
    pub no_use_colors: bool,
    /// Treat warnings (tests with severity warn, freshness warnings) as errors. Env DBT_WARN_ERROR.
    #[arg(long, global = true)]
    pub warn_error: bool,
    /// `{include: all}` = --warn-error. Env DBT_WARN_ERROR_OPTIONS.
    #[arg(long, global = true)]
    pub warn_error_options: Option<String>,
    /// Width of the text result lines (default 80). Env DBT_PRINTER_WIDTH.
    #[arg(long, global = true)]
    pub printer_width: Option<usize>,
    /// Accepted, no effect: transform always parses the whole project (there is no partial-parse cache).
    #[arg(long, global = true)]
    pub partial_parse: bool,
    /// Accepted, no effect (see --partial-parse).
    #[arg(long, global = true)]
    pub no_partial_parse: bool,
    /// Accepted, no effect: dbt's static-parser switch; transform renders every model with Jinja.
    #[arg(long, global = true)]
    pub static_parser: bool,
    #[arg(long, global = true, hide = true)]
    pub no_static_parser: bool,
    /// Accepted, no effect: transform checks no version and makes no network call to do so.
    #[arg(long, global = true)]
    pub version_check: bool,
    #[arg(long, global = true)]
    pub no_version_check: bool,
    /// Accepted, no effect: transform sends no usage statistics.
    #[arg(long, global = true)]
    pub send_anonymous_usage_stats: bool,
    #[arg(long, global = true)]
    pub no_send_anonymous_usage_stats: bool,
    /// Accepted, no effect: transform keeps no relation cache.
    #[arg(long, global = true)]
    pub cache_selected_only: bool,
    #[arg(long, global = true, hide = true)]
    pub no_cache_selected_only: bool,
}

impl GlobalArgs {
    /// The flags of this invocation: each flag, else its `DBT_*` variable, else dbt's default.
    pub fn resolve(&self) -> Result<Flags> {
        let log_format = flags::log_format(self.log_format.as_deref(), "DBT_LOG_FORMAT", LogFormat::Text)?;
        let debug = flags::pair(self.debug, self.no_debug, "DBT_DEBUG", false)?;
        let level = if debug { Some(crate::events::Level::Debug) } else { Some(crate::events::Level::Info) };
        let colors = match (self.use_colors, self.no_use_colors) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => flags::env_bool("DBT_USE_COLORS")?,
        };
        let width = match self.printer_width {
            Some(w) => w,
            None => match flags::env("DBT_PRINTER_WIDTH") {
                Some(w) => w.parse().map_err(|_| crate::error::Error::Usage(format!("DBT_PRINTER_WIDTH={w:?} is not a number")))?,
                None => 80,
            },
        };
        Ok(Flags {
            log_format,
            log_format_file: flags::log_format(self.log_format_file.as_deref(), "DBT_LOG_FORMAT_FILE", log_format)?,
            log_level: flags::log_level(self.log_level.as_deref(), "DBT_LOG_LEVEL", level)?,
            log_level_file: flags::log_level(self.log_level_file.as_deref(), "DBT_LOG_LEVEL_FILE", Some(crate::events::Level::Debug))?,
            log_path: self.log_path.clone().or_else(|| flags::env("DBT_LOG_PATH").map(PathBuf::from)),
            target_path: self.target_path.clone().or_else(|| flags::env("DBT_TARGET_PATH").map(PathBuf::from)),
            profile: self.profile.clone().or_else(|| flags::env("DBT_PROFILE")),
            quiet: flags::pair(self.quiet, self.no_quiet, "DBT_QUIET", false)?,
            write_json: flags::pair(self.write_json, self.no_write_json, "DBT_WRITE_JSON", true)?,
            use_colors: colors,
            warn_error: flags::pair(self.warn_error, false, "DBT_WARN_ERROR", false)? || flags::warn_error_options(self.warn_error_options.as_deref())?,
            printer_width: width,
        })
    }
}

impl RunArgs {
    /// `--full-refresh`, else DBT_FULL_REFRESH.
    pub fn full_refresh(&self) -> Result<bool> {
        flags::pair(self.full_refresh, false, "DBT_FULL_REFRESH", false)
    }
    pub fn fail_fast(&self) -> Result<bool> {
        flags::pair(self.fail_fast, self.no_fail_fast, "DBT_FAIL_FAST", false)
    }
    pub fn empty(&self) -> Result<bool> {
        flags::pair(self.empty, self.no_empty, "DBT_EMPTY", false)
    }
    pub fn store_failures(&self) -> Result<bool> {
        flags::pair(self.store_failures, false, "DBT_STORE_FAILURES", false)
    }
}

impl StateArgs {
    pub fn defer(&self) -> Result<bool> {
        flags::pair(self.defer, self.no_defer, "DBT_DEFER", false)
    }
    pub fn favor_state(&self) -> Result<bool> {
        flags::pair(self.favor_state, self.no_favor_state, "DBT_FAVOR_STATE", false)
    }
}
