//! The agent's failures, each knowing its OCF code ([`ocf::Failure`]): the one mapping.
//!
//! An unhealthy or unreachable MariaDB is *not* an error here: it is attribute value 0. Only a
//! broken configuration, an unreadable password file, or a state file under `HA_RSCTMP` that
//! cannot be written fail an action — and stop fails only when a state file it should remove
//! stays (docs/failures.md).
//!
//! Every reason fits Pacemaker's 128 characters with its essential words: a path or a quoted
//! value in the middle is shortened so that what went wrong is never cut off.

use std::io;
use std::path::{Path, PathBuf};

use ocf::cli::ParamsFileError;
use ocf::reason::{self, PACEMAKER_LIMIT};
use ocf::{OcfRc, ParamError, SecretError, Unimplemented};

#[derive(Debug, thiserror::Error)]
pub enum GaleraSyncError {
    /// A parameter is missing, malformed or inconsistent: wrong on every node.
    #[error("{}", param_reason(.0))]
    Param(#[from] ParamError),
    #[error(transparent)]
    Unimplemented(#[from] Unimplemented),
    /// The password file is missing or unreadable on this node.
    #[error("{}", password_reason(.0))]
    PasswordFile(SecretError),
    /// The resource id makes the state file's name longer than a file name may be; the id is
    /// the same on every node.
    #[error("resource id too long for a state file name ({len} bytes, at most {max})")]
    InstanceTooLong { len: usize, max: usize },
    /// `HA_RSCTMP` cannot hold the state file (not a directory, not accessible).
    #[error("{}", fit("HA_RSCTMP ", .dir, &format!(" cannot hold the state file: {}", .source)))]
    StateDir { dir: PathBuf, source: io::Error },
    /// The state file cannot be written, or (stop) removed.
    #[error("{}", fit("state file ", .path, &format!(" not {}: {}", .op, .source)))]
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

/// `head` + `middle` (a path or a quoted text, cleaned and shortened as needed) + `tail`,
/// within Pacemaker's limit whenever `head` and `tail` leave room for a few characters.
pub fn fit(head: &str, middle: impl AsRef<Path>, tail: &str) -> String {
    let middle = middle.as_ref().to_string_lossy();
    // clean() trims; the space that separates the tail from the middle stays.
    let lead = if tail.starts_with(' ') { " " } else { "" };
    let tail = format!("{lead}{}", reason::clean(tail));
    let room = PACEMAKER_LIMIT
        .saturating_sub(head.len() + tail.len())
        .max(12);
    format!("{head}{}{tail}", reason::excerpt(&middle, room))
}

/// The core's text, with the quoted value shortened so that the whole fits.
fn param_reason(e: &ParamError) -> String {
    match e {
        ParamError::Invalid {
            name,
            expected,
            text,
        } => fit(
            &format!("parameter '{name}' must be {expected}, not '"),
            text,
            "'",
        ),
        ParamError::Missing { .. } => e.to_string(),
    }
}

/// The reader's text ("<path> cannot be read: …", "<path> is a FIFO, …"), with the path
/// shortened so that what is wrong with it stays.
fn password_reason(e: &SecretError) -> String {
    file_reason("password_file ", e)
}

/// `label` + what a bounded reader said about a file, within Pacemaker's limit.
fn file_reason(label: &str, e: &SecretError) -> String {
    let path = e.path().to_string_lossy();
    let text = e.to_string();
    match text.strip_prefix(path.as_ref()) {
        Some(rest) => fit(label, e.path(), rest),
        None => reason::for_pacemaker(&format!("{label}{text}")),
    }
}

/// The commands' `--params FILE` that cannot be used, in one short line.
pub fn params_file_reason(e: &ParamsFileError) -> String {
    match e {
        ParamsFileError::Read(e) => file_reason("parameters file ", e),
        ParamsFileError::Syntax { path, line } => fit(
            "parameters file ",
            path,
            &format!(" line {line}: expected key=value"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::Failure;

    fn long_path() -> PathBuf {
        PathBuf::from(format!("/tmp/x/{}", "n".repeat(5000)))
    }

    /// Every variant, with the longest texts it can carry.
    fn worst_cases() -> Vec<(GaleraSyncError, OcfRc, &'static str)> {
        let io = |k: io::ErrorKind| io::Error::from(k);
        let os = |n: i32| io::Error::from_raw_os_error(n);
        vec![
            (
                ParamError::invalid(&crate::params::DAMPEN, &"9".repeat(300), {
                    "a time such as 5s, 500ms or 2m (seconds without a unit)"
                })
                .into(),
                OcfRc::ErrConfigured,
                "parameter 'dampen' must be a time",
            ),
            (
                ParamError::Missing { name: "attribute" }.into(),
                OcfRc::ErrConfigured,
                "required parameter 'attribute'",
            ),
            (
                GaleraSyncError::PasswordFile(SecretError::Open {
                    path: long_path(),
                    source: os(libc::ENAMETOOLONG),
                }),
                OcfRc::ErrArgs,
                "password_file /tmp/x/nnn",
            ),
            (
                GaleraSyncError::PasswordFile(SecretError::NotRegular {
                    path: long_path(),
                    what: "a FIFO",
                }),
                OcfRc::ErrArgs,
                "password_file /tmp",
            ),
            (
                GaleraSyncError::PasswordFile(SecretError::TooLarge { path: long_path() }),
                OcfRc::ErrArgs,
                "password_file",
            ),
            (
                GaleraSyncError::InstanceTooLong {
                    len: 5000,
                    max: 230,
                },
                OcfRc::ErrConfigured,
                "resource id too long",
            ),
            (
                GaleraSyncError::StateDir {
                    dir: long_path(),
                    source: os(20),
                },
                OcfRc::ErrInstalled,
                "HA_RSCTMP /tmp",
            ),
            (
                GaleraSyncError::StateDir {
                    dir: long_path(),
                    source: io(io::ErrorKind::PermissionDenied),
                },
                OcfRc::ErrPerm,
                "HA_RSCTMP",
            ),
            (
                GaleraSyncError::StateFile {
                    path: long_path(),
                    op: "removed",
                    source: os(21),
                },
                OcfRc::ErrInstalled,
                "state file /tmp",
            ),
            (
                GaleraSyncError::StateFile {
                    path: long_path(),
                    op: "written",
                    source: os(28),
                },
                OcfRc::ErrGeneric,
                "state file /tmp",
            ),
        ]
    }

    #[test]
    fn codes_and_reasons_within_pacemakers_limit() {
        for (e, rc, start) in worst_cases() {
            let text = e.to_string();
            assert_eq!(e.rc(), rc, "{text}");
            assert!(
                text.len() <= PACEMAKER_LIMIT,
                "{} bytes: {text}",
                text.len()
            );
            assert!(text.starts_with(start), "{text}");
            assert!(!text.chars().any(char::is_control), "{text}");
        }
    }

    #[test]
    fn what_went_wrong_survives_a_long_path() {
        let e = GaleraSyncError::PasswordFile(SecretError::NotRegular {
            path: long_path(),
            what: "a FIFO",
        });
        assert!(
            e.to_string().ends_with(" is a FIFO, not a regular file"),
            "{e}"
        );
        let e = GaleraSyncError::StateDir {
            dir: long_path(),
            source: io::Error::from_raw_os_error(20),
        };
        assert!(
            e.to_string()
                .ends_with(" cannot hold the state file: Not a directory (os error 20)"),
            "{e}"
        );
        let e: GaleraSyncError =
            ParamError::invalid(&crate::params::ATTRIBUTE, &"x".repeat(300), "short").into();
        assert!(e.to_string().ends_with("...'"), "{e}");
    }

    #[test]
    fn params_files_too() {
        let e = ParamsFileError::Read(SecretError::NotRegular {
            path: long_path(),
            what: "a device",
        });
        let text = params_file_reason(&e);
        assert!(text.len() <= PACEMAKER_LIMIT, "{text}");
        assert!(text.starts_with("parameters file /tmp/x/nnn"), "{text}");
        assert!(text.ends_with(" is a device, not a regular file"), "{text}");
        let e = ParamsFileError::Syntax {
            path: "/etc/gs.conf".into(),
            line: 3,
        };
        assert_eq!(
            params_file_reason(&e),
            "parameters file /etc/gs.conf line 3: expected key=value"
        );
    }

    #[test]
    fn short_texts_are_unchanged() {
        let e = GaleraSyncError::PasswordFile(SecretError::TooLarge {
            path: "/etc/x".into(),
        });
        assert_eq!(
            e.to_string(),
            "password_file /etc/x is larger than 4096 bytes: not a password file"
        );
        let e: GaleraSyncError = ParamError::invalid(&crate::params::PORT, "x", "a port").into();
        assert_eq!(e.to_string(), "parameter 'port' must be a port, not 'x'");
        let e = GaleraSyncError::StateFile {
            path: "/run/resource-agents/galera-sync-gs.state".into(),
            op: "written",
            source: io::Error::from_raw_os_error(28),
        };
        assert_eq!(
            e.to_string(),
            "state file /run/resource-agents/galera-sync-gs.state not written: No space left on \
             device (os error 28)"
        );
    }
}
