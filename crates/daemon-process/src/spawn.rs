//! Starting a forking daemon so that it outlives the caller and its process group.
//!
//! The daemon runs in a new session (`setsid`), so Pacemaker's SIGKILL of the agent's process
//! group on a timeout cannot reach it. Its stdin is `/dev/null`; stdout and stderr go to an
//! anonymous temporary file, read back once the daemonizing parent has exited, so a start
//! failure can be reported in the daemon's own words. (A pipe would not do: the daemon keeps
//! its copy open, so reading to EOF would block, and closing ours could SIGPIPE it later.)

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;

/// At most this much of the daemon's output is kept.
const OUTPUT_MAX: u64 = 64 * 1024;

/// How the daemonizing parent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentExit {
    /// It exited with this code (for a forking daemon: its start-up verdict).
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
    /// It was still running when the watch ended: at the deadline, or when the caller's
    /// readiness check said so (left running; it is not ours to kill).
    StillRunning { pid: u32 },
}

/// The result of [`spawn_detached`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonStart {
    pub parent: ParentExit,
    /// What the daemon printed on stdout and stderr until then (lossy UTF-8, trimmed).
    pub output: String,
    pub elapsed: Duration,
}

/// How often [`spawn_detached_until`] asks whether a process that runs on is ready.
const READY_EVERY: Duration = Duration::from_millis(100);

/// Runs `cmd` in a new session with stdin from `/dev/null` and stdout/stderr captured in an
/// anonymous file under `capture_dir` (default: the system temporary directory), then waits
/// until the started process exits or `deadline` passes.
pub fn spawn_detached(
    cmd: &mut Command,
    deadline: Instant,
    capture_dir: Option<&Path>,
) -> Result<DaemonStart, Error> {
    spawn_detached_until(cmd, deadline, capture_dir, &mut || false)
}

/// [`spawn_detached`] for a daemon that does not fork: it is watched for an early exit until
/// `deadline`, or until `ready` (asked every 100 ms while it runs) says the daemon is up, so
/// that a caller that can tell need not wait out the whole watch.
pub fn spawn_detached_until(
    cmd: &mut Command,
    deadline: Instant,
    capture_dir: Option<&Path>,
    ready: &mut dyn FnMut() -> bool,
) -> Result<DaemonStart, Error> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let started = Instant::now();
    let capture_error = |source: io::Error| Error::Capture {
        program: program.clone(),
        source,
    };
    let capture =
        capture_file(capture_dir.unwrap_or(&std::env::temp_dir())).map_err(capture_error)?;
    let out = capture.try_clone().map_err(capture_error)?;
    let err = capture.try_clone().map_err(capture_error)?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    // SAFETY: the closure runs in the forked child before exec and only calls setsid(2) and
    // signal(2), which are async-signal-safe; it allocates nothing and touches no locks.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(io::Error::last_os_error());
            }
            // Dispositions set to "ignore" survive exec; a daemon must see its stop signals.
            for sig in [
                libc::SIGTERM,
                libc::SIGINT,
                libc::SIGHUP,
                libc::SIGQUIT,
                libc::SIGUSR1,
            ] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|source| match source.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => Error::NotFound {
            program: program.clone(),
        },
        _ => Error::Spawn {
            program: program.clone(),
            source,
        },
    })?;
    let mut next_ready_check = started + READY_EVERY;
    let parent = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                break match (status.code(), status.signal()) {
                    (Some(code), _) => ParentExit::Exited(code),
                    (None, Some(sig)) => ParentExit::Signaled(sig),
                    (None, None) => ParentExit::Exited(-1),
                }
            }
            Ok(None) => {
                let now = Instant::now();
                if now >= next_ready_check {
                    if ready() {
                        break ParentExit::StillRunning { pid: child.id() };
                    }
                    next_ready_check = now + READY_EVERY;
                }
                if now >= deadline {
                    break ParentExit::StillRunning { pid: child.id() };
                }
                std::thread::sleep(poll_interval(started.elapsed()))
            }
            Err(source) => {
                return Err(Error::Spawn {
                    program: program.clone(),
                    source,
                })
            }
        }
    };
    Ok(DaemonStart {
        parent,
        output: read_capture(&capture),
        elapsed: started.elapsed(),
    })
}

