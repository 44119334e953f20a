//! The state file (`$HA_RSCTMP/galera-sync-<instance>.state`): "started", plus the value last
//! published, so a monitor calls attrd_updater only when something changes.
//!
//! Started means: that path is a regular file. Whatever else is there — nothing, a directory,
//! a FIFO, a path through a file, a directory we may not enter, a name too long — nothing can
//! have been started through it, so monitor answers 7 and stop 0 (a FIFO is never opened for
//! reading, which would block). Start writes the file (atomically: a temporary file, then a
//! rename), and fails with a reason when `HA_RSCTMP` cannot hold it.
//!
//! When to publish (see [`why_publish`]):
//! - the value differs from the one last published by this resource, or nothing was published;
//! - start, reload-agent and probes always publish (after a Pacemaker restart on the node the
//!   transient attribute is gone while HA_RSCTMP survives);
//! - 0 is re-published at every monitor: `wsrep-notify` may have pushed a 1 that only looked at
//!   the wsrep state, while the connections or read_only still make the node unhealthy;
//! - a 1 is re-published once it is [`REFRESH`] old, so an attribute lost by attrd (or blanked
//!   by hand) comes back without a query per monitor.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::GaleraSyncError;

/// Republish an unchanged 1 after this long.
pub const REFRESH: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub value: u8,
    /// Seconds since the epoch.
    pub at: u64,
}

/// The file's content: present at all = started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct State {
    pub published: Option<Published>,
}

impl State {
    pub fn parse(text: &str) -> State {
        let mut value = None;
        let mut at = None;
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                match k.trim() {
                    "value" => value = v.trim().parse::<u8>().ok().filter(|v| *v <= 1),
                    "published" => at = v.trim().parse::<u64>().ok(),
                    _ => {}
                }
            }
        }
        State {
            published: value.zip(at).map(|(value, at)| Published { value, at }),
        }
    }

    pub fn render(&self) -> String {
        match self.published {
            None => "started\n".to_string(),
            Some(p) => format!("started\nvalue={}\npublished={}\n", p.value, p.at),
        }
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Why `value` must be published now, or `None` when attrd already has it.
/// `forced`: start, reload-agent or a probe, which always publish (the reason is logged).
pub fn why_publish(
    value: u8,
    last: Option<Published>,
    now: u64,
    forced: Option<&'static str>,
) -> Option<&'static str> {
    if forced.is_some() {
        return forced;
    }
    let Some(last) = last else {
        return Some("nothing published yet");
    };
    if last.value != value {
        return Some("value changed");
    }
    if value == 0 {
        return Some("0 is re-published at every monitor");
    }
    // A clock that went backwards also refreshes.
    if now < last.at || now - last.at >= REFRESH.as_secs() {
        return Some("periodic refresh");
    }
    None
}

/// What is at the state file's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A regular file: started, with what it records (unreadable content counts as nothing
    /// published yet).
    Started(State),
    /// Nothing: not started.
    Absent,
    /// Something this agent never makes, or a path that cannot be looked at: not started.
    Unusable(String),
}

/// Longest file name (NAME_MAX of Linux file systems).
const NAME_MAX: usize = 255;
/// The state file is a few lines; more is not ours.
const READ_LIMIT: u64 = 4096;

/// This resource's state file.
#[derive(Debug, Clone)]
pub struct StateFile {
    dir: PathBuf,
    path: PathBuf,
    instance_len: usize,
}

impl StateFile {
    pub fn of(ctx: &ocf::Context) -> StateFile {
        StateFile::new(&ctx.env, ctx.info.name, ctx.instance())
    }

