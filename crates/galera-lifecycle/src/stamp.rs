//! Whether a datadir is as a `--wsrep-recover` left it, so that the position it gave may be
//! used again instead of running the recovery a second time.
//!
//! Pacemaker recovers a failed Promoted instance with demote, stop and start. Demote recovers
//! the position (the election needs it at once), and start would recover it again: 0.13-0.16 s
//! each on the lab's idle nodes, 0.45 s on loaded ones, on the critical path of a
//! whole-cluster outage. Any server start writes the datadir (InnoDB's redo log and system
//! tablespace, Aria's control file, files created and renamed in the directory), so an
//! unchanged stamp of those files proves that no server ran since the stamp was taken.

use std::fmt;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::config::ServerConfig;
use crate::datadir::ENGINE_LOCK_FILES;

/// Files written by every server start, besides the engine lock files.
const WRITTEN_AT_START: [&str; 2] = ["ib_logfile0", "grastate.dat"];

/// The identity, size and change times of the datadir, its engine files and the extra lock
/// files. Compared as a whole: equal stamps mean nothing among them changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataStamp(String);

impl DataStamp {
    /// The stamp of `cfg`'s datadir now. A missing file is part of the stamp (it may appear).
    pub fn of(cfg: &ServerConfig) -> io::Result<DataStamp> {
        let dir = cfg.datadir.as_path();
        let files = std::iter::once(dir.to_path_buf())
            .chain(ENGINE_LOCK_FILES.iter().map(|f| dir.join(f)))
            .chain(WRITTEN_AT_START.iter().map(|f| dir.join(f)))
            .chain(cfg.extra_lock_files.iter().cloned());
        let mut out = String::new();
        for f in files {
            if !out.is_empty() {
                out.push(';');
            }
            out.push_str(&entry(&f)?);
        }
        Ok(DataStamp(out))
    }

    /// A stamp as [`fmt::Display`] wrote it (a state file's line).
    pub fn parse(text: &str) -> Option<DataStamp> {
        let t = text.trim();
        (!t.is_empty() && !t.contains(['\n', '\r'])).then(|| DataStamp(t.to_string()))
    }

    /// Whether `cfg`'s datadir still has this stamp (an unreadable one has not).
    pub fn holds(&self, cfg: &ServerConfig) -> bool {
        DataStamp::of(cfg).is_ok_and(|now| now == *self)
    }
}

impl fmt::Display for DataStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `dev:ino:size:mtime:ctime` (nanoseconds), `-` for a file that does not exist. ctime
/// cannot be set back by a tool, and changes with every write and rename. The kernel's file
/// clock ticks at most every few milliseconds: far less than a server's start takes before
/// it writes anything.
fn entry(path: &Path) -> io::Result<String> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(format!(
            "{}:{}:{}:{}.{:09}:{}.{:09}",
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok("-".into()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Longer than a tick of the kernel's coarse file clock (HZ 100: 10 ms).
    fn tick() {
        std::thread::sleep(std::time::Duration::from_millis(25));
    }

    fn cfg(dir: &Path) -> ServerConfig {
        ServerConfig::new(dir, dir.join("s.sock"), dir.join("s.pid"))
    }

    #[test]
    fn unchanged_datadir_keeps_its_stamp_and_any_write_breaks_it() {
        let d = tempfile::tempdir().unwrap();
        let c = cfg(d.path());
        for f in ["ibdata1", "ib_logfile0", "aria_log_control", "grastate.dat"] {
            std::fs::write(d.path().join(f), b"x").unwrap();
        }
        let s = DataStamp::of(&c).unwrap();
        assert!(s.holds(&c));
        assert_eq!(DataStamp::parse(&s.to_string()), Some(s.clone()));

        tick();
        // A write of the same size to the redo log (what any InnoDB start does).
        std::fs::OpenOptions::new()
            .write(true)
            .open(d.path().join("ib_logfile0"))
            .unwrap()
            .write_all(b"y")
            .unwrap();
        assert!(!s.holds(&c), "a write to ib_logfile0 went unseen");

        // A file created in the datadir (the directory itself changes).
        let s = DataStamp::of(&c).unwrap();
        tick();
        std::fs::write(d.path().join("ddl_recovery.log"), b"").unwrap();
        assert!(!s.holds(&c), "a new file in the datadir went unseen");

        // A file that appears where there was none.
        let s = DataStamp::of(&c).unwrap();
        tick();
        std::fs::remove_file(d.path().join("grastate.dat")).unwrap();
        assert!(!s.holds(&c), "grastate.dat removed went unseen");
    }

    #[test]
    fn stamps_of_the_extra_lock_files_count() {
        let d = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut c = cfg(d.path());
        c.extra_lock_files = vec![home.path().join("ibdata1")];
        let s = DataStamp::of(&c).unwrap();
        std::fs::write(home.path().join("ibdata1"), b"x").unwrap();
        assert!(!s.holds(&c));
    }

    #[test]
    fn a_stamp_text_is_one_line() {
        assert_eq!(DataStamp::parse(""), None);
        assert_eq!(DataStamp::parse("a\nb"), None);
        assert!(DataStamp::parse("-;-").is_some());
    }
}
