//! Test harness: a temporary MaxScale installation (config, piddir, logdir, ...) on free
//! loopback ports and process helpers. The HTTP client is the library's `maxscale_sim::client`.

#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub use maxscale_sim::client::{admin_request, free_port, request, Reply, ADMIN};

pub const BIN: &str = env!("CARGO_BIN_EXE_maxscale-sim");

pub fn is_root() -> bool {
    nix::unistd::getuid().is_root()
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

    /// A default installation, started (start asserted to answer 0).
    pub fn started() -> Sim {
        Sim::started_with(|_| {})
    }

    /// [`Sim::with`], started (start asserted to answer 0).
    pub fn started_with(f: impl FnOnce(&mut Sim)) -> Sim {
        let sim = Sim::with(f);
        assert_rc(&sim.start(), 0);
        sim
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

    /// Run in the foreground (`-d`), output discarded; the caller waits for the child.
    pub fn spawn_foreground(&self) -> std::process::Child {
        self.cmd()
            .arg("-d")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn maxscale-sim -d")
    }

    /// Whether the REST API answers at all (any status), within 1 s.
    pub fn api_answers(&self) -> bool {
        let t = Duration::from_secs(1);
        request(self.admin_port, "GET", "/v1/maxscale", None, ADMIN, t).is_ok()
    }

    pub fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.pidfile()).ok()?.parse().ok()
    }

    pub fn get(&self, path: &str) -> Reply {
        self.req("GET", path, None)
    }

    pub fn req(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        admin_request(self.admin_port, method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// `PATCH /v1/maxscale` setting `passive` to `value` (see [`passive_body`]).
    pub fn patch_passive(&self, value: &str) -> Reply {
        self.req("PATCH", "/v1/maxscale", Some(&passive_body(value)))
    }

    /// Steering: `PUT /sim/...` with a text body.
    pub fn put_sim(&self, path: &str, body: &str) -> Reply {
        self.req("PUT", path, Some(body))
    }

    /// `data.attributes` of the document at `path`.
    pub fn attributes(&self, path: &str) -> serde_json::Value {
        self.get(path).json()["data"]["attributes"].take()
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

    /// The passive journal, when `sim_passive_journal=sim-passive.journal` is configured.
    pub fn journal_path(&self) -> PathBuf {
        self.path("var/log/sim-passive.journal")
    }

    /// The journal's lines without their timestamps and pids ("ready passive=false", ...),
    /// and the timestamps.
    pub fn journal(&self) -> Vec<(u128, String)> {
        std::fs::read_to_string(self.journal_path())
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let mut f = l.splitn(4, ' ');
                let ts = f.next().unwrap().parse().expect("timestamp");
                let _node = f.next();
                let _pid = f.next();
                (ts, f.next().unwrap_or("").to_string())
            })
            .collect()
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

/// True while the process exists and is not a zombie whose threads are all gone. A group leader
/// shows Z as soon as it has exited, while its other threads may still be on their way out and
/// hold its sockets (seen under load: a port still bound "after" the exit).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next());
            let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count());
            !(matches!(state, Some("Z") | Some("X") | None) && threads <= 1)
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

/// Send `raw` to the REST API port and collect what comes back within `window` (at most
/// `limit` bytes): for answers that never end or trickle.
pub fn raw_exchange(port: u16, raw: &[u8], window: Duration, limit: usize) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(raw).expect("send");
    let end = Instant::now() + window;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    while got.len() < limit {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        s.set_read_timeout(Some(left)).expect("timeout");
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    got
}

/// The `PATCH /v1/maxscale` body that sets `passive` to `value`, JSON as text: `true`, or
/// `"true"` (a string, which only versions before 2.5 accept).
pub fn passive_body(value: &str) -> String {
    format!(r#"{{"data":{{"attributes":{{"parameters":{{"passive":{value}}}}}}}}}"#)
}

/// A GET of `path` as the admin, as raw bytes for [`raw_exchange`].
pub fn raw_get(port: u16, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {}\r\n\r\n",
        maxscale_sim::client::base64("admin:mariadb")
    )
    .into_bytes()
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
