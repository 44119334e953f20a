//! Starting, finding, following and stopping this node's mariadbd.
//!
//! - [`StartPlan::join`] never starts a node whose grastate.dat says seqno -1 without its
//!   recovered position (`--wsrep-start-position`): started plain, pc.recovery re-forms the
//!   cluster with a reset history (docs/galera-election.md F4). It refuses a node whose data is ahead
//!   of the Primary (F8), instead of letting an SST wipe the extra commits.
//! - [`StartPlan::bootstrap`] needs the election's [`Grant`]; it writes the elected position
//!   and `safe_to_bootstrap: 1` (atomically) and starts with `--wsrep-new-cluster`.
//! - [`probe`] finds the server without its pid file (mariadbd writes it only after SST) and
//!   tells a state transfer in progress (`sst_in_progress` plus a live `wsrep_sst_*` child)
//!   from a start that hangs.
//! - [`stop_server`] escalates SIGTERM to SIGKILL (a mariadbd waiting for a Primary ignores
//!   SIGTERM for over a minute, F10) and kills the state-transfer helpers it leaves.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use daemon_process::{
    expected_comm, find, spawn_detached_until, Found, ParentExit, PidFile, ProcStat, Process,
    StopOutcome, WhenFrozen,
};

use crate::checks::PrimaryView;
use crate::config::{opt, ConfigError, ServerConfig};
use crate::datadir::{
    canonical, cmdline_of, datadir_users, descendants, process_table, sst_script, works_in,
    DatadirUser, SERVER_PROGRAMS,
};
use crate::election::Grant;
use crate::grastate::{write_bootstrap_state, DiskError, GraState, Trust};
use crate::gvwstate;
use crate::position::{Comparison, Position};
use crate::recover::Recovered;

/// The file the SST scripts keep in the datadir while a transfer runs (`wsrep_sst_common`).
pub const SST_MARKER: &str = "sst_in_progress";

/// What is on disk before a start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalState {
    /// `None`: no grastate.dat.
    pub grastate: Option<GraState>,
    /// `--wsrep-recover`'s answer, when it ran.
    pub recovered: Option<Recovered>,
    /// The datadir holds InnoDB data (`ibdata1`); without it there is nothing to lose.
    pub has_data: bool,
}

impl LocalState {
    pub fn read(cfg: &ServerConfig) -> Result<LocalState, DiskError> {
        Ok(LocalState {
            grastate: GraState::read(&cfg.datadir)?,
            recovered: None,
            has_data: cfg.datadir.join("ibdata1").exists(),
        })
    }

    /// Whether the start rules need `--wsrep-recover` before a join or a report.
    pub fn needs_recovery(&self) -> bool {
        if self.recovered.is_some() {
            return false;
        }
        match self.grastate.as_ref().map(GraState::trust) {
            Some(Trust::Clean { .. }) => false,
            Some(Trust::NeedsRecovery { .. }) => true,
            Some(Trust::Unsafe { .. }) | None => self.has_data,
        }
    }

    /// The position of this node's data, when it is known and trusted.
    fn known_position(&self) -> Option<Position> {
        match self.grastate.as_ref().map(GraState::trust) {
            Some(Trust::Clean { position, .. }) => Some(position),
            Some(Trust::NeedsRecovery { uuid }) => self
                .recovered
                .as_ref()
                .map(|r| r.position.clone())
                .filter(|p| p.is_known() && p.uuid() == uuid),
            _ => None,
        }
    }
}

