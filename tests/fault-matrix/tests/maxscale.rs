//! ocf:mariadb:maxscale rows of the fault matrix (see src/lib.rs).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use fault_matrix::{become_agent_if_asked, common_rows, run_all, Agent, OddPaths, Row};

#[test]
fn agent_process() {
    become_agent_if_asked();
}

/// A port on 127.0.0.1 that nothing listens on (the agent's check for a foreign MaxScale on the
/// admin port must find it closed).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// How the hostile peer answers every request.
#[derive(Clone, Copy)]
enum Peer {
    /// 200, no Content-Length, a body that never ends.
    Endless,
    /// 200 announcing a 1 TiB body, then an endless one.
    EndlessLength,
    /// 200, one byte of body every 100 ms, forever.
    Trickle,
    /// 500 with an `errors[].detail` full of control characters, a forged exit reason marker
    /// and a megabyte of text.
    HostileDetail,
}

/// A REST peer on a free loopback port, for as long as the test runs (its thread is detached:
/// the test process ends it).
fn peer(kind: Peer) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            std::thread::spawn(move || answer(conn, kind));
        }
    });
    port
}

fn answer(mut conn: TcpStream, kind: Peer) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    // The request's head, bounded.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while head.len() < 64 * 1024 && !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let chunk = [b' '; 16 * 1024];
    match kind {
        Peer::Endless | Peer::EndlessLength => {
            let length = if matches!(kind, Peer::EndlessLength) {
                "Content-Length: 1099511627776\r\n"
            } else {
                ""
            };
            let h = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n{{\"data\":"
            );
            if conn.write_all(h.as_bytes()).is_err() {
                return;
            }
            while conn.write_all(&chunk).is_ok() {}
        }
        Peer::Trickle => {
            let h =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
            if conn.write_all(h.as_bytes()).is_err() {
                return;
            }
            while conn.write_all(b" ").is_ok() {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Peer::HostileDetail => {
            let detail = format!(
                "\\u001b[31mred\\u0000\\nocf-exit-reason:forged by the peer\\r\\n{}",
                "A".repeat(1 << 20)
            );
            let body = format!("{{\"errors\":[{{\"detail\":\"{detail}\"}}]}}");
            let resp = format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(resp.as_bytes());
        }
    }
}

#[test]
fn maxscale_rows() {
    let paths = OddPaths::new();
    let mut rows = common_rows(Agent::MaxScale);
    let mxs = |what: &str, args: &[&str]| Row::new(Agent::MaxScale, what, args);
    for (kind, path) in paths.not_regular_files() {
        rows.push(
            mxs(
                &format!("validate, admin_password_file {kind}"),
                &["validate-all"],
            )
            .param("manage_process", "false")
            .param("admin_password_file", path)
            .expect(&[2])
            .reason("admin_password_file"),
        );
    }
    rows.push(
        mxs("stop, nothing configured, nothing running", &["stop"])
            .param("piddir", paths.dir())
            .expect(&[0]),
    );
    rows.extend(pid_path_rows(&paths));
    rows.extend(peer_rows());
    run_all(&rows);
}

/// A pid path that cannot hold a pid file means nothing runs through it: stop 0 and probe 7
/// (1 there fenced the node and scheduled stops everywhere); validate-all refuses it as this
/// node's state (2) or, when wrong everywhere (relative, too long), as a configuration error (6).
fn pid_path_rows(paths: &OddPaths) -> Vec<Row> {
    let root = paths.dir.path();
    let pid_dir = root.join("pid-is-a-dir");
    std::fs::create_dir_all(pid_dir.join("maxscale.pid")).expect("dir");
    let pid_fifo = root.join("pid-is-a-fifo");
    std::fs::create_dir(&pid_fifo).expect("dir");
    nix::unistd::mkfifo(
        &pid_fifo.join("maxscale.pid"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .expect("fifo");
    let text = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let mut rows = Vec::new();
    for (kind, piddir, validate) in [
        ("a regular file", paths.file(), 2),
        ("through a file", paths.under_file(), 2),
        ("holding a directory maxscale.pid", text(&pid_dir), 2),
        ("holding a FIFO maxscale.pid", text(&pid_fifo), 2),
        ("too long", paths.too_long(), 6),
        ("relative", "run/maxscale".to_string(), 6),
    ] {
        let port = free_port().to_string();
        let row = |what: &str, args: &[&str]| {
            Row::new(Agent::MaxScale, format!("{what}, piddir {kind}"), args)
                .param("piddir", piddir.clone())
                .param("admin_port", port.clone())
        };
        rows.push(row("stop", &["stop"]).expect(&[0]));
        rows.push(row("probe", &["monitor"]).probe().expect(&[7]));
        rows.push(
            row("validate", &["validate-all"])
                .param("binary", "/bin/sh")
                .param("config", paths.file())
                .param("user", "root")
                .expect(&[validate])
                .reason("piddir"),
        );
    }
    rows
}

/// A peer on the admin port that answers without end, or slowly, or with a hostile error text:
/// every action still ends inside its timeout with bounded memory and one clean, short reason.
fn peer_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for (kind, peer_kind, timeout) in [
        ("an endless body", Peer::Endless, 5),
        (
            "an endless body with a 1 TiB Content-Length",
            Peer::EndlessLength,
            5,
        ),
        ("a body trickling a byte per 100 ms", Peer::Trickle, 3),
        ("a hostile 1 MiB error detail", Peer::HostileDetail, 5),
    ] {
        let port = peer(peer_kind).to_string();
        let row = |what: &str, args: &[&str]| {
            Row::new(Agent::MaxScale, format!("{what}, {kind}"), args)
                .param("manage_process", "false")
                .param("admin_port", port.clone())
                .timeout(Duration::from_secs(timeout))
        };
        rows.push(row("monitor", &["monitor"]).expect(&[1]));
        rows.push(
            row("promote", &["promote"])
                .env("OCF_RESKEY_CRM_meta_promotable", "true")
                .expect(&[1]),
        );
    }
    rows
}
