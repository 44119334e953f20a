//! `mariadbd --wsrep-recover`: the position of a stopped node whose grastate.dat says seqno -1
//! (docs/galera-election.md F6). It runs InnoDB crash recovery, logs `WSREP: Recovered position: uuid:seqno`,
//! and exits; it does not update grastate.dat.
//!
//! How it is run here, and why:
//! - Only after [`datadir_users`] proved that no server or transfer uses the datadir: against
//!   a live datadir it blocks ~30 s on the Aria lock and then aborts without a position.
//! - With the node's own options (same option file, datadir, user, additional parameters), so
//!   recovery sees the same engine configuration.
//! - `--log-error` into the datadir (the only directory the server's user surely may write;
//!   mariadbd opens it after switching user), stdout/stderr appended to the same file (the
//!   first warnings come before the log is open). `--skip-networking` and a socket in the
//!   datadir (relative: mariadbd runs there) keep it off the node's TCP port and socket — the
//!   run binds its unix socket before it prints the position.
//! - In its own process group, killed as a group at the deadline.
//!
//! Prepared transactions ("Found N prepared transactions!", no position): see
//! [`PreparedPolicy`] and docs/galera-election.md § Prepared transactions.

use std::fs;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::config::{opt, ConfigError, ServerConfig};
use crate::datadir::{datadir_users, DatadirUser};
use crate::position::Position;

const LOG_NAME: &str = "wsrep-recover.ocf.log";
const SOCKET_NAME: &str = "wsrep-recover.ocf.sock";
const PID_NAME: &str = "wsrep-recover.ocf.pid";
/// The log of one recovery run is a few KiB; more is read only from the end.
const LOG_READ_MAX: u64 = 1 << 20;

/// What to do when recovery finds transactions prepared in InnoDB that no transaction
/// coordinator log can decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreparedPolicy {
    /// Report [`RecoverError::PreparedTransactions`] and change nothing.
    Refuse,
    /// Roll them back (`--tc-heuristic-recover=rollback`), then recover the position. Never
    /// commit: a prepared transaction was not acknowledged to any client (the server answers
    /// COMMIT after the engine commit), while a heuristic commit could add to this node data
    /// the cluster never ordered.
    RollBack,
}

/// A recovered position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub position: Position,
    /// `Some(n)`: n prepared transactions were rolled back to get it.
    pub rolled_back: Option<u64>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error("datadir in use: {}", users.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(", "))]
    InUse { users: Vec<DatadirUser> },
    #[error("recovery found {count} prepared transaction(s) that need --tc-heuristic-recover")]
    PreparedTransactions { count: u64 },
    #[error("--wsrep-recover did not finish within {after_ms} ms (killed): {log_tail}")]
    Timeout { after_ms: u64, log_tail: String },
    #[error("--wsrep-recover gave no position ({exit}): {log_tail}")]
    NoPosition { exit: String, log_tail: String },
    #[error("--wsrep-recover: wsrep is disabled in this configuration (no position to recover)")]
    WsrepDisabled,
    #[error("cannot prepare the recovery log {path}: {source}")]
    Log { path: PathBuf, source: io::Error },
    #[error("cannot run {program}: {source}")]
    Spawn { program: String, source: io::Error },
    #[error("cannot inspect processes: {0}")]
    Proc(io::Error),
    #[error("{0}")]
    Config(#[from] ConfigError),
}

/// What one run's log says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RunLog {
    pub position: Option<Result<Position, String>>,
    pub prepared: Option<u64>,
    pub wsrep_disabled: bool,
    pub heuristic_done: bool,
    pub tail: String,
}

/// Reads a recovery log. Lines are matched on MariaDB 10.11's wording (`sql/handler.cc`,
/// `sql/wsrep_mysqld.cc`; older servers said "mysqld" where 10.11 says "server").
pub(crate) fn parse_log(text: &str) -> RunLog {
    let mut r = RunLog::default();
    for line in text.lines() {
        if let Some(rest) = line.split("WSREP: Recovered position:").nth(1) {
            r.position = Some(Position::parse(rest.trim()).map_err(|e| e.to_string()));
        } else if let Some(rest) = line.split("] Found ").nth(1) {
            // "Found 1 prepared transactions! It means …" (not "… prepared XA transactions",
            // a warning about user XA transactions, and not "… prepared transaction(s) in
            // InnoDB", the engine's note).
            if let Some(n) = rest.strip_suffix_before(" prepared transactions!") {
                r.prepared = n.trim().parse().ok();
            }
        } else if line.contains("WSREP: disabled, skipping position recovery")
            || line.contains("skipping position recovery")
        {
            r.wsrep_disabled = true;
        } else if line.contains("Please restart without --tc-heuristic-recover") {
            r.heuristic_done = true;
        }
    }
    r.tail = tail(text);
    r
}

