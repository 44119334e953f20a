//! Ends the process with a given code and message when a time limit passes, whatever blocks:
//! the last guard behind the per-step budgets (an action that outlives Pacemaker's timeout is
//! SIGKILLed without an exit reason; a `wsrep_notify_cmd` that hangs holds up the server).
//!
//! A SIGALRM timer rather than a sleeping thread: one syscall per exec, no thread to spawn, and
//! children (fork + exec) neither inherit the timer nor keep the handler.

use std::sync::OnceLock;
use std::time::Duration;

struct Expiry {
    code: libc::c_int,
    message: Box<[u8]>,
}

// Prepared before the timer is armed: the handler may only call async-signal-safe functions.
static EXPIRY: OnceLock<Expiry> = OnceLock::new();

extern "C" fn on_alarm(_: libc::c_int) {
    let code = match EXPIRY.get() {
        Some(e) => {
            // SAFETY: write(2) is async-signal-safe; the buffer lives as long as the process.
            unsafe {
                libc::write(
                    libc::STDERR_FILENO,
                    e.message.as_ptr().cast(),
                    e.message.len(),
                )
            };
            e.code
        }
        None => 1,
    };
    // SAFETY: async-signal-safe; leaving without unwinding or atexit handlers is the point.
    unsafe { libc::_exit(code) };
}

/// Exits with `code` after writing `message` (one line, newline added) to stderr once `after`
/// has passed. Armed once per process; later calls are ignored.
pub fn arm(after: Duration, code: i32, message: &str) {
    let expiry = Expiry {
        code,
        message: format!("{message}\n").into_bytes().into_boxed_slice(),
    };
    if EXPIRY.set(expiry).is_err() {
        return;
    }
    // A zero it_value disarms the timer: fire at once instead when the limit is already past.
    let after = after.max(Duration::from_micros(1));
    let timer = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: libc::time_t::try_from(after.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_usec: libc::suseconds_t::from(after.subsec_micros()),
        },
    };
    // SAFETY: a zeroed sigaction is valid (empty mask, no flags) and the handler has the
    // signature sa_sigaction expects without SA_SIGINFO; the sigset is initialised before use.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut());
        // The signal mask survives fork and exec: a parent that blocks SIGALRM (mariadbd's
        // threads do) would otherwise silence the timer. Threads started later inherit this.
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGALRM);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut());
    }
}
