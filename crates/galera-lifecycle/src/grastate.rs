//! `grastate.dat`: Galera's saved state in the datadir, and what it is worth.
//!
//! The reader follows Galera's own (`galera/src/saved_state.cpp`; docs/galera-election.md F1): `#` lines and
//! unknown keys are skipped, a missing `safe_to_bootstrap` counts as 1 (files older than
//! Galera 3.19 have none, and a `cert_index:` line instead). What a file *means* is in
//! [`GraState::trust`], after docs/galera-election.md F2 and § 1: a seqno is only a position when the UUID
//! is real, and `safe_to_bootstrap` is only a hint next to such a position.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::position::{ClusterUuid, Position, SEQNO_UNDEFINED};

pub const GRASTATE_FILE: &str = "grastate.dat";
/// A grastate.dat is a few lines; anything bigger is not one.
const MAX_FILE: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} is larger than {MAX_FILE} bytes: not a Galera state file")]
    TooLarge { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// The `safe_to_bootstrap` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SafeToBootstrap {
    Yes,
    No,
    /// No such line (or an unreadable value): Galera's reader counts it as safe.
    Missing,
}

impl SafeToBootstrap {
    /// What Galera does with it: only an explicit 0 refuses `--wsrep-new-cluster`.
    pub fn galera_allows_bootstrap(self) -> bool {
        self != SafeToBootstrap::No
    }
}

/// The parsed file. Parsing never fails: a line Galera would not understand is recorded in
/// `problems` and the field stays unknown, which [`GraState::trust`] turns into "not safe".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraState {
    pub version: Option<String>,
    pub uuid: Option<ClusterUuid>,
    pub seqno: Option<i64>,
    pub safe_to_bootstrap: SafeToBootstrap,
    /// Pre-3.19 files.
    pub cert_index: Option<String>,
    /// Keys this reader does not know (kept for diagnostics).
    pub unknown_keys: Vec<String>,
    pub problems: Vec<String>,
}

/// What the file says about the node's position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// A real UUID and seqno ≥ 0: written by a graceful stop. The position is the data's.
    Clean {
        position: Position,
        safe_to_bootstrap: SafeToBootstrap,
    },
    /// A real UUID with seqno -1: the node runs, crashed, or a start aborted (the clean seqno
    /// is then overwritten). Only `--wsrep-recover` knows the position.
    NeedsRecovery { uuid: ClusterUuid },
    /// No usable state: nil UUID (state transfer requested or interrupted, joiner refused as
    /// "ahead", fresh node) or an unreadable file. `safe_to_bootstrap: 1` next to this means
    /// nothing (RA PR #1323, MOP #1701).
    Unsafe { why: UnsafeWhy },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsafeWhy {
    /// `uuid: 00000000-…`.
    NilUuid,
    /// A uuid or seqno line is missing or unreadable.
    Unreadable(String),
}

impl std::fmt::Display for UnsafeWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnsafeWhy::NilUuid => f.write_str(
                "grastate.dat has the nil uuid (state transfer requested or interrupted, or refused joiner)",
            ),
            UnsafeWhy::Unreadable(why) => write!(f, "grastate.dat is unreadable: {why}"),
        }
    }
}