/// Short sleeps first (daemons usually answer within tens of milliseconds), longer later.
fn poll_interval(elapsed: Duration) -> Duration {
    if elapsed < Duration::from_millis(200) {
        Duration::from_millis(2)
    } else {
        Duration::from_millis(20)
    }
}

/// An unnamed file: `O_TMPFILE` where the filesystem supports it, else created and unlinked.
fn capture_file(dir: &Path) -> io::Result<File> {
    let tmpfile = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE)
        .open(dir);
    if let Ok(f) = tmpfile {
        return Ok(f);
    }
    for n in 0..100u32 {
        let path = dir.join(format!(".daemon-output.{}.{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => {
                let _ = std::fs::remove_file(&path);
                return Ok(f);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary file name",
    ))
}

fn read_capture(f: &File) -> String {
    let len = f.metadata().map(|m| m.len()).unwrap_or(0).min(OUTPUT_MAX);
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
    let mut done = 0;
    while done < buf.len() {
        match f.read_at(&mut buf[done..], done as u64) {
            Ok(0) | Err(_) => break,
            Ok(n) => done += n,
        }
    }
    buf.truncate(done);
    String::from_utf8_lossy(&buf).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProcStat;

    fn soon(secs: u64) -> Instant {
        Instant::now() + Duration::from_secs(secs)
    }

    /// The clean-up of a test's daemon (it may be gone already).
    fn kill9(pid: i32) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }

    #[test]
    fn captures_output_and_exit_code() {
        let r = spawn_detached(
            Command::new("sh").args(["-c", "echo to-out; echo to-err >&2; exit 4"]),
            soon(10),
            None,
        )
        .unwrap();
        assert_eq!(r.parent, ParentExit::Exited(4));
        assert!(
            r.output.contains("to-out") && r.output.contains("to-err"),
            "{r:?}"
        );
    }

    #[test]
    fn the_daemon_leaves_our_session_and_survives() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        // A classic forking daemon: the parent forks a child that writes its pid and sleeps.
        let script = format!(
            "sleep 30 & echo $! > {}; echo started",
            pidfile.to_str().unwrap()
        );
        let r = spawn_detached(Command::new("sh").args(["-c", &script]), soon(10), None).unwrap();
        assert_eq!(r.parent, ParentExit::Exited(0));
        assert_eq!(r.output, "started");
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let stat = ProcStat::read(pid).unwrap().unwrap();
        let me = ProcStat::read(i32::try_from(std::process::id()).unwrap())
            .unwrap()
            .unwrap();
        assert_ne!(stat.session, me.session);
        assert_ne!(stat.pgrp, me.pgrp);
        assert!(!stat.state.is_gone());
        kill9(pid);
    }

    #[test]
    fn a_slow_parent_is_reported_not_killed() {
        let t = Instant::now();
        let r = spawn_detached(
            Command::new("sleep").arg("5"),
            Instant::now() + Duration::from_millis(150),
            None,
        )
        .unwrap();
        assert!(t.elapsed() < Duration::from_secs(2));
        let ParentExit::StillRunning { pid } = r.parent else {
            panic!("{r:?}")
        };
        let pid = i32::try_from(pid).unwrap();
        assert!(ProcStat::read(pid).unwrap().is_some());
        kill9(pid);
    }

    #[test]
    fn a_ready_daemon_ends_the_watch_early() {
        let t = Instant::now();
        let mut asked = 0;
        let r = spawn_detached_until(Command::new("sleep").arg("30"), soon(20), None, &mut || {
            asked += 1;
            asked == 3
        })
        .unwrap();
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert_eq!(asked, 3);
        let ParentExit::StillRunning { pid } = r.parent else {
            panic!("{r:?}")
        };
        let pid = i32::try_from(pid).unwrap();
        assert!(!ProcStat::read(pid).unwrap().unwrap().state.is_gone());
        kill9(pid);
    }

    #[test]
    fn missing_program() {
        let e = spawn_detached(&mut Command::new("/nonexistent/daemon"), soon(1), None);
        assert!(matches!(e, Err(Error::NotFound { .. })), "{e:?}");
    }
}
