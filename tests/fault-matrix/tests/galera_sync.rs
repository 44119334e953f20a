//! ocf:mariadb:galera-sync rows of the fault matrix (see src/lib.rs).
//!
//! Every row runs with a fake `attrd_updater` first on PATH (a unit test must never touch a
//! real cluster's attributes) and its own `HA_RSCTMP`. What the harness's rows cannot express —
//! another user than root (root bypasses permissions), a closed stdout, the `status` command's
//! own failure line — runs through [`OwnRow`] below, which re-executes this binary the same way
//! and asserts the same contract.

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fault_matrix::{
    agent_command, assert_rows, become_agent_if_asked, common_rows, read_pipe, run_all, wait_child,
    Agent, OddPaths, Outcome, Row,
};

/// In a child of [`OwnRow`]: the stdout the agent gets, once libtest has printed its lines.
const OWN_STDOUT_ENV: &str = "GALERA_SYNC_ROWS_STDOUT";

#[test]
fn agent_process() {
    let odd = match ocf::Env::from_process().get(OWN_STDOUT_ENV) {
        // A socket whose reader is gone: every write fails with EPIPE (SIGPIPE is ignored).
        Some("closed") => UnixStream::pair()
            .ok()
            .map(|(kept, _gone)| OwnedFd::from(kept)),
        // Every write fails with ENOSPC.
        Some("full") => std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .ok()
            .map(OwnedFd::from),
        _ => None,
    };
    if let Some(fd) = odd {
        // SAFETY: dup2 onto fd 1 of a descriptor we own, before the agent writes anything.
        unsafe { libc::dup2(fd.as_raw_fd(), 1) };
    }
    become_agent_if_asked();
}

/// `-Q` answers 1 (the attribute is defined), everything else succeeds at once;
/// `FAKE_ATTRD=hang` never returns, `FAKE_ATTRD=fail` fails.
const FAKE_ATTRD: &str = r#"#!/bin/sh
case $FAKE_ATTRD in
  hang) exec sleep 30 ;;
  fail) echo "connection refused" >&2; exit 1 ;;
esac
for a; do [ "$a" = -Q ] && { echo 'name="galera-sync" host="node1" value="1"'; exit 0; }; done
exit 0
"#;

