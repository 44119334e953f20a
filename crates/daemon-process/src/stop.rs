//! Signalling a process we identified and waiting for it to be gone, within a deadline.

use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::{Error, Process, ProcessState};

/// Sends `sig` to `process` if it is still that very process (same start time). `Ok(false)`
/// when it is already gone (or a zombie, or its pid was reused).
pub fn signal(process: &Process, sig: Signal) -> Result<bool, Error> {
    if !process.is_alive() {
        return Ok(false);
    }
    match kill(Pid::from_raw(process.pid), sig) {
        Ok(()) => Ok(true),
        Err(nix::Error::ESRCH) => Ok(false),
        Err(source) => Err(Error::Signal {
            pid: process.pid,
            source,
        }),
    }
}

/// Waits until `process` is gone (no such pid, a zombie, or a different process on that pid).
/// Returns whether it is gone by `deadline`.
pub fn wait_gone(process: &Process, deadline: Instant) -> bool {
    let start = Instant::now();
    loop {
        if !process.is_alive() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        let step = if start.elapsed() < Duration::from_millis(500) {
            Duration::from_millis(5)
        } else {
            Duration::from_millis(25)
        };
        std::thread::sleep(step.min(deadline - now));
    }
}

/// What [`stop`] does with a process it finds stopped (SIGSTOP, state T).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFrozen {
    /// SIGCONT after the SIGTERM, so that it can act on it and shut down gracefully.
    Resume,
    /// SIGKILL at once, without resuming it: resumed, it would go on as it was for its shutdown
    /// window (for MaxScale: an active one next to the one promoted in its place).
    Kill,
}

/// How [`stop`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// It was not running (any more) when we looked.
    AlreadyGone,
    /// SIGTERM was enough.
    Terminated { after: Duration },
    /// It needed SIGKILL.
    Killed { after: Duration },
    /// It was stopped (SIGSTOP) and, with [`WhenFrozen::Kill`], killed without being resumed.
    KilledFrozen { after: Duration },
    /// Still there after SIGKILL (uninterruptible sleep, or the deadline was too short).
    StillAlive { state: Option<ProcessState> },
}

/// SIGTERM (plus SIGCONT, so a stopped process can act on it), wait until
/// `deadline - kill_reserve`, then SIGKILL and wait until `deadline`. With `repeat_term`, a
/// second SIGTERM is sent halfway through the graceful wait (some daemons, MaxScale among them,
/// exit immediately on a second SIGTERM). A process found stopped is handled as `when_frozen`
/// says.
pub fn stop(
    process: &Process,
    deadline: Instant,
    kill_reserve: Duration,
    repeat_term: bool,
    when_frozen: WhenFrozen,
) -> Result<StopOutcome, Error> {
    let start = Instant::now();
    if when_frozen == WhenFrozen::Kill && process.current_state() == Some(ProcessState::Stopped) {
        return kill_and_wait(
            process,
            start,
            deadline,
            || StopOutcome::AlreadyGone,
            |after| StopOutcome::KilledFrozen { after },
        );
    }
    if !signal(process, Signal::SIGTERM)? {
        return Ok(StopOutcome::AlreadyGone);
    }
    let _ = signal(process, Signal::SIGCONT);
    let term_until = deadline
        .checked_sub(kill_reserve)
        .unwrap_or(start)
        .max(start);
    if repeat_term {
        let half = start + (term_until.saturating_duration_since(start)) / 2;
        if wait_gone(process, half) {
            return Ok(StopOutcome::Terminated {
                after: start.elapsed(),
            });
        }
        let _ = signal(process, Signal::SIGTERM);
    }
    if wait_gone(process, term_until) {
        return Ok(StopOutcome::Terminated {
            after: start.elapsed(),
        });
    }
    kill_and_wait(
        process,
        start,
        deadline,
        || StopOutcome::Terminated {
            after: start.elapsed(),
        },
        |after| StopOutcome::Killed { after },
    )
}