trait StripBefore {
    fn strip_suffix_before(&self, marker: &str) -> Option<&str>;
}

impl StripBefore for str {
    /// The text before `marker`, when `marker` occurs.
    fn strip_suffix_before(&self, marker: &str) -> Option<&str> {
        self.find(marker).map(|i| &self[..i])
    }
}

/// The last error lines (or the last lines), at most 600 characters: for an error message.
fn tail(text: &str) -> String {
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("[ERROR]")).collect();
    let source: Vec<&str> = if errors.is_empty() {
        text.lines().collect()
    } else {
        errors
    };
    // The last three, in their order.
    let lines = &source[source.len().saturating_sub(3)..];
    let joined = lines
        .iter()
        .map(|l| strip_timestamp(l))
        .collect::<Vec<_>>()
        .join(" | ");
    let mut s: String = joined.chars().take(600).collect();
    if s.len() < joined.len() {
        s.push('…');
    }
    s
}

/// "2026-12-01 22:21:01 0 [ERROR] x" → "[ERROR] x".
fn strip_timestamp(line: &str) -> &str {
    line.find(" [").map_or(line, |i| &line[i + 1..])
}

/// Recovers the node's position. `deadline` bounds the whole call, including a rollback run.
pub fn recover(
    cfg: &ServerConfig,
    policy: PreparedPolicy,
    deadline: Instant,
) -> Result<Recovered, RecoverError> {
    let started = Instant::now();
    cfg.validate()?;
    let users = datadir_users(&cfg.datadir, &cfg.extra_lock_files).map_err(RecoverError::Proc)?;
    if !users.is_empty() {
        return Err(RecoverError::InUse { users });
    }
    let first = run(cfg, false, deadline)?;
    if let Some(count) = first.prepared {
        if policy == PreparedPolicy::Refuse {
            return Err(RecoverError::PreparedTransactions { count });
        }
        let rollback = run(cfg, true, deadline)?;
        if !rollback.heuristic_done {
            return Err(RecoverError::NoPosition {
                exit: "the --tc-heuristic-recover=rollback run did not finish its recovery".into(),
                log_tail: rollback.tail,
            });
        }
        let after = run(cfg, false, deadline)?;
        return finish(after, Some(count), started);
    }
    finish(first, None, started)
}

fn finish(
    log: RunLog,
    rolled_back: Option<u64>,
    started: Instant,
) -> Result<Recovered, RecoverError> {
    if let Some(count) = log.prepared {
        return Err(RecoverError::PreparedTransactions { count });
    }
    if log.wsrep_disabled {
        return Err(RecoverError::WsrepDisabled);
    }
    match log.position {
        Some(Ok(position)) => Ok(Recovered {
            position,
            rolled_back,
            elapsed: started.elapsed(),
        }),
        Some(Err(bad)) => Err(RecoverError::NoPosition {
            exit: format!("unreadable position: {bad}"),
            log_tail: log.tail,
        }),
        None => Err(RecoverError::NoPosition {
            exit: "no 'Recovered position' line".into(),
            log_tail: log.tail,
        }),
    }
}

