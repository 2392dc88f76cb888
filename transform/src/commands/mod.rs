//! One file per subcommand, each with a `run(args) -> Result<i32>`: load what it needs, do the work,
//! print, write artifacts. The value is the process exit code (0 ok, 1 node failures); errors that
//! stop the invocation (exit 2) propagate as `Error`. `run`, `test`, `seed` and `build` share
//! `run::nodes` (the node executor); a new command is one file here plus its arguments in `cli.rs`.

mod build;
mod clean;
mod compile;
mod dashboard;
mod debug;
mod deps;
mod docs;
mod estimate;
mod freshness;
mod ls;
mod parse;
mod retry;
mod run;
mod run_operation;
mod seed;
mod show;
mod snapshot;
mod sync;
mod test;

use crate::cli::{Command, SourceCommand};
use crate::error::Result;

pub fn dispatch(command: Command) -> Result<i32> {
    match command {
        Command::Parse(a) => parse::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Run(a) => run::run(a),
        Command::Test(a) => test::run(a),
        Command::Seed(a) => seed::run(a),
        Command::Snapshot(a) => snapshot::run(a),
        Command::Build(a) => build::run(a),
        Command::Ls(a) => ls::run(a),
        Command::Debug(a) => debug::run(a),
        Command::Clean(a) => clean::run(a),
        Command::Deps(a) => deps::run(a),
        Command::Source { command: SourceCommand::Freshness(a) } => freshness::run(a),
        Command::Sync(a) => sync::run(a),
        Command::Show(a) => show::run(a),
        Command::Retry(a) => retry::run(a),
        Command::RunOperation(a) => run_operation::run(a),
        Command::Dashboard { command } => dashboard::run(command),
        Command::Docs { command } => docs::run(command),
    }
}
