//! Failures and their OCF codes. Each agent has one error enum whose variants know their code
//! ([`Failure::rc`], the uutils `UError::code` shape); `run` turns any of them into the exit
//! code and the `ocf-exit-reason:` line, in one place.

use crate::action::Action;
use crate::params::ParamError;
use crate::rc::OcfRc;
use crate::reason;

/// An error an action can end with: its exit code, and (through `Display`) its reason.
pub trait Failure: std::fmt::Display {
    fn rc(&self) -> OcfRc;
}

impl Failure for ParamError {
    fn rc(&self) -> OcfRc {
        ParamError::rc(self)
    }
}

/// An action the agent does not implement (3: what Pacemaker and ocf-tester expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{agent} does not implement '{action}'")]
pub struct Unimplemented {
    pub agent: &'static str,
    pub action: Action,
}

impl Failure for Unimplemented {
    fn rc(&self) -> OcfRc {
        OcfRc::ErrUnimplemented
    }
}

/// A failure with an explicit code: the core's own (output errors, an unknown action) and
/// what tests build.
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
            reason: reason::clean(&reason.into()),
        }
    }

    /// The same failure with context in front of the reason ("start: …").
    pub fn context(self, what: impl std::fmt::Display) -> Self {
        OcfError::new(self.rc, format!("{what}: {}", self.reason))
    }

    pub fn rc(&self) -> OcfRc {
        self.rc
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl Failure for OcfError {
    fn rc(&self) -> OcfRc {
        self.rc
    }
}

impl From<ParamError> for OcfError {
    fn from(e: ParamError) -> OcfError {
        OcfError::new(e.rc(), e.to_string())
    }
}

impl From<Unimplemented> for OcfError {
    fn from(e: Unimplemented) -> OcfError {
        OcfError::new(e.rc(), e.to_string())
    }
}

impl<E: Failure> From<&E> for OcfError {
    fn from(e: &E) -> OcfError {
        OcfError::new(e.rc(), e.to_string())
    }
}

pub type OcfResult<T> = Result<T, OcfError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_one_clean_line() {
        let e = OcfError::new(OcfRc::ErrGeneric, "first\nsecond\r\n\nthird  ");
        assert_eq!(e.reason(), "first | second | third");
        assert_eq!(Failure::rc(&e), OcfRc::ErrGeneric);
    }

    #[test]
    fn codes_of_the_core_failures() {
        let u = Unimplemented {
            agent: "vip",
            action: Action::Promote,
        };
        assert_eq!(u.rc(), OcfRc::ErrUnimplemented);
        assert_eq!(u.to_string(), "vip does not implement 'promote'");
        assert_eq!(
            Failure::rc(&ParamError::Missing { name: "ip" }),
            OcfRc::ErrConfigured
        );
        assert_eq!(OcfError::from(&u).rc(), OcfRc::ErrUnimplemented);
    }
}
