//! The typed status of one node, parsed from `(Variable_name, Value)` rows.

use std::fmt;

use serde::Serialize;

/// The status variables read with `SHOW GLOBAL STATUS` (names compared case-insensitively).
pub const STATUS_VARIABLES: [&str; 9] = [
    "wsrep_local_state",
    "wsrep_local_state_comment",
    "wsrep_cluster_status",
    "wsrep_ready",
    "wsrep_connected",
    "wsrep_cluster_size",
    "Threads_connected",
    "wsrep_last_committed",
    "wsrep_cluster_state_uuid",
];

/// `wsrep_local_state`: the node's state in the group, by number (`wsrep_member_status_t` of
/// the wsrep API). The comment text is not reliable ("Joining: …" also appears with state 0),
/// so the number decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalState {
    /// 0 — "Initialized" (not in a primary component), or a failed state transfer.
    Undefined,
    /// 1 — "Joining": requesting or receiving SST/IST.
    Joiner,
    /// 2 — "Donor/Desynced": sending SST, or `wsrep_desync=ON`.
    Donor,
    /// 3 — "Joined": state received, catching up.
    Joined,
    /// 4 — "Synced".
    Synced,
    /// 5 — "Inconsistent": provider error.
    Error,
    /// Any number the wsrep API does not define.
    Unknown(u64),
}

impl LocalState {
    pub fn from_number(n: u64) -> LocalState {
        match n {
            0 => LocalState::Undefined,
            1 => LocalState::Joiner,
            2 => LocalState::Donor,
            3 => LocalState::Joined,
            4 => LocalState::Synced,
            5 => LocalState::Error,
            n => LocalState::Unknown(n),
        }
    }

    pub fn number(self) -> u64 {
        match self {
            LocalState::Undefined => 0,
            LocalState::Joiner => 1,
            LocalState::Donor => 2,
            LocalState::Joined => 3,
            LocalState::Synced => 4,
            LocalState::Error => 5,
            LocalState::Unknown(n) => n,
        }
    }
}

impl fmt::Display for LocalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            LocalState::Undefined => "Initialized",
            LocalState::Joiner => "Joining",
            LocalState::Donor => "Donor/Desynced",
            LocalState::Joined => "Joined",
            LocalState::Synced => "Synced",
            LocalState::Error => "Inconsistent",
            LocalState::Unknown(_) => "unknown",
        };
        write!(f, "{name} ({})", self.number())
    }
}

/// `wsrep_cluster_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterStatus {
    /// Part of the quorate component.
    Primary,
    /// In a partition without quorum: the node refuses application SQL.
    NonPrimary,
    /// Not connected to any component.
    Disconnected,
    /// A value this crate does not know.
    Other(String),
}

impl ClusterStatus {
    pub fn parse(text: &str) -> ClusterStatus {
        let t = text.trim();
        if t.eq_ignore_ascii_case("primary") {
            ClusterStatus::Primary
        } else if t.eq_ignore_ascii_case("non-primary") || t.eq_ignore_ascii_case("non_primary") {
            ClusterStatus::NonPrimary
        } else if t.eq_ignore_ascii_case("disconnected") {
            ClusterStatus::Disconnected
        } else {
            ClusterStatus::Other(t.to_string())
        }
    }
}

impl fmt::Display for ClusterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterStatus::Primary => f.write_str("Primary"),
            ClusterStatus::NonPrimary => f.write_str("non-Primary"),
            ClusterStatus::Disconnected => f.write_str("Disconnected"),
            ClusterStatus::Other(s) => write!(f, "'{s}'"),
        }
    }
}

/// What the server reported. A field is `None` when the server did not report it (a server
/// without a Galera provider has no `wsrep_local_state`) or reported something unparseable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WsrepStatus {
    pub local_state: Option<LocalState>,
    pub local_state_comment: Option<String>,
    pub cluster_status: Option<ClusterStatus>,
    pub ready: Option<bool>,
    pub connected: Option<bool>,
    pub cluster_size: Option<u64>,
    pub read_only: Option<bool>,
    pub max_connections: Option<u64>,
    pub threads_connected: Option<u64>,
    /// `wsrep_last_committed`: the seqno of the last write set committed on this node.
    pub last_committed: Option<u64>,
    /// `wsrep_cluster_state_uuid`: the cluster history UUID (as the server prints it).
    pub cluster_state_uuid: Option<String>,
}