/// SIGKILL and wait until `deadline`: `killed(time since start)` when it is gone, `gone()` when
/// it was gone before the signal, `StillAlive` otherwise.
fn kill_and_wait(
    process: &Process,
    start: Instant,
    deadline: Instant,
    gone: impl FnOnce() -> StopOutcome,
    killed: impl FnOnce(Duration) -> StopOutcome,
) -> Result<StopOutcome, Error> {
    if !signal(process, Signal::SIGKILL)? {
        return Ok(gone());
    }
    // SIGKILL of a live process is delivered at once; give it at least a moment even when
    // the deadline has passed, so "still alive" is a fact and not a race.
    let kill_deadline = deadline.max(Instant::now() + Duration::from_millis(200));
    if wait_gone(process, kill_deadline) {
        Ok(killed(start.elapsed()))
    } else {
        Ok(StopOutcome::StillAlive {
            state: process.current_state(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Child, Command};

    fn spawn(args: &[&str]) -> (Child, Process) {
        let child = Command::new(args[0]).args(&args[1..]).spawn().unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        // Let the shell install its traps before we signal it.
        std::thread::sleep(Duration::from_millis(100));
        let p = Process::from_pid(pid).unwrap().unwrap();
        (child, p)
    }

    /// A child stopped by SIGSTOP, as a debugger or a frozen cgroup leaves it.
    fn spawn_stopped(args: &[&str]) -> (Child, Process) {
        let (child, p) = spawn(args);
        kill(Pid::from_raw(p.pid), Signal::SIGSTOP).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(p.current_state(), Some(ProcessState::Stopped));
        (child, p)
    }

    /// `stop` with its deadline `within` from now.
    fn stop_within(
        p: &Process,
        within: Duration,
        kill_reserve: Duration,
        repeat_term: bool,
        when_frozen: WhenFrozen,
    ) -> StopOutcome {
        stop(
            p,
            Instant::now() + within,
            kill_reserve,
            repeat_term,
            when_frozen,
        )
        .unwrap()
    }

    /// SIGTERM ends sleep, also when it is stopped (stop resumes it); a second stop finds it gone.
    #[test]
    fn sigterm_is_enough_for_sleep_even_when_stopped() {
        for sigstopped in [false, true] {
            let (mut child, p) = if sigstopped {
                spawn_stopped(&["sleep", "30"])
            } else {
                spawn(&["sleep", "30"])
            };
            let (five, one) = (Duration::from_secs(5), Duration::from_secs(1));
            let r = stop_within(&p, five, one, false, WhenFrozen::Resume);
            assert!(
                matches!(r, StopOutcome::Terminated { .. }),
                "stopped: {sigstopped}: {r:?}"
            );
            child.wait().unwrap();
            let zero = Duration::ZERO;
            assert_eq!(
                stop_within(&p, zero, zero, false, WhenFrozen::Resume),
                StopOutcome::AlreadyGone
            );
        }
    }

    #[test]
    fn escalates_to_sigkill() {
        let (mut child, p) = spawn(&["sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"]);
        let t = Instant::now();
        let (within, reserve) = (Duration::from_millis(800), Duration::from_millis(300));
        let r = stop_within(&p, within, reserve, true, WhenFrozen::Resume);
        assert!(matches!(r, StopOutcome::Killed { .. }), "{r:?}");
        assert!(t.elapsed() < Duration::from_secs(2));
        child.wait().unwrap();
    }

    #[test]
    fn a_stopped_process_is_killed_without_resuming_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mark = dir.path().join("got-term");
        let script = format!(
            "trap 'touch {}; exit 0' TERM; while :; do sleep 0.05; done",
            mark.display()
        );
        let (mut child, p) = spawn_stopped(&["sh", "-c", &script]);
        let (five, one) = (Duration::from_secs(5), Duration::from_secs(1));
        let r = stop_within(&p, five, one, true, WhenFrozen::Kill);
        assert!(matches!(r, StopOutcome::KilledFrozen { .. }), "{r:?}");
        child.wait().unwrap();
        assert!(!mark.exists(), "it ran again and handled SIGTERM");
    }

    #[test]
    fn zombies_count_as_gone() {
        let (mut child, p) = spawn(&["sh", "-c", "exit 0"]);
        // Not reaped yet: a zombie.
        assert!(!p.is_alive() || p.current_state() == Some(ProcessState::Zombie));
        assert!(wait_gone(&p, Instant::now() + Duration::from_secs(1)));
        assert!(!signal(&p, Signal::SIGTERM).unwrap());
        child.wait().unwrap();
    }
}
