//! One status read as an agent's monitor would do it, as a process of its own (for timing
//! next to `ocf:heartbeat:galera monitor`): find the server through its pid file, read
//! wsrep_cluster_status, wsrep_local_state, wsrep_last_committed and the cluster state UUID
//! over the unix socket, classify. Prints one line; exit 0 when Synced and Primary.
//!
//!   status_read SOCKET PIDFILE DATADIR USER [PASSWORD_FILE]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use galera_lifecycle::{find_server, position_of, Credentials, PrimaryView, ServerConfig};
use galera_status::{classify, Policy, Target};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: status_read SOCKET PIDFILE DATADIR USER [PASSWORD_FILE]");
        std::process::exit(2);
    }
    let cfg = ServerConfig::new(&args[2], &args[0], &args[1]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let server = match find_server(&cfg) {
        Ok(Some(p)) => p,
        Ok(None) => {
            println!("not running");
            std::process::exit(7);
        }
        Err(e) => {
            println!("error: {e}");
            std::process::exit(1);
        }
    };
    let creds = Credentials {
        user: args[3].clone(),
        password_file: args.get(4).map(PathBuf::from),
    };
    let client = match creds.client(Target::Socket(cfg.socket.clone())) {
        Ok(c) => c,
        Err(e) => {
            println!("error: {e}");
            std::process::exit(1);
        }
    };
    let fetched = galera_lifecycle::fetch(&client, deadline);
    let health = classify(&fetched, Policy::default());
    let position = fetched.as_ref().ok().and_then(position_of);
    let primary = fetched
        .as_ref()
        .ok()
        .and_then(PrimaryView::from_status)
        .is_some();
    println!(
        "pid {} {health} primary={primary} position={}",
        server.pid,
        position.map_or("-".to_string(), |p| p.to_string())
    );
    std::process::exit(if health.is_healthy() { 0 } else { 1 });
}
