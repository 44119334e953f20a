//! Generic handling of a forking daemon: its pid file, its `/proc` entry, starting it detached
//! from the caller, and stopping it — every wait bounded by a deadline.
//!
//! Nothing here knows about any particular daemon. The facts it is built on:
//! - Pacemaker SIGKILLs the agent's whole process group when an action times out, so a daemon
//!   started by an agent must leave that group: [`spawn_detached`] runs it in a new session.
//! - A pid file can be stale (the daemon was SIGKILLed) and its pid reused by another program,
//!   so a pid only counts when `/proc/<pid>` is alive, not a zombie, runs the expected program
//!   (`comm`, truncated by the kernel to 15 bytes) and did not start after the pid file was
//!   written ([`find`]).
//! - A dead daemon whose parent has not reaped it yet is a zombie (state `Z`): `kill -0`
//!   still succeeds on it (for ~1.4 s when pid 1 is slow to reap), so liveness is read from
//!   `/proc/<pid>/stat`, never from `kill(pid, 0)`.

mod pidfile;
mod proc;
mod spawn;
mod stop;

pub use pidfile::{PidFile, PidFileContent, Unusable, PID_FILE_MAX};
pub use proc::{boot_time, comm_of, expected_comm, has_children, ProcStat, ProcessState};
pub use spawn::{spawn_detached, spawn_detached_until, DaemonStart, ParentExit};
pub use stop::{signal, stop, wait_gone, StopOutcome, WhenFrozen};

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// How far a process's start time may come after its pid file was written and still be the
/// process that wrote it (start times have clock-tick resolution and boot time is rounded
/// to a second).
pub const PID_FILE_SLACK: Duration = Duration::from_secs(2);

/// A process we identified: its pid and the start time that makes it unique (pids are reused,
/// (pid, start time) is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    /// Start time in clock ticks since boot (`/proc/<pid>/stat` field 22).
    pub start_ticks: u64,
    pub comm: String,
    pub state: ProcessState,
}

impl Process {
    /// Reads `/proc/<pid>`; `None` when there is no such process.
    pub fn from_pid(pid: i32) -> Result<Option<Process>, Error> {
        Ok(ProcStat::read(pid)?.map(|s| Process {
            pid,
            start_ticks: s.start_ticks,
            comm: s.comm,
            state: s.state,
        }))
    }

    /// Whether this very process (same pid *and* start time) still exists and is not a zombie.
    pub fn is_alive(&self) -> bool {
        matches!(
            ProcStat::read(self.pid),
            Ok(Some(s)) if s.start_ticks == self.start_ticks && s.state != ProcessState::Zombie
        )
    }

    /// The current state of this very process; `None` when it is gone or its pid was reused.
    pub fn current_state(&self) -> Option<ProcessState> {
        match ProcStat::read(self.pid) {
            Ok(Some(s)) if s.start_ticks == self.start_ticks => Some(s.state),
            _ => None,
        }
    }

    /// When the process started (wall clock), from boot time and its start ticks.
    pub fn started_at(&self) -> Option<SystemTime> {
        proc::started_at(self.start_ticks)
    }
}

/// What a pid file tells about the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No pid file: nothing started through it is running.
    NoPidFile,
    /// The pid file names a live process running the expected program.
    Running(Process),
    /// The pid file is stale: the process is gone, is a zombie, or the pid now belongs to
    /// another program. Safe to remove.
    Stale { pid: i32, why: StaleReason },
    /// The pid file exists but holds no pid (empty or garbage). Daemons like MaxScale refuse
    /// to start while it is there; nothing can be running through it.
    Garbage { content: String },
    /// The pid file's path cannot hold a pid file (a directory or a FIFO in its place, its
    /// directory a regular file, a name too long, no permission to look): no daemon can have
    /// written one there, so nothing is running through it — as far as this process can see.
    Unusable { why: Unusable },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaleReason {
    /// No process with that pid.
    Gone,
    /// The process exited and waits to be reaped.
    Zombie,
    /// The pid belongs to another program (`comm` differs).
    OtherProgram { comm: String },
    /// The process started after the pid file was written: the pid was reused.
    StartedLater,
}

impl std::fmt::Display for StaleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StaleReason::Gone => f.write_str("no such process"),
            StaleReason::Zombie => f.write_str("the process is a zombie (exited, not reaped)"),
            StaleReason::OtherProgram { comm } => {
                write!(f, "the pid now belongs to another program ({comm})")
            }
            StaleReason::StartedLater => {
                f.write_str("the process started after the pid file was written (pid reused)")
            }
        }
    }
}