/// What a join will transfer, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transfer {
    /// Same history: IST from the node's position if the donor's gcache has it, else SST.
    FromPosition(Position),
    /// Full SST. `replaces`: the node's data of another history (or of unknown standing),
    /// which the transfer discards.
    Full { replaces: Option<Position> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanKind {
    Join { transfer: Transfer },
    Bootstrap { position: Position },
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("grastate.dat has seqno -1 and no recovered position: run --wsrep-recover (a plain start would reset the cluster history)")]
    PositionUnknown,
    #[error("the recovered position {recovered} is not of grastate.dat's history")]
    RecoveredOtherHistory { recovered: Position },
    #[error("local data is {by} write sets ahead of the Primary ({local} vs {primary}): refusing to join, an SST would discard them")]
    AheadOfPrimary {
        local: Position,
        primary: Position,
        by: u64,
    },
    #[error("local data at {local} has no trusted grastate.dat; without the Primary's position it cannot be ruled out that it is ahead")]
    CannotRuleOutAhead { local: Position },
    #[error("the bootstrap grant is for {granted}, but this node's data is at {local}")]
    GrantMismatch { granted: Position, local: String },
    #[error("the bootstrap grant is for node {granted}, not for {local}")]
    GrantForAnotherNode { granted: String, local: String },
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("datadir in use: {}", users.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(", "))]
    InUse { users: Vec<DatadirUser> },
    #[error("mariadbd exited during start ({exit}): {log_tail}")]
    ExitedEarly { exit: String, log_tail: String },
    #[error("{0}")]
    Disk(#[from] DiskError),
    #[error("{0}")]
    Process(#[from] daemon_process::Error),
    #[error("cannot inspect processes: {0}")]
    Proc(std::io::Error),
}

/// A start, decided but not yet done: the argument vector and what it will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartPlan {
    binary: PathBuf,
    datadir: PathBuf,
    args: Vec<OsString>,
    kind: PlanKind,
    log_error: Option<PathBuf>,
    extra_lock_files: Vec<PathBuf>,
    pid_file: PathBuf,
}

fn server_args(cfg: &ServerConfig) -> Vec<OsString> {
    let mut a = cfg.base_args();
    a.push(opt("--socket=", cfg.socket.as_os_str()));
    a.push(opt("--pid-file=", cfg.pid_file.as_os_str()));
    if let Some(l) = &cfg.log_error {
        a.push(opt("--log-error=", l.as_os_str()));
    }
    if let Some(addr) = &cfg.cluster_address {
        a.push(OsString::from(format!("--wsrep-cluster-address={addr}")));
    }
    a
}

impl StartPlan {
    fn new(cfg: &ServerConfig, args: Vec<OsString>, kind: PlanKind) -> StartPlan {
        StartPlan {
            binary: cfg.binary.clone(),
            datadir: cfg.datadir.clone(),
            args,
            kind,
            log_error: cfg.log_error.clone(),
            extra_lock_files: cfg.extra_lock_files.clone(),
            pid_file: cfg.pid_file.clone(),
        }
    }

    /// A start that joins the running cluster. `primary`: the Primary's current position,
    /// when the caller could read it; it is required only when the local data has no trusted
    /// grastate.dat (Galera itself refuses an ahead joiner only when it knows the joiner's
    /// position of the same history).
    pub fn join(
        cfg: &ServerConfig,
        local: &LocalState,
        primary: Option<&PrimaryView>,
    ) -> Result<StartPlan, StartError> {
        cfg.validate()?;
        let mut args = server_args(cfg);
        let trust = local.grastate.as_ref().map(GraState::trust);
        let ahead = |mine: &Position, pv: &PrimaryView| match mine.compare(&pv.position) {
            Comparison::Ahead { by } => Err(StartError::AheadOfPrimary {
                local: mine.clone(),
                primary: pv.position.clone(),
                by,
            }),
            _ => Ok(()),
        };
        let transfer = match trust {
            Some(Trust::Clean { position, .. }) => {
                if let Some(pv) = primary {
                    ahead(&position, pv)?;
                }
                transfer_from(position, primary)
            }
            Some(Trust::NeedsRecovery { uuid }) => {
                let r = local
                    .recovered
                    .as_ref()
                    .ok_or(StartError::PositionUnknown)?;
                if !r.position.is_known() {
                    return Err(StartError::PositionUnknown);
                }
                if r.position.uuid() != uuid {
                    return Err(StartError::RecoveredOtherHistory {
                        recovered: r.position.clone(),
                    });
                }
                if let Some(pv) = primary {
                    ahead(&r.position, pv)?;
                }
                // Galera takes it only with grastate's uuid and seqno -1 (F3): here.
                args.push(OsString::from(format!(
                    "--wsrep-start-position={}",
                    r.position.start_position()
                )));
                transfer_from(r.position.clone(), primary)
            }
            Some(Trust::Unsafe { .. }) | None => {
                let recovered = local
                    .recovered
                    .as_ref()
                    .map(|r| r.position.clone())
                    .filter(Position::is_known);
                match (recovered, local.has_data) {
                    (Some(p), _) => {
                        let pv = primary
                            .ok_or_else(|| StartError::CannotRuleOutAhead { local: p.clone() })?;
                        ahead(&p, pv)?;
                        Transfer::Full { replaces: Some(p) }
                    }
                    (None, true) if local.recovered.is_none() => {
                        return Err(StartError::PositionUnknown)
                    }
                    (None, _) => Transfer::Full { replaces: None },
                }
            }
        };
        Ok(StartPlan::new(cfg, args, PlanKind::Join { transfer }))
    }

