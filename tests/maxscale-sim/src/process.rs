//! Process chores done the way MaxScale's gateway.cc does them: `--user`, the root refusal,
//! daemonizing with a start-up pipe, the flock()ed pid file, directory locks, signals and the
//! exit-time cleanup.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::Mutex;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::{SigSet, Signal};
use nix::unistd::{ForkResult, Pid, User};

use crate::log;

/// MaxScale's exit codes.
pub mod exit {
    pub const OK: i32 = 0;
    pub const BAD_CONFIG: i32 = 1;
    pub const NO_SERVICES: i32 = 3;
    pub const ALREADY_RUNNING: i32 = 4;
    pub const BAD_ARG: i32 = 5;
    pub const INTERNAL_ERROR: i32 = 6;
}

/// `--user`: setgid + setuid right away, like MaxScale's `set_user` (which prints its errors
/// on stdout and makes the option parsing fail → exit 5).
pub fn set_user(name: &str) -> Result<(), String> {
    let user = match User::from_name(name) {
        Ok(Some(u)) => u,
        Ok(None) => {
            return Err(format!(
                "Error: Failed to retrieve user information for '{name}': 0 User not found"
            ))
        }
        Err(e) => {
            return Err(format!(
                "Error: Failed to retrieve user information for '{name}': {} {}",
                e as i32,
                e.desc()
            ))
        }
    };
    nix::unistd::setgid(user.gid).map_err(|e| {
        format!(
            "Error: Failed to change group to '{}': {} {}",
            user.gid,
            e as i32,
            e.desc()
        )
    })?;
    nix::unistd::setuid(user.uid).map_err(|e| {
        format!(
            "Error: Failed to change user to '{}': {} {}",
            user.name,
            e as i32,
            e.desc()
        )
    })?;
    Ok(())
}

/// MaxScale refuses a root real uid unless `--user=root` was given (the text to report).
pub fn user_is_acceptable(specified: Option<&str>) -> Result<(), String> {
    if nix::unistd::getuid().is_root() && specified != Some("root") {
        return Err("MaxScale cannot be run as root.".into());
    }
    Ok(())
}

/// The write end of the start-up pipe, held by the daemon child until it reports.
pub struct StartupPipe(Option<File>);

impl StartupPipe {
    pub fn none() -> StartupPipe {
        StartupPipe(None)
    }

    /// Report the start-up result to the waiting parent (only once).
    pub fn report(&mut self, code: i32) {
        self.report_with_delay(code, 0);
    }

    /// Report, and ask the parent to exit only `delay_ms` later (`sim_parent_exit_delay_ms`).
    pub fn report_with_delay(&mut self, code: i32, delay_ms: u64) {
        if let Some(mut f) = self.0.take() {
            // Always all 12 bytes: the parent then never waits for the pipe's EOF, which a
            // process forked meanwhile (the journal's watcher) could hold back for a moment.
            let mut msg = code.to_ne_bytes().to_vec();
            msg.extend_from_slice(&delay_ms.to_ne_bytes());
            let _ = f.write_all(&msg);
        }
    }
}

/// Fork. The parent blocks until the child reports its start-up result through a pipe and
/// exits with it (6 when the child dies without reporting); only the child returns.
pub fn daemonize() -> Result<StartupPipe, String> {
    let (rd, wr): (OwnedFd, OwnedFd) = nix::unistd::pipe().map_err(|e| {
        format!(
            "Failed to create pipe for inter-process communication: {}",
            e.desc()
        )
    })?;
    // SAFETY: called before any thread is started, so the child is a faithful copy of a
    // single-threaded process.
    match unsafe { nix::unistd::fork() } {
        Err(e) => Err(format!(
            "Forking MaxScale failed, the process cannot be turned into a daemon: {}",
            e.desc()
        )),
        Ok(ForkResult::Parent { .. }) => {
            drop(wr);
            let mut f = File::from(rd);
            // The exit code, then (simulator-only) how long to wait before exiting.
            let mut buf = [0u8; 12];
            let mut got = 0;
            while got < buf.len() {
                match f.read(&mut buf[got..]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        log::alert(&format!(
                            "Failed to read data from child process pipe: {}",
                            crate::errno_text(&e)
                        ));
                        std::process::exit(exit::INTERNAL_ERROR);
                    }
                }
            }
            if got < 4 {
                log::alert("No data read from child process pipe.");
                std::process::exit(exit::INTERNAL_ERROR);
            }
            let code = i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
            if got == buf.len() {
                let mut d = [0u8; 8];
                d.copy_from_slice(&buf[4..]);
                let delay = u64::from_ne_bytes(d);
                if delay > 0 {
                    std::thread::sleep(std::time::Duration::from_millis(delay));
                }
            }
            std::process::exit(code);
        }
        Ok(ForkResult::Child) => {
            drop(rd);
            if let Err(e) = nix::unistd::setsid() {
                return Err(format!(
                    "Creating a new session for the daemonized MaxScale process failed: {}",
                    e.desc()
                ));
            }
            Ok(StartupPipe(Some(File::from(wr))))
        }
    }
}

