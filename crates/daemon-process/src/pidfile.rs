//! Pid files as daemons write them: a decimal pid, with or without a trailing newline
//! (MaxScale writes none).

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::Error;

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

impl PidFile {
    pub fn new(path: impl Into<PathBuf>) -> PidFile {
        PidFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `Ok(None)` when there is no pid file; an error when it cannot be read or holds no pid.
    pub fn read(&self) -> Result<Option<PidFileContent>, Error> {
        let text = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::PidFileRead {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let text = String::from_utf8_lossy(&text);
        match parse_pid(&text) {
            Some(pid) => Ok(Some(PidFileContent { pid, modified })),
            None => Err(Error::PidFileGarbage {
                path: self.path.clone(),
                content: text.chars().take(64).collect(),
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
            Err(Error::PidFileGarbage { .. }) => Ok(false),
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
}
