//! The agent's failures, each knowing its OCF code ([`ocf::Failure`]): the one mapping.
//!
//! An unhealthy or unreachable MariaDB is *not* an error here: it is attribute value 0. Only a
//! broken configuration, an unreadable password file or a state file that cannot be written
//! fail an action.

use std::io;
use std::path::PathBuf;

use ocf::{OcfRc, ParamError, SecretError, Unimplemented};

#[derive(Debug, thiserror::Error)]
pub enum GaleraSyncError {
    /// A parameter is missing, malformed or inconsistent: wrong on every node.
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error(transparent)]
    Unimplemented(#[from] Unimplemented),
    /// The password file is missing or unreadable on this node.
    #[error("password_file {0}")]
    PasswordFile(SecretError),
    /// The state file under HA_RSCTMP cannot be written or removed.
    #[error("state file {}: {source}", .path.display())]
    StateFile { path: PathBuf, source: io::Error },
}

impl ocf::Failure for GaleraSyncError {
    fn rc(&self) -> OcfRc {
        match self {
            // 6: the same parameters are wrong everywhere (a probe turns this into 7 in
            // ocf::run).
            GaleraSyncError::Param(e) => e.rc(),
            GaleraSyncError::Unimplemented(e) => ocf::Failure::rc(e),
            // 2: a file missing or unreadable here; other nodes may have it.
            GaleraSyncError::PasswordFile(_) => OcfRc::ErrArgs,
            // 4 when we may not write HA_RSCTMP; 1 otherwise (full disk, …).
            GaleraSyncError::StateFile { source, .. }
                if source.kind() == io::ErrorKind::PermissionDenied =>
            {
                OcfRc::ErrPerm
            }
            GaleraSyncError::StateFile { .. } => OcfRc::ErrGeneric,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::Failure;

    #[test]
    fn codes() {
        let e: GaleraSyncError = ParamError::Missing { name: "x" }.into();
        assert_eq!(e.rc(), OcfRc::ErrConfigured);
        let e = GaleraSyncError::PasswordFile(SecretError::TooLarge {
            path: "/etc/x".into(),
        });
        assert_eq!(e.rc(), OcfRc::ErrArgs);
        assert_eq!(
            e.to_string(),
            "password_file /etc/x is larger than 4096 bytes: not a password file"
        );
        let denied = GaleraSyncError::StateFile {
            path: "/run/resource-agents/x".into(),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        assert_eq!(denied.rc(), OcfRc::ErrPerm);
        let full = GaleraSyncError::StateFile {
            path: "/run/resource-agents/x".into(),
            source: io::Error::other("no space"),
        };
        assert_eq!(full.rc(), OcfRc::ErrGeneric);
    }
}