    /// A bootstrap of a new Primary component from this node (`local_node`, the name the
    /// election knows it by), as the election granted.
    pub fn bootstrap(
        cfg: &ServerConfig,
        local_node: &str,
        local: &LocalState,
        grant: &Grant,
    ) -> Result<StartPlan, StartError> {
        cfg.validate()?;
        // Equal positions on two nodes would pass the position check below.
        if grant.node() != local_node {
            return Err(StartError::GrantForAnotherNode {
                granted: grant.node().to_string(),
                local: local_node.to_string(),
            });
        }
        let mine = local.known_position().or_else(|| {
            // No grastate.dat at all: the recovered position is the data's.
            (local.grastate.is_none())
                .then(|| local.recovered.as_ref().map(|r| r.position.clone()))
                .flatten()
                .filter(Position::is_known)
        });
        match &mine {
            Some(p) if p.compare(grant.position()) == Comparison::Equal => {}
            _ => {
                return Err(StartError::GrantMismatch {
                    granted: grant.position().clone(),
                    local: mine
                        .map_or_else(|| "no trusted position".to_string(), |p| p.to_string()),
                })
            }
        }
        let mut args = server_args(cfg);
        args.push(OsString::from("--wsrep-new-cluster"));
        Ok(StartPlan::new(
            cfg,
            args,
            PlanKind::Bootstrap {
                position: grant.position().clone(),
            },
        ))
    }

    /// The arguments after the binary.
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    pub fn kind(&self) -> &PlanKind {
        &self.kind
    }

    /// Starts mariadbd detached (own session, so Pacemaker's kill of the agent's process
    /// group cannot reach it), without CAP_SYS_BOOT. Watches it until `watch_until`, or until
    /// `ready` (asked every 100 ms) says it is up: an exit before then is a failed start (with
    /// the error log's last errors); a server still running is returned. A bootstrap first
    /// writes its grastate.dat.
    pub fn start(
        &self,
        watch_until: Instant,
        ready: &mut dyn FnMut() -> bool,
    ) -> Result<Process, StartError> {
        let users =
            datadir_users(&self.datadir, &self.extra_lock_files).map_err(StartError::Proc)?;
        if !users.is_empty() {
            return Err(StartError::InUse { users });
        }
        if let PlanKind::Bootstrap { position } = &self.kind {
            write_bootstrap_state(&self.datadir, position)?;
        }
        if let PlanKind::Join { .. } = &self.kind {
            gvwstate::remove(&self.datadir)?;
        } else {
            // An empty gvwstate.dat keeps a node from joining (codership/galera#354).
            gvwstate::remove_if_empty(&self.datadir)?;
        }
        let pid_file = PidFile::new(&self.pid_file);
        if let Found::Stale { .. } | Found::Garbage { .. } =
            find(&pid_file, &self.binary.to_string_lossy())?
        {
            pid_file.remove()?;
        }
        let mut cmd = Command::new(&self.binary);
        cmd.args(&self.args).current_dir(&self.datadir);
        crate::guard::without_reboot_capability(&mut cmd);
        let started = spawn_detached_until(&mut cmd, watch_until, Some(&self.datadir), ready)?;
        match started.parent {
            ParentExit::StillRunning { pid } => {
                let pid = i32::try_from(pid).unwrap_or(i32::MAX);
                match Process::from_pid(pid)? {
                    Some(p) if !p.state.is_gone() => Ok(p),
                    _ => Err(StartError::ExitedEarly {
                        exit: "gone right after the watch".into(),
                        log_tail: self.log_tail(&started.output),
                    }),
                }
            }
            ParentExit::Exited(code) => Err(StartError::ExitedEarly {
                exit: format!("exit code {code}"),
                log_tail: self.log_tail(&started.output),
            }),
            ParentExit::Signaled(sig) => Err(StartError::ExitedEarly {
                exit: format!("signal {sig}"),
                log_tail: self.log_tail(&started.output),
            }),
        }
    }

    fn log_tail(&self, output: &str) -> String {
        let from_log = self
            .log_error
            .as_deref()
            .map(|p| {
                diagnose_log(p)
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| error_lines(&read_tail(p, 16 * 1024)))
            })
            .unwrap_or_default();
        if !from_log.is_empty() {
            return from_log;
        }
        error_lines(output)
    }
}

