//! The state file (`$HA_RSCTMP/galera-sync-<instance>.state`): "started", plus the value last
//! published, so a monitor calls attrd_updater only when something changes.
//!
//! When to publish (see [`why_publish`]):
//! - the value differs from the one last published by this resource, or nothing was published;
//! - start and probes always publish (after a Pacemaker restart on the node the transient
//!   attribute is gone while HA_RSCTMP survives);
//! - 0 is re-published at every monitor: `wsrep-notify` may have pushed a 1 that only looked at
//!   the wsrep state, while the connections or read_only still make the node unhealthy;
//! - a 1 is re-published once it is [`REFRESH`] old, so an attribute lost by attrd (or blanked
//!   by hand) comes back without a query per monitor.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ocf::state::StateFile;

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

/// This resource's state file.
pub fn state_file(ctx: &ocf::Context) -> StateFile {
    StateFile::new(&ctx.env, ctx.info.name, ctx.instance(), "state")
}

pub fn write_state(file: &StateFile, state: &State) -> Result<(), GaleraSyncError> {
    file.write(&state.render())
        .map_err(|source| GaleraSyncError::StateFile {
            path: file.path().to_path_buf(),
            source,
        })
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Why `value` must be published now, or `None` when attrd already has it.
/// `forced`: start or a probe, which always publish (the reason is logged).
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
}
