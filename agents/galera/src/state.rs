//! The instance's state file under HA_RSCTMP: whether it is started (and in which role), and
//! what it last published, so a steady-state monitor calls no cluster tool.

use std::time::{SystemTime, UNIX_EPOCH};

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
    /// The position `--wsrep-recover` gave at start or demote (promote needs it for the
    /// start position and must not run the recovery again).
    pub recovered: Option<String>,
    /// The last value of the state attribute.
    pub published: Option<String>,
    pub wait: Option<String>,
    pub health: Option<u8>,
    pub score: Option<i64>,
    /// Since when a running server is outside the Primary component (unix seconds).
    pub not_primary_since: Option<u64>,
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl State {
    pub fn parse(text: &str) -> State {
        let mut s = State::default();
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
                "recovered" => s.recovered = Some(v.to_string()),
                "published" => s.published = Some(v.to_string()),
                "wait" => s.wait = Some(v.to_string()),
                "health" => s.health = v.parse().ok(),
                "score" => s.score = v.parse().ok(),
                "not_primary_since" => s.not_primary_since = v.parse().ok(),
                _ => {}
            }
        }
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
        line("recovered", self.recovered.clone());
        line("published", self.published.clone());
        line("wait", self.wait.clone());
        line("health", self.health.map(|h| h.to_string()));
        line("score", self.score.map(|h| h.to_string()));
        line(
            "not_primary_since",
            self.not_primary_since.map(|h| h.to_string()),
        );
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
            recovered: Some("726d00b4-edd5-11f1-9512-47940ce49375:5".into()),
            published: Some("primary".into()),
            wait: Some("waiting for n3\nrole=x".into()),
            health: Some(1),
            score: Some(100),
            not_primary_since: Some(3),
        };
        let back = State::parse(&s.render());
        assert_eq!(back.role, Role::Promoted);
        assert_eq!(back.wait.as_deref(), Some("waiting for n3 role=x"));
        assert_eq!(back.score, Some(100));
        assert_eq!(back.recovered, s.recovered);
        assert_eq!(State::parse(""), State::default());
    }
}