struct Rig {
    paths: OddPaths,
    scratch: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let scratch = tempfile::tempdir().expect("temp dir");
        // Reachable by nobody (OwnRow::by_nobody).
        chmod(scratch.path(), 0o755);
        let bin = scratch.path().join("bin");
        std::fs::create_dir(&bin).expect("bin");
        let attrd = bin.join("attrd_updater");
        std::fs::write(&attrd, FAKE_ATTRD).expect("fake attrd");
        chmod(&attrd, 0o755);
        Rig {
            paths: OddPaths::new(),
            scratch,
        }
    }
    fn path_env(&self) -> String {
        format!(
            "{}:/usr/bin:/bin",
            self.scratch.path().join("bin").display()
        )
    }
    /// A fresh, empty HA_RSCTMP.
    fn rsctmp(&self, name: &str) -> PathBuf {
        let d = self.scratch.path().join(name);
        std::fs::create_dir(&d).expect("rsctmp");
        chmod(&d, 0o755);
        d
    }
    /// A fresh HA_RSCTMP where resource `gs` is started.
    fn started(&self, name: &str) -> PathBuf {
        let d = self.rsctmp(name);
        std::fs::write(d.join("galera-sync-gs.state"), "started\n").expect("state");
        d
    }
    fn file(&self, name: &str, content: &[u8]) -> String {
        let p = self.scratch.path().join(name);
        std::fs::write(&p, content).expect("file");
        p.display().to_string()
    }
    /// A row of the harness for resource `gs`, with the fake attrd and a socket nobody
    /// listens on (unless the row names another).
    fn row(&self, what: &str, args: &[&str], rsctmp: &Path) -> Row {
        Row::new(Agent::GaleraSync, what, args)
            .env("PATH", self.path_env())
            .env("OCF_RESOURCE_INSTANCE", "gs")
            .env("HA_RSCTMP", rsctmp.display().to_string())
            .param("socket", self.paths.missing())
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

const RECURRING: (&str, &str) = ("OCF_RESKEY_CRM_meta_interval", "2000");

#[test]
fn galera_sync_rows() {
    let rig = Rig::new();
    let paths = &rig.paths;
    let mut rows = common_rows(Agent::GaleraSync);
    let good = rig.rsctmp("good");

    // HA_RSCTMP that cannot hold a state file, and a resource id too long for a file name:
    // nothing can have started through it, so stop is 0 and monitor 7; start says why.
    for (kind, rsctmp, id, start_rc, reason) in [
        ("a file", paths.file(), "gs", 5, "HA_RSCTMP "),
        ("a FIFO", paths.fifo(), "gs", 5, "HA_RSCTMP "),
        ("through a file", paths.under_file(), "gs", 5, "HA_RSCTMP "),
        ("too long", paths.too_long(), "gs", 5, "HA_RSCTMP "),
        (
            "fine, id too long",
            good.display().to_string(),
            &*"r".repeat(300),
            6,
            "resource id",
        ),
    ] {
        let at = Path::new(&rsctmp);
        let row = |action: &str| {
            rig.row(&format!("{action}, HA_RSCTMP {kind}"), &[action], at)
                .env("OCF_RESOURCE_INSTANCE", id)
        };
        rows.push(row("stop").expect(&[0]));
        rows.push(row("monitor").probe().expect(&[7]));
        rows.push(row("monitor").env(RECURRING.0, RECURRING.1).expect(&[7]));
        rows.push(row("reload-agent").expect(&[0]));
        rows.push(row("start").expect(&[start_rc]).reason(reason));
        rows.push(row("stop").expect(&[0]));
    }

    // Odd things where the state file belongs: never opened (a FIFO would block), never
    // removed, not started.
    let fifo_at = rig.rsctmp("fifo-state");
    nix::unistd::mkfifo(
        &fifo_at.join("galera-sync-gs.state"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .expect("fifo");
    let dir_at = rig.rsctmp("dir-state");
    std::fs::create_dir(dir_at.join("galera-sync-gs.state")).expect("dir");
    for (kind, at) in [("a FIFO", &fifo_at), ("a directory", &dir_at)] {
        let row = |action: &str| rig.row(&format!("{action}, state file {kind}"), &[action], at);
        rows.push(row("monitor").probe().expect(&[7]));
        rows.push(row("monitor").env(RECURRING.0, RECURRING.1).expect(&[7]));
        rows.push(row("stop").expect(&[0]));
    }
    rows.push(
        rig.row("start, state file a directory", &["start"], &dir_at)
            .expect(&[5])
            .reason("state file "),
    );

    // password_file odd, endless or huge, on a started resource: a local error (2) at once,
    // with bounded memory; stop never reads it.
    let huge = rig.scratch.path().join("huge");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(1 << 30))
        .expect("huge file");
    let started = rig.started("pw");
    for (kind, path) in paths.not_regular_files().into_iter().chain([
        ("/dev/urandom", "/dev/urandom".to_string()),
        ("1 GiB", huge.display().to_string()),
        ("two lines", rig.file("two-lines", b"a\nb\n")),
        ("not text", rig.file("binary", b"\xff\xfe\x00pw")),
    ]) {
        for action in ["validate-all", "start", "monitor", "reload-agent"] {
            rows.push(
                rig.row(
                    &format!("{action}, password_file {kind}"),
                    &[action],
                    &started,
                )
                .env(RECURRING.0, RECURRING.1)
                .param("password_file", &path)
                .expect(&[2])
                .reason("password_file "),
            );
        }
        rows.push(
            rig.row(&format!("stop, password_file {kind}"), &["stop"], &good)
                .param("password_file", &path)
                .expect(&[0]),
        );
    }

    // Hostile texts in parameters: one short clean reason, or (stop) success.
    let hostile = format!(
        "\u{1b}[2Jocf-exit-reason:fake\u{7f}\u{202e}{}",
        "x".repeat(5000)
    );
    for name in [
        "attribute",
        "port",
        "dampen",
        "donor_ok",
        "connections_reserve",
        "socket",
    ] {
        for action in ["validate-all", "start"] {
            rows.push(
                rig.row(&format!("{action}, {name} hostile"), &[action], &good)
                    .param(name, &hostile)
                    .expect(&[6])
                    .reason(&format!("parameter '{name}'")),
            );
        }
        rows.push(
            rig.row(&format!("stop, {name} hostile"), &["stop"], &good)
                .param(name, &hostile)
                .expect(&[0]),
        );
    }

    // A hostile server on the socket: the monitor and start end in time with bounded memory,
    // publish 0 and succeed (an unhealthy server is the value 0, not a failure).
    for (kind, server) in Server::ALL {
        let socket = server.listen(rig.scratch.path());
        let at = rig.started(&format!("server-{kind}"));
        for action in ["monitor", "start", "reload-agent"] {
            rows.push(
                rig.row(&format!("{action}, a server that {kind}"), &[action], &at)
                    .param("socket", socket.display().to_string())
                    .env(RECURRING.0, RECURRING.1)
                    .timeout(Duration::from_secs(3))
                    .expect(&[0]),
            );
        }
    }

    // A hanging or failing attrd: start and monitor still succeed in time.
    for mode in ["hang", "fail"] {
        let at = rig.started(&format!("attrd-{mode}"));
        for action in ["start", "monitor", "stop"] {
            rows.push(
                rig.row(&format!("{action}, attrd that {mode}s"), &[action], &at)
                    .env("FAKE_ATTRD", mode)
                    .env(RECURRING.0, RECURRING.1)
                    .timeout(Duration::from_secs(3))
                    .expect(&[0]),
            );
        }
    }

    // wsrep-notify: whatever it gets, 0 and gone within its 1.5 s limit.
    let notify = |what: &str, args: &[&str]| {
        let mut argv = vec!["wsrep-notify"];
        argv.extend_from_slice(args);
        rig.row(&format!("wsrep-notify, {what}"), &argv, &good)
            .timeout(Duration::from_millis(1500))
            .expect(&[0])
    };
    let members = format!(
        "id/{}\u{1b}[31m$(reboot)/127.0.0.1:4567",
        "m".repeat(100_000)
    );
    rows.push(notify(
        "the server's arguments",
        &["--status", "synced", "--primary", "yes"],
    ));
    rows.push(notify(
        "a 100 kB hostile member list",
        &["--status", "donor", "--members", &members],
    ));
    rows.push(notify("no arguments", &[]));
    rows.push(notify("a full stdout", &["--status", "synced"]).full_stdout());
    for (kind, path) in [
        ("/dev/zero", "/dev/zero".to_string()),
        ("a FIFO", paths.fifo()),
        ("a directory", paths.dir()),
        ("1 GiB", huge.display().to_string()),
        ("too long", paths.too_long()),
    ] {
        rows.push(notify(
            &format!("--params {kind}"),
            &["--params", &path, "--status", "synced"],
        ));
    }
    for mode in ["hang", "fail"] {
        rows.push(
            notify(&format!("attrd that {mode}s"), &["--status", "synced"]).env("FAKE_ATTRD", mode),
        );
    }
    rows.push(notify(
        "attribute hostile",
        &["--attribute", &hostile, "--status", "synced"],
    ));
    run_all(&rows);
}

/// Peers on a unix socket that a MariaDB client must survive.
#[derive(Debug, Clone, Copy)]
enum Server {
    /// Accepts and never says a word.
    Silent,
    /// Sends random bytes as fast as it can, forever.
    Garbage,
    /// Announces a 16 MiB packet, then another, and never stops sending.
    Endless,
    /// Sends a plausible greeting one byte every 100 ms.
    Drip,
    /// Accepts and hangs up.
    HangUp,
}

impl Server {
    const ALL: [(&'static str, Server); 5] = [
        ("is silent", Server::Silent),
        ("sends garbage", Server::Garbage),
        ("sends an endless packet", Server::Endless),
        ("drips", Server::Drip),
        ("hangs up", Server::HangUp),
    ];

    /// Listens on a socket in `dir` (threads of this test process serve it until it ends).
    fn listen(self, dir: &Path) -> PathBuf {
        let path = dir.join(format!("{self:?}.sock").to_lowercase());
        let listener = UnixListener::bind(&path).expect("bind");
        chmod(&path, 0o777);
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming().flatten() {
                match self {
                    Server::Silent => held.push(conn),
                    Server::HangUp => drop(conn),
                    _ => {
                        std::thread::spawn(move || self.serve(conn));
                    }
                }
            }
        });
        path
    }

    fn serve(self, mut conn: UnixStream) {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut chunk = [0u8; 16 * 1024];
        let result = match self {
            Server::Garbage => loop {
                for b in chunk.iter_mut() {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    *b = seed.to_le_bytes()[0];
                }
                if let Err(e) = conn.write_all(&chunk) {
                    break e;
                }
            },
            Server::Endless => loop {
                // length 0xffffff, sequence 0: a packet that continues in the next one.
                if let Err(e) = conn
                    .write_all(&[0xff, 0xff, 0xff, 0])
                    .and_then(|()| (0..1024).try_for_each(|_| conn.write_all(&chunk)))
                {
                    break e;
                }
            },
            Server::Drip => {
                let greeting = b"\x4a\x00\x00\x00\x0a10.11.6-MariaDB\x00";
                let mut n = 0usize;
                loop {
                    let byte = greeting[n % greeting.len()];
                    n += 1;
                    if let Err(e) = conn.write_all(&[byte]) {
                        break e;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            Server::Silent | Server::HangUp => return,
        };
        drop(result);
    }
}

/// What the child's stdout is (see [`agent_process`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    Captured,
    Closed,
    Full,
}

/// A row this file runs itself: as another user, or with a stdout the harness cannot give,
/// or for the `status` command, whose failures are not OCF exit reasons but one line on
/// stderr ("galera-sync status: …"). The contract is the harness's.
struct OwnRow {
    what: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    uid: Option<u32>,
    out: Out,
    timeout: Duration,
    codes: Vec<i32>,
    /// A text the reason must contain.
    reason_has: Option<String>,
}

/// What the harness sees, and the stdout.
struct OwnOutcome {
    base: Outcome,
    stdout: String,
}

const NOBODY: u32 = 65534;

impl OwnRow {
    fn new(rig: &Rig, what: &str, args: &[&str], rsctmp: &Path) -> OwnRow {
        OwnRow {
            what: what.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            env: vec![
                ("PATH".into(), rig.path_env()),
                ("OCF_ROOT".into(), "/usr/lib/ocf".into()),
                ("OCF_RESOURCE_INSTANCE".into(), "gs".into()),
                ("HA_RSCTMP".into(), rsctmp.display().to_string()),
                ("OCF_RESKEY_socket".into(), rig.paths.missing()),
            ],
            uid: None,
            out: Out::Captured,
            timeout: Duration::from_secs(5),
            codes: Vec::new(),
            reason_has: None,
        }
    }
    fn env(mut self, k: &str, v: impl Into<String>) -> OwnRow {
        self.env.push((k.into(), v.into()));
        self
    }
    fn by_nobody(mut self) -> OwnRow {
        self.uid = Some(NOBODY);
        self
    }
    fn stdout(mut self, out: Out) -> OwnRow {
        self.out = out;
        self
    }
    fn expect(mut self, codes: &[i32]) -> OwnRow {
        self.codes = codes.to_vec();
        self
    }
    fn reason(mut self, needle: &str) -> OwnRow {
        self.reason_has = Some(needle.into());
        self
    }
    fn is_command(&self) -> bool {
        self.args.first().is_some_and(|a| a == "status")
    }

    fn check(&self) -> Result<OwnOutcome, String> {
        let own = self.run()?;
        let o = &own.base;
        let fail = |m: String| Err(format!("{}: {m}\nstderr:\n{}", self.what, o.stderr));
        if let Err(m) = o.check_basics(&self.codes, self.timeout) {
            return fail(m);
        }
        let reason = if self.is_command() {
            // status: 1 is a verdict (on stdout); 2 is one line on stderr saying why.
            match o.code {
                2 => {
                    let lines: Vec<&str> = o.stderr.lines().collect();
                    if lines.len() != 1 || !lines[0].starts_with("galera-sync status: ") {
                        return fail(format!("{} stderr lines, expected one", lines.len()));
                    }
                    Some(lines[0])
                }
                _ if self.out == Out::Captured && own.stdout.lines().count() != 1 => {
                    return fail(format!(
                        "stdout {:?}, expected one verdict line",
                        own.stdout
                    ));
                }
                _ => None,
            }
        } else {
            let markers = o.stderr.matches("ocf-exit-reason:").count();
            let failed = !matches!(o.code, 0 | 7 | 8);
            if markers > 1 || (failed && markers != 1) {
                return fail(format!("{markers} exit reason lines"));
            }
            o.stderr
                .rfind("ocf-exit-reason:")
                .map(|at| o.stderr[at + 16..].lines().next().unwrap_or(""))
        };
        // The command's line has its name in front of a reason made like an exit reason.
        let limit = ocf::reason::PACEMAKER_LIMIT
            + if self.is_command() {
                "galera-sync status: ".len()
            } else {
                0
            };
        if let Some(r) = reason {
            if r.len() > limit || r.chars().any(char::is_control) {
                return fail(format!("reason of {} bytes or not clean: {r:?}", r.len()));
            }
        }
        if let Some(needle) = &self.reason_has {
            if !reason.unwrap_or("").contains(needle.as_str()) {
                return fail(format!("reason lacks '{needle}'"));
            }
        }
        Ok(own)
    }

    fn run(&self) -> Result<OwnOutcome, String> {
        let mut cmd = agent_command(Agent::GaleraSync, &self.args, self.timeout)?;
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped());
        match self.out {
            Out::Captured => {}
            Out::Closed => {
                cmd.env(OWN_STDOUT_ENV, "closed");
            }
            Out::Full => {
                cmd.env(OWN_STDOUT_ENV, "full");
            }
        }
        if let Some(uid) = self.uid {
            cmd.uid(uid).gid(uid);
        }
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{}: spawn: {e}", self.what))?;
        let stdout = read_pipe(child.stdout.take());
        let stderr = read_pipe(child.stderr.take());
        let (code, max_rss_kib) = wait_child(&mut child, started, self.timeout, &self.what)?;
        let elapsed = started.elapsed();
        let stdout = stdout.join().unwrap_or_default();
        // What the agent wrote comes after libtest's "test agent_process ... ".
        let marker = "agent_process ... ";
        let stdout = match stdout.find(marker) {
            Some(at) => stdout[at + marker.len()..].to_string(),
            None => stdout,
        };
        let base = Outcome {
            code,
            elapsed,
            stderr: stderr.join().unwrap_or_default(),
            max_rss_kib,
        };
        Ok(OwnOutcome { base, stdout })
    }
}

fn run_own(rows: &[OwnRow]) {
    assert_rows(rows, OwnRow::check);
}

#[test]
fn galera_sync_own_rows() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: these rows switch to another user and need root");
        return;
    }
    let rig = Rig::new();
    let good = rig.rsctmp("good");
    let mut rows = Vec::new();

    // HA_RSCTMP that nobody may enter (root would): not started; start 4.
    let closed = rig.rsctmp("closed");
    chmod(&closed, 0o000);
    let shut = |what: &str, action: &str| {
        OwnRow::new(
            &rig,
            &format!("{action} as nobody, HA_RSCTMP {what}"),
            &[action],
            &closed,
        )
        .by_nobody()
    };
    rows.push(shut("without permission", "stop").expect(&[0]));
    rows.push(
        shut("without permission", "monitor")
            .env("OCF_RESKEY_CRM_meta_interval", "0")
            .expect(&[7]),
    );
    rows.push(shut("without permission", "reload-agent").expect(&[0]));
    rows.push(
        shut("without permission", "start")
            .expect(&[4])
            .reason("HA_RSCTMP "),
    );
    rows.push(shut("without permission", "stop").expect(&[0]));
    // A password file only root may read, seen by nobody.
    let pw = rig.file("root-only.pw", b"secret\n");
    chmod(Path::new(&pw), 0o600);
    rows.push(
        OwnRow::new(
            &rig,
            "validate as nobody, password_file root's",
            &["validate-all"],
            &good,
        )
        .by_nobody()
        .env("OCF_RESKEY_password_file", &pw)
        .expect(&[2])
        .reason("password_file "),
    );

    // status: a verdict on stdout; a stdout that cannot take it is 2 with one line.
    let status = |what: &str, args: &[&str]| {
        let mut argv = vec!["status"];
        argv.extend_from_slice(args);
        OwnRow::new(&rig, &format!("status, {what}"), &argv, &good)
    };
    for out in [Out::Closed, Out::Full] {
        for args in [&[][..], &["--json"][..]] {
            rows.push(
                status(&format!("{out:?} stdout {args:?}"), args)
                    .stdout(out)
                    .expect(&[2])
                    .reason("cannot write to stdout"),
            );
        }
    }
    rows.push(status("no server", &[]).expect(&[1]));
    for (kind, server) in Server::ALL {
        let socket = server.listen(rig.scratch.path());
        rows.push(
            status(&format!("a server that {kind}"), &["--timeout", "1s"])
                .env("OCF_RESKEY_socket", socket.display().to_string())
                .expect(&[1]),
        );
    }
    let huge = format!("{}/{}", good.display(), "n".repeat(5000));
    for (kind, path) in [
        ("/dev/zero", "/dev/zero".to_string()),
        ("a FIFO", rig.paths.fifo()),
        ("too long", huge),
    ] {
        rows.push(
            status(&format!("--params {kind}"), &["--params", &path])
                .expect(&[2])
                .reason("parameters file"),
        );
        rows.push(
            status(&format!("password_file {kind}"), &[])
                .env("OCF_RESKEY_password_file", &path)
                .expect(&[2])
                .reason("password_file "),
        );
    }
    rows.push(
        status("a hostile parameter", &[])
            .env(
                "OCF_RESKEY_port",
                format!("\u{1b}]0;x\u{7}{}", "9".repeat(5000)),
            )
            .env("OCF_RESKEY_host", "h")
            .expect(&[2])
            .reason("parameter 'port'"),
    );
    run_own(&rows);
}