fn transfer_from(position: Position, primary: Option<&PrimaryView>) -> Transfer {
    match primary.map(|pv| position.compare(&pv.position)) {
        Some(Comparison::DifferentHistory) => Transfer::Full {
            replaces: Some(position),
        },
        _ => Transfer::FromPosition(position),
    }
}

/// The last bytes of a file, lossy.
pub fn read_tail(path: &Path, max: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut buf = Vec::new();
    let _ = f.take(max).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

fn error_lines(text: &str) -> String {
    let errs: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[ERROR]"))
        .map(|l| l.find(" [").map_or(l, |i| &l[i + 1..]))
        .collect();
    let lines = if errs.is_empty() {
        text.lines().rev().take(2).collect::<Vec<_>>()
    } else {
        errs.into_iter().rev().take(3).collect()
    };
    let s: String = lines.into_iter().rev().collect::<Vec<_>>().join(" | ");
    s.chars().take(600).collect()
}

/// Why a start failed, from the server's error log (MariaDB 10.11 / Galera 26.4 wording).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartFailure {
    /// "Reversing history: 20 -> 17": the node's data is ahead of the Primary; Galera
    /// aborted and zeroed grastate.dat (docs/galera-election.md F8). Never restart it plain.
    AheadOfCluster { local: u64, group: u64 },
    /// `--wsrep-new-cluster` refused: `safe_to_bootstrap: 0`.
    BootstrapRefused,
    /// No Primary component reached within `pc.wait_prim_timeout`.
    NoPrimary,
}

impl std::fmt::Display for StartFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartFailure::AheadOfCluster { local, group } => write!(
                f,
                "data ahead of the cluster (seqno {local} > {group}): Galera refused the join and zeroed grastate.dat"
            ),
            StartFailure::BootstrapRefused => f.write_str("bootstrap refused by Galera: safe_to_bootstrap is 0"),
            StartFailure::NoPrimary => f.write_str("no Primary component reachable (pc.wait_prim_timeout)"),
        }
    }
}

/// The last start failure the error log shows (read from its last 64 KiB).
pub fn diagnose_log(path: &Path) -> Option<StartFailure> {
    diagnose(&read_tail(path, 64 * 1024))
}

pub(crate) fn diagnose(text: &str) -> Option<StartFailure> {
    text.lines().rev().find_map(|line| {
        if let Some(rest) = line.split("Reversing history: ").nth(1) {
            let mut nums = rest
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty());
            let local = nums.next()?.parse().ok()?;
            let group = nums.next()?.parse().ok()?;
            return Some(StartFailure::AheadOfCluster { local, group });
        }
        if line.contains("It may not be safe to bootstrap the cluster from this node") {
            return Some(StartFailure::BootstrapRefused);
        }
        if line.contains("failed to reach primary view") {
            return Some(StartFailure::NoPrimary);
        }
        None
    })
}

/// The mariadbd that runs on this datadir, if any: through the pid file, else (no pid file
/// yet during SST, or a stale one) by its program name and working directory.
pub fn find_server(cfg: &ServerConfig) -> Result<Option<Process>, StartError> {
    let program = cfg.binary.to_string_lossy();
    let dir = canonical(&cfg.datadir);
    // The same datadir, not the same path: another mount namespace's server is not ours.
    let ours = |pid: i32| works_in(pid, &dir).is_some_and(|cwd| cwd == dir);
    if let Found::Running(p) = find(&PidFile::new(&cfg.pid_file), &program)? {
        if ours(p.pid) {
            return Ok(Some(p));
        }
    }
    let comm = expected_comm(&program);
    let table = process_table().map_err(StartError::Proc)?;
    for p in table {
        if (p.comm == comm || SERVER_PROGRAMS.contains(&p.comm.as_str())) && ours(p.pid) {
            if let Some(proc_) = Process::from_pid(p.pid)? {
                return Ok(Some(proc_));
            }
        }
    }
    Ok(None)
}

/// A state-transfer script of our server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferScript {
    pub pid: i32,
    /// `wsrep_sst_rsync`, `wsrep_sst_mariabackup`, …
    pub script: String,
    /// `joiner` or `donor`, from its `--role` argument.
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No mariadbd runs on this datadir.
    Stopped,
    /// A state-transfer script of this server runs (as joiner or donor).
    Transferring(TransferScript),
    /// mariadbd runs, no SQL socket, no transfer: starting, or waiting for a Primary (or in
    /// pc.recovery) — "not reachable" is not "dead" (docs/galera-election.md F9).
    Starting,
    /// The SQL socket exists: ask the server (crates/galera-status).
    Up,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub server: Option<Process>,
    pub phase: Phase,
    /// `sst_in_progress` exists in the datadir.
    pub sst_marker: bool,
}

