//! Test harness: a temporary MaxScale installation (config, piddir, logdir, ...) on free
//! loopback ports, a tiny HTTP client and process helpers.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_maxscale-sim");

pub fn is_root() -> bool {
    nix::unistd::getuid().is_root()
}

/// A port that was free a moment ago and that no other test of this run was given.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("bind 127.0.0.1:0");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

fn give_to_nobody(path: &Path) {
    if is_root() {
        let nobody = nix::unistd::User::from_name("nobody")
            .ok()
            .flatten()
            .expect("user nobody");
        std::os::unix::fs::chown(path, Some(nobody.uid.as_raw()), Some(nobody.gid.as_raw()))
            .expect("chown");
    }
}

/// Write a file the simulator (running as `nobody` when the tests run as root) may modify.
pub fn write_owned(path: &Path, content: &str) {
    std::fs::write(path, content).expect("write");
    give_to_nobody(path);
}

/// A reply from the REST API.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

fn b64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One HTTP/1.1 exchange. `auth` = (user, password). Errors (timeouts, refused) are returned.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    auth: Option<(&str, &str)>,
    timeout: Duration,
) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(timeout))?;
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if let Some((u, p)) = auth {
        req.push_str(&format!(
            "Authorization: Basic {}\r\n",
            b64(&format!("{u}:{p}"))
        ));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        ));
    } else {
        req.push_str("\r\n");
    }
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end in {raw:?}")))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

pub const ADMIN: Option<(&str, &str)> = Some(("admin", "mariadb"));

/// A MaxScale installation in a temporary directory.
pub struct Sim {
    pub dir: tempfile::TempDir,
    pub admin_port: u16,
    pub listener_port: u16,
    /// Extra lines for the `[maxscale]` section.
    pub global_extra: String,
    /// Extra sections appended to the file.
    pub extra_sections: String,
}

impl Sim {
    pub fn new() -> Sim {
        Sim::with(|_| {})
    }

    /// Build, letting `f` adjust `[maxscale]` lines or sections before the config is written.
    pub fn with(f: impl FnOnce(&mut Sim)) -> Sim {
        let dir = tempfile::Builder::new()
            .prefix("mxsim")
            .tempdir()
            .expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        for d in ["run", "var"] {
            let p = dir.path().join(d);
            std::fs::create_dir(&p).expect("mkdir");
            give_to_nobody(&p);
        }
        let mut sim = Sim {
            dir,
            admin_port: free_port(),
            listener_port: free_port(),
            global_extra: String::new(),
            extra_sections: String::new(),
        };
        f(&mut sim);
        sim.write_config();
        sim
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn config_text(&self) -> String {
        format!(
            "[maxscale]\nthreads=2\nadmin_port={}\n{}\n\
             [server1]\ntype=server\naddress=127.0.0.1\nport=3306\n\n\
             [server2]\ntype=server\naddress=127.0.0.1\nport=3307\n\n\
             [MariaDB-Monitor]\ntype=monitor\nmodule=mariadbmon\nservers=server1,server2\n\
             user=maxuser\npassword=maxpwd\nmonitor_interval=2000ms\n\n\
             [RW-Split-Router]\ntype=service\nrouter=readwritesplit\nservers=server1,server2\n\
             user=maxuser\npassword=maxpwd\n\n\
             [RW-Split-Listener]\ntype=listener\nservice=RW-Split-Router\naddress=127.0.0.1\nport={}\n\n{}",
            self.admin_port, self.global_extra, self.listener_port, self.extra_sections
        )
    }

    pub fn write_config(&self) {
        self.write_config_text(&self.config_text());
    }

    pub fn write_config_text(&self, text: &str) {
        let p = self.path("maxscale.cnf");
        std::fs::write(&p, text).expect("write config");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }

    pub fn piddir(&self) -> PathBuf {
        self.path("run")
    }

    pub fn pidfile(&self) -> PathBuf {
        self.path("run/maxscale.pid")
    }

    pub fn logfile(&self) -> PathBuf {
        self.path("var/log/maxscale.log")
    }

    pub fn persisted(&self) -> PathBuf {
        self.path("var/lib/maxscale.cnf.d/maxscale.cnf")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.logfile()).unwrap_or_default()
    }

    /// The command line of a normal start (as `nobody` when running as root).
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        if is_root() {
            c.arg("--user=nobody");
        }
        c.arg(format!("--config={}", self.path("maxscale.cnf").display()))
            .arg("--piddir")
            .arg(self.piddir())
            .arg(format!("--logdir={}", self.path("var/log").display()))
            .arg(format!("--datadir={}", self.path("var/lib").display()))
            .arg(format!("--cachedir={}", self.path("var/cache").display()))
            .arg(format!(
                "--persistdir={}",
                self.path("var/lib/maxscale.cnf.d").display()
            ));
        c
    }

    /// Start in daemon mode and return the parent's exit status.
    pub fn start(&self) -> Output {
        self.start_with(&[])
    }

    pub fn start_with(&self, extra: &[&str]) -> Output {
        self.cmd().args(extra).output().expect("run maxscale-sim")
    }

    pub fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.pidfile()).ok()?.parse().ok()
    }

    pub fn get(&self, path: &str) -> Reply {
        self.req("GET", path, None)
    }

    pub fn req(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        request(
            self.admin_port,
            method,
            path,
            body,
            ADMIN,
            Duration::from_secs(5),
        )
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub fn put_sim(&self, path: &str, body: &str) -> Reply {
        let mut s = TcpStream::connect(("127.0.0.1", self.admin_port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let auth = b64("admin:mariadb");
        let req = format!(
            "PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).expect("write");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.as_bytes().to_vec())
            .unwrap_or_default();
        Reply {
            status,
            headers: Vec::new(),
            body,
        }
    }

    pub fn passive(&self) -> bool {
        self.get("/v1/maxscale")
            .json()
            .pointer("/data/attributes/parameters/passive")
            .and_then(serde_json::Value::as_bool)
            .expect("passive")
    }

    pub fn server_state(&self, name: &str) -> String {
        self.get(&format!("/v1/servers/{name}"))
            .json()
            .pointer("/data/attributes/state")
            .and_then(serde_json::Value::as_str)
            .expect("state")
            .to_string()
    }

    /// SIGTERM the daemon and wait until its pid file is gone and it has exited.
    pub fn stop(&self) {
        let pid = self.pid().expect("pid file");
        kill(pid, nix::sys::signal::Signal::SIGTERM);
        assert!(
            wait_for(Duration::from_secs(5), || !self.pidfile().exists()),
            "pid file stays"
        );
        assert!(
            wait_for(Duration::from_secs(5), || !alive(pid)),
            "process stays"
        );
    }

    /// The line a service listener sends.
    pub fn listener_line(&self) -> String {
        let mut s =
            TcpStream::connect(("127.0.0.1", self.listener_port)).expect("connect listener");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read listener");
        out
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            if alive(pid) {
                kill(pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
    }
}

pub fn kill(pid: i32, sig: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
}

/// True while the process exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X") | None)
        }
        Err(_) => false,
    }
}

pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}

pub fn assert_rc(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