/// In daemon mode: stdin from /dev/null, stdout and stderr appended to the log file (MaxScale
/// freopen()s both onto its log), so the daemon keeps no pipe of its caller open.
pub fn redirect_stdio(log_file: Option<&Path>) {
    if let Ok(null) = File::open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(&null);
    }
    let target = match log_file {
        Some(p) => OpenOptions::new().append(true).create(true).open(p),
        None => OpenOptions::new().write(true).open("/dev/null"),
    };
    if let Ok(f) = target {
        let _ = nix::unistd::dup2_stdout(&f);
        let _ = nix::unistd::dup2_stderr(&f);
        if log_file.is_some() {
            log::set_stderr_is_log();
        }
    }
}

/// Files and directories removed at exit (MaxScale's atexit handlers).
#[derive(Default)]
struct Cleanup {
    pidfile: Option<(PathBuf, Flock<File>)>,
    locks: Vec<(PathBuf, Flock<File>)>,
    process_datadir: Option<PathBuf>,
}

static CLEANUP: Mutex<Option<Cleanup>> = Mutex::new(None);

fn with_cleanup<R>(f: impl FnOnce(&mut Cleanup) -> R) -> R {
    let mut g = CLEANUP.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(Cleanup::default))
}

/// Remove the pid file, the lock files and the process data directory. Idempotent.
pub fn cleanup() {
    let c = {
        let mut g = CLEANUP.lock().unwrap_or_else(|e| e.into_inner());
        g.take()
    };
    let Some(c) = c else { return };
    if let Some(d) = &c.process_datadir {
        let _ = std::fs::remove_dir_all(d);
    }
    for (path, lock) in c.locks {
        drop(lock);
        let _ = std::fs::remove_file(&path);
    }
    if let Some((path, lock)) = c.pidfile {
        // MaxScale unlocks, closes, then unlinks.
        drop(lock);
        if let Err(e) = std::fs::remove_file(&path) {
            log::warning(&format!(
                "Failed to remove pidfile {}: {}",
                path.display(),
                crate::errno_text(&e)
            ));
        }
    }
}

/// The comm of this process (`maxscale-sim`, or `maxscale` when run through a symlink).
pub fn own_comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn pid_is_maxscale(pid: i32, own: &str) -> bool {
    if pid == i32::try_from(std::process::id()).unwrap_or(0) {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(c) => {
            let c = c.lines().next().unwrap_or("");
            c == "maxscale" || (!own.is_empty() && c == own)
        }
        Err(_) => false,
    }
}

/// strtol(buf, NULL, 0) as far as a pid needs it.
fn strtol(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    let v = i64::from_str_radix(&digits[..end], radix).unwrap_or(0);
    if neg {
        -v
    } else {
        v
    }
}

