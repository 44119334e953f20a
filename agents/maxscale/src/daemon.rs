//! The MaxScale process: found through its pid file, started detached, stopped with
//! SIGTERM → (second SIGTERM) → SIGKILL, all within the action's deadline.

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use daemon_process::{Found, ParentExit, Process, StopOutcome, WhenFrozen};
use ocf::Context;

use crate::config::{AdminApi, Config};
use crate::error::MaxScaleError;
use crate::launch::Launch;

/// What the pid file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proc {
    Running(Process),
    /// Nothing runs through the pid file; `stale` says why a pid file that exists does not count.
    Absent {
        stale: Option<String>,
    },
    /// The pid file's path cannot hold a pid file (its directory is a regular file, the pid
    /// file a directory or a FIFO, no permission to look): nothing runs through it. start and
    /// validate-all refuse such a piddir; monitor and stop only warn.
    Impossible {
        why: String,
    },
}

pub fn find(s: &Config) -> Result<Proc, MaxScaleError> {
    let pid_file = s.pid_file();
    match daemon_process::find(&pid_file, &s.program()) {
        Ok(Found::Running(p)) => Ok(Proc::Running(p)),
        Ok(Found::NoPidFile) => Ok(Proc::Absent { stale: None }),
        Ok(Found::Stale { pid, why }) => Ok(Proc::Absent {
            stale: Some(format!(
                "stale pid file {} (pid {pid}: {why})",
                pid_file.path().display()
            )),
        }),
        Ok(Found::Garbage { content }) => Ok(Proc::Absent {
            stale: Some(format!(
                "pid file {} holds no pid ({content:?})",
                pid_file.path().display()
            )),
        }),
        Ok(Found::Unusable { why }) => Ok(Proc::Impossible {
            why: format!(
                "pid file {}: {why}; nothing can be running through it",
                ocf::reason::excerpt(&pid_file.path().to_string_lossy(), 80)
            ),
        }),
        Err(e) => Err(MaxScaleError::process(
            "looking for the MaxScale process",
            e,
        )),
    }
}

/// The pid of a MaxScale that runs through the pid file without `--passive` on its command
/// line (manage_process=false: its launcher is not the agent), for a warning.
pub fn runs_without_passive(s: &Config) -> Option<i32> {
    use std::io::Read;
    let Ok(Proc::Running(p)) = find(s) else {
        return None;
    };
    let mut cmdline = Vec::new();
    std::fs::File::open(format!("/proc/{}/cmdline", p.pid))
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut cmdline)
        .ok()?;
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .skip(1)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    (!crate::config::has_passive_option(&args)).then_some(p.pid)
}

/// Whether something accepts TCP connections on the admin address (only for an IP literal;
/// a name is not resolved, so that a slow resolver cannot stall a monitor).
pub fn admin_port_open(a: &AdminApi, timeout: Duration) -> bool {
    let Ok(ip) = a.host.parse::<IpAddr>() else {
        return false;
    };
    if timeout.is_zero() {
        return false;
    }
    TcpStream::connect_timeout(&SocketAddr::new(ip, a.port), timeout).is_ok()
}

/// Creates piddir (0755) owned by `user`: it lives on tmpfs and is gone after a boot.
pub fn ensure_piddir(s: &Config) -> Result<(), MaxScaleError> {
    let dir = &s.piddir;
    let fail = |what: &str, source: std::io::Error| MaxScaleError::Piddir {
        dir: dir.clone(),
        what: what.to_string(),
        source,
    };
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(|e| fail("cannot create it", e))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| fail("cannot set its mode", e))?;
    }
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let user = nix::unistd::User::from_name(&s.user)
        .ok()
        .flatten()
        .ok_or_else(|| MaxScaleError::NoUser(s.user.clone()))?;
    let meta = std::fs::metadata(dir).map_err(|e| fail("cannot stat it", e))?;
    if meta.uid() != user.uid.as_raw() || meta.gid() != user.gid.as_raw() {
        nix::unistd::chown(dir, Some(user.uid), Some(user.gid))
            .map_err(|e| fail(&format!("cannot give it to {}", s.user), e.into()))?;
    }
    Ok(())
}