    pub fn new(env: &ocf::Env, agent: &str, instance: &str) -> StateFile {
        let file = ocf::state::StateFile::new(env, agent, instance, "state");
        StateFile {
            dir: env.rsctmp(),
            path: file.path().to_path_buf(),
            instance_len: instance.len(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The longest resource id whose state file name fits.
    fn instance_max(&self) -> usize {
        let name_len = self.path.file_name().map_or(0, |n| n.len());
        NAME_MAX.saturating_sub(name_len.saturating_sub(self.instance_len))
    }

    /// Start's first check: the name must fit (the resource id is the same on every node).
    pub fn check_name(&self) -> Result<(), GaleraSyncError> {
        let max = self.instance_max();
        if self.instance_len > max {
            return Err(GaleraSyncError::InstanceTooLong {
                len: self.instance_len,
                max,
            });
        }
        Ok(())
    }

    /// Looks at the path without ever blocking.
    pub fn find(&self) -> Found {
        match std::fs::metadata(&self.path) {
            Ok(m) if m.is_file() => Found::Started(self.read()),
            Ok(m) if m.is_dir() => Found::Unusable("is a directory".into()),
            Ok(_) => Found::Unusable("is not a regular file".into()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Found::Absent,
            Err(e) => Found::Unusable(e.to_string()),
        }
    }

    fn read(&self) -> State {
        let mut text = String::new();
        let read = File::options()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&self.path)
            .and_then(|f| f.take(READ_LIMIT).read_to_string(&mut text));
        match read {
            Ok(_) => State::parse(&text),
            Err(e) => {
                tracing::warn!(
                    "state file {}: {e}; as if nothing was published",
                    self.path.display()
                );
                State::default()
            }
        }
    }

    /// Writes `state` (a temporary file in the same directory, then a rename), creating
    /// `HA_RSCTMP` if it does not exist.
    pub fn write(&self, state: &State) -> Result<(), GaleraSyncError> {
        self.check_name()?;
        let dir_error = |source| GaleraSyncError::StateDir {
            dir: self.dir.clone(),
            source,
        };
        match std::fs::metadata(&self.dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(dir_error(io::Error::from_raw_os_error(libc::ENOTDIR))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.dir).map_err(dir_error)?;
            }
            Err(e) => return Err(dir_error(e)),
        }
        // Named after the process, not the resource: it fits whenever the state file does.
        let tmp = self
            .dir
            .join(format!(".galera-sync.tmp{}", std::process::id()));
        let file_error = |source| GaleraSyncError::StateFile {
            path: self.path.clone(),
            op: "written",
            source,
        };
        let mut f = File::create(&tmp).map_err(dir_error)?;
        let written = f
            .write_all(state.render().as_bytes())
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(file_error(e));
        }
        Ok(())
    }

    /// Removes the state file. Nothing to remove (see [`Found`]) is success; a state file that
    /// stays would let the next monitor say "running", so that is an error.
    pub fn remove(&self) -> Result<(), GaleraSyncError> {
        match self.find() {
            Found::Absent => Ok(()),
            Found::Unusable(why) => {
                tracing::warn!(
                    "state file {} {why}: nothing of this resource there to remove",
                    self.path.display()
                );
                Ok(())
            }
            Found::Started(_) => match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(GaleraSyncError::StateFile {
                    path: self.path.clone(),
                    op: "removed",
                    source: e,
                }),
                _ => Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = State {
            published: Some(Published { value: 1, at: 1700 }),
        };
        assert_eq!(State::parse(&s.render()), s);
        assert_eq!(State::parse("started\n"), State::default());
        assert_eq!(
            State::parse("started\nvalue=7\npublished=1\n"),
            State::default()
        );
        assert_eq!(State::parse("garbage"), State::default());
        assert_eq!(State::default().render(), "started\n");
    }

    #[test]
    fn publish_decisions() {
        let p = |value, at| Some(Published { value, at });
        assert_eq!(
            why_publish(1, None, 100, None),
            Some("nothing published yet")
        );
        assert_eq!(why_publish(1, p(1, 100), 100, Some("start")), Some("start"));
        assert_eq!(why_publish(1, p(1, 90), 100, None), None, "unchanged 1");
        assert_eq!(why_publish(0, p(1, 90), 100, None), Some("value changed"));
        assert_eq!(why_publish(1, p(0, 90), 100, None), Some("value changed"));
        assert!(why_publish(0, p(0, 99), 100, None).is_some(), "0 always");
        assert_eq!(
            why_publish(1, p(1, 100 - REFRESH.as_secs()), 100, None),
            Some("periodic refresh")
        );
        assert_eq!(
            why_publish(1, p(1, 200), 100, None),
            Some("periodic refresh")
        );
    }

    fn store(rsctmp: &Path, instance: &str) -> StateFile {
        let env = ocf::Env::from_pairs([("HA_RSCTMP", rsctmp.to_str().unwrap())]);
        StateFile::new(&env, "galera-sync", instance)
    }

    fn rc(e: &GaleraSyncError) -> ocf::OcfRc {
        ocf::Failure::rc(e)
    }

    #[test]
    fn write_find_remove() {
        let dir = tempfile::tempdir().unwrap();
        let f = store(&dir.path().join("sub"), "gs:1");
        assert!(f.path().ends_with("sub/galera-sync-gs_1.state"));
        assert_eq!(f.find(), Found::Absent);
        f.remove().unwrap();
        let s = State {
            published: Some(Published { value: 1, at: 5 }),
        };
        f.write(&s).unwrap();
        assert_eq!(f.find(), Found::Started(s));
        f.remove().unwrap();
        assert_eq!(f.find(), Found::Absent);
        let left: Vec<_> = std::fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn odd_directories_mean_not_started_and_start_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let too_long = dir.path().join("n".repeat(5000));
        for (what, rsctmp, code) in [
            ("a file", file.clone(), ocf::OcfRc::ErrInstalled),
            ("a FIFO", fifo, ocf::OcfRc::ErrInstalled),
            (
                "through a file",
                file.join("below"),
                ocf::OcfRc::ErrInstalled,
            ),
            ("too long", too_long, ocf::OcfRc::ErrInstalled),
        ] {
            let f = store(&rsctmp, "gs");
            assert!(
                matches!(f.find(), Found::Unusable(_) | Found::Absent),
                "{what}"
            );
            f.remove()
                .unwrap_or_else(|e| panic!("{what}: stop must succeed: {e}"));
            let e = f.write(&State::default()).unwrap_err();
            assert_eq!(rc(&e), code, "{what}: {e}");
            assert!(e.to_string().starts_with("HA_RSCTMP "), "{what}: {e}");
        }
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x", "left alone");
    }

    #[test]
    fn odd_state_files_are_never_opened_and_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let f = store(dir.path(), "gs");
        nix::unistd::mkfifo(f.path(), nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        // Opening a FIFO for reading would block until a writer comes.
        assert_eq!(f.find(), Found::Unusable("is not a regular file".into()));
        f.remove().unwrap();
        assert!(f.path().exists(), "not ours: left alone");
        // Start replaces it.
        f.write(&State::default()).unwrap();
        assert_eq!(f.find(), Found::Started(State::default()));
        std::fs::remove_file(f.path()).unwrap();
        std::fs::create_dir(f.path()).unwrap();
        assert_eq!(f.find(), Found::Unusable("is a directory".into()));
        f.remove().unwrap();
        let e = f.write(&State::default()).unwrap_err();
        assert_eq!(rc(&e), ocf::OcfRc::ErrInstalled, "{e}");
        assert!(e.to_string().starts_with("state file "), "{e}");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["galera-sync-gs.state"], "no temporary file left");
    }

    #[test]
    fn a_resource_id_too_long_for_a_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let fits = "i".repeat(255 - "galera-sync-.state".len());
        let f = store(dir.path(), &fits);
        f.write(&State::default()).unwrap();
        f.remove().unwrap();
        let f = store(dir.path(), &format!("{fits}i"));
        assert!(matches!(f.find(), Found::Unusable(_)));
        f.remove().unwrap();
        let e = f.write(&State::default()).unwrap_err();
        assert_eq!(rc(&e), ocf::OcfRc::ErrConfigured, "{e}");
        assert_eq!(
            e.to_string(),
            "resource id too long for a state file name (238 bytes, at most 237)"
        );
    }

    #[test]
    fn a_huge_state_file_is_read_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let f = store(dir.path(), "gs");
        let big = std::fs::File::create(f.path()).unwrap();
        big.set_len(1 << 40).unwrap();
        assert_eq!(f.find(), Found::Started(State::default()));
    }
}
