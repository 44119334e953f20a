//! The agent's failures, each knowing its OCF code ([`ocf::Failure`]): the one mapping.
//!
//! An unhealthy or unreachable MariaDB is *not* an error here: it is attribute value 0. Only a
//! broken configuration, an unreadable password file, or a state file under `HA_RSCTMP` that
//! cannot be written fail an action — and stop fails only when a state file it should remove
//! stays (docs/failures.md).

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
    /// The resource id makes the state file's name longer than a file name may be; the id is
    /// the same on every node.
    #[error("resource id too long for a state file name ({len} bytes, at most {max})")]
    InstanceTooLong { len: usize, max: usize },
    /// `HA_RSCTMP` cannot hold the state file (not a directory, not accessible).
    #[error("HA_RSCTMP {} cannot hold the state file: {source}", .dir.display())]
    StateDir { dir: PathBuf, source: io::Error },
    /// The state file cannot be written, or (stop) removed.
    #[error("state file {} not {op}: {source}", .path.display())]
    StateFile {
        path: PathBuf,
        /// "written" or "removed".
        op: &'static str,
        source: io::Error,
    },
}

impl ocf::Failure for GaleraSyncError {
    fn rc(&self) -> OcfRc {
        match self {
            // 6: the same parameters (or resource id) are wrong everywhere; a probe turns this
            // into 7 in ocf::run.
            GaleraSyncError::Param(e) => e.rc(),
            GaleraSyncError::InstanceTooLong { .. } => OcfRc::ErrConfigured,
            GaleraSyncError::Unimplemented(e) => ocf::Failure::rc(e),
            // 2: a file missing or unreadable here; other nodes may have it.
            GaleraSyncError::PasswordFile(_) => OcfRc::ErrArgs,
            GaleraSyncError::StateDir { source, .. }
            | GaleraSyncError::StateFile { source, .. } => {
                match source.kind() {
                    // 4: we may not write HA_RSCTMP (as a user other than root).
                    io::ErrorKind::PermissionDenied => OcfRc::ErrPerm,
                    // 5: this node's HA_RSCTMP is broken (a file where a directory belongs, a
                    // directory where the state file belongs, a path too long): it stays so
                    // until someone repairs it, so this node is out, not retried.
                    io::ErrorKind::NotADirectory
                    | io::ErrorKind::IsADirectory
                    | io::ErrorKind::AlreadyExists => OcfRc::ErrInstalled,
                    _ if matches!(
                        source.raw_os_error(),
                        Some(libc::ENAMETOOLONG | libc::ELOOP)
                    ) =>
                    {
                        OcfRc::ErrInstalled
                    }
                    // 1: disk full, read-only file system, I/O error.
                    _ => OcfRc::ErrGeneric,
                }
            }
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
        let os = io::Error::from_raw_os_error;
        for (e, rc) in [
            (os(libc::EACCES), OcfRc::ErrPerm),
            (os(libc::ENOTDIR), OcfRc::ErrInstalled),
            (os(libc::EISDIR), OcfRc::ErrInstalled),
            (os(libc::ENAMETOOLONG), OcfRc::ErrInstalled),
            (os(libc::ENOSPC), OcfRc::ErrGeneric),
            (os(libc::EROFS), OcfRc::ErrGeneric),
        ] {
            let what = e.to_string();
            let file = GaleraSyncError::StateFile {
                path: "/run/resource-agents/x".into(),
                op: "written",
                source: e,
            };
            assert_eq!(file.rc(), rc, "{what}");
        }
        let e = GaleraSyncError::StateDir {
            dir: "/tmp/f".into(),
            source: os(libc::ENOTDIR),
        };
        assert_eq!(e.rc(), OcfRc::ErrInstalled);
        assert_eq!(
            e.to_string(),
            "HA_RSCTMP /tmp/f cannot hold the state file: Not a directory (os error 20)"
        );
        let e = GaleraSyncError::InstanceTooLong { len: 300, max: 237 };
        assert_eq!(e.rc(), OcfRc::ErrConfigured);
    }
}
