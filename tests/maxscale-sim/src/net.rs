//! Sockets: the REST API listener (a thread per connection) and the service listeners, which
//! answer every connection with one line naming the node that accepted it.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout};

use crate::api::{self, Outcome};
use crate::config::Fault;
use crate::http::{self, ReadError, Response};
use crate::state::{ListenerState, Sim};

fn resolve(host: &str, port: u16) -> std::io::Result<SocketAddr> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address"))
}

/// Bind like MaxScale: the first address `host` resolves to; `::` falls back to `0.0.0.0`
/// when IPv6 is unavailable. (std sets SO_REUSEADDR, as MaxScale does.)
pub fn bind(host: &str, port: u16) -> std::io::Result<TcpListener> {
    let addr = resolve(host, port)?;
    match TcpListener::bind(addr) {
        Ok(l) => Ok(l),
        Err(e) if host == "::" && e.kind() != std::io::ErrorKind::AddrInUse => {
            TcpListener::bind(("0.0.0.0", port))
        }
        Err(e) => Err(e),
    }
}

/// Wait up to `ms` for an incoming connection; false on timeout.
fn readable(l: &TcpListener, ms: u16) -> bool {
    let mut fds = [PollFd::new(l.as_fd(), PollFlags::POLLIN)];
    matches!(nix::poll::poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0)
}

/// Serve the REST API until `stop` is set; the socket is closed when this thread ends.
pub fn serve_admin(sim: Arc<Sim>, listener: TcpListener, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            if !readable(&listener, 50) {
                continue;
            }
            if let Ok((stream, _)) = listener.accept() {
                let sim = Arc::clone(&sim);
                std::thread::spawn(move || handle_connection(&sim, stream));
            }
        }
    })
}

fn handle_connection(sim: &Sim, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_nodelay(true);
    let req = match http::read_request(&mut stream) {
        Ok(r) => r,
        Err(ReadError::Closed) => return,
        Err(ReadError::Bad) => {
            let _ = stream.write_all(&http::encode(&Response::new(400).mhd(), false));
            return;
        }
    };
    match api::handle(sim, &req) {
        Outcome::Respond(resp) => {
            let _ = stream.write_all(&http::encode(&resp, req.method == "HEAD"));
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Write);
            note_first_answer(sim, &req);
        }
        Outcome::Endless { content_length } => endless(sim, &mut stream, content_length),
        Outcome::Trickle(resp, ms) => trickle(sim, &mut stream, &resp, ms),
        Outcome::Hang => {
            // Keep the socket open, never answer; give up once the fault is cleared or
            // MaxScale shuts down.
            while sim.lock().fault == Fault::Hang && !sim.shutting_down.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Fault `endless`: a 200 with a JSON-looking body that never ends, written as fast as the
/// client takes it, until the client goes away, the fault is cleared or MaxScale shuts down.
fn endless(sim: &Sim, stream: &mut TcpStream, content_length: bool) {
    let head = Response::new(200)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-cache");
    let length = content_length.then_some(crate::config::ENDLESS_LENGTH);
    if stream.write_all(&http::encode_head(&head, length)).is_err()
        || stream.write_all(b"{\"data\": [").is_err()
    {
        return;
    }
    let item = br#"{"id": "server1", "type": "servers", "attributes": {"state": "Running"}}, "#;
    let chunk: Vec<u8> = item.iter().copied().cycle().take(64 * 1024).collect();
    let wanted = Fault::Endless { content_length };
    while sim.lock().fault == wanted && !sim.shutting_down.load(Ordering::SeqCst) {
        if stream.write_all(&chunk).is_err() {
            return;
        }
    }
}

/// Fault `trickle`: the headers at once, then the body one byte every `ms` milliseconds.
fn trickle(sim: &Sim, stream: &mut TcpStream, resp: &Response, ms: u64) {
    if stream
        .write_all(&http::encode_head(resp, Some(resp.body.len() as u64)))
        .is_err()
    {
        return;
    }
    for b in &resp.body {
        if sim.shutting_down.load(Ordering::SeqCst) {
            return;
        }
        std::thread::sleep(Duration::from_millis(ms));
        if stream.write_all(std::slice::from_ref(b)).is_err() {
            return;
        }
    }
}

/// The passive journal's `first-answer` (REST API answers only, not the `/sim` steering).
fn note_first_answer(sim: &Sim, req: &http::Request) {
    static ANSWERED: AtomicBool = AtomicBool::new(false);
    if req.segments.first().map(String::as_str) == Some("sim") {
        return;
    }
    if !ANSWERED.swap(true, Ordering::SeqCst) {
        crate::journal::record("first-answer", sim.lock().passive);
    }
}

/// The node name shown by the listener banner (`sim_node_name` or the host name).
pub fn node_name(configured: Option<&str>) -> String {
    if let Some(n) = configured {
        return n.to_string();
    }
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".into())
}

/// Accept on a service listener; each client gets
/// `maxscale-sim <node> <listener> passive=<bool>\n` and the connection is closed. A stopped
/// listener leaves connections queued, as MaxScale does.
pub fn serve_listener(sim: Arc<Sim>, idx: usize, listener: TcpListener, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let (running, name) = {
                let rt = sim.lock();
                let l = &rt.listeners[idx];
                (l.state == ListenerState::Running, l.cfg.name.clone())
            };
            if !running {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            if !readable(&listener, 50) {
                continue;
            }
            if let Ok((mut stream, _)) = listener.accept() {
                let passive = sim.lock().passive;
                let line = format!(
                    "maxscale-sim {} {} passive={}\n",
                    sim.node_name, name, passive
                );
                let _ = stream.write_all(line.as_bytes());
            }
        }
    });
}
