//! Harness for running the real agent binary against a MaxScale: the simulator (built on first
//! use, through the cargo that builds these tests and with the same build profile) or, when
//! `MAXSCALE_BIN=/path/to/maxscale` is set, a real MaxScale. Tests that need the simulator's
//! steering endpoints (`/sim/...`) return early against a real MaxScale.
//! `MAXSCALE_SIM_PROFILE=6.4` (any version the simulator knows) simulates that MaxScale version
//! instead of 24.02: the binary the agent runs is then a wrapper that passes `--profile`, so that
//! `maxscale --version` and everything else answer as that version.
//!
//! Each test gets its own installation: a temporary directory (logdir, datadir, cachedir,
//! persistdir owned by the `maxscale` user, created if missing), free loopback ports, its own
//! HA_RSCTMP, and a fake `crm_attribute` on PATH that records its arguments.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use maxscale_sim::client::{admin_request, free_port, Reply};
pub use ocf_test_support::Run;

pub const AGENT: &str = env!("CARGO_BIN_EXE_maxscale");
pub const MAXSCALE_USER: &str = "maxscale";

/// `MAXSCALE_BIN`, when the suite runs against a real MaxScale.
// Tests may read the environment directly: the agent's rule (everything through ocf::Env) is
// about the agent, and this is the test harness choosing its target.
#[allow(clippy::disallowed_methods)]
pub fn real_maxscale() -> Option<PathBuf> {
    std::env::var_os("MAXSCALE_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// True when the suite runs against the simulator (steering and fault injection available).
pub fn simulated() -> bool {
    real_maxscale().is_none()
}

/// `MAXSCALE_SIM_PROFILE`: the MaxScale version the simulator plays (None: its default, 24.02).
#[allow(clippy::disallowed_methods)]
pub fn sim_profile() -> Option<String> {
    std::env::var("MAXSCALE_SIM_PROFILE")
        .ok()
        .filter(|v| !v.is_empty())
}

/// The MaxScale binary under test.
pub fn maxscale_binary() -> PathBuf {
    if let Some(real) = real_maxscale() {
        return real;
    }
    static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BINARY
        .get_or_init(|| {
            let sim = build_simulator();
            match sim_profile() {
                Some(p) => profile_wrapper(&sim, &p),
                None => sim,
            }
        })
        .clone()
}

/// `cargo build -p maxscale-sim` with the cargo, target directory and build profile of this test
/// binary (target/<profile>/deps/agent-xxxx); a no-op when it is up to date.
fn build_simulator() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let target_dir = profile_dir.parent().expect("target directory");
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("profile name");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args([
        "build",
        "--quiet",
        "-p",
        "maxscale-sim",
        "--bin",
        "maxscale-sim",
    ])
    .arg("--manifest-path")
    .arg(&manifest)
    .arg("--target-dir")
    .arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let st = cmd.status().expect("run cargo build -p maxscale-sim");
    assert!(st.success(), "cargo build -p maxscale-sim failed: {st}");
    let sim = profile_dir.join("maxscale-sim");
    assert!(sim.is_file(), "{} was not built", sim.display());
    sim
}

/// `<target>/<profile>/maxscale-sim-profiles/<version>/maxscale`: a script that runs the
/// simulator as MaxScale `<version>`. It execs a symlink named `maxscale`, so the process
/// looks like MaxScale (comm `maxscale`) and like the binary the agent was given.
fn profile_wrapper(sim: &Path, profile: &str) -> PathBuf {
    assert!(
        profile
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.'),
        "MAXSCALE_SIM_PROFILE={profile:?}: a version such as 6.4 or 24.02.3"
    );
    let dir = sim
        .parent()
        .expect("target/<profile>")
        .join("maxscale-sim-profiles")
        .join(profile);
    let real = dir.join("bin").join("maxscale");
    std::fs::create_dir_all(real.parent().expect("bin")).expect("mkdir wrapper");
    // Written aside and renamed into place: test binaries running at once share the directory.
    let tmp = dir.join(format!(".maxscale.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(sim, &tmp).expect("symlink maxscale-sim");
    std::fs::rename(&tmp, &real).expect("install symlink");
    let wrapper = dir.join("maxscale");
    std::fs::write(
        &tmp,
        format!(
            "#!/bin/sh\nexec '{}' --profile '{profile}' \"$@\"\n",
            real.display()
        ),
    )
    .expect("write wrapper");
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::rename(&tmp, &wrapper).expect("install wrapper");
    wrapper
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The user MaxScale runs as: `maxscale`, created (system user) when missing.
pub fn ensure_user() {
    static DONE: Mutex<bool> = Mutex::new(false);
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return;
    }
    if nix::unistd::User::from_name(MAXSCALE_USER)
        .ok()
        .flatten()
        .is_none()
    {
        let st = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(MAXSCALE_USER)
            .status()
            .expect("useradd");
        assert!(st.success(), "useradd {MAXSCALE_USER} failed");
    }
    *done = true;
}

fn chown_user(path: &Path) {
    let u = nix::unistd::User::from_name(MAXSCALE_USER)
        .ok()
        .flatten()
        .expect("maxscale user");
    std::os::unix::fs::chown(path, Some(u.uid.as_raw()), Some(u.gid.as_raw())).expect("chown");
}

/// A MaxScale installation in a temporary directory, plus the agent's parameters for it.
pub struct Install {
    pub dir: tempfile::TempDir,
    pub admin_port: u16,
    pub listener_port: u16,
    pub binary: PathBuf,
    /// Extra `[maxscale]` lines.
    pub global_extra: String,
    /// Whether `[maxscale]` also names the directories the parameters give (as a MaxScale with
    /// MXS-5009 needs; true unless a test wants the parameters alone).
    pub dirs_in_config: bool,
    /// Extra lines for the `[Monitor]` section.
    pub monitor_extra: String,
    /// Agent parameters (name, value) besides the ones derived from the installation.
    pub params: Vec<(String, String)>,
    /// Extra environment for the agent (meta attributes, OCF_CHECK_LEVEL, ...).
    pub env: Vec<(String, String)>,
}

impl Install {
    pub fn new() -> Install {
        Install::with(|_| {})
    }

    pub fn with(f: impl FnOnce(&mut Install)) -> Install {
        assert!(
            is_root(),
            "these tests start MaxScale as user maxscale and must run as root"
        );
        ensure_user();
        let dir = tempfile::Builder::new()
            .prefix("ocf-maxscale")
            .tempdir()
            .expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        for d in ["log", "data", "cache", "persist"] {
            let p = dir.path().join(d);
            std::fs::create_dir(&p).expect("mkdir");
            chown_user(&p);
        }
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).expect("mkdir bin");
        let fake = bin.join("crm_attribute");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\necho \"$*\" >> {}\n",
                dir.path().join("crm_attribute.log").display()
            ),
        )
        .expect("fake crm_attribute");
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut install = Install {
            dir,
            admin_port: free_port(),
            listener_port: free_port(),
            binary: maxscale_binary(),
            global_extra: String::new(),
            dirs_in_config: true,
            monitor_extra: String::new(),
            params: Vec::new(),
            env: Vec::new(),
        };
        f(&mut install);
        install.write_config();
        install
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn config_path(&self) -> PathBuf {
        self.path("maxscale.cnf")
    }

    pub fn piddir(&self) -> PathBuf {
        self.path("run")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.piddir().join("maxscale.pid")
    }

    pub fn config_text(&self) -> String {
        let dirs = if self.dirs_in_config {
            ["log", "data", "cache", "persist"]
                .iter()
                .map(|d| format!("{d}dir={}\n", self.path(d).display()))
                .collect::<String>()
        } else {
            String::new()
        };
        format!(
            "[maxscale]\nthreads=1\nadmin_host=127.0.0.1\nadmin_port={port}\n\
             admin_secure_gui=false\n{dirs}{global}\n\
             [server1]\ntype=server\naddress=127.0.0.1\nport=3306\n\n\
             [server2]\ntype=server\naddress=127.0.0.1\nport=3307\n\n\
             [Monitor]\ntype=monitor\nmodule=mariadbmon\nservers=server1,server2\n\
             user=maxscale\npassword=maxscale\nmonitor_interval=1000ms\n{monitor}\n\
             [Router]\ntype=service\nrouter=readwritesplit\nservers=server1,server2\n\
             user=maxscale\npassword=maxscale\n\n\
             [Listener]\ntype=listener\nservice=Router\nport={listener}\naddress=127.0.0.1\n",
            port = self.admin_port,
            global = self.global_extra,
            monitor = self.monitor_extra,
            listener = self.listener_port,
        )
    }

    pub fn write_config(&self) {
        std::fs::write(self.config_path(), self.config_text()).expect("config");
    }

    /// The instance parameters for this installation.
    pub fn reskeys(&self) -> Vec<(String, String)> {
        let p = |s: &str| self.path(s).to_string_lossy().into_owned();
        let mut v: Vec<(String, String)> = vec![
            ("binary".into(), self.binary.to_string_lossy().into_owned()),
            ("config".into(), p("maxscale.cnf")),
            ("user".into(), MAXSCALE_USER.into()),
            ("piddir".into(), p("run")),
            ("logdir".into(), p("log")),
            ("datadir".into(), p("data")),
            ("cachedir".into(), p("cache")),
            ("persistdir".into(), p("persist")),
            ("admin_port".into(), self.admin_port.to_string()),
        ];
        for (k, val) in &self.params {
            v.retain(|(kk, _)| kk != k);
            v.push((k.clone(), val.clone()));
        }
        v
    }

    /// The same parameters as `key=value` lines, for `--params FILE`.
    pub fn params_file(&self) -> PathBuf {
        let f = self.path("params.conf");
        let text: String = self
            .reskeys()
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        std::fs::write(&f, text).expect("params file");
        f
    }

    fn command(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(AGENT);
        cmd.args(args)
            .env_clear()
            .env(
                "PATH",
                format!(
                    "{}:/usr/sbin:/usr/bin:/sbin:/bin",
                    self.path("bin").display()
                ),
            )
            .env("HA_RSCTMP", self.path("rsctmp"))
            .env("OCF_ROOT", "/usr/lib/ocf")
            .env("OCF_RESOURCE_INSTANCE", "ms");
        for (k, v) in self.reskeys() {
            cmd.env(format!("OCF_RESKEY_{k}"), v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the agent with an OCF action.
    pub fn run(&self, action: &str) -> Run {
        self.run_env(action, &[])
    }

    pub fn run_env(&self, action: &str, env: &[(&str, &str)]) -> Run {
        self.run_args(&[action], env)
    }

    pub fn run_args(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run::of(&mut self.command(args, env))
    }

    /// Runs an action and asserts its exit code, showing stderr on failure.
    #[track_caller]
    pub fn expect(&self, action: &str, rc: i32) -> Run {
        self.expect_env(action, &[], rc)
    }

    #[track_caller]
    pub fn expect_env(&self, action: &str, env: &[(&str, &str)], rc: i32) -> Run {
        let r = self.run_env(action, env);
        assert_eq!(
            r.rc, rc,
            "{action} {env:?}: expected {rc}, got {}\nstderr:\n{}",
            r.rc, r.stderr
        );
        r
    }

    /// The pid in the pid file, if any.
    pub fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.pid_file())
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// The command line of the MaxScale in the pid file, argv[0] first.
    pub fn argv(&self) -> Vec<String> {
        let pid = self.pid().expect("a pid in the pid file");
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        cmdline
            .strip_suffix(&[0])
            .unwrap_or(&cmdline)
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    /// Removes a setting and lets the next run use the default.
    pub fn set_param(&mut self, name: &str, value: &str) {
        self.params.retain(|(k, _)| k != name);
        self.params.push((name.into(), value.into()));
    }

    pub fn crm_log(&self) -> String {
        std::fs::read_to_string(self.path("crm_attribute.log")).unwrap_or_default()
    }

    /// One request to the admin API with the default credentials.
    pub fn http(&self, method: &str, path: &str, body: Option<&str>) -> std::io::Result<Reply> {
        admin_request(self.admin_port, method, path, body)
    }

    /// `parameters.passive` as MaxScale reports it.
    pub fn passive(&self) -> Option<bool> {
        let r = self.http("GET", "/v1/maxscale", None).ok()?;
        let v: serde_json::Value = serde_json::from_slice(&r.body).ok()?;
        v.pointer("/data/attributes/parameters/passive")?.as_bool()
    }

    /// Simulator only: `PUT /sim/...` with a text body.
    #[track_caller]
    pub fn steer(&self, path: &str, body: &str) {
        let r = self
            .http("PUT", path, Some(body))
            .expect("steer the simulator");
        assert_eq!(r.status, 204, "PUT {path} {body}: {}", r.text());
    }

    pub fn fault(&self, fault: &str) {
        self.steer("/sim/fault", fault);
    }

    pub fn server_state(&self, server: &str, state: &str) {
        self.steer(&format!("/sim/servers/{server}/state"), state);
    }

    /// SIGKILLs what the pid file names (cleanup, and the kill -9 test).
    pub fn kill9(&self) {
        if let Some(pid) = self.pid() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            let gone = wait_gone(pid, Duration::from_secs(10));
            assert!(
                gone || std::thread::panicking(),
                "pid {pid} survives SIGKILL"
            );
        }
    }
}

impl Drop for Install {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGCONT,
            );
        }
        let _ = self.run_env("stop", &[("OCF_RESKEY_manage_process", "true")]);
        self.kill9();
    }
}

/// Whether the process is gone as the agent sees it (daemon_process): no such pid, or a
/// zombie whose threads have all ended. A SIGKILLed multi-threaded simulator shows its leader
/// as `Z` while its other threads still exit; a monitor then still finds it running, so a
/// test that waited only for the `Z` raced the kernel (monitor answered 1, not 7).
pub fn is_gone(pid: i32) -> bool {
    match daemon_process::ProcStat::read(pid) {
        Ok(Some(stat)) => stat.state.is_gone(),
        Ok(None) => true,
        Err(e) => panic!("reading /proc/{pid}/stat: {e}"),
    }
}

pub fn wait_gone(pid: i32, timeout: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < timeout {
        if is_gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    is_gone(pid)
}
