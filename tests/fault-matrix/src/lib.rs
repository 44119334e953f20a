//! The fault matrix: each agent's actions against each class of bad state (odd paths: a file,
//! a directory, a FIFO, too long, no permission), oversized and endless inputs, hostile peer
//! texts, missing or renamed interfaces, a closed or full stdout. Every row asserts the
//! contract, not only the code:
//!
//! - the OCF exit code (one of the row's allowed codes);
//! - the action ended inside its timeout (Pacemaker SIGKILLs at `CRM_meta_timeout`, leaving no
//!   reason) and its peak RSS stayed bounded;
//! - no panic; on failure exactly one `ocf-exit-reason:` line, clean (no control characters)
//!   and within Pacemaker's 128 characters; a needle the row names is in it;
//! - the row's own checks (e.g. the address is gone after stop).
//!
//! Each row runs the agent as a real process: this crate's test binary re-executed with
//! [`AGENT_ENV`] naming the agent, which then runs exactly what the agent's `main` runs
//! (`ocf::execute` in process mode: logging, watchdog, panic hook). Rows live in
//! `tests/<agent>.rs`; this file is the harness.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Selects the agent when the test binary is re-executed as one.
pub const AGENT_ENV: &str = "FAULT_MATRIX_AGENT";
/// In the re-executed child: make stdout a full device after the harness has printed.
const FULL_STDOUT_ENV: &str = "FAULT_MATRIX_FULL_STDOUT";

/// The most an action may use (peak RSS). The agents need a few MiB; an unbounded read of a
/// peer or a file would show here long before the OOM killer.
pub const RSS_LIMIT_KIB: i64 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    Vip,
    MaxScale,
    GaleraSync,
}

impl Agent {
    pub fn name(self) -> &'static str {
        match self {
            Agent::Vip => "vip",
            Agent::MaxScale => "maxscale",
            Agent::GaleraSync => "galera-sync",
        }
    }

    fn from_name(name: &str) -> Option<Agent> {
        [Agent::Vip, Agent::MaxScale, Agent::GaleraSync]
            .into_iter()
            .find(|a| a.name() == name)
    }
}

/// Call this first in the `#[test]` named `agent_process` of each test file: in a re-executed
/// child it becomes the agent and exits; in the test run it returns at once.
pub fn become_agent_if_asked() {
    let env = ocf::Env::from_process();
    let Some(agent) = env.get(AGENT_ENV).and_then(Agent::from_name) else {
        return;
    };
    let mut args: Vec<OsString> = std::env::args_os().collect();
    // argv: <test-binary> --exact agent_process --nocapture -- <agent args...>
    let split = args
        .iter()
        .position(|a| a == "--")
        .map_or(args.len(), |i| i + 1);
    let mut argv = vec![OsString::from(agent.name())];
    argv.extend(args.drain(split..));
    if env.get(FULL_STDOUT_ENV).is_some() {
        if let Ok(full) = std::fs::File::options().write(true).open("/dev/full") {
            // SAFETY: dup2 onto fd 1 of a descriptor we own, before anything else writes.
            unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&full), 1) };
        }
    }
    let code = match agent {
        Agent::Vip => ocf::execute(&vip::VipAgent, &argv, env, ocf::Mode::Process),
        Agent::MaxScale => ocf::execute(&maxscale::MaxScaleAgent, &argv, env, ocf::Mode::Process),
        Agent::GaleraSync => ocf::execute(
            &galera_sync::GaleraSyncAgent,
            &argv,
            env,
            ocf::Mode::Process,
        ),
    };
    std::process::exit(code);
}

/// One row: an agent, its arguments and environment, and what the contract demands.
#[derive(Debug, Clone)]
pub struct Row {
    pub what: String,
    pub agent: Agent,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// `OCF_RESKEY_CRM_meta_timeout`; the row fails if the action outlives it.
    pub timeout: Duration,
    /// Allowed exit codes.
    pub codes: Vec<i32>,
    /// A text the exit reason must contain.
    pub reason_has: Option<String>,
    pub full_stdout: bool,
    /// A network namespace (`ip netns` name) to run the agent in.
    pub netns: Option<String>,
}

impl Row {
    pub fn new(agent: Agent, what: impl Into<String>, args: &[&str]) -> Row {
        Row {
            what: what.into(),
            agent,
            args: args.iter().map(|s| s.to_string()).collect(),
            env: vec![("OCF_ROOT".into(), "/usr/lib/ocf".into())],
            timeout: Duration::from_secs(5),
            codes: Vec::new(),
            reason_has: None,
            full_stdout: false,
            netns: None,
        }
    }
    /// An instance parameter (`OCF_RESKEY_<name>`).
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Row {
        self.env.push((format!("OCF_RESKEY_{name}"), value.into()));
        self
    }
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Row {
        self.env.push((key.into(), value.into()));
        self
    }
    /// A probe: monitor with interval 0.
    pub fn probe(self) -> Row {
        self.env("OCF_RESKEY_CRM_meta_interval", "0")
    }
    pub fn timeout(mut self, t: Duration) -> Row {
        self.timeout = t;
        self
    }
    pub fn expect(mut self, codes: &[i32]) -> Row {
        self.codes = codes.to_vec();
        self
    }
    pub fn reason(mut self, needle: &str) -> Row {
        self.reason_has = Some(needle.into());
        self
    }
    pub fn full_stdout(mut self) -> Row {
        self.full_stdout = true;
        self
    }
    /// Runs the agent inside the network namespace `/run/netns/<name>`.
    pub fn in_netns(mut self, name: &str) -> Row {
        self.netns = Some(name.into());
        self
    }

