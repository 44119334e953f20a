//! Every action ends before Pacemaker's timeout, whatever the peer does.
//!
//! Pacemaker SIGKILLs the agent's whole process group when the operation timeout expires, with
//! no SIGTERM first and no exit reason. So each action works against a [`Deadline`] that ends a
//! little before the timeout; every blocking step takes its budget from it, and a watchdog
//! (see `run`) exits with a reason if something still blocks past it.

use std::time::{Duration, Instant};

/// Pacemaker's default operation timeout, used when the environment gives none (e.g. a manual run).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    start: Instant,
    end: Instant,
    timeout: Duration,
}

impl Deadline {
    /// A deadline for an operation with this timeout, counted from now. It keeps a margin
    /// (a tenth of the timeout, between 100 ms and 2 s) to report a result before the SIGKILL.
    pub fn from_timeout(timeout: Duration) -> Deadline {
        let start = Instant::now();
        Deadline {
            start,
            end: start + timeout.saturating_sub(margin(timeout)),
            timeout,
        }
    }

    /// The moment the action must be done by.
    pub fn at(&self) -> Instant {
        self.end
    }

    /// When Pacemaker would kill us; the watchdog fires halfway through the margin.
    pub fn hard_limit(&self) -> Instant {
        self.start + self.timeout.saturating_sub(margin(self.timeout) / 2)
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    /// The remaining time, but at most `cap`: for one step that must not eat the whole budget.
    pub fn budget(&self, cap: Duration) -> Duration {
        self.remaining().min(cap)
    }

    /// An earlier deadline that leaves `reserve` for what comes after (e.g. SIGKILL after SIGTERM).
    pub fn reserving(&self, reserve: Duration) -> Deadline {
        let end = self
            .end
            .checked_sub(reserve)
            .unwrap_or(self.start)
            .max(self.start);
        Deadline {
            start: self.start,
            end,
            timeout: self.timeout,
        }
    }

    /// A deadline `cap` from now, or this one if it comes first.
    pub fn capped(&self, cap: Duration) -> Deadline {
        let end = (Instant::now() + cap).min(self.end);
        Deadline {
            start: self.start,
            end,
            timeout: self.timeout,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

fn margin(timeout: Duration) -> Duration {
    (timeout / 10).clamp(Duration::from_millis(100), Duration::from_secs(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_margin_before_the_timeout() {
        let d = Deadline::from_timeout(Duration::from_secs(20));
        let r = d.remaining();
        assert!(
            r <= Duration::from_secs(18) && r > Duration::from_millis(17_900),
            "{r:?}"
        );
        assert!(d.hard_limit() > d.at());
        let short = Deadline::from_timeout(Duration::from_millis(500));
        assert!(short.remaining() <= Duration::from_millis(400));
    }

    #[test]
    fn budgets_never_exceed_the_deadline() {
        let d = Deadline::from_timeout(Duration::from_secs(10));
        assert_eq!(d.budget(Duration::from_secs(1)), Duration::from_secs(1));
        assert!(d.budget(Duration::from_secs(60)) <= Duration::from_secs(9));
        let r = d.reserving(Duration::from_secs(3));
        assert!(r.remaining() <= Duration::from_secs(6));
        assert!(d.reserving(Duration::from_secs(60)).remaining().is_zero());
        assert!(d.capped(Duration::from_millis(50)).remaining() <= Duration::from_millis(50));
        let z = Deadline::from_timeout(Duration::ZERO);
        assert!(z.remaining().is_zero());
        assert_eq!(z.remaining(), Duration::ZERO);
    }
}
