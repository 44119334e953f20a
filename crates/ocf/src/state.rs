//! Small state files under `HA_RSCTMP` (a tmpfs: they vanish at reboot, as they should).

use std::io;
use std::path::{Path, PathBuf};

use crate::env::Env;

#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// `<HA_RSCTMP>/<agent>-<instance>.<what>`; the instance keeps several resources of one
    /// agent apart. `:` and `/` in the instance are replaced so the name stays one file.
    pub fn new(env: &Env, agent: &str, instance: &str, what: &str) -> StateFile {
        let safe: String = instance
            .chars()
            .map(|c| if c == '/' || c == ':' { '_' } else { c })
            .collect();
        StateFile {
            path: env.rsctmp().join(format!("{agent}-{safe}.{what}")),
        }
    }

    pub fn at(path: impl Into<PathBuf>) -> StateFile {
        StateFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    pub fn read(&self) -> Option<String> {
        std::fs::read_to_string(&self.path)
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// Atomic replace (write a temporary file, then rename), creating `HA_RSCTMP` if needed.
    pub fn write(&self, content: &str) -> io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, content)?;
        std::fs::rename(&tmp, &self.path)
    }

    /// Removes the file; a missing file is fine.
    pub fn remove(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_remove() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([("HA_RSCTMP", dir.path().join("sub").to_str().unwrap())]);
        let f = StateFile::new(&env, "galera-sync", "gs:1", "state");
        assert!(f.path().ends_with("sub/galera-sync-gs_1.state"));
        assert_eq!(f.read(), None);
        f.write("started\n").unwrap();
        assert_eq!(f.read().as_deref(), Some("started"));
        f.remove().unwrap();
        f.remove().unwrap();
        assert!(!f.exists());
    }
}