/// Removes a stale pid file (MaxScale refuses to start while one names a live or zombie
/// maxscale, or holds garbage).
pub fn remove_stale_pid_file(s: &Config, why: &str) -> Result<(), MaxScaleError> {
    tracing::info!("removing {why}");
    s.pid_file()
        .remove()
        .map_err(|e| MaxScaleError::process("removing the stale pid file", e))
}

/// Runs MaxScale (with `--passive` when `passive`); Ok once its daemonizing parent exited 0
/// (for a real MaxScale that means the REST API answers). A non-zero exit becomes
/// [`MaxScaleError::StartExit`].
pub fn spawn(
    ctx: &Context,
    s: &Config,
    launch: &Launch,
    passive: bool,
) -> Result<(), MaxScaleError> {
    ensure_piddir(s)?;
    let log = launch.log_file.clone();
    let log_before = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    let mut cmd = Command::new(&s.binary);
    cmd.args(s.arguments(passive, launch.dirs_on_command_line))
        .current_dir("/")
        .env_clear();
    for key in ["PATH", "LANG", "LC_ALL", "TZ"] {
        if let Some(v) = ctx.env.get(key) {
            cmd.env(key, v);
        }
    }
    if ctx.env.get("PATH").is_none() {
        cmd.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    }
    tracing::info!(
        "starting {} {}",
        s.binary.display(),
        s.arguments(passive, launch.dirs_on_command_line)
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    // Leave a moment after the parent's exit for the readiness check.
    let parent_deadline = ctx.deadline.reserving(Duration::from_millis(300)).at();
    let started = daemon_process::spawn_detached(&mut cmd, parent_deadline, None)
        .map_err(|e| MaxScaleError::process("start", e))?;
    match started.parent {
        ParentExit::Exited(0) => {
            tracing::info!("MaxScale started after {:?}", started.elapsed);
            Ok(())
        }
        ParentExit::Exited(code) => {
            let message = failure_message(&started.output, &log, log_before);
            settle_failed_start(ctx, s);
            Err(MaxScaleError::StartExit { code, message })
        }
        ParentExit::Signaled(signal) => Err(MaxScaleError::StartSignaled {
            signal,
            message: failure_message(&started.output, &log, log_before),
        }),
        ParentExit::StillRunning { pid } => Err(MaxScaleError::StartTimeout {
            pid,
            timeout_s: ctx.deadline.timeout().as_secs_f64(),
        }),
    }
}

/// After a failed start the daemonized child may still be on its way out (it reports the
/// failure to the parent before cleaning up): give it a moment, so that the monitor Pacemaker
/// runs next sees a clean "not running". It is not killed: stop does that if it stays.
fn settle_failed_start(ctx: &Context, s: &Config) {
    if let Ok(Proc::Running(p)) = find(s) {
        let until = ctx.deadline.capped(Duration::from_secs(2)).at();
        if !daemon_process::wait_gone(&p, until) {
            tracing::warn!(
                "MaxScale (pid {}) is still running after its failed start",
                p.pid
            );
        }
    }
}

/// The most telling lines of what MaxScale said: from its output, else from what it appended
/// to its log since `log_before`.
fn failure_message(output: &str, log: &Path, log_before: u64) -> String {
    let from_output = telling_lines(output);
    if !from_output.is_empty() {
        return from_output;
    }
    let appended = read_from(log, log_before);
    let from_log = telling_lines(&appended);
    if !from_log.is_empty() {
        return from_log;
    }
    String::new()
}

fn read_from(path: &Path, offset: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    // A log rotated (or truncated) since: read it all; and never more than the last 64 KiB.
    let start = if len < offset { 0 } else { offset };
    let start = start.max(len.saturating_sub(64 * 1024));
    if f.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    let _ = f.take(64 * 1024).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The last (at most two) lines that look like errors, else the last non-empty line. A usage
/// text (MaxScale prints one after a bad option) and what follows it are not the message:
/// they ended the reason as "…: and ignored.)" before.
fn telling_lines(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.to_ascii_lowercase().starts_with("usage"))
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            [
                "error",
                "alert",
                "failed",
                "unrecognized",
                "invalid",
                "requires an argument",
                "ambiguous",
            ]
            .iter()
            .any(|w| l.contains(w))
        })
        .collect();
    let chosen: Vec<&str> = if errors.is_empty() {
        lines.last().copied().into_iter().collect()
    } else {
        errors[errors.len().saturating_sub(2)..].to_vec()
    };
    chosen.join(" | ")
}