/// MaxScale's `pid_file_exists` + `write_pid_file`: refuse to start (false, exit 4) when the pid
/// file names a running maxscale (zombies included), is empty or garbage, or is locked;
/// otherwise (re)write it with our pid, without a newline, and keep it flock()ed.
pub fn claim_pid_file(piddir: &Path) -> bool {
    let path = piddir.join("maxscale.pid");
    let own = own_comm();
    let mut existing: Option<Flock<File>> = None;
    if path.exists() {
        if nix::unistd::access(&path, nix::unistd::AccessFlags::R_OK).is_err() {
            log::alert(&format!(
                "Cannot open PID file '{}', no read permissions. Please confirm that the user \
                 running MaxScale has read permissions on the file.",
                path.display()
            ));
            return false;
        }
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) => {
                log::alert(&format!(
                    "Failed to open PID file '{}': {}",
                    path.display(),
                    crate::errno_text(&e)
                ));
                return false;
            }
        };
        let (mut locked_file, lock_failed) =
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(l) => (LockedOrNot::Locked(l), false),
                Err((f, Errno::EWOULDBLOCK)) => (LockedOrNot::Plain(f), true),
                Err((_, e)) => {
                    log::alert(&format!(
                        "Failed to lock PID file '{}': {}",
                        path.display(),
                        e.desc()
                    ));
                    return false;
                }
            };
        let mut content = String::new();
        if let Err(e) = locked_file.file().read_to_string(&mut content) {
            log::alert(&format!(
                "Failed to read from PID file '{}': {}",
                path.display(),
                crate::errno_text(&e)
            ));
            return false;
        }
        if content.is_empty() {
            log::alert(&format!(
                "PID file read from '{}'. File was empty. If the file is the correct PID file and \
                 no other MaxScale processes are running, please remove it manually and start \
                 MaxScale again.",
                path.display()
            ));
            return false;
        }
        let pid = strtol(&content);
        if pid < 1 {
            log::alert(&format!(
                "PID file read from '{}'. File contents not valid. If the file is the correct PID \
                 file and no other MaxScale processes are running, please remove it manually and \
                 start MaxScale again.",
                path.display()
            ));
            return false;
        }
        let pid = i32::try_from(pid).unwrap_or(i32::MAX);
        if pid_is_maxscale(pid, &own) {
            log::alert(&format!(
                "MaxScale is already running. Process id: {pid}. Use another location for the PID \
                 file to run multiple instances of MaxScale on the same machine."
            ));
            return false;
        }
        if lock_failed {
            log::alert(&format!(
                "Locking the PID file '{}' failed. Read PID from file and no process found with PID \
                 {pid}. Confirm that no other process holds the lock on the PID file.",
                path.display()
            ));
            return false;
        }
        if let LockedOrNot::Locked(l) = locked_file {
            existing = Some(l);
        }
    }
    let lock = match existing {
        Some(l) => l,
        None => match take_lock(&path) {
            Ok(l) => l,
            Err(LockError::Open(e)) => {
                log::alert(&format!(
                    "Failed to open PID file '{}': {}",
                    path.display(),
                    crate::errno_text(&e)
                ));
                return false;
            }
            Err(LockError::Held) => {
                log::alert(&format!(
                    "Failed to lock PID file '{}', another process is holding a lock on it. \
                     Please confirm that no other MaxScale process is using the same PID file \
                     location.",
                    path.display()
                ));
                return false;
            }
            Err(LockError::Flock(e)) => {
                log::alert(&format!(
                    "Failed to lock PID file '{}': {}",
                    path.display(),
                    e.desc()
                ));
                return false;
            }
        },
    };
    if let Err(e) = write_own_pid(&lock) {
        log::alert(&format!(
            "MaxScale failed to write into PID file '{}': {}",
            path.display(),
            crate::errno_text(&e)
        ));
        return false;
    }
    with_cleanup(|c| c.pidfile = Some((path, lock)));
    true
}

/// Pid and lock files: created if missing, never truncated before the lock is held; mode 0777
/// minus the umask, as MaxScale creates them.
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o777)
        .open(path)
}

/// Why [`take_lock`] failed.
enum LockError {
    Open(std::io::Error),
    /// Another process holds the lock.
    Held,
    Flock(Errno),
}

/// Opens (creating) the lock file `path` and takes its exclusive lock without waiting.
fn take_lock(path: &Path) -> Result<Flock<File>, LockError> {
    let file = open_lock_file(path).map_err(LockError::Open)?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, e)| match e {
        Errno::EWOULDBLOCK => LockError::Held,
        e => LockError::Flock(e),
    })
}

