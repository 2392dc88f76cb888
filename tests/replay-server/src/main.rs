//! `replay-server ROUTES_FILE [--port N]`: serves recorded responses on 127.0.0.1 until killed. With port 0
//! (the default) it picks a free port. Its first stdout line is `listening on http://127.0.0.1:PORT`.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut port = 0u16;
    let mut routes = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--port" => match it.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => fail("--port needs a number"),
            },
            "-h" | "--help" => {
                println!("usage: replay-server ROUTES_FILE [--port N]");
                return;
            }
            other => routes = Some(other.to_string()),
        }
    }
    let Some(routes) = routes else {
        fail("usage: replay-server ROUTES_FILE [--port N]")
    };
    match replay_server::ReplayServer::start(std::path::Path::new(&routes), port) {
        Ok(server) => {
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
