//! The instance's state file under HA_RSCTMP: whether it is started (and in which role), and
//! what it last published, so a steady-state monitor calls no cluster tool.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use galera_lifecycle::{LocalState, Position, Recovered};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    #[default]
    Unpromoted,
    Promoted,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub role: Role,
    /// When start ran (unix seconds): the election's waiting time counts from here.
    pub started: u64,
    /// What `--wsrep-recover` gave at start or demote (promote needs it for the start
    /// position and must not run the recovery again).
    pub recovered: Option<RecoveredRecord>,
    /// The last value of the state attribute.
    pub published: Option<String>,
    pub wait: Option<String>,
    pub health: Option<u8>,
    pub score: Option<i64>,
    /// Since when a running server is outside the Primary component (unix seconds).
    pub not_primary_since: Option<u64>,
    /// The last time this instance saw its server in a Primary component (unix seconds).
    /// Kept across stop and start (in the `.primary` file) for two_node_mode.
    pub primary_at: Option<u64>,
    /// The server was stopped while it was Primary (a clean leave: the peer may have gone on
    /// committing alone); cleared when it is Primary again.
    pub left_primary: bool,
    /// The peer this node last gave the bootstrap score (an election over every node's
    /// report named it): given once, not at every monitor.
    pub granted: Option<String>,
}