impl GraState {
    pub fn parse(text: &str) -> GraState {
        let mut g = GraState {
            version: None,
            uuid: None,
            seqno: None,
            safe_to_bootstrap: SafeToBootstrap::Missing,
            cert_index: None,
            unknown_keys: Vec::new(),
            problems: Vec::new(),
        };
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                g.problems
                    .push(format!("line without a key: {:?}", clip(line)));
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            match key {
                "version" => g.version = Some(value.to_string()),
                "uuid" => match ClusterUuid::parse(value) {
                    Ok(u) => g.uuid = Some(u),
                    Err(_) => g.problems.push(format!("bad uuid {:?}", clip(value))),
                },
                "seqno" => match value.parse::<i64>() {
                    Ok(s) if s >= SEQNO_UNDEFINED => g.seqno = Some(s),
                    _ => g.problems.push(format!("bad seqno {:?}", clip(value))),
                },
                "safe_to_bootstrap" => {
                    g.safe_to_bootstrap = match value {
                        "1" => SafeToBootstrap::Yes,
                        "0" => SafeToBootstrap::No,
                        _ => {
                            g.problems
                                .push(format!("bad safe_to_bootstrap {:?}", clip(value)));
                            SafeToBootstrap::Missing
                        }
                    }
                }
                "cert_index" => g.cert_index = Some(value.to_string()),
                other => g.unknown_keys.push(clip(other)),
            }
        }
        g
    }

    /// `Ok(None)` when the datadir has no grastate.dat (fresh node, or removed by hand).
    pub fn read(datadir: &Path) -> Result<Option<GraState>, DiskError> {
        let path = datadir.join(GRASTATE_FILE);
        match read_small(&path)? {
            Some(text) => Ok(Some(GraState::parse(&text))),
            None => Ok(None),
        }
    }

    pub fn trust(&self) -> Trust {
        let (uuid, seqno) = match (self.uuid, self.seqno) {
            (Some(u), Some(s)) => (u, s),
            _ => {
                let why = if self.problems.is_empty() {
                    "no uuid or no seqno line".to_string()
                } else {
                    self.problems.join("; ")
                };
                return Trust::Unsafe {
                    why: UnsafeWhy::Unreadable(why),
                };
            }
        };
        if uuid.is_nil() {
            return Trust::Unsafe {
                why: UnsafeWhy::NilUuid,
            };
        }
        if seqno == SEQNO_UNDEFINED {
            return Trust::NeedsRecovery { uuid };
        }
        match Position::new(uuid, seqno) {
            Ok(position) => Trust::Clean {
                position,
                safe_to_bootstrap: self.safe_to_bootstrap,
            },
            Err(e) => Trust::Unsafe {
                why: UnsafeWhy::Unreadable(e.to_string()),
            },
        }
    }

    /// The file Galera would write for this state (its layout: `uuid:` padded to the seqno
    /// column, `safe_to_bootstrap: N`).
    pub fn render(&self) -> String {
        let uuid = self.uuid.unwrap_or(ClusterUuid::NIL);
        let seqno = self.seqno.unwrap_or(SEQNO_UNDEFINED);
        let flag = u8::from(self.safe_to_bootstrap.galera_allows_bootstrap());
        format!(
            "# GALERA saved state\nversion: {}\nuuid:    {uuid}\nseqno:   {seqno}\nsafe_to_bootstrap: {flag}\n",
            self.version.as_deref().unwrap_or("2.1"),
        )
    }
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Reads a small file; `Ok(None)` when it does not exist.
pub(crate) fn read_small(path: &Path) -> Result<Option<String>, DiskError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(DiskError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| DiskError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(DiskError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Makes `datadir/grastate.dat` say `position` with `safe_to_bootstrap: 1` — what Galera's
/// guard against `--wsrep-new-cluster` needs, for the one elected node only. Atomic: a
/// temporary file in the datadir, owner and mode of the old file (or of the datadir),
/// fsync, rename, fsync of the directory. A crash leaves either the old or the new file.
pub(crate) fn write_bootstrap_state(datadir: &Path, position: &Position) -> Result<(), DiskError> {
    let path = datadir.join(GRASTATE_FILE);
    let old = GraState::read(datadir)?;
    let state = GraState {
        version: old.as_ref().and_then(|o| o.version.clone()),
        uuid: Some(position.uuid()),
        seqno: Some(position.raw_seqno()),
        safe_to_bootstrap: SafeToBootstrap::Yes,
        cert_index: None,
        unknown_keys: Vec::new(),
        problems: Vec::new(),
    };
    write_atomically(&path, state.render().as_bytes())
}

pub(crate) fn write_atomically(path: &Path, content: &[u8]) -> Result<(), DiskError> {
    let err = |source| DiskError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    // Owner and mode: the old file's, else the directory's owner with 0660 (Galera's own).
    let (uid, gid, mode) = match fs::metadata(path) {
        Ok(m) => (m.uid(), m.gid(), m.mode() & 0o7777),
        Err(_) => {
            let d = fs::metadata(dir).map_err(err)?;
            (d.uid(), d.gid(), 0o660)
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.ocf-tmp.{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(content)?;
        std::os::unix::fs::fchown(&f, Some(uid), Some(gid))?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: &str = "726d00b4-edd5-11f1-9512-47940ce49375";

    fn g(text: &str) -> GraState {
        GraState::parse(text)
    }

    #[test]
    fn reads_what_galera_writes() {
        let s = g(&format!(
            "# GALERA saved state\nversion: 2.1\nuuid:    {U}\nseqno:   20\nsafe_to_bootstrap: 1\n"
        ));
        assert_eq!(s.version.as_deref(), Some("2.1"));
        assert_eq!(s.seqno, Some(20));
        assert_eq!(s.safe_to_bootstrap, SafeToBootstrap::Yes);
        assert!(s.problems.is_empty() && s.unknown_keys.is_empty());
        match s.trust() {
            Trust::Clean {
                position,
                safe_to_bootstrap,
            } => {
                assert_eq!(position.to_string(), format!("{U}:20"));
                assert_eq!(safe_to_bootstrap, SafeToBootstrap::Yes);
            }
            other => panic!("{other:?}"),
        }
        // Rendering gives the same file back.
        assert_eq!(GraState::parse(&s.render()), s);
    }

    /// docs/galera-election.md F2, one row per event.
    #[test]
    fn trust_table() {
        #[rustfmt::skip]
        let rows: &[(&str, &str)] = &[
            // graceful stop (last leaver or not): a clean position
            ("uuid: U\nseqno: 20\nsafe_to_bootstrap: 0\n", "clean"),
            ("uuid: U\nseqno: 20\nsafe_to_bootstrap: 1\n", "clean"),
            // running, kill -9, aborted start, bootstrap refused, pc.bootstrap survivor
            ("uuid: U\nseqno: -1\nsafe_to_bootstrap: 0\n", "recover"),
            ("uuid: U\nseqno: -1\nsafe_to_bootstrap: 1\n", "recover"),
            // state transfer requested / refused "ahead" joiner: flag 1 next to uuid 0
            ("uuid: 00000000-0000-0000-0000-000000000000\nseqno: -1\nsafe_to_bootstrap: 1\n", "nil"),
            ("uuid: 00000000-0000-0000-0000-000000000000\nseqno: 7\nsafe_to_bootstrap: 1\n", "nil"),
            // pre-3.19 file: cert_index, no flag
            ("version: 2.1\nuuid: U\nseqno: 20\ncert_index:\n", "clean"),
            // broken files
            ("uuid: U\n", "unreadable"),
            ("seqno: 20\n", "unreadable"),
            ("uuid: nonsense\nseqno: 20\n", "unreadable"),
            ("uuid: U\nseqno: twenty\n", "unreadable"),
            ("uuid: U\nseqno: -2\n", "unreadable"),
            ("", "unreadable"),
        ];
        for (text, want) in rows {
            let t = g(&text.replace(": U", &format!(": {U}"))).trust();
            let got = match &t {
                Trust::Clean { .. } => "clean",
                Trust::NeedsRecovery { .. } => "recover",
                Trust::Unsafe {
                    why: UnsafeWhy::NilUuid,
                } => "nil",
                Trust::Unsafe {
                    why: UnsafeWhy::Unreadable(_),
                } => "unreadable",
            };
            assert_eq!(got, *want, "{text:?}: {t:?}");
        }
    }

    #[test]
    fn tolerant_parser() {
        let s = g(&format!(
            "# comment\n\r\n  # indented comment\nversion: 2.1\r\nuuid:{U}\r\nseqno:\t5\nfuture_key: x\ncert_index: 3\nnot a key line\n"
        ));
        assert_eq!(s.seqno, Some(5));
        assert_eq!(s.uuid.unwrap().to_string(), U);
        // Missing flag: Galera's reader says safe.
        assert_eq!(s.safe_to_bootstrap, SafeToBootstrap::Missing);
        assert!(s.safe_to_bootstrap.galera_allows_bootstrap());
        assert_eq!(s.cert_index.as_deref(), Some("3"));
        assert_eq!(s.unknown_keys, vec!["future_key".to_string()]);
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
        assert!(matches!(s.trust(), Trust::Clean { .. }));
        assert!(!SafeToBootstrap::No.galera_allows_bootstrap());
        let s = g("uuid: x\nsafe_to_bootstrap: yes\n");
        assert_eq!(s.safe_to_bootstrap, SafeToBootstrap::Missing);
        assert_eq!(s.problems.len(), 2);
    }

    #[test]
    fn read_and_bootstrap_write() {
        let dir = tempfile::tempdir().unwrap();
        assert!(GraState::read(dir.path()).unwrap().is_none());
        let path = dir.path().join(GRASTATE_FILE);
        fs::write(
            &path,
            format!("# GALERA saved state\nversion: 2.1\nuuid:    {U}\nseqno:   -1\nsafe_to_bootstrap: 0\n"),
        )
        .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let before = GraState::read(dir.path()).unwrap().unwrap();
        assert!(matches!(before.trust(), Trust::NeedsRecovery { .. }));
        let pos = Position::parse(&format!("{U}:42")).unwrap();
        write_bootstrap_state(dir.path(), &pos).unwrap();
        let after = GraState::read(dir.path()).unwrap().unwrap();
        assert_eq!(
            after.trust(),
            Trust::Clean {
                position: pos.clone(),
                safe_to_bootstrap: SafeToBootstrap::Yes
            }
        );
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o640);
        // No temporary file left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(GRASTATE_FILE)]);
        // Without an old file: created with Galera's mode.
        fs::remove_file(&path).unwrap();
        write_bootstrap_state(dir.path(), &pos).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o660);
        fs::write(&path, "x".repeat(70_000)).unwrap();
        assert!(matches!(
            GraState::read(dir.path()),
            Err(DiskError::TooLarge { .. })
        ));
    }
}