/// Replaces what a locked file holds with our pid.
fn write_own_pid(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.set_len(0)
        .and_then(|()| file.write_all_at(std::process::id().to_string().as_bytes(), 0))
}

enum LockedOrNot {
    Locked(Flock<File>),
    Plain(File),
}

impl LockedOrNot {
    fn file(&mut self) -> &mut File {
        match self {
            LockedOrNot::Locked(l) => l,
            LockedOrNot::Plain(f) => f,
        }
    }
}

/// `maxscale.lock` (holding our pid) in the data and cache directories.
pub fn lock_directories(dirs: &[&Path]) -> bool {
    let mut seen: Vec<&Path> = Vec::new();
    for dir in dirs {
        if seen.contains(dir) {
            continue;
        }
        seen.push(dir);
        let path = dir.join("maxscale.lock");
        let lock = match take_lock(&path) {
            Ok(l) => l,
            Err(LockError::Open(e)) => {
                log::error(&format!(
                    "Failed to open lock file {}: {}",
                    path.display(),
                    crate::errno_text(&e)
                ));
                return false;
            }
            Err(LockError::Held | LockError::Flock(_)) => {
                log::error(&format!(
                    "Failed to lock directory with file '{}', another process is holding a lock on \
                     it. Please confirm that no other MaxScale process is using the directory {}",
                    path.display(),
                    dir.display()
                ));
                return false;
            }
        };
        let _ = write_own_pid(&lock);
        with_cleanup(|c| c.locks.push((path, lock)));
    }
    true
}

/// `<datadir>/data<pid>`; stale `data<N>` directories of dead processes are removed first.
pub fn create_process_datadir(datadir: &Path) -> Result<PathBuf, String> {
    if let Ok(entries) = std::fs::read_dir(datadir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name
                .strip_prefix("data")
                .and_then(|p| p.parse::<i32>().ok())
            {
                let alive = nix::sys::signal::kill(Pid::from_raw(pid), None).is_ok();
                if !alive {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
    let dir = datadir.join(format!("data{}", std::process::id()));
    match std::fs::create_dir(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(format!(
                "Cannot create data directory '{}': {}",
                dir.display(),
                crate::errno_text(&e)
            ))
        }
    }
    with_cleanup(|c| c.process_datadir = Some(dir.clone()));
    Ok(dir)
}

/// The signals handled by the signal thread; block them in every thread before spawning any.
pub fn handled_signals() -> SigSet {
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGUSR1,
    ] {
        set.add(s);
    }
    set
}

/// Signal thread: SIGHUP is ignored, SIGUSR1 reopens the log; the first SIGTERM/SIGINT asks
/// for a graceful shutdown, a second SIGTERM (third SIGINT) exits at once with status 1.
pub fn spawn_signal_thread(set: SigSet, tx: Sender<Signal>, foreground: bool) {
    std::thread::spawn(move || {
        let mut shutdowns = 0;
        loop {
            let Ok(sig) = set.wait() else { continue };
            match sig {
                Signal::SIGUSR1 => {
                    log::notice("Log file flush following reception of SIGUSR1");
                    log::reopen();
                }
                Signal::SIGTERM | Signal::SIGINT => {
                    shutdowns += 1;
                    if shutdowns == 1 {
                        if foreground {
                            let _ = std::io::stderr().write_all(b"\n\nShutting down MaxScale\n\n");
                        }
                        let _ = tx.send(sig);
                    } else if sig == Signal::SIGINT && shutdowns == 2 {
                        if foreground {
                            let _ = std::io::stderr().write_all(
                                b"\nPatience is a virtue...\nShutdown in progress, but one more \
                                  Ctrl-C or SIGTERM and MaxScale goes down,\nno questions asked.\n",
                            );
                        }
                    } else {
                        // exit(EXIT_FAILURE) in MaxScale still runs the atexit handlers.
                        cleanup();
                        std::process::exit(1);
                    }
                }
                _ => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol("1234"), 1234);
        assert_eq!(strtol("  42\n"), 42);
        assert_eq!(strtol("0x10"), 16);
        assert_eq!(strtol("garbage"), 0);
        assert_eq!(strtol("-5"), -5);
    }
}