/// A recovered position as the state file keeps it (the lines `recovered`,
/// `recovered_rolled_back`, `recovered_stamp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredRecord {
    /// The position, as written (parsed when it is used).
    pub position: String,
    /// How many prepared transactions that recovery rolled back (the report says so).
    pub rolled_back: Option<u64>,
    /// The datadir's stamp when that position was last known to be its data's (just after the
    /// recovery, or a start that found the stamp unchanged): while it holds, the position does.
    pub stamp: Option<String>,
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl State {
    pub fn parse(text: &str) -> State {
        let mut s = State::default();
        let (mut position, mut rolled_back, mut stamp) = (None, None, None);
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim();
            match k.trim() {
                "role" => {
                    s.role = if v == "promoted" {
                        Role::Promoted
                    } else {
                        Role::Unpromoted
                    }
                }
                "started" => s.started = v.parse().unwrap_or(0),
                "recovered" => position = Some(v.to_string()),
                "recovered_rolled_back" => rolled_back = v.parse().ok(),
                "recovered_stamp" => stamp = Some(v.to_string()),
                "published" => s.published = Some(v.to_string()),
                "wait" => s.wait = Some(v.to_string()),
                "health" => s.health = v.parse().ok(),
                "score" => s.score = v.parse().ok(),
                "not_primary_since" => s.not_primary_since = v.parse().ok(),
                "primary_at" => s.primary_at = v.parse().ok(),
                "left_primary" => s.left_primary = v == "1",
                "granted" => s.granted = Some(v.to_string()),
                _ => {}
            }
        }
        // The other two lines are only ever written with a position.
        s.recovered = position.map(|position| RecoveredRecord {
            position,
            rolled_back,
            stamp,
        });
        s
    }

    pub fn render(&self) -> String {
        let mut out = format!(
            "role={}\nstarted={}\n",
            match self.role {
                Role::Promoted => "promoted",
                Role::Unpromoted => "unpromoted",
            },
            self.started
        );
        let mut line = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                // One line per value: a newline would start a forged key.
                out.push_str(&format!("{k}={}\n", v.replace(['\n', '\r'], " ")));
            }
        };
        let r = self.recovered.as_ref();
        line("recovered", r.map(|r| r.position.clone()));
        line(
            "recovered_rolled_back",
            r.and_then(|r| r.rolled_back).map(|n| n.to_string()),
        );
        line("recovered_stamp", r.and_then(|r| r.stamp.clone()));
        line("published", self.published.clone());
        line("wait", self.wait.clone());
        line("health", self.health.map(|h| h.to_string()));
        line("score", self.score.map(|h| h.to_string()));
        line(
            "not_primary_since",
            self.not_primary_since.map(|h| h.to_string()),
        );
        line("primary_at", self.primary_at.map(|h| h.to_string()));
        line("granted", self.granted.clone());
        if self.left_primary {
            out.push_str("left_primary=1\n");
        }
        out
    }

    /// Records that the server is in a Primary component now.
    pub fn saw_primary(&mut self) {
        self.primary_at = Some(now_secs());
        self.left_primary = false;
    }

    /// Records the position `local` holds from `--wsrep-recover` (now or earlier), and the
    /// datadir's stamp that vouches for it (`None`: none does).
    pub fn set_recovered(&mut self, local: &LocalState, stamp: Option<String>) {
        self.recovered = local.recovered.as_ref().map(|r| RecoveredRecord {
            position: r.position.to_string(),
            rolled_back: r.rolled_back,
            stamp,
        });
    }

    /// The recovered position as the library takes it back.
    pub fn recovered(&self) -> Option<Recovered> {
        let r = self.recovered.as_ref()?;
        let position = Position::parse(&r.position).ok()?;
        Some(Recovered {
            position,
            rolled_back: r.rolled_back,
            elapsed: Duration::ZERO,
        })
    }

    /// The part kept across a stop for the next start: the recovered position, while its
    /// stamp holds (empty without one).
    pub fn recovered_record(&self) -> String {
        let Some(RecoveredRecord {
            position,
            rolled_back,
            stamp: Some(stamp),
        }) = &self.recovered
        else {
            return String::new();
        };
        // Neither holds a newline: a position parses, a stamp is one line (DataStamp).
        let mut out = format!("recovered={position}\nrecovered_stamp={stamp}\n");
        if let Some(n) = rolled_back {
            out.push_str(&format!("recovered_rolled_back={n}\n"));
        }
        out
    }

    /// The part kept across stop and start: `primary_at`, `left_primary`.
    pub fn primary_record(&self) -> String {
        let mut out = String::new();
        if let Some(t) = self.primary_at {
            out.push_str(&format!("primary_at={t}\n"));
        }
        if self.left_primary {
            out.push_str("left_primary=1\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = State {
            role: Role::Promoted,
            started: 17,
            recovered: Some(RecoveredRecord {
                position: "726d00b4-edd5-11f1-9512-47940ce49375:5".into(),
                rolled_back: Some(2),
                stamp: Some("1:2:3:4.000000005:6.000000007;-".into()),
            }),
            published: Some("primary".into()),
            wait: Some("waiting for n3\nrole=x".into()),
            health: Some(1),
            score: Some(100),
            not_primary_since: Some(3),
            primary_at: Some(40),
            left_primary: true,
            granted: Some("n3".into()),
        };
        let back = State::parse(&s.render());
        assert_eq!(back, State::parse(&s.render()));
        assert_eq!((back.primary_at, back.left_primary), (Some(40), true));
        let kept = State::parse(&s.primary_record());
        assert_eq!((kept.primary_at, kept.left_primary), (Some(40), true));
        assert_eq!(back.role, Role::Promoted);
        assert_eq!(back.wait.as_deref(), Some("waiting for n3 role=x"));
        assert_eq!(back.score, Some(100));
        assert_eq!(back.granted.as_deref(), Some("n3"));
        assert_eq!(back.recovered, s.recovered);
        let kept = State::parse(&s.recovered_record());
        assert_eq!(kept.recovered, s.recovered);
        assert_eq!(kept.recovered.unwrap().rolled_back, Some(2));
        assert_eq!(back.recovered().unwrap().rolled_back, Some(2));
        let mut unvouched = s.clone();
        unvouched.recovered.as_mut().unwrap().stamp = None;
        assert_eq!(unvouched.recovered_record(), "", "no stamp, nothing kept");
        assert_eq!(State::parse(""), State::default());
    }

    /// The file format, both ways: state files and kept records written by earlier versions
    /// read back the same.
    #[test]
    fn the_file_format_is_kept() {
        const FILE: &str = "role=promoted\nstarted=17\n\
                            recovered=726d00b4-edd5-11f1-9512-47940ce49375:5\n\
                            recovered_rolled_back=2\n\
                            recovered_stamp=1:2:3:4.000000005:6.000000007;-\n\
                            published=primary\nwait=waiting for n3\nhealth=1\nscore=100\n\
                            not_primary_since=3\nprimary_at=40\ngranted=n3\nleft_primary=1\n";
        const RECORD: &str = "recovered=726d00b4-edd5-11f1-9512-47940ce49375:5\n\
                              recovered_stamp=1:2:3:4.000000005:6.000000007;-\n\
                              recovered_rolled_back=2\n";
        let s = State::parse(FILE);
        assert_eq!(s.render(), FILE);
        assert_eq!(s.recovered_record(), RECORD);
        let r = s.recovered().unwrap();
        assert_eq!(
            r.position.to_string(),
            "726d00b4-edd5-11f1-9512-47940ce49375:5"
        );
        assert_eq!(r.rolled_back, Some(2));
        let kept = State::parse(RECORD);
        assert_eq!(kept.recovered, s.recovered);
        assert_eq!(kept.recovered_record(), RECORD);
    }
}