impl Probe {
    /// `sst_in_progress` without a live transfer script: left by a killed transfer
    /// (mariadb-operator #425); the next transfer clears it.
    pub fn stale_sst_marker(&self) -> bool {
        self.sst_marker && !matches!(self.phase, Phase::Transferring(_))
    }
}

/// Where this node's server is in its life, from `/proc` and the datadir only (no SQL).
pub fn probe(cfg: &ServerConfig) -> Result<Probe, StartError> {
    let sst_marker = cfg.datadir.join(SST_MARKER).exists();
    let Some(server) = find_server(cfg)? else {
        return Ok(Probe {
            server: None,
            phase: Phase::Stopped,
            sst_marker,
        });
    };
    if cfg.socket.exists() && server_created_socket(&server, &cfg.socket) {
        return Ok(Probe {
            server: Some(server),
            phase: Phase::Up,
            sst_marker,
        });
    }
    let table = process_table().map_err(StartError::Proc)?;
    // The script's own process (bash) carries --role as an argument; its `sh -c` wrapper only
    // inside one string: prefer the one with a readable role.
    let mut scripts: Vec<TransferScript> = descendants(&table, server.pid)
        .into_iter()
        .filter_map(|p| {
            sst_script(p.pid, &p.comm).map(|script| TransferScript {
                role: role_of(&cmdline_of(p.pid)),
                pid: p.pid,
                script,
            })
        })
        .collect();
    scripts.sort_by_key(|s| s.role.is_none());
    let script = scripts.into_iter().next();
    let phase = match script {
        Some(s) => Phase::Transferring(s),
        None => Phase::Starting,
    };
    Ok(Probe {
        server: Some(server),
        phase,
        sst_marker,
    })
}

/// A socket file left by a killed server is older than the running one.
fn server_created_socket(server: &Process, socket: &Path) -> bool {
    let (Some(started), Ok(modified)) = (
        server.started_at(),
        std::fs::metadata(socket).and_then(|m| m.modified()),
    ) else {
        return true;
    };
    modified + daemon_process::PID_FILE_SLACK >= started
}

/// `--role joiner` as arguments of the script, or inside the one string of its `sh -c`
/// wrapper (`… --role 'joiner' …`).
fn role_of(args: &[String]) -> Option<String> {
    let words: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
    let i = words.iter().position(|w| *w == "--role")?;
    let role = words.get(i + 1)?.trim_matches(|c| c == '\'' || c == '"');
    (!role.is_empty()).then(|| role.to_string())
}

/// How [`stop_server`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReport {
    pub outcome: StopOutcome,
    /// State-transfer helpers (scripts, rsync daemons) that outlived the server and were
    /// killed: pid and program.
    pub helpers_killed: Vec<(i32, String)>,
}

impl StopReport {
    /// Whether the server is gone (else the stop failed and the node must be fenced).
    pub fn stopped(&self) -> bool {
        !matches!(self.outcome, StopOutcome::StillAlive { .. })
    }
}

