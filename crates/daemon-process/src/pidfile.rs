//! Pid files as daemons write them: a decimal pid, with or without a trailing newline
//! (MaxScale writes none).
//!
//! Reading one never blocks and never reads much: the file is opened non-blocking (a FIFO in
//! its place would otherwise block the reader until someone writes to it), only a regular file
//! counts, and at most [`PID_FILE_MAX`] bytes are read.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::Error;

/// Longest content read from a pid file: a pid is at most 10 digits; more is not a pid file.
pub const PID_FILE_MAX: u64 = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidFile {
    path: PathBuf,
}

/// What a pid file holds, and when it was last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidFileContent {
    pub pid: i32,
    pub modified: Option<SystemTime>,
}

/// Why a pid file's path cannot hold a pid file, so that nothing can be running through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Something that is not a regular file is where the pid file would be.
    NotRegular(&'static str),
    /// A component of the directory is not a directory (ENOTDIR).
    NotADirectory,
    /// The path or one of its names is longer than the system allows (ENAMETOOLONG).
    NameTooLong,
    /// This process may not search the directory or read the file (EACCES).
    PermissionDenied,
    /// Symbolic links loop (ELOOP).
    SymlinkLoop,
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::NotRegular(what) => write!(f, "it is {what}, not a pid file"),
            Unusable::NotADirectory => f.write_str("its directory is not a directory"),
            Unusable::NameTooLong => f.write_str("its path is too long"),
            Unusable::PermissionDenied => f.write_str("it cannot be read (permission denied)"),
            Unusable::SymlinkLoop => f.write_str("its path has a symbolic link loop"),
        }
    }
}

impl Unusable {
    /// The open(2)/stat(2) errors that say a path cannot hold a pid file.
    pub fn from_io(e: &io::Error) -> Option<Unusable> {
        match e.raw_os_error()? {
            libc::ENOTDIR => Some(Unusable::NotADirectory),
            libc::ENAMETOOLONG => Some(Unusable::NameTooLong),
            libc::EACCES => Some(Unusable::PermissionDenied),
            libc::ELOOP => Some(Unusable::SymlinkLoop),
            libc::EISDIR => Some(Unusable::NotRegular("a directory")),
            _ => None,
        }
    }

    /// What a file type is when it is not a regular file.
    pub fn from_type(t: std::fs::FileType) -> Option<Unusable> {
        let what = if t.is_file() {
            return None;
        } else if t.is_dir() {
            "a directory"
        } else if t.is_fifo() {
            "a FIFO"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else {
            "not a regular file"
        };
        Some(Unusable::NotRegular(what))
    }
}

impl PidFile {
    pub fn new(path: impl Into<PathBuf>) -> PidFile {
        PidFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `Ok(None)` when there is no pid file; an error when it cannot be read or holds no pid
    /// ([`Error::PidFileUnusable`] when its path cannot hold a pid file at all).
    pub fn read(&self) -> Result<Option<PidFileContent>, Error> {
        let unusable = |why| Error::PidFileUnusable {
            path: self.path.clone(),
            why,
        };
        let file = match File::options()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&self.path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(match Unusable::from_io(&source) {
                    Some(why) => unusable(why),
                    None => Error::PidFileRead {
                        path: self.path.clone(),
                        source,
                    },
                })
            }
        };
        let meta = file.metadata().map_err(|source| Error::PidFileRead {
            path: self.path.clone(),
            source,
        })?;
        if let Some(why) = Unusable::from_type(meta.file_type()) {
            return Err(unusable(why));
        }
        let mut bytes = Vec::with_capacity(16);
        file.take(PID_FILE_MAX + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| Error::PidFileRead {
                path: self.path.clone(),
                source,
            })?;
        let text = String::from_utf8_lossy(&bytes);
        match parse_pid(&text).filter(|_| bytes.len() as u64 <= PID_FILE_MAX) {
            Some(pid) => Ok(Some(PidFileContent {
                pid,
                modified: meta.modified().ok(),
            })),
            None => Err(Error::PidFileGarbage {
                path: self.path.clone(),
                content: text.chars().take(PID_FILE_MAX as usize).collect(),
            }),
        }
    }