/// One `mariadbd --wsrep-recover` run, bounded by `deadline`.
fn run(
    cfg: &ServerConfig,
    heuristic_rollback: bool,
    deadline: Instant,
) -> Result<RunLog, RecoverError> {
    let started = Instant::now();
    if started >= deadline {
        return Err(RecoverError::Timeout {
            after_ms: 0,
            log_tail: "no time left to start it".into(),
        });
    }
    let log_path = cfg.datadir.join(LOG_NAME);
    for leftover in [SOCKET_NAME, PID_NAME] {
        let _ = fs::remove_file(cfg.datadir.join(leftover));
    }
    let log = prepare_log(&log_path, &cfg.user)?;
    let mut cmd = Command::new(&cfg.binary);
    cmd.args(cfg.base_args())
        .arg("--wsrep-recover")
        .arg(opt("--log-error=", log_path.as_os_str()))
        .arg("--skip-networking")
        .arg(format!("--socket={SOCKET_NAME}"))
        .arg(format!("--pid-file={PID_NAME}"));
    // The rsync and mariabackup SST methods refuse to start without a cluster address, also
    // in a recovery run (which connects nowhere); the option file need not have one.
    if let Some(addr) = &cfg.cluster_address {
        cmd.arg(format!("--wsrep-cluster-address={addr}"));
    }
    if heuristic_rollback {
        cmd.arg("--tc-heuristic-recover=rollback");
    }
    let out = log.try_clone().map_err(|source| RecoverError::Log {
        path: log_path.clone(),
        source,
    })?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(log))
        .current_dir(&cfg.datadir)
        .process_group(0);
    crate::guard::without_reboot_capability(&mut cmd);
    let mut child = cmd.spawn().map_err(|source| RecoverError::Spawn {
        program: cfg.binary.display().to_string(),
        source,
    })?;
    let status =
        wait_or_kill_group(&mut child, deadline).map_err(|source| RecoverError::Spawn {
            program: cfg.binary.display().to_string(),
            source,
        })?;
    let text = read_log(&log_path);
    cleanup(&cfg.datadir);
    let parsed = parse_log(&text);
    match status {
        None => Err(RecoverError::Timeout {
            after_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            log_tail: parsed.tail,
        }),
        Some(status) => {
            if parsed.position.is_none()
                && parsed.prepared.is_none()
                && !parsed.wsrep_disabled
                && !parsed.heuristic_done
            {
                return Err(RecoverError::NoPosition {
                    exit: describe(status),
                    log_tail: parsed.tail,
                });
            }
            Ok(parsed)
        }
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "unknown exit".into(),
    }
}

/// Waits for the child until `deadline`; then SIGKILLs its whole process group and reaps it.
/// `Ok(None)` means it was killed.
fn wait_or_kill_group(
    child: &mut std::process::Child,
    deadline: Instant,
) -> io::Result<Option<ExitStatus>> {
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait()? {
            return Ok(Some(st));
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let step = if start.elapsed() < Duration::from_millis(500) {
            5
        } else {
            25
        };
        std::thread::sleep(Duration::from_millis(step).min(deadline - now));
    }
    let pgid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
    // SIGKILL is delivered at once; reap within a short bound (a task in uninterruptible
    // sleep dies when its I/O returns).
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(None)
}

/// A fresh log file, owned by the server's user when we are root.
fn prepare_log(path: &Path, user: &str) -> Result<fs::File, RecoverError> {
    let err = |source| RecoverError::Log {
        path: path.to_path_buf(),
        source,
    };
    let _ = fs::remove_file(path);
    let file = fs::OpenOptions::new()
        .append(true)
        .create_new(true)
        .mode(0o640)
        .open(path)
        .map_err(err)?;
    if nix::unistd::geteuid().is_root() {
        let u = nix::unistd::User::from_name(user)
            .ok()
            .flatten()
            .ok_or_else(|| {
                err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no user {user}"),
                ))
            })?;
        std::os::unix::fs::fchown(&file, Some(u.uid.as_raw()), Some(u.gid.as_raw()))
            .map_err(err)?;
    }
    Ok(file)
}

