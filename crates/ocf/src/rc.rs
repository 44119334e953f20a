//! OCF exit codes (OCF 1.1 "Return Codes") and what Pacemaker does with each.

use std::fmt;

/// Every exit code an OCF agent may return. The numbers are the contract; the names follow
/// resource-agents' `ocf-returncodes` with the OCF 1.1 role names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OcfRc {
    /// 0: done, or (monitor) running unpromoted.
    Success,
    /// 1: failed; Pacemaker recovers in place or elsewhere (soft).
    ErrGeneric,
    /// 2: parameters invalid on this node (hard: this node is banned).
    ErrArgs,
    /// 3: the action is not implemented.
    ErrUnimplemented,
    /// 4: insufficient privilege (hard).
    ErrPerm,
    /// 5: software missing on this node (hard).
    ErrInstalled,
    /// 6: configuration wrong everywhere (fatal: banned on every node).
    ErrConfigured,
    /// 7: (monitor) cleanly stopped. Never a valid result of `stop`.
    NotRunning,
    /// 8: (monitor) running promoted.
    RunningPromoted,
    /// 9: (monitor) promoted but failed.
    FailedPromoted,
    /// 190: running, but a failure is likely soon (Pacemaker >= 2.0.5 treats it as 0).
    Degraded,
    /// 191: promoted and degraded (treated as 8).
    DegradedPromoted,
}

impl OcfRc {
    pub const ALL: [OcfRc; 12] = [
        OcfRc::Success,
        OcfRc::ErrGeneric,
        OcfRc::ErrArgs,
        OcfRc::ErrUnimplemented,
        OcfRc::ErrPerm,
        OcfRc::ErrInstalled,
        OcfRc::ErrConfigured,
        OcfRc::NotRunning,
        OcfRc::RunningPromoted,
        OcfRc::FailedPromoted,
        OcfRc::Degraded,
        OcfRc::DegradedPromoted,
    ];

    pub const fn code(self) -> u8 {
        match self {
            OcfRc::Success => 0,
            OcfRc::ErrGeneric => 1,
            OcfRc::ErrArgs => 2,
            OcfRc::ErrUnimplemented => 3,
            OcfRc::ErrPerm => 4,
            OcfRc::ErrInstalled => 5,
            OcfRc::ErrConfigured => 6,
            OcfRc::NotRunning => 7,
            OcfRc::RunningPromoted => 8,
            OcfRc::FailedPromoted => 9,
            OcfRc::Degraded => 190,
            OcfRc::DegradedPromoted => 191,
        }
    }

    pub fn from_code(code: i32) -> Option<OcfRc> {
        OcfRc::ALL
            .into_iter()
            .find(|rc| i32::from(rc.code()) == code)
    }

    /// The name resource-agents' shell functions use for this code.
    pub const fn name(self) -> &'static str {
        match self {
            OcfRc::Success => "OCF_SUCCESS",
            OcfRc::ErrGeneric => "OCF_ERR_GENERIC",
            OcfRc::ErrArgs => "OCF_ERR_ARGS",
            OcfRc::ErrUnimplemented => "OCF_ERR_UNIMPLEMENTED",
            OcfRc::ErrPerm => "OCF_ERR_PERM",
            OcfRc::ErrInstalled => "OCF_ERR_INSTALLED",
            OcfRc::ErrConfigured => "OCF_ERR_CONFIGURED",
            OcfRc::NotRunning => "OCF_NOT_RUNNING",
            OcfRc::RunningPromoted => "OCF_RUNNING_PROMOTED",
            OcfRc::FailedPromoted => "OCF_FAILED_PROMOTED",
            OcfRc::Degraded => "OCF_DEGRADED",
            OcfRc::DegradedPromoted => "OCF_DEGRADED_PROMOTED",
        }
    }
}

impl fmt::Display for OcfRc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_ocf_numbers() {
        let codes: Vec<u8> = OcfRc::ALL.iter().map(|rc| rc.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 190, 191]);
        for rc in OcfRc::ALL {
            assert_eq!(OcfRc::from_code(rc.code().into()), Some(rc));
        }
        assert_eq!(OcfRc::from_code(10), None);
    }
}