    /// Removes the pid file; a missing file is fine.
    pub fn remove(&self) -> Result<(), Error> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::PidFileRemove {
                path: self.path.clone(),
                source: e,
            }),
            _ => Ok(()),
        }
    }

    /// Removes the pid file only if it still names `pid` (a new daemon may have replaced it).
    pub fn remove_if(&self, pid: i32) -> Result<bool, Error> {
        match self.read() {
            Ok(Some(c)) if c.pid == pid => self.remove().map(|()| true),
            Ok(_) => Ok(false),
            Err(Error::PidFileGarbage { .. } | Error::PidFileUnusable { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// A positive decimal pid, surrounding whitespace allowed.
fn parse_pid(text: &str) -> Option<i32> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<i32>().ok().filter(|p| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn parses_pids_with_and_without_newline() {
        assert_eq!(parse_pid("28236"), Some(28236));
        assert_eq!(parse_pid("28236\n"), Some(28236));
        assert_eq!(parse_pid(" 7 \n"), Some(7));
        assert_eq!(parse_pid(""), None);
        assert_eq!(parse_pid("0"), None);
        assert_eq!(parse_pid("-5"), None);
        assert_eq!(parse_pid("12ab"), None);
        assert_eq!(parse_pid("99999999999"), None);
    }

    #[test]
    fn read_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let f = PidFile::new(dir.path().join("d.pid"));
        assert_eq!(f.read().unwrap(), None);
        std::fs::write(f.path(), "1234").unwrap();
        let c = f.read().unwrap().unwrap();
        assert_eq!(c.pid, 1234);
        assert!(c.modified.is_some());
        assert!(!f.remove_if(99).unwrap());
        assert!(f.path().exists());
        assert!(f.remove_if(1234).unwrap());
        assert!(!f.path().exists());
        f.remove().unwrap();
        std::fs::write(f.path(), "").unwrap();
        assert!(matches!(f.read(), Err(Error::PidFileGarbage { .. })));
    }

    #[test]
    fn paths_that_cannot_hold_a_pid_file_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("file"), "x").unwrap();
        std::fs::create_dir(d.join("dir")).unwrap();
        nix::unistd::mkfifo(
            &d.join("fifo"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let long = d.join("n".repeat(300));
        for (path, want) in [
            (d.join("dir"), Unusable::NotRegular("a directory")),
            (d.join("fifo"), Unusable::NotRegular("a FIFO")),
            (PathBuf::from("/dev/null"), Unusable::NotRegular("a device")),
            (d.join("file/maxscale.pid"), Unusable::NotADirectory),
            (long, Unusable::NameTooLong),
        ] {
            // On a thread, so that a reader that blocks fails the test instead of hanging it.
            let (tx, rx) = std::sync::mpsc::channel();
            let p = path.clone();
            std::thread::spawn(move || tx.send(PidFile::new(&p).read()));
            let t = Instant::now();
            let e = rx
                .recv_timeout(Duration::from_secs(2))
                .unwrap_or_else(|_| panic!("reading {path:?} blocked"))
                .unwrap_err();
            assert!(t.elapsed() < Duration::from_secs(1), "{path:?} was slow");
            match e {
                Error::PidFileUnusable { why, .. } => assert_eq!(why, want, "{path:?}"),
                other => panic!("{path:?}: {other}"),
            }
            assert!(!PidFile::new(&path).remove_if(1).unwrap());
        }
    }

    #[test]
    fn a_long_file_is_not_a_pid_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = PidFile::new(dir.path().join("big.pid"));
        std::fs::write(f.path(), format!("12{}", " ".repeat(1 << 20))).unwrap();
        match f.read() {
            Err(Error::PidFileGarbage { content, .. }) => {
                assert!(content.len() <= PID_FILE_MAX as usize)
            }
            other => panic!("{other:?}"),
        }
    }
}
