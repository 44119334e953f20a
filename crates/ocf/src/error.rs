//! The one error type every action returns. It carries its OCF code, so the mapping from a
//! failure to an exit code and an `ocf-exit-reason:` line happens in one place (`run`).

use crate::rc::OcfRc;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct OcfError {
    rc: OcfRc,
    reason: String,
}

impl OcfError {
    pub fn new(rc: OcfRc, reason: impl Into<String>) -> Self {
        OcfError {
            rc,
            reason: one_line(&reason.into()),
        }
    }

    /// 1: something failed; Pacemaker restarts or moves the resource.
    pub fn generic(reason: impl Into<String>) -> Self {
        Self::new(OcfRc::ErrGeneric, reason)
    }
    /// 2: a parameter is invalid on this node only.
    pub fn args(reason: impl Into<String>) -> Self {
        Self::new(OcfRc::ErrArgs, reason)
    }
    /// 3: the action is not implemented by this agent.
    pub fn unimplemented(reason: impl Into<String>) -> Self {
        Self::new(OcfRc::ErrUnimplemented, reason)
    }
    /// 4: not enough privilege.
    pub fn perm(reason: impl Into<String>) -> Self {
        Self::new(OcfRc::ErrPerm, reason)
    }
    /// 5: software or a local component is missing on this node.
    pub fn not_installed(reason: impl Into<String>) -> Self {
        Self::new(OcfRc::ErrInstalled, reason)
    }
    /// 6: the configuration is wrong on every node (fatal for the resource).
    pub fn not_configured(reason: impl Into<String>) -> Self {
        Self::new(OcfRc::ErrConfigured, reason)
    }
    /// 7 with a reason: cleanly not running.
    pub fn not_running(reason: impl Into<String>) -> Self {
        Self::new(OcfRc::NotRunning, reason)
    }
    /// 9: promoted, but failed.
    pub fn failed_promoted(reason: impl Into<String>) -> Self {
        Self::new(OcfRc::FailedPromoted, reason)
    }

    pub fn rc(&self) -> OcfRc {
        self.rc
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The same failure with context in front of the reason ("start: …").
    pub fn context(self, what: impl std::fmt::Display) -> Self {
        OcfError {
            rc: self.rc,
            reason: one_line(&format!("{what}: {}", self.reason)),
        }
    }
}

/// Pacemaker takes the exit reason up to the end of the line, so a reason is always one line.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if !out.is_empty() {
            out.push_str(" | ");
        }
        out.push_str(part);
    }
    out
}

pub type OcfResult<T> = Result<T, OcfError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_one_line() {
        let e = OcfError::generic("first\nsecond\r\n\nthird  ");
        assert_eq!(e.reason(), "first | second | third");
        assert_eq!(e.rc(), OcfRc::ErrGeneric);
    }

    #[test]
    fn context_keeps_the_code() {
        let e = OcfError::not_configured("bad ip").context("validate");
        assert_eq!(e.rc(), OcfRc::ErrConfigured);
        assert_eq!(e.to_string(), "validate: bad ip");
    }
}
