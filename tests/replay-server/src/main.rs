//! `replay-server ROUTES_FILE [--port N] [--now TIME]`: serves recorded responses on 127.0.0.1 until killed.
//! With port 0 (the default) it picks a free port. Its first stdout line is `listening on http://127.0.0.1:PORT`.
//! `--now` (Unix seconds or `YYYY-MM-DD[THH:MM:SSZ]`) is where the synthetic series end (default: the real time).
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut port = 0u16;
    let mut clock = None;
    let mut routes = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--port" => match it.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => fail("--port needs a number"),
            },
            "--now" => match it.next().and_then(|t| replay_server::parse_iso(t)) {
                Some(t) => clock = Some(t),
                None => fail("--now needs Unix seconds or YYYY-MM-DD[THH:MM:SSZ]"),
            },
            "-h" | "--help" => {
                println!("usage: replay-server ROUTES_FILE [--port N] [--now TIME]");
                return;
            }
            other => routes = Some(other.to_string()),
        }
    }
    let Some(routes) = routes else {
        fail("usage: replay-server ROUTES_FILE [--port N] [--now TIME]")
    };
    match replay_server::ReplayServer::start(std::path::Path::new(&routes), port) {
        Ok(server) => {
            server.set_clock(clock);
            println!("listening on {}", server.url());
            loop {
                std::thread::park();
            }
        }
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("replay-server: {message}");
    std::process::exit(2);
}
