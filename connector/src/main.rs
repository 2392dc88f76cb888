//! The `source-bitcoin` binary: the command line of the library (`cli.rs`).
fn main() {
    source_bitcoin::cli::main()
}
