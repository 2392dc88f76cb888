//! `source-bitcoin`: the Airbyte source connector (skeleton; see issue "source-bitcoin: the Airbyte source connector").
fn main() {
    eprintln!("source-bitcoin: not built yet");
    std::process::exit(2);
}
