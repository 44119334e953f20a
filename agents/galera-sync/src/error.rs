//! The agent's failures, and the one place they become OCF exit codes.
//!
//! An unhealthy or unreachable MariaDB is *not* an error here: it is attribute value 0. Only a
//! broken configuration, an unreadable password file or a state file that cannot be written
//! fail an action.

use std::io;
use std::path::PathBuf;

use ocf::{OcfError, SecretError};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// A parameter is wrong on every node.
    #[error("{0}")]
    Config(String),
    /// The password file is missing or unreadable on this node.
    #[error("password_file {0}")]
    PasswordFile(SecretError),
    /// The state file under HA_RSCTMP cannot be written or removed.
    #[error("state file {path}: {source}")]
    StateFile { path: PathBuf, source: io::Error },
}

/// The one mapping from the agent's errors to OCF codes.
pub fn to_ocf(e: AgentError) -> OcfError {
    match &e {
        // 6: the same parameters are wrong everywhere (a probe turns this into 7 in ocf::run).
        AgentError::Config(_) => OcfError::not_configured(e.to_string()),
        // 2: a file missing or unreadable here; other nodes may have it.
        AgentError::PasswordFile(_) => OcfError::args(e.to_string()),
        // 4 when we may not write HA_RSCTMP; 1 otherwise (full disk, …).
        AgentError::StateFile { source, .. }
            if source.kind() == io::ErrorKind::PermissionDenied =>
        {
            OcfError::perm(e.to_string())
        }
        AgentError::StateFile { .. } => OcfError::generic(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::OcfRc;

    #[test]
    fn codes() {
        assert_eq!(
            to_ocf(AgentError::Config("bad".into())).rc(),
            OcfRc::ErrConfigured
        );
        let pw = SecretError::TooLarge {
            path: "/etc/x".into(),
        };
        let e = to_ocf(AgentError::PasswordFile(pw));
        assert_eq!(e.rc(), OcfRc::ErrArgs);
        assert!(e.reason().contains("/etc/x"), "{e}");
        let denied = AgentError::StateFile {
            path: "/run/resource-agents/x".into(),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        assert_eq!(to_ocf(denied).rc(), OcfRc::ErrPerm);
        let full = AgentError::StateFile {
            path: "/run/resource-agents/x".into(),
            source: io::Error::other("no space"),
        };
        assert_eq!(to_ocf(full).rc(), OcfRc::ErrGeneric);
    }
}
