//! One connection, one round trip: the status rows over the unix socket or TCP.

use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

use crate::error::StatusError;
use crate::status::{WsrepStatus, STATUS_VARIABLES};
use secret::Secret;

/// Debian's and MariaDB's default server socket.
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";
pub const DEFAULT_PORT: u16 = 3306;
/// root over the unix socket authenticates by `unix_socket` without a password.
pub const DEFAULT_USER: &str = "root";

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Socket(PathBuf),
    /// Really TCP, also for a loopback address (no switch to the socket).
    Tcp {
        host: String,
        port: u16,
    },
}

impl Default for Target {
    fn default() -> Self {
        Target::Socket(PathBuf::from(DEFAULT_SOCKET))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Socket(p) => write!(f, "{}", p.display()),
            Target::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

/// A status reader for one server. `Debug` never shows the password.
#[derive(Debug, Clone)]
pub struct Client {
    target: Target,
    user: String,
    password: Option<Secret>,
}

/// Both result sets of the one round trip are `(name, value)` rows, so one parser reads them.
fn status_query() -> String {
    let names: Vec<String> = STATUS_VARIABLES.iter().map(|n| format!("'{n}'")).collect();
    format!(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ({}); \
         SELECT 'read_only', @@global.read_only \
         UNION ALL SELECT 'max_connections', @@global.max_connections",
        names.join(",")
    )
}

impl Client {
    pub fn new(target: Target, user: impl Into<String>, password: Option<Secret>) -> Client {
        Client {
            target,
            user: user.into(),
            password,
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    fn opts(&self, budget: Duration) -> OptsBuilder {
        let mut b = OptsBuilder::new()
            .user(Some(self.user.clone()))
            .pass(self.password.as_ref().map(|p| p.expose().to_string()))
            // Without this the driver asks a loopback server for @@socket and reconnects.
            .prefer_socket(false)
            // Known up front, so the driver does not ask for it (one round trip less).
            .max_allowed_packet(Some(1 << 20))
            .tcp_connect_timeout(Some(budget))
            .read_timeout(Some(budget))
            .write_timeout(Some(budget));
        match &self.target {
            Target::Socket(path) => {
                b = b.socket(Some(path.to_string_lossy().into_owned()));
            }
            Target::Tcp { host, port } => {
                b = b.ip_or_hostname(Some(host.clone())).tcp_port(*port);
            }
        }
        b
    }

    /// Reads the status within `budget`, whatever the server does: each socket operation has
    /// the budget as its timeout, and the whole exchange runs on a helper thread that is given
    /// up on when the budget is spent (a blocked unix-socket connect or a slow name lookup have
    /// no timeout of their own).
    pub fn fetch(&self, budget: Duration) -> Result<WsrepStatus, StatusError> {
        let target = self.target.to_string();
        if budget.is_zero() {
            return Err(StatusError::timeout(&target, "connect", budget));
        }
        let started = Instant::now();
        let (tx, rx) = mpsc::sync_channel(1);
        let client = self.clone();
        let spawned = std::thread::Builder::new()
            .name("galera-status".into())
            .spawn(move || {
                let _ = tx.send(client.fetch_blocking(budget));
            });
        if let Err(e) = spawned {
            // No thread (resource limits): do it inline; the socket timeouts still apply.
            drop(e);
            return self.fetch_blocking(budget);
        }
        match rx.recv_timeout(budget) {
            Ok(result) => result,
            Err(_) => Err(StatusError::timeout(
                &target,
                "connect and status query",
                started.elapsed(),
            )),
        }
    }

    /// The exchange itself, bounded only by the per-operation socket timeouts.
    pub fn fetch_blocking(&self, budget: Duration) -> Result<WsrepStatus, StatusError> {
        let target = self.target.to_string();
        let mut conn = Conn::new(self.opts(budget))
            .map_err(|e| StatusError::from_connect(e, &target, &self.user, budget))?;
        let mut rows: Vec<(String, Option<String>)> = Vec::with_capacity(9);
        let query = status_query();
        let mut result = conn
            .query_iter(query)
            .map_err(|e| StatusError::from_query(e, &target, budget))?;
        while let Some(set) = result.iter() {
            for row in set {
                let row = row.map_err(|e| StatusError::from_query(e, &target, budget))?;
                let name: Option<String> = row.get_opt(0).and_then(Result::ok);
                let value: Option<String> = row.get_opt(1).and_then(Result::ok);
                if let Some(name) = name {
                    rows.push((name, value));
                }
            }
        }
        drop(result);
        Ok(WsrepStatus::from_rows(rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_display() {
        assert_eq!(Target::default().to_string(), DEFAULT_SOCKET);
        let t = Target::Tcp {
            host: "::1".into(),
            port: 3311,
        };
        assert_eq!(t.to_string(), "[::1]:3311");
        let t = Target::Tcp {
            host: "db1".into(),
            port: 3306,
        };
        assert_eq!(t.to_string(), "db1:3306");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = Client::new(Target::default(), "monitor", Some(Secret::new("pw-xyzzy")));
        let d = format!("{c:?}");
        assert!(!d.contains("xyzzy"), "{d}");
        assert!(d.contains("monitor"));
    }

    #[test]
    fn query_names_every_variable() {
        let q = status_query();
        for n in STATUS_VARIABLES {
            assert!(q.contains(&format!("'{n}'")), "{q}");
        }
        assert!(q.contains("@@global.read_only") && q.contains("@@global.max_connections"));
    }

    #[test]
    fn missing_socket_and_refused_port() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("none.sock");
        let c = Client::new(Target::Socket(sock.clone()), "root", None);
        let e = c.fetch(Duration::from_secs(2)).unwrap_err();
        assert_eq!(
            e,
            StatusError::NoSocket {
                path: sock.display().to_string()
            }
        );
        // A socket file nobody listens on: refused.
        let bound = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        drop(bound);
        let e = c.fetch(Duration::from_secs(2)).unwrap_err();
        assert_eq!(e.kind(), "refused", "{e}");
        // A TCP port nobody listens on.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let c = Client::new(
            Target::Tcp {
                host: "127.0.0.1".into(),
                port,
            },
            "root",
            None,
        );
        assert_eq!(
            c.fetch(Duration::from_secs(2)).unwrap_err().kind(),
            "refused"
        );
    }

    #[test]
    fn a_silent_server_times_out_within_the_budget() {
        // Accepts (the kernel does, via the backlog) but never says hello.
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("silent.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let c = Client::new(Target::Socket(sock), "root", None);
        let t = Instant::now();
        let e = c.fetch(Duration::from_millis(300)).unwrap_err();
        assert_eq!(e.kind(), "timeout", "{e}");
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        assert_eq!(
            c.fetch(Duration::ZERO).unwrap_err().kind(),
            "timeout",
            "no budget, no attempt"
        );
    }

    #[test]
    fn a_server_that_hangs_up_is_a_protocol_error() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("rude.sock");
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let t = std::thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            drop(s);
        });
        let c = Client::new(Target::Socket(sock), "root", None);
        let e = c.fetch(Duration::from_secs(2)).unwrap_err();
        t.join().unwrap();
        assert!(matches!(e.kind(), "protocol" | "connect"), "{e}");
    }
}