/// SIGTERM, SIGKILL at `escalate_at`, gone by `deadline` — then SIGKILL for every process the
/// server had started (SST script, rsync daemon) that is still there.
pub fn stop_server(
    server: &Process,
    escalate_at: Instant,
    deadline: Instant,
) -> Result<StopReport, StartError> {
    let helpers: Vec<ProcStat> = process_table()
        .map(|t| descendants(&t, server.pid))
        .unwrap_or_default();
    let reserve = deadline.saturating_duration_since(escalate_at.min(deadline));
    let outcome = daemon_process::stop(server, deadline, reserve, false, WhenFrozen::Resume)?;
    let mut helpers_killed = Vec::new();
    for h in helpers {
        let Some(p) = Process::from_pid(h.pid)? else {
            continue;
        };
        if p.start_ticks != h.start_ticks || p.state.is_gone() {
            continue;
        }
        if daemon_process::signal(&p, nix::sys::signal::Signal::SIGKILL)? {
            daemon_process::wait_gone(&p, Instant::now() + Duration::from_millis(500));
            helpers_killed.push((p.pid, p.comm.clone()));
        }
    }
    Ok(StopReport {
        outcome,
        helpers_killed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recover::Recovered;

    const U: &str = "726d00b4-edd5-11f1-9512-47940ce49375";
    const U2: &str = "9a0c7e52-edd6-11f1-8000-0242ac120002";

    fn cfg() -> ServerConfig {
        let mut c = ServerConfig::new(
            "/var/lib/mysql",
            "/run/mysqld/mysqld.sock",
            "/run/mysqld/mysqld.pid",
        );
        c.defaults_file = Some("/etc/mysql/my.cnf".into());
        c.log_error = Some("/var/log/mysql/error.log".into());
        c
    }

    fn local(grastate: Option<&str>, recovered: Option<&str>, has_data: bool) -> LocalState {
        LocalState {
            grastate: grastate.map(|g| GraState::parse(&g.replace('U', U))),
            recovered: recovered.map(|r| Recovered {
                position: Position::parse(&r.replace('U', U)).unwrap(),
                rolled_back: None,
                elapsed: Duration::ZERO,
            }),
            has_data,
        }
    }

    fn primary(seqno: i64) -> PrimaryView {
        PrimaryView {
            position: Position::parse(&format!("{U}:{seqno}")).unwrap(),
        }
    }

    fn args(p: &StartPlan) -> Vec<String> {
        p.args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn join_arguments() {
        let clean = local(
            Some("uuid: U\nseqno: 20\nsafe_to_bootstrap: 0\n"),
            None,
            true,
        );
        let p = StartPlan::join(&cfg(), &clean, None).unwrap();
        let a = args(&p);
        assert_eq!(a[0], "--defaults-file=/etc/mysql/my.cnf");
        for want in [
            "--datadir=/var/lib/mysql",
            "--user=mysql",
            "--socket=/run/mysqld/mysqld.sock",
            "--pid-file=/run/mysqld/mysqld.pid",
            "--log-error=/var/log/mysql/error.log",
        ] {
            assert!(a.contains(&want.to_string()), "{want} in {a:?}");
        }
        assert!(
            !a.iter()
                .any(|x| x.starts_with("--wsrep-start-position") || x == "--wsrep-new-cluster"),
            "{a:?}"
        );
        assert_eq!(
            p.kind(),
            &PlanKind::Join {
                transfer: Transfer::FromPosition(Position::parse(&format!("{U}:20")).unwrap())
            }
        );
        // Behind or equal to the Primary: fine.
        StartPlan::join(&cfg(), &clean, Some(&primary(20))).unwrap();
        StartPlan::join(&cfg(), &clean, Some(&primary(90))).unwrap();
        // Ahead: refused with the numbers.
        let e = StartPlan::join(&cfg(), &clean, Some(&primary(17))).unwrap_err();
        assert!(matches!(e, StartError::AheadOfPrimary { by: 3, .. }), "{e}");
        assert!(e.to_string().contains("3 write sets ahead"), "{e}");
        // Another history: a full SST that replaces the local data.
        let other = PrimaryView {
            position: Position::parse(&format!("{U2}:5")).unwrap(),
        };
        let p = StartPlan::join(&cfg(), &clean, Some(&other)).unwrap();
        assert!(matches!(
            p.kind(),
            PlanKind::Join {
                transfer: Transfer::Full { replaces: Some(_) }
            }
        ));
    }

    #[test]
    fn a_crashed_node_never_starts_without_its_position() {
        let crashed = "uuid: U\nseqno: -1\nsafe_to_bootstrap: 0\n";
        let e = StartPlan::join(&cfg(), &local(Some(crashed), None, true), None).unwrap_err();
        assert!(matches!(e, StartError::PositionUnknown), "{e}");
        let e = StartPlan::join(
            &cfg(),
            &local(
                Some(crashed),
                Some("00000000-0000-0000-0000-000000000000:-1"),
                true,
            ),
            None,
        )
        .unwrap_err();
        assert!(matches!(e, StartError::PositionUnknown), "{e}");
        let e = StartPlan::join(
            &cfg(),
            &local(Some(crashed), Some(&format!("{U2}:3")), true),
            None,
        )
        .unwrap_err();
        assert!(matches!(e, StartError::RecoveredOtherHistory { .. }), "{e}");
        let p = StartPlan::join(
            &cfg(),
            &local(Some(crashed), Some("U:33,0-1-30"), true),
            None,
        )
        .unwrap();
        assert!(
            args(&p).contains(&format!("--wsrep-start-position={U}:33")),
            "{:?}",
            args(&p)
        );
        let e = StartPlan::join(
            &cfg(),
            &local(Some(crashed), Some("U:33"), true),
            Some(&primary(30)),
        )
        .unwrap_err();
        assert!(matches!(e, StartError::AheadOfPrimary { by: 3, .. }), "{e}");
    }

    #[test]
    fn unsafe_grastate_joins_by_sst_unless_ahead() {
        let nil = "uuid: 00000000-0000-0000-0000-000000000000\nseqno: -1\nsafe_to_bootstrap: 1\n";
        // Fresh datadir: nothing to lose.
        let p = StartPlan::join(&cfg(), &local(Some(nil), None, false), None).unwrap();
        assert_eq!(
            p.kind(),
            &PlanKind::Join {
                transfer: Transfer::Full { replaces: None }
            }
        );
        assert!(!args(&p)
            .iter()
            .any(|a| a.starts_with("--wsrep-start-position")));
        // Data but no recovery run yet: run it first.
        assert!(local(Some(nil), None, true).needs_recovery());
        let e = StartPlan::join(&cfg(), &local(Some(nil), None, true), None).unwrap_err();
        assert!(matches!(e, StartError::PositionUnknown), "{e}");
        // A refused "ahead" joiner (F8): recovery still knows :20. Without the
        // Primary's position it cannot go; behind the Primary it takes an SST; ahead, refused.
        let refused = local(Some(nil), Some("U:20"), true);
        assert!(matches!(
            StartPlan::join(&cfg(), &refused, None),
            Err(StartError::CannotRuleOutAhead { .. })
        ));
        assert!(matches!(
            StartPlan::join(&cfg(), &refused, Some(&primary(17))),
            Err(StartError::AheadOfPrimary { by: 3, .. })
        ));
        let p = StartPlan::join(&cfg(), &refused, Some(&primary(25))).unwrap();
        assert!(matches!(
            p.kind(),
            PlanKind::Join {
                transfer: Transfer::Full { replaces: Some(_) }
            }
        ));
        // No grastate.dat, recovered nothing: SST.
        let p = StartPlan::join(
            &cfg(),
            &local(None, Some("00000000-0000-0000-0000-000000000000:-1"), true),
            None,
        )
        .unwrap();
        assert_eq!(
            p.kind(),
            &PlanKind::Join {
                transfer: Transfer::Full { replaces: None }
            }
        );
    }

    #[test]
    fn bootstrap_needs_a_matching_grant() {
        let grant = Grant::for_tests("n1", Position::parse(&format!("{U}:33")).unwrap());
        let crashed = local(
            Some("uuid: U\nseqno: -1\nsafe_to_bootstrap: 0\n"),
            Some("U:33"),
            true,
        );
        let p = StartPlan::bootstrap(&cfg(), "n1", &crashed, &grant).unwrap();
        let a = args(&p);
        assert_eq!(a.last().map(String::as_str), Some("--wsrep-new-cluster"));
        assert_eq!(
            a.iter().filter(|x| x.starts_with("--wsrep")).count(),
            1,
            "{a:?}"
        );
        let clean = local(
            Some("uuid: U\nseqno: 33\nsafe_to_bootstrap: 0\n"),
            None,
            true,
        );
        StartPlan::bootstrap(&cfg(), "n1", &clean, &grant).unwrap();
        let behind = local(
            Some("uuid: U\nseqno: 30\nsafe_to_bootstrap: 1\n"),
            None,
            true,
        );
        let e = StartPlan::bootstrap(&cfg(), "n1", &behind, &grant).unwrap_err();
        assert!(matches!(e, StartError::GrantMismatch { .. }), "{e}");
        let unsafe_ = local(
            Some("uuid: 00000000-0000-0000-0000-000000000000\nseqno: -1\nsafe_to_bootstrap: 1\n"),
            Some("U:33"),
            true,
        );
        assert!(matches!(
            StartPlan::bootstrap(&cfg(), "n1", &unsafe_, &grant),
            Err(StartError::GrantMismatch { .. })
        ));
        let no_grastate = local(None, Some("U:33"), true);
        StartPlan::bootstrap(&cfg(), "n1", &no_grastate, &grant).unwrap();
        assert!(matches!(
            StartPlan::bootstrap(&cfg(), "n2", &no_grastate, &grant),
            Err(StartError::GrantForAnotherNode { .. })
        ));
        let mut bad = cfg();
        bad.additional = vec!["--wsrep-new-cluster".into()];
        assert!(matches!(
            StartPlan::bootstrap(&bad, "n1", &no_grastate, &grant),
            Err(StartError::Config(_))
        ));
    }

    #[test]
    fn cluster_address_and_additional_options() {
        let mut c = cfg();
        c.cluster_address = Some("gcomm://db1,db2,db3".into());
        c.additional = vec!["--innodb-buffer-pool-size=64M".into()];
        let clean = local(Some("uuid: U\nseqno: 20\n"), None, true);
        let a = args(&StartPlan::join(&c, &clean, None).unwrap());
        assert!(a.contains(&"--wsrep-cluster-address=gcomm://db1,db2,db3".to_string()));
        let extra = a
            .iter()
            .position(|x| x == "--innodb-buffer-pool-size=64M")
            .unwrap();
        let datadir = a.iter().position(|x| x.starts_with("--datadir=")).unwrap();
        assert!(extra < datadir, "ours come last and win: {a:?}");
    }

    #[test]
    fn start_failures_from_the_log() {
        let ahead = "2026-12-01 10:00:00 0 [ERROR] WSREP: Reversing history: 20 -> 17, this member has applied 3 more events than the primary component.Data loss is possible. Must abort.\n";
        assert_eq!(
            diagnose(ahead),
            Some(StartFailure::AheadOfCluster {
                local: 20,
                group: 17
            })
        );
        let refused = "0 [ERROR] WSREP: It may not be safe to bootstrap the cluster from this node. It was not the last one to leave the cluster and may not contain all the updates. To force cluster bootstrap with this node, edit the grastate.dat file manually and set safe_to_bootstrap to 1 .\n";
        assert_eq!(diagnose(refused), Some(StartFailure::BootstrapRefused));
        let noprim = "0 [ERROR] WSREP: failed to open gcomm backend connection: 110: failed to reach primary view (pc.wait_prim_timeout): 110 (Connection timed out)\n";
        assert_eq!(diagnose(noprim), Some(StartFailure::NoPrimary));
        // The latest failure wins.
        assert_eq!(
            diagnose(&format!("{ahead}{noprim}")),
            Some(StartFailure::NoPrimary)
        );
        assert_eq!(diagnose("0 [Note] all fine\n"), None);
        assert!(error_lines(ahead).starts_with("[ERROR] WSREP: Reversing history"));
    }

    /// A "server" that ignores SIGTERM and has a helper child (as mariadbd has its SST script
    /// and rsync daemon): the stop escalates at its point and the helper goes too.
    #[test]
    fn stop_escalates_and_kills_the_helpers() {
        let dir = tempfile::tempdir().unwrap();
        let child_file = dir.path().join("child");
        let mut sh = Command::new("sh")
            .args(["-c", &format!("trap '' TERM; sh -c 'trap \"\" TERM; sleep 60' & echo $! > {}; while :; do sleep 0.05; done", child_file.display())])
            .spawn()
            .unwrap();
        let pid = i32::try_from(sh.id()).unwrap();
        let until = Instant::now() + Duration::from_secs(5);
        while !child_file.exists() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(100));
        let helper: i32 = std::fs::read_to_string(&child_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let server = Process::from_pid(pid).unwrap().unwrap();
        let t = Instant::now();
        let r = stop_server(
            &server,
            t + Duration::from_millis(600),
            t + Duration::from_secs(3),
        )
        .unwrap();
        assert!(matches!(r.outcome, StopOutcome::Killed { .. }), "{r:?}");
        assert!(r.stopped());
        assert!(
            t.elapsed() >= Duration::from_millis(600),
            "{:?}",
            t.elapsed()
        );
        assert!(r.helpers_killed.iter().any(|(p, _)| *p == helper), "{r:?}");
        sh.wait().unwrap();
        let gone = daemon_process::ProcStat::read(helper)
            .unwrap()
            .is_none_or(|s| s.state.is_gone());
        assert!(gone);
    }

    #[test]
    fn roles() {
        let a: Vec<String> = ["wsrep_sst_rsync", "--role", "joiner", "--address", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(role_of(&a).as_deref(), Some("joiner"));
        assert_eq!(role_of(&a[..2]), None);
        let wrapper: Vec<String> = [
            "sh",
            "-c",
            "wsrep_sst_rsync --role 'donor' --address '127.0.0.1:4444'",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(role_of(&wrapper).as_deref(), Some("donor"));
    }
}