/// Looks the daemon up through its pid file. `program` is the daemon's executable (its
/// basename, truncated to 15 bytes, is compared with `/proc/<pid>/comm`).
pub fn find(pid_file: &PidFile, program: &str) -> Result<Found, Error> {
    let content = match pid_file.read() {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(Found::NoPidFile),
        Err(Error::PidFileGarbage { content, .. }) => return Ok(Found::Garbage { content }),
        Err(Error::PidFileUnusable { why, .. }) => return Ok(Found::Unusable { why }),
        Err(e) => return Err(e),
    };
    let pid = content.pid;
    let Some(process) = Process::from_pid(pid)? else {
        return Ok(Found::Stale {
            pid,
            why: StaleReason::Gone,
        });
    };
    if process.state == ProcessState::Zombie {
        return Ok(Found::Stale {
            pid,
            why: StaleReason::Zombie,
        });
    }
    if process.comm != expected_comm(program) {
        return Ok(Found::Stale {
            pid,
            why: StaleReason::OtherProgram {
                comm: process.comm.clone(),
            },
        });
    }
    if let (Some(started), Some(written)) = (process.started_at(), content.modified) {
        if started > written + PID_FILE_SLACK {
            return Ok(Found::Stale {
                pid,
                why: StaleReason::StartedLater,
            });
        }
    }
    Ok(Found::Running(process))
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read pid file {path}: {source}")]
    PidFileRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("pid file {path}: {why}", path = path.display())]
    PidFileUnusable { path: PathBuf, why: Unusable },
    #[error("pid file {path} does not hold a pid: {content:?}")]
    PidFileGarbage { path: PathBuf, content: String },
    #[error("cannot remove pid file {path}: {source}")]
    PidFileRemove {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read /proc/{pid}/stat: {source}")]
    Proc { pid: i32, source: std::io::Error },
    #[error("unexpected /proc/{pid}/stat content")]
    ProcParse { pid: i32 },
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} not found or not executable")]
    NotFound { program: String },
    #[error("cannot capture the output of {program}: {source}")]
    Capture {
        program: String,
        source: std::io::Error,
    },
    #[error("cannot signal process {pid}: {source}")]
    Signal { pid: i32, source: nix::Error },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn find_tells_running_from_stale() {
        let dir = tempfile::tempdir().unwrap();
        let pf = PidFile::new(dir.path().join("x.pid"));
        assert_eq!(find(&pf, "sleep").unwrap(), Found::NoPidFile);

        let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = i32::try_from(sleeper.id()).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        std::fs::write(pf.path(), pid.to_string()).unwrap();
        match find(&pf, "/bin/sleep").unwrap() {
            Found::Running(p) => assert_eq!(p.pid, pid),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            find(&pf, "/usr/bin/maxscale").unwrap(),
            Found::Stale {
                pid,
                why: StaleReason::OtherProgram {
                    comm: "sleep".into()
                }
            }
        );
        // A pid file written long before the process started: the pid was reused.
        let old = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(pf.path())
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(
            find(&pf, "sleep").unwrap(),
            Found::Stale {
                pid,
                why: StaleReason::StartedLater
            }
        );
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
        std::fs::write(pf.path(), pid.to_string()).unwrap();
        assert!(matches!(
            find(&pf, "sleep").unwrap(),
            Found::Stale {
                why: StaleReason::Gone,
                ..
            } | Found::Stale {
                why: StaleReason::OtherProgram { .. },
                ..
            }
        ));

        let mut zombie = Command::new("sh").args(["-c", "exit 0"]).spawn().unwrap();
        let zpid = i32::try_from(zombie.id()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        std::fs::write(pf.path(), zpid.to_string()).unwrap();
        assert_eq!(
            find(&pf, "sh").unwrap(),
            Found::Stale {
                pid: zpid,
                why: StaleReason::Zombie
            }
        );
        zombie.wait().unwrap();

        std::fs::write(pf.path(), "").unwrap();
        assert_eq!(
            find(&pf, "sh").unwrap(),
            Found::Garbage {
                content: String::new()
            }
        );
        std::fs::remove_file(pf.path()).unwrap();
        std::fs::create_dir(pf.path()).unwrap();
        assert_eq!(
            find(&pf, "sh").unwrap(),
            Found::Unusable {
                why: Unusable::NotRegular("a directory")
            }
        );
        let through_file = PidFile::new(dir.path().join("x.pid/y/z.pid"));
        std::fs::remove_dir(pf.path()).unwrap();
        std::fs::write(pf.path(), "1").unwrap();
        assert_eq!(
            find(&through_file, "sh").unwrap(),
            Found::Unusable {
                why: Unusable::NotADirectory
            }
        );
    }
}
