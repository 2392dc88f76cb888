//! The `transform` binary: parse the command line, run the command, map the outcome to dbt's exit
//! codes (0 success, 1 node failures, 2 usage/project/parse errors).
use clap::Parser;

fn main() {
    let cli = match transform::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    transform::output::init(cli.command.common().log_format);
    let code = match transform::commands::dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            let err = anyhow::Error::new(e);
            let printer = transform::output::printer();
            let msg = transform::output::redact(&format!("{err:#}"));
            if printer.is_json() {
                printer.event("error", &msg, serde_json::json!({}));
            } else {
                eprintln!("Error: {msg}");
            }
            2
        }
    };
    std::process::exit(code);
}
