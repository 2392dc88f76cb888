//! The `transform` binary: parse the command line, resolve dbt's global flags, run the command, map the
//! outcome to dbt's exit codes (0 success, 1 node failures, 2 usage/project/parse errors).
use clap::Parser;

// mimalloc, not glibc's malloc: parse and sync allocate many small strings, and malloc/free were ~20 % of
// their profiles (bench profile: a 10,000-model parse 1.74 -> 1.00 CPU-s, sync 138k -> 178k records per
// loader CPU-second; peak RSS +14-30 %, docs/performance.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = match transform::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let flags = match cli.global.resolve() {
        Ok(flags) => flags,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(2);
        }
    };
    let log_dir = flags.log_path.clone().unwrap_or_else(|| cli.command.common().project_dir.join("logs"));
    transform::output::init(transform::output::Settings {
        format: flags.log_format,
        level: flags.log_level,
        quiet: flags.quiet,
        colors: flags.use_colors,
        printer_width: flags.printer_width,
        log_file: Some((log_dir.join("dbt.log"), flags.log_format_file, flags.log_level_file)),
    });
    transform::flags::init(flags);
    let printer = transform::output::printer();
    printer.emit(transform::events::main_report_version(env!("CARGO_PKG_VERSION")));
    let code = match transform::commands::dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            let err = anyhow::Error::new(e);
            let msg = transform::output::redact(&format!("{err:#}"));
            if printer.is_json() {
                printer.emit(transform::events::main_error(&msg));
            } else {
                eprintln!("Error: {msg}");
            }
            2
        }
    };
    std::process::exit(code);
}