fn read_log(path: &Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > LOG_READ_MAX {
        let _ = f.seek(SeekFrom::Start(len - LOG_READ_MAX));
    }
    let mut buf = Vec::new();
    let _ = f.take(LOG_READ_MAX).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

fn cleanup(datadir: &Path) {
    for f in [LOG_NAME, SOCKET_NAME, PID_NAME] {
        let _ = fs::remove_file(datadir.join(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: &str = "726d00b4-edd5-11f1-9512-47940ce49375";

    /// Lines as MariaDB 10.11.19 printed them here (and by this crate's tests).
    #[test]
    fn parses_the_server_log() {
        let ok = format!(
            "2026-12-01 22:21:42 0 [Warning] InnoDB: Skipping buffer pool dump/restore during wsrep recovery.\n\
             2026-12-01 22:21:42 0 [Note] WSREP: Recovered position: {U}:4\n"
        );
        let r = parse_log(&ok);
        assert_eq!(
            r.position,
            Some(Ok(Position::parse(&format!("{U}:4")).unwrap()))
        );
        assert_eq!(r.prepared, None);
        let gtid = parse_log(&format!(
            "0 [Note] WSREP: Recovered position: {U}:52,0-1-39\n"
        ));
        assert_eq!(gtid.position.unwrap().unwrap().gtid().unwrap().seq, 39);

        let prepared = "2026-12-01 22:21:01 0 [Note] Found 1 prepared transaction(s) in InnoDB\n\
            2026-12-01 22:21:01 0 [Note] WSREP: Discovered discontinuity in recovered wsrep transaction XIDs. Truncating the recovery list to 0 entries\n\
            2026-12-01 22:21:01 0 [ERROR] Found 3 prepared transactions! It means that server was not shut down properly last time and critical recovery information (last binlog or tc.log file) was manually deleted after a crash. You have to start server with --tc-heuristic-recover switch to commit or rollback pending transactions.\n\
            2026-12-01 22:21:01 0 [ERROR] Aborting\n";
        let r = parse_log(prepared);
        assert_eq!(r.prepared, Some(3));
        assert_eq!(r.position, None);
        assert!(r.tail.starts_with("[ERROR] Found 3 prepared"), "{}", r.tail);
        assert!(r.tail.ends_with("[ERROR] Aborting"), "{}", r.tail);

        // User XA transactions only warn; the position still comes.
        let xa = format!(
            "0 [Warning] Found 2 prepared XA transactions\n0 [Note] WSREP: Recovered position: {U}:9\n"
        );
        let r = parse_log(&xa);
        assert_eq!(r.prepared, None);
        assert!(r.position.is_some());

        let heuristic = "0 [Note] Heuristic crash recovery mode\n0 [Note] Please restart without --tc-heuristic-recover\n0 [ERROR] Can't init tc log\n";
        assert!(parse_log(heuristic).heuristic_done);
        assert!(parse_log("0 [Note] WSREP: disabled, skipping position recovery\n").wsrep_disabled);
        let bad = parse_log("0 [Note] WSREP: Recovered position: garbage\n");
        assert!(matches!(bad.position, Some(Err(_))));
    }

    /// A stand-in for mariadbd: a shell script that acts on `--log-error=`.
    fn fake_server(dir: &Path, body: &str) -> ServerConfig {
        use std::os::unix::fs::PermissionsExt;
        let bin = dir.join("fake-mariadbd");
        let script = format!(
            "#!/bin/sh\n[ \"$1\" = --probe ] && exit 0\nfor a in \"$@\"; do case $a in --log-error=*) log=${{a#--log-error=}};; esac; done\n{body}\n"
        );
        fs::write(&bin, script).unwrap();
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
        // A file just written may not be executable yet (ETXTBSY) while another test thread's
        // fork still holds the write descriptor; once one exec succeeded, none can fail so.
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            match std::process::Command::new(&bin).arg("--probe").status() {
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && Instant::now() < until => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                other => {
                    assert!(other.unwrap().success());
                    break;
                }
            }
        }
        let data = dir.join("data");
        fs::create_dir_all(&data).unwrap();
        let mut cfg = ServerConfig::new(&data, dir.join("sock"), dir.join("pid"));
        cfg.binary = bin;
        // The log is handed to this user when we are root; the tests run as whoever runs them.
        cfg.user = nix::unistd::User::from_uid(nix::unistd::geteuid())
            .unwrap()
            .unwrap()
            .name;
        cfg
    }

    #[test]
    fn a_run_gives_the_position_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = fake_server(
            dir.path(),
            &format!("echo \"$*\" > ../args; echo '0 [Note] WSREP: Recovered position: {U}:77' >> \"$log\""),
        );
        let r = recover(
            &cfg,
            PreparedPolicy::Refuse,
            Instant::now() + Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(r.position.to_string(), format!("{U}:77"));
        assert_eq!(r.rolled_back, None);
        let args = fs::read_to_string(dir.path().join("args")).unwrap();
        for want in [
            "--wsrep-recover",
            "--skip-networking",
            "--socket=wsrep-recover.ocf.sock",
            "--datadir=",
        ] {
            assert!(args.contains(want), "{want} in {args}");
        }
        assert!(!args.contains("tc-heuristic"), "{args}");
        let left: Vec<_> = fs::read_dir(&cfg.datadir).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn prepared_transactions_then_rollback() {
        let dir = tempfile::tempdir().unwrap();
        // Reports 2 prepared transactions until a --tc-heuristic-recover run marked them done.
        let cfg = fake_server(
            dir.path(),
            &format!(
                "case \"$*\" in *tc-heuristic-recover=rollback*) touch ../rolled; echo '0 [Note] Please restart without --tc-heuristic-recover' >> \"$log\"; exit 1;; esac\n\
                 if [ -e ../rolled ]; then echo '0 [Note] WSREP: Recovered position: {U}:12' >> \"$log\"; exit 0; fi\n\
                 echo '0 [ERROR] Found 2 prepared transactions! It means that server was not shut down properly' >> \"$log\"; exit 1"
            ),
        );
        let soon = || Instant::now() + Duration::from_secs(10);
        match recover(&cfg, PreparedPolicy::Refuse, soon()) {
            Err(RecoverError::PreparedTransactions { count: 2 }) => {}
            other => panic!("{other:?}"),
        }
        assert!(
            !dir.path().join("rolled").exists(),
            "Refuse changes nothing"
        );
        let r = recover(&cfg, PreparedPolicy::RollBack, soon()).unwrap();
        assert_eq!((r.position.raw_seqno(), r.rolled_back), (12, Some(2)));
    }

    #[test]
    fn the_deadline_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = fake_server(
            dir.path(),
            "sleep 60 & echo $! > ../child; echo '0 [Note] InnoDB: waiting' >> \"$log\"; wait",
        );
        let t = Instant::now();
        match recover(&cfg, PreparedPolicy::Refuse, t + Duration::from_millis(700)) {
            Err(RecoverError::Timeout { log_tail, .. }) => {
                assert!(log_tail.contains("waiting"), "{log_tail}")
            }
            other => panic!("{other:?}"),
        }
        assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
        let child: i32 = fs::read_to_string(dir.path().join("child"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The script's own child (same process group) is gone too: dead, or a zombie of init.
        let gone = || {
            daemon_process::ProcStat::read(child)
                .unwrap()
                .is_none_or(|s| s.state.is_gone())
        };
        let until = Instant::now() + Duration::from_secs(3);
        while !gone() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(gone(), "the group's other process survived");
        // No time left: not even started.
        assert!(matches!(
            recover(&cfg, PreparedPolicy::Refuse, Instant::now()),
            Err(RecoverError::Timeout { after_ms: 0, .. })
        ));
    }

    #[test]
    fn no_position_and_wsrep_disabled() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = fake_server(dir.path(), "echo '0 [ERROR] Can'\\''t lock aria control file' >> \"$log\"; echo '0 [ERROR] Aborting' >> \"$log\"; exit 1");
        match recover(
            &cfg,
            PreparedPolicy::Refuse,
            Instant::now() + Duration::from_secs(10),
        ) {
            Err(RecoverError::NoPosition { exit, log_tail }) => {
                assert_eq!(exit, "exit code 1");
                assert!(log_tail.contains("Aborting"), "{log_tail}");
            }
            other => panic!("{other:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let cfg = fake_server(
            dir.path(),
            "echo '0 [Note] WSREP: disabled, skipping position recovery' >> \"$log\"",
        );
        assert!(matches!(
            recover(
                &cfg,
                PreparedPolicy::Refuse,
                Instant::now() + Duration::from_secs(10)
            ),
            Err(RecoverError::WsrepDisabled)
        ));
    }

    #[test]
    fn tails_are_short() {
        let long = format!("{}\n", "0 [ERROR] x".repeat(200));
        assert!(tail(&long).chars().count() <= 601);
        assert_eq!(tail("a\nb\nc\nd\n"), "b | c | d");
        assert_eq!(tail("a\nb"), "a | b");
        // Error lines win over the others, the last three of them.
        let log = "t1 [ERROR] a\nt1 [Note] n\nt2 [ERROR] b\nt3 [ERROR] c\nt4 [ERROR] d\nlast\n";
        assert_eq!(tail(log), "[ERROR] b | [ERROR] c | [ERROR] d");
    }
}