/// Stops `p`: SIGTERM, a second SIGTERM halfway (MaxScale then exits at once), SIGKILL with a
/// reserve before the deadline, and a confirmation that it is gone; a frozen one is killed at
/// once. Still alive after SIGKILL: 1 (Pacemaker fences the node: better than two MaxScales).
pub fn stop_process(ctx: &Context, s: &Config, p: &Process) -> Result<(), MaxScaleError> {
    let reserve =
        (ctx.deadline.remaining() / 4).clamp(Duration::from_millis(500), Duration::from_secs(5));
    // A frozen (SIGSTOPped) MaxScale acts on SIGTERM only once resumed, and resumed it runs in
    // the role it had: an active one would be a second active MaxScale for its shutdown window
    // while Pacemaker has already promoted another (seen in the lab). It is killed as it is.
    tracing::info!("stopping MaxScale (pid {})", p.pid);
    let outcome = daemon_process::stop(p, ctx.deadline.at(), reserve, true, WhenFrozen::Kill)
        .map_err(|e| MaxScaleError::process("stop", e))?;
    match outcome {
        StopOutcome::AlreadyGone => tracing::info!("MaxScale (pid {}) was already gone", p.pid),
        StopOutcome::Terminated { after } => {
            tracing::info!("MaxScale (pid {}) stopped after {after:?}", p.pid)
        }
        StopOutcome::Killed { after } => tracing::warn!(
            "MaxScale (pid {}) ignored SIGTERM; killed with SIGKILL after {after:?}",
            p.pid
        ),
        StopOutcome::KilledFrozen { after } => tracing::warn!(
            "MaxScale (pid {}) was stopped (SIGSTOP): killed with SIGKILL, not resumed, after \
             {after:?}",
            p.pid
        ),
        StopOutcome::StillAlive { state } => {
            return Err(MaxScaleError::Unkillable { pid: p.pid, state })
        }
    }
    // A killed MaxScale leaves its pid file behind.
    let _ = s.pid_file().remove_if(p.pid);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_from_output_then_the_new_log_lines() {
        assert_eq!(
            telling_lines("notice: hi\nalert  : MaxScale cannot be run as root.\n"),
            "alert  : MaxScale cannot be run as root."
        );
        assert_eq!(telling_lines("a\nb\n\n"), "b");
        let usage = "maxscale: unrecognized option '--frob'\n\nUsage : maxscale [OPTION]...\n\n  \
                     -c, --config-check   validate\n(the other options are accepted\nand ignored.)\n";
        assert_eq!(
            telling_lines(usage),
            "maxscale: unrecognized option '--frob'"
        );
        assert_eq!(
            telling_lines("maxscale: invalid option -- 'k'\nUsage: maxscale\n"),
            "maxscale: invalid option -- 'k'"
        );
        assert_eq!(telling_lines(""), "");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("maxscale.log");
        std::fs::write(&log, "error   : an old error\n").unwrap();
        let before = std::fs::metadata(&log).unwrap().len();
        std::fs::write(
            &log,
            "error   : an old error\nnotice : starting\nerror   : Failed to bind to port 8989\n",
        )
        .unwrap();
        assert_eq!(
            failure_message("", &log, before),
            "error   : Failed to bind to port 8989"
        );
        assert_eq!(failure_message("printed\n", &log, before), "printed");
        assert_eq!(failure_message("", &dir.path().join("none"), 0), "");
    }
}