    /// Runs the row and checks the contract; `Err` says what broke.
    pub fn check(&self) -> Result<Outcome, String> {
        let o = self.run()?;
        let fail = |m: String| Err(format!("{}: {m}\nstderr:\n{}", self.what, o.stderr));
        if let Err(m) = o.check_basics(&self.codes, self.timeout) {
            return fail(m);
        }
        let markers = o.stderr.matches("ocf-exit-reason:").count();
        let failed = !matches!(o.code, 0 | 7 | 8);
        if failed && markers != 1 {
            return fail(format!(
                "{markers} exit reason lines on failure, expected 1"
            ));
        }
        if markers > 1 {
            return fail(format!("{markers} exit reason lines"));
        }
        if let Some(reason) = o.reason() {
            if reason.len() > ocf::reason::PACEMAKER_LIMIT {
                return fail(format!("exit reason of {} bytes", reason.len()));
            }
            if reason.chars().any(char::is_control) {
                return fail("control characters in the exit reason".into());
            }
        }
        if let Some(needle) = &self.reason_has {
            if !o.reason().unwrap_or("").contains(needle.as_str()) {
                return fail(format!("exit reason lacks '{needle}'"));
            }
        }
        Ok(o)
    }

    fn run(&self) -> Result<Outcome, String> {
        let mut cmd = agent_command(self.agent, &self.args, self.timeout)?;
        cmd.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .stdout(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if self.full_stdout {
            cmd.env(FULL_STDOUT_ENV, "1");
        }
        if let Some(ns) = &self.netns {
            let file = std::fs::File::open(format!("/run/netns/{ns}"))
                .map_err(|e| format!("{}: netns {ns}: {e}", self.what))?;
            // SAFETY: setns(2) between fork and exec on a descriptor the closure owns; it is
            // async-signal-safe and allocates nothing.
            unsafe {
                use std::os::unix::process::CommandExt;
                cmd.pre_exec(move || {
                    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
                    if libc::setns(fd, libc::CLONE_NEWNET) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{}: spawn: {e}", self.what))?;
        let stderr = read_pipe(child.stderr.take());
        let (code, max_rss_kib) = wait_child(&mut child, started, self.timeout, &self.what)?;
        Ok(Outcome {
            code,
            elapsed: started.elapsed(),
            stderr: stderr.join().unwrap_or_default(),
            max_rss_kib,
        })
    }
}

/// The command that re-executes this test binary as `agent` with `args`, in an environment
/// that holds only the agent's name and `OCF_RESKEY_CRM_meta_timeout` (the caller adds the
/// rest); stdin is null and stderr piped.
pub fn agent_command(agent: Agent, args: &[String], timeout: Duration) -> Result<Command, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        "agent_process",
        "--nocapture",
        "--test-threads=1",
        "--",
    ])
    .args(args)
    .env_clear()
    .env(AGENT_ENV, agent.name())
    .env(
        "OCF_RESKEY_CRM_meta_timeout",
        timeout.as_millis().to_string(),
    )
    .stdin(Stdio::null())
    .stderr(Stdio::piped());
    Ok(cmd)
}

/// Reads a child's pipe on a thread, at most 1 MiB, so a chatty agent cannot block on a full
/// pipe.
pub fn read_pipe<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = pipe {
            let _ = p.take(1 << 20).read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Waits for the agent `child` of the row `what`, started at `started` with `timeout`: its exit
/// code (128 + the signal that ended it) and peak RSS. A child still running 5 s past its
/// timeout is killed and the row broken.
pub fn wait_child(
    child: &mut Child,
    started: Instant,
    timeout: Duration,
    what: &str,
) -> Result<(i32, i64), String> {
    let pid = i32::try_from(child.id()).map_err(|e| e.to_string())?;
    let hard_stop = timeout + Duration::from_secs(5);
    loop {
        let mut status = 0;
        // SAFETY: a zeroed rusage is valid; wait4 fills it for our own child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waiting for our own child with valid pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            let status = std::process::ExitStatus::from_raw(status);
            let code = status.code().unwrap_or(128 + status.signal().unwrap_or(0));
            return Ok((code, usage.ru_maxrss));
        }
        if started.elapsed() > hard_stop {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{what}: still running {hard_stop:?} after its start (killed)"
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What one run did.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stderr: String,
    pub elapsed: Duration,
    pub max_rss_kib: i64,
}

impl Outcome {
    /// What every row checks first, whatever the agent wrote: an allowed exit code, the end
    /// inside the timeout, a bounded peak RSS, no panic.
    pub fn check_basics(&self, codes: &[i32], timeout: Duration) -> Result<(), String> {
        if !codes.contains(&self.code) {
            return Err(format!(
                "exit code {}, expected one of {codes:?}",
                self.code
            ));
        }
        // The watchdog fires just before the timeout; a little slack for exec and exit.
        if self.elapsed > timeout + Duration::from_millis(500) {
            return Err(format!(
                "took {:?} with a {timeout:?} timeout",
                self.elapsed
            ));
        }
        if self.max_rss_kib > RSS_LIMIT_KIB {
            return Err(format!("peak RSS {} KiB", self.max_rss_kib));
        }
        if self.stderr.contains("panicked") || self.stderr.contains("internal error") {
            return Err("panicked".into());
        }
        Ok(())
    }

    /// The exit reason Pacemaker takes: after the last marker, to the end of that line.
    pub fn reason(&self) -> Option<&str> {
        let at = self.stderr.rfind("ocf-exit-reason:")?;
        let rest = &self.stderr[at + "ocf-exit-reason:".len()..];
        Some(rest.split(['\n', '\0']).next().unwrap_or(""))
    }
}

/// Runs every row and fails with the list of broken ones (all rows run, so one run shows
/// everything).
pub fn run_all(rows: &[Row]) {
    assert_rows(rows, Row::check);
}

/// Checks every row with `check` and fails with the list of broken ones.
pub fn assert_rows<R, O>(rows: &[R], check: impl Fn(&R) -> Result<O, String>) {
    let broken: Vec<String> = rows.iter().filter_map(|r| check(r).err()).collect();
    assert!(
        broken.is_empty(),
        "{} of {} rows broke the contract:\n\n{}",
        broken.len(),
        rows.len(),
        broken.join("\n\n")
    );
}

/// Rows every agent must pass, whatever its parameters: informational actions to a full
/// stdout, unknown and missing actions, unimplemented ones.
pub fn common_rows(agent: Agent) -> Vec<Row> {
    let mut rows = Vec::new();
    for action in ["meta-data", "usage", "methods", "--version", "--man"] {
        rows.push(
            Row::new(
                agent,
                format!("{} {action} to a full stdout", agent.name()),
                &[action],
            )
            .full_stdout()
            .expect(&[1])
            .reason("cannot write"),
        );
    }
    rows.push(
        Row::new(
            agent,
            format!("{} unknown action", agent.name()),
            &["frobnicate"],
        )
        .expect(&[3])
        .reason("unknown action"),
    );
    rows.push(Row::new(agent, format!("{} no action", agent.name()), &[]).expect(&[2]));
    for action in ["migrate_to", "migrate_from", "reload"] {
        rows.push(Row::new(agent, format!("{} {action}", agent.name()), &[action]).expect(&[3]));
    }
    rows
}

/// A scratch directory with the odd kinds of path the rows need.
pub struct OddPaths {
    pub dir: tempfile::TempDir,
}

impl OddPaths {
    pub fn new() -> OddPaths {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("file"), "x").expect("file");
        std::fs::create_dir(dir.path().join("dir")).expect("dir");
        nix::unistd::mkfifo(
            &dir.path().join("fifo"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .expect("fifo");
        OddPaths { dir }
    }
    /// A regular file.
    pub fn file(&self) -> String {
        self.path("file")
    }
    pub fn dir(&self) -> String {
        self.path("dir")
    }
    /// A FIFO nobody writes to: opening it for reading blocks unless done with O_NONBLOCK.
    pub fn fifo(&self) -> String {
        self.path("fifo")
    }
    /// A path through a regular file (ENOTDIR).
    pub fn under_file(&self) -> String {
        self.path("file/below")
    }
    /// A path longer than PATH_MAX.
    pub fn too_long(&self) -> String {
        format!("{}/{}", self.dir(), "n".repeat(5000))
    }
    /// A file name longer than NAME_MAX.
    pub fn name_too_long(&self) -> String {
        format!("{}/{}", self.dir(), "n".repeat(300))
    }
    pub fn missing(&self) -> String {
        self.path("missing")
    }
    /// The paths a file parameter (a password file) may name that are no readable regular
    /// file, each with the words a row's name gives it.
    pub fn not_regular_files(&self) -> [(&'static str, String); 6] {
        [
            ("/dev/zero", "/dev/zero".to_string()),
            ("a FIFO", self.fifo()),
            ("a directory", self.dir()),
            ("missing", self.missing()),
            ("through a file", self.under_file()),
            ("too long", self.too_long()),
        ]
    }
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }
}

impl Default for OddPaths {
    fn default() -> Self {
        OddPaths::new()
    }
}
