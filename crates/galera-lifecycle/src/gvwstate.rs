//! `gvwstate.dat`: the last Primary view, saved for `pc.recovery` (docs/galera-election.md F5).
//!
//! Present after a crash (deleted on every graceful stop); pc.recovery re-forms the Primary
//! only when exactly these members return. An empty file prevents joining
//! (codership/galera#354): [`remove_if_empty`] deletes it, as the RA does.

use std::path::Path;

use crate::grastate::{read_small, DiskError};

pub const GVWSTATE_FILE: &str = "gvwstate.dat";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewFile {
    Absent,
    /// Zero bytes (or only white space).
    Empty,
    View(SavedView),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedView {
    /// This node's gcomm UUID (not the cluster state UUID).
    pub my_uuid: Option<String>,
    /// `view_id: <type> <uuid> <seq>` as written.
    pub view_id: Option<String>,
    pub bootstrap: Option<bool>,
    /// The gcomm UUIDs of the view's members.
    pub members: Vec<String>,
}

impl ViewFile {
    pub fn parse(text: &str) -> ViewFile {
        if text.trim().is_empty() {
            return ViewFile::Empty;
        }
        let mut v = SavedView::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "my_uuid" => v.my_uuid = Some(value.to_string()),
                "view_id" => v.view_id = Some(value.to_string()),
                "bootstrap" => v.bootstrap = Some(value == "1"),
                "member" => {
                    if let Some(id) = value.split_whitespace().next() {
                        v.members.push(id.to_string());
                    }
                }
                _ => {}
            }
        }
        ViewFile::View(v)
    }

    pub fn read(datadir: &Path) -> Result<ViewFile, DiskError> {
        Ok(match read_small(&datadir.join(GVWSTATE_FILE))? {
            None => ViewFile::Absent,
            Some(text) => ViewFile::parse(&text),
        })
    }
}

/// Whether a view is saved: after [`remove`] before a join's start, it says the node has
/// entered a Primary view, before SQL answers (a joiner has no SQL until its transfer ends,
/// F9). Galera saves the file at every Primary view and never at a non-Primary one
/// (docs/galera-election.md F5); it also rewrites a file it restored at its start, which is
/// why the file must be gone first. Always false with `pc.recovery=0`.
pub fn view_saved(datadir: &Path) -> bool {
    matches!(ViewFile::read(datadir), Ok(ViewFile::View(_)))
}

/// Deletes gvwstate.dat before a join; `Ok(true)` when there was one. A joiner joins a running
/// Primary: pc.recovery's re-forming of the saved view is the election's job here, and with
/// the file restored the node comes back under its old gcomm identity, which the survivors
/// ignore until they forget it (the lab's crash of one node: Primary 16 s and more after the
/// start with the file, 2-4 s without). A cleanly stopped node never has one (F5): this is
/// its path.
pub fn remove(datadir: &Path) -> Result<bool, DiskError> {
    let path = datadir.join(GVWSTATE_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(DiskError::Write { path, source }),
    }
}

/// Deletes an empty gvwstate.dat; `Ok(true)` when it did.
pub fn remove_if_empty(datadir: &Path) -> Result<bool, DiskError> {
    if ViewFile::read(datadir)? != ViewFile::Empty {
        return Ok(false);
    }
    remove(datadir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_saved_view() {
        let text = "my_uuid: 8f0a1c2e-edd5-11f1-a1b2-9e6b2c3d4e5f\n#vwbeg\n\
                    view_id: 3 8f0a1c2e-edd5-11f1-a1b2-9e6b2c3d4e5f 2\nbootstrap: 0\n\
                    member: 8f0a1c2e-edd5-11f1-a1b2-9e6b2c3d4e5f 0\n\
                    member: 93b4d6f8-edd5-11f1-8c7d-3a4b5c6d7e8f 0\n#vwend\n";
        let ViewFile::View(v) = ViewFile::parse(text) else {
            panic!()
        };
        assert_eq!(
            v.my_uuid.as_deref(),
            Some("8f0a1c2e-edd5-11f1-a1b2-9e6b2c3d4e5f")
        );
        assert_eq!(v.bootstrap, Some(false));
        assert_eq!(v.members.len(), 2);
        assert_eq!(v.members[1], "93b4d6f8-edd5-11f1-8c7d-3a4b5c6d7e8f");
        assert!(v.view_id.unwrap().starts_with("3 "));
        assert_eq!(ViewFile::parse(" \n"), ViewFile::Empty);
    }

    #[test]
    fn a_join_starts_without_a_view_and_a_saved_one_counts() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!remove(dir.path()).unwrap(), "nothing to remove");
        let p = dir.path().join(GVWSTATE_FILE);
        std::fs::write(&p, "my_uuid: x\n#vwbeg\nview_id: 3 x 2\n#vwend\n").unwrap();
        assert!(view_saved(dir.path()));
        assert!(remove(dir.path()).unwrap());
        assert!(!p.exists());
        assert!(!view_saved(dir.path()));
        std::fs::write(&p, "").unwrap();
        assert!(!view_saved(dir.path()), "an empty file is no view");
    }

    #[test]
    fn empty_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ViewFile::read(dir.path()).unwrap(), ViewFile::Absent);
        assert!(!remove_if_empty(dir.path()).unwrap());
        let p = dir.path().join(GVWSTATE_FILE);
        std::fs::write(&p, "my_uuid: x\n").unwrap();
        assert!(!remove_if_empty(dir.path()).unwrap());
        assert!(p.exists());
        std::fs::write(&p, "").unwrap();
        assert!(remove_if_empty(dir.path()).unwrap());
        assert!(!p.exists());
    }
}
