//! One secret type and one reader for the files that hold passwords, shared by every agent and
//! library (maxscale's `admin_password_file`, galera-sync's `password_file`, the galera agent's
//! `check_passwd_file`), so that all of them behave the same:
//!
//! - [`Secret`] never shows in `Debug` (there is no `Display`) and is overwritten when dropped.
//! - [`read_file`] opens without blocking (a FIFO must never hang an action: it is refused at
//!   once), accepts only a regular file, reads at most [`LIMIT`] bytes (a path such as
//!   `/dev/zero` must not grow the agent until the OOM killer ends it), takes one line (one
//!   trailing line break removed; spaces kept, they may belong to the password) and warns when
//!   group or others may read the file. Errors name the file, never its content.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// A password file larger than this is not a password file.
pub const LIMIT: usize = 4096;

/// A secret string. `Debug` prints `Secret(***)`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for handing to an authentication step only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(std::mem::take(&mut self.0).into_bytes());
    }
}

/// Overwrites a buffer about to be freed (best effort: `black_box` keeps the optimiser from
/// dropping writes to memory that is freed right after).
fn wipe(mut bytes: Vec<u8>) {
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{path} cannot be read: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is {what}, not a regular file")]
    NotRegular { path: PathBuf, what: &'static str },
    #[error("{path} is larger than {LIMIT} bytes: not a password file")]
    TooLarge { path: PathBuf },
    #[error("{path} holds more than one line")]
    SeveralLines { path: PathBuf },
    #[error("{path} is not UTF-8 text")]
    NotText { path: PathBuf },
}

impl SecretError {
    pub fn path(&self) -> &Path {
        match self {
            SecretError::Open { path, .. }
            | SecretError::NotRegular { path, .. }
            | SecretError::TooLarge { path }
            | SecretError::SeveralLines { path }
            | SecretError::NotText { path } => path,
        }
    }
}

/// Reads a one-line secret from `path` (see the crate documentation).
pub fn read_file(path: &Path) -> Result<Secret, SecretError> {
    let text = read_bounded(path, LIMIT)?;
    let line = match text.strip_suffix('\n') {
        Some(rest) => rest.strip_suffix('\r').unwrap_or(rest),
        None => text.as_str(),
    };
    if line.contains(['\n', '\r']) {
        wipe(text.into_bytes());
        return Err(SecretError::SeveralLines {
            path: path.to_path_buf(),
        });
    }
    let secret = Secret::new(line);
    wipe(text.into_bytes());
    Ok(secret)
}

/// Reads a small regular file whole: non-blocking open, regular files only, at most `limit`
/// bytes. Also for other files an agent reads from a path it was given (`--params FILE`).
pub fn read_bounded(path: &Path, limit: usize) -> Result<String, SecretError> {
    let owned = || path.to_path_buf();
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|source| SecretError::Open {
            path: owned(),
            source,
        })?;
    let meta = file.metadata().map_err(|source| SecretError::Open {
        path: owned(),
        source,
    })?;
    let kind = meta.file_type();
    let what = if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        None
    };
    if let Some(what) = what {
        return Err(SecretError::NotRegular {
            path: owned(),
            what,
        });
    }
    if meta.mode() & 0o077 != 0 {
        tracing::warn!(
            "{} can be read by group or others (mode {:o}): keep it readable by its owner only",
            path.display(),
            meta.mode() & 0o7777
        );
    }
    let mut bytes = Vec::with_capacity(limit.min(4096) + 1);
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    file.take(cap)
        .read_to_end(&mut bytes)
        .map_err(|source| SecretError::Open {
            path: owned(),
            source,
        })?;
    if bytes.len() > limit {
        wipe(bytes);
        return Err(SecretError::TooLarge { path: owned() });
    }
    String::from_utf8(bytes).map_err(|e| {
        wipe(e.into_bytes());
        SecretError::NotText { path: owned() }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn one_line_with_its_spaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        for (content, want) in [
            ("s3cret with space \n", "s3cret with space "),
            ("crlf\r\n", "crlf"),
            ("no newline", "no newline"),
            ("", ""),
            ("\n", ""),
        ] {
            std::fs::write(&p, content).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert_eq!(read_file(&p).unwrap().expose(), want, "{content:?}");
        }
        for bad in ["a\nb\n", "a\n\n", "a\rb"] {
            std::fs::write(&p, bad).unwrap();
            let e = read_file(&p).unwrap_err();
            assert!(
                matches!(e, SecretError::SeveralLines { .. }),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn size_limit_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "x".repeat(LIMIT)).unwrap();
        assert_eq!(read_file(&p).unwrap().expose().len(), LIMIT);
        std::fs::write(&p, "x".repeat(LIMIT + 1)).unwrap();
        assert!(matches!(read_file(&p), Err(SecretError::TooLarge { .. })));
    }

    #[test]
    fn devices_fifos_and_directories_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let t = Instant::now();
        for (path, what) in [
            (fifo.as_path(), "a FIFO"),
            (Path::new("/dev/zero"), "a device"),
            (dir.path(), "a directory"),
        ] {
            match read_file(path) {
                Err(SecretError::NotRegular { what: w, .. }) => assert_eq!(w, what),
                other => panic!("{}: {other:?}", path.display()),
            }
        }
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        let e = read_file(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(e, SecretError::Open { .. }));
        assert!(e.to_string().contains("missing"), "{e}");
    }

    #[test]
    fn errors_never_carry_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "topsecret\nline2\n").unwrap();
        let e = read_file(&p).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("topsecret"));
        std::fs::write(&p, b"\xff\xfetopsecret").unwrap();
        let e = read_file(&p).unwrap_err();
        assert!(matches!(e, SecretError::NotText { .. }));
        assert!(!format!("{e} {e:?}").contains("topsecret"));
    }
}