impl WsrepStatus {
    /// Builds the status from `(name, value)` rows; unknown names are ignored, names compare
    /// case-insensitively (`information_schema` spells them in upper case).
    pub fn from_rows<N: AsRef<str>, V: AsRef<str>>(
        rows: impl IntoIterator<Item = (N, Option<V>)>,
    ) -> WsrepStatus {
        let mut s = WsrepStatus::default();
        for (name, value) in rows {
            let Some(value) = value else { continue };
            let v = value.as_ref().trim();
            match name.as_ref().to_ascii_lowercase().as_str() {
                "wsrep_local_state" => {
                    s.local_state = v.parse::<u64>().ok().map(LocalState::from_number)
                }
                "wsrep_local_state_comment" => s.local_state_comment = Some(v.to_string()),
                "wsrep_cluster_status" => s.cluster_status = Some(ClusterStatus::parse(v)),
                "wsrep_ready" => s.ready = parse_switch(v),
                "wsrep_connected" => s.connected = parse_switch(v),
                "wsrep_cluster_size" => s.cluster_size = v.parse().ok(),
                "read_only" => s.read_only = parse_switch(v),
                "max_connections" => s.max_connections = v.parse().ok(),
                "threads_connected" => s.threads_connected = v.parse().ok(),
                "wsrep_last_committed" => s.last_committed = v.parse().ok(),
                "wsrep_cluster_state_uuid" if !v.is_empty() => {
                    s.cluster_state_uuid = Some(v.to_string())
                }
                _ => {}
            }
        }
        s
    }

    /// One line for logs and `status`: `Synced (4), Primary, ready, size 3, 5/151 connections`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match self.local_state {
            Some(st) => parts.push(st.to_string()),
            None => parts.push("no wsrep_local_state".to_string()),
        }
        if let Some(c) = &self.cluster_status {
            parts.push(c.to_string());
        }
        match self.ready {
            Some(true) => parts.push("ready".into()),
            Some(false) => parts.push("not ready".into()),
            None => {}
        }
        if self.connected == Some(false) {
            parts.push("not connected".into());
        }
        if let Some(n) = self.cluster_size {
            parts.push(format!("size {n}"));
        }
        if self.read_only == Some(true) {
            parts.push("read_only".into());
        }
        if let (Some(t), Some(m)) = (self.threads_connected, self.max_connections) {
            parts.push(format!("{t}/{m} connections"));
        }
        parts.join(", ")
    }
}

/// `ON`/`OFF`, `1`/`0`, `true`/`false`.
fn parse_switch(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Some(true),
        "off" | "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_synced_node() {
        let rows = [
            ("wsrep_local_state", Some("4")),
            ("wsrep_local_state_comment", Some("Synced")),
            ("wsrep_cluster_status", Some("Primary")),
            ("wsrep_ready", Some("ON")),
            ("wsrep_connected", Some("ON")),
            ("wsrep_cluster_size", Some("3")),
            ("Threads_connected", Some("2")),
            ("read_only", Some("0")),
            ("MAX_CONNECTIONS", Some("151")),
            ("wsrep_unrelated", Some("x")),
            ("wsrep_provider_name", None),
            ("wsrep_last_committed", Some("42")),
            (
                "wsrep_cluster_state_uuid",
                Some("726d00b4-edd5-11f1-9512-47940ce49375"),
            ),
        ];
        let s = WsrepStatus::from_rows(rows);
        assert_eq!(s.local_state, Some(LocalState::Synced));
        assert_eq!(s.cluster_status, Some(ClusterStatus::Primary));
        assert_eq!(s.ready, Some(true));
        assert_eq!(s.connected, Some(true));
        assert_eq!(s.cluster_size, Some(3));
        assert_eq!(s.read_only, Some(false));
        assert_eq!(s.max_connections, Some(151));
        assert_eq!(s.threads_connected, Some(2));
        assert_eq!(s.last_committed, Some(42));
        assert_eq!(
            s.cluster_state_uuid.as_deref(),
            Some("726d00b4-edd5-11f1-9512-47940ce49375")
        );
        assert_eq!(
            s.summary(),
            "Synced (4), Primary, ready, size 3, 2/151 connections"
        );
    }

    #[test]
    fn parses_odd_values() {
        let s = WsrepStatus::from_rows([
            ("WSREP_LOCAL_STATE", Some("junk")),
            ("wsrep_cluster_status", Some("non-Primary")),
            ("wsrep_ready", Some("maybe")),
        ]);
        assert_eq!(s.local_state, None);
        assert_eq!(s.cluster_status, Some(ClusterStatus::NonPrimary));
        assert_eq!(s.ready, None);
        // A server without a provider reports an empty uuid and -1.
        let s = WsrepStatus::from_rows([
            ("wsrep_cluster_state_uuid", Some("")),
            ("wsrep_last_committed", Some("-1")),
        ]);
        assert_eq!((s.cluster_state_uuid, s.last_committed), (None, None));
        assert_eq!(
            ClusterStatus::parse("DISCONNECTED"),
            ClusterStatus::Disconnected
        );
        assert_eq!(
            ClusterStatus::parse("weird"),
            ClusterStatus::Other("weird".into())
        );
        for n in 0..8 {
            assert_eq!(LocalState::from_number(n).number(), n);
        }
    }
}
