//! From a status (or the error that kept us from reading one) to healthy / unhealthy + reason.

use std::fmt;

use serde::Serialize;

use crate::error::StatusError;
use crate::status::{ClusterStatus, LocalState, WsrepStatus};

/// What the operator decides about borderline states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Donor/Desynced (2) counts as healthy (a node serving an SST or a backup still takes
    /// writes, slower).
    pub donor_ok: bool,
    /// How many client connections must still be free (besides our own); 0 disables the check.
    pub connections_reserve: u64,
}

impl Policy {
    /// The defaults: Donor/Desynced is unhealthy, two connections must stay free.
    pub const DEFAULT: Policy = Policy {
        donor_ok: false,
        connections_reserve: 2,
    };
}

impl Default for Policy {
    fn default() -> Self {
        Policy::DEFAULT
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "health", content = "reason", rename_all = "snake_case")]
pub enum Health {
    Healthy,
    Unhealthy(Reason),
}

impl Health {
    pub fn is_healthy(&self) -> bool {
        matches!(self, Health::Healthy)
    }

    /// The node attribute value: 1 healthy, 0 not.
    pub fn value(&self) -> u8 {
        u8::from(self.is_healthy())
    }

    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Health::Healthy => None,
            Health::Unhealthy(r) => Some(r),
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Health::Healthy => f.write_str("healthy"),
            Health::Unhealthy(r) => write!(f, "unhealthy: {r}"),
        }
    }
}

/// Why a node is unhealthy. The first failing check wins, in the order of the variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The status could not be read at all (not running, refused, timeout, denied, …).
    Unreachable { error: StatusError },
    /// A MariaDB without a Galera provider (`wsrep_local_state` and friends are missing).
    NotGalera,
    /// `wsrep_cluster_status=Disconnected` or `wsrep_connected=OFF`.
    Disconnected,
    /// `wsrep_cluster_status=non-Primary` (or an unknown value): no quorum.
    NonPrimary { cluster_status: String },
    /// State 0: initialized but not joined, or a failed state transfer.
    Initialized,
    /// State 1: receiving a state transfer.
    Joining,
    /// State 2 without `donor_ok`.
    DonorDesynced,
    /// State 3: state received, catching up.
    Joined,
    /// State 5: the provider marked the node inconsistent.
    Inconsistent,
    /// A state number the wsrep API does not define.
    UnknownState { state: u64 },
    /// `wsrep_ready=OFF`: the node does not accept application SQL.
    NotReady,
    /// `read_only=ON`: the node would refuse the writes a VIP brings (clustercheck's
    /// "reject read-only" option, always on here).
    ReadOnly,
    /// Fewer than `connections_reserve` free client connections.
    TooFewConnections { free: u64, reserve: u64 },
}

impl Reason {
    /// A stable snake_case name (the JSON `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::Unreachable { .. } => "unreachable",
            Reason::NotGalera => "not_galera",
            Reason::Disconnected => "disconnected",
            Reason::NonPrimary { .. } => "non_primary",
            Reason::Initialized => "initialized",
            Reason::Joining => "joining",
            Reason::DonorDesynced => "donor_desynced",
            Reason::Joined => "joined",
            Reason::Inconsistent => "inconsistent",
            Reason::UnknownState { .. } => "unknown_state",
            Reason::NotReady => "not_ready",
            Reason::ReadOnly => "read_only",
            Reason::TooFewConnections { .. } => "too_few_connections",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Unreachable { error } => write!(f, "unreachable: {error}"),
            Reason::NotGalera => f.write_str("not a Galera node (no wsrep_local_state)"),
            Reason::Disconnected => f.write_str("disconnected from the cluster"),
            Reason::NonPrimary { cluster_status } => {
                write!(f, "not in the Primary component ({cluster_status})")
            }
            Reason::Initialized => f.write_str("Initialized (0): not joined"),
            Reason::Joining => f.write_str("Joining (1): receiving a state transfer"),
            Reason::DonorDesynced => f.write_str("Donor/Desynced (2) and donor_ok is off"),
            Reason::Joined => f.write_str("Joined (3): catching up"),
            Reason::Inconsistent => f.write_str("Inconsistent (5)"),
            Reason::UnknownState { state } => write!(f, "unknown wsrep_local_state {state}"),
            Reason::NotReady => f.write_str("wsrep_ready is OFF"),
            Reason::ReadOnly => f.write_str("read_only is ON"),
            Reason::TooFewConnections { free, reserve } => write!(
                f,
                "only {free} free connection(s), connections_reserve is {reserve}"
            ),
        }
    }
}

/// Classifies what a fetch returned.
pub fn classify(fetched: &Result<WsrepStatus, StatusError>, policy: Policy) -> Health {
    match fetched {
        Ok(status) => classify_status(status, policy),
        Err(error) => Health::Unhealthy(Reason::Unreachable {
            error: error.clone(),
        }),
    }
}

fn classify_status(s: &WsrepStatus, policy: Policy) -> Health {
    let bad = Health::Unhealthy;
    let (Some(state), Some(cluster), Some(ready)) = (s.local_state, &s.cluster_status, s.ready)
    else {
        return bad(Reason::NotGalera);
    };
    if *cluster == ClusterStatus::Disconnected || s.connected == Some(false) {
        return bad(Reason::Disconnected);
    }
    if *cluster != ClusterStatus::Primary {
        return bad(Reason::NonPrimary {
            cluster_status: cluster.to_string(),
        });
    }
    match state {
        LocalState::Synced => {}
        LocalState::Donor if policy.donor_ok => {}
        LocalState::Donor => return bad(Reason::DonorDesynced),
        LocalState::Undefined => return bad(Reason::Initialized),
        LocalState::Joiner => return bad(Reason::Joining),
        LocalState::Joined => return bad(Reason::Joined),
        LocalState::Error => return bad(Reason::Inconsistent),
        LocalState::Unknown(state) => return bad(Reason::UnknownState { state }),
    }
    if !ready {
        return bad(Reason::NotReady);
    }
    if s.read_only == Some(true) {
        return bad(Reason::ReadOnly);
    }
    if policy.connections_reserve > 0 {
        if let (Some(max), Some(threads)) = (s.max_connections, s.threads_connected) {
            // Threads_connected counts our own connection, which ends right after.
            let others = threads.saturating_sub(1);
            let free = max.saturating_sub(others);
            if free < policy.connections_reserve {
                return bad(Reason::TooFewConnections {
                    free,
                    reserve: policy.connections_reserve,
                });
            }
        }
    }
    Health::Healthy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(state: Option<u64>, cluster: Option<&str>, ready: Option<&str>) -> WsrepStatus {
        let mut rows: Vec<(&str, Option<String>)> = vec![
            ("wsrep_connected", Some("ON".into())),
            ("wsrep_cluster_size", Some("3".into())),
            ("read_only", Some("0".into())),
            ("max_connections", Some("20".into())),
            ("Threads_connected", Some("3".into())),
        ];
        rows.push(("wsrep_local_state", state.map(|n| n.to_string())));
        rows.push(("wsrep_cluster_status", cluster.map(str::to_string)));
        rows.push(("wsrep_ready", ready.map(str::to_string)));
        WsrepStatus::from_rows(rows)
    }

    const STRICT: Policy = Policy {
        donor_ok: false,
        connections_reserve: 2,
    };
    const DONOR_OK: Policy = Policy {
        donor_ok: true,
        connections_reserve: 2,
    };

    fn kind(h: &Health) -> &'static str {
        h.reason().map(Reason::kind).unwrap_or("healthy")
    }

    /// state, wsrep_cluster_status, wsrep_ready, expected kind (strict), expected (donor_ok)
    type Row = (
        Option<u64>,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
        &'static str,
    );

    /// The whole table: every state number 0–6, each cluster status, ready on/off/missing,
    /// with and without donor_ok.
    #[test]
    fn classification_table() {
        #[rustfmt::skip]
        let table: &[Row] = &[
            // state, cluster_status, wsrep_ready, strict, donor_ok
            (Some(4), Some("Primary"), Some("ON"), "healthy", "healthy"),
            (Some(4), Some("Primary"), Some("OFF"), "not_ready", "not_ready"),
            (Some(0), Some("Primary"), Some("ON"), "initialized", "initialized"),
            (Some(1), Some("Primary"), Some("ON"), "joining", "joining"),
            (Some(1), Some("Primary"), Some("OFF"), "joining", "joining"),
            (Some(2), Some("Primary"), Some("ON"), "donor_desynced", "healthy"),
            (Some(2), Some("Primary"), Some("OFF"), "donor_desynced", "not_ready"),
            (Some(3), Some("Primary"), Some("ON"), "joined", "joined"),
            (Some(5), Some("Primary"), Some("ON"), "inconsistent", "inconsistent"),
            (Some(6), Some("Primary"), Some("ON"), "unknown_state", "unknown_state"),
            (Some(0), Some("non-Primary"), Some("OFF"), "non_primary", "non_primary"),
            (Some(4), Some("non-Primary"), Some("ON"), "non_primary", "non_primary"),
            (Some(2), Some("non-Primary"), Some("ON"), "non_primary", "non_primary"),
            (Some(4), Some("Something"), Some("ON"), "non_primary", "non_primary"),
            (Some(0), Some("Disconnected"), Some("OFF"), "disconnected", "disconnected"),
            (Some(4), Some("Disconnected"), Some("ON"), "disconnected", "disconnected"),
            // a MariaDB without a provider: wsrep_cluster_status=Disconnected, no local state
            (None, Some("Disconnected"), Some("OFF"), "not_galera", "not_galera"),
            (Some(4), None, Some("ON"), "not_galera", "not_galera"),
            (Some(4), Some("Primary"), None, "not_galera", "not_galera"),
            (None, None, None, "not_galera", "not_galera"),
        ];
        for (state, cluster, ready, strict, donor_ok) in table {
            let s = node(*state, *cluster, *ready);
            let what = format!("state {state:?} cluster {cluster:?} ready {ready:?}");
            let h = classify(&Ok(s.clone()), STRICT);
            assert_eq!(kind(&h), *strict, "strict: {what}: {h}");
            assert_eq!(h.value(), u8::from(*strict == "healthy"), "{what}");
            let h = classify(&Ok(s), DONOR_OK);
            assert_eq!(kind(&h), *donor_ok, "donor_ok: {what}: {h}");
        }
    }

    /// A synced Primary node that is not connected, or read-only, is unhealthy for that reason.
    #[test]
    fn not_connected_or_read_only_is_unhealthy() {
        type Change = fn(&mut WsrepStatus);
        for (change, policy, reason) in [
            (
                (|s| s.connected = Some(false)) as Change,
                STRICT,
                Reason::Disconnected,
            ),
            (|s| s.read_only = Some(true), DONOR_OK, Reason::ReadOnly),
        ] {
            let mut s = node(Some(4), Some("Primary"), Some("ON"));
            change(&mut s);
            assert_eq!(classify(&Ok(s), policy), Health::Unhealthy(reason));
        }
    }

    #[test]
    fn connection_reserve() {
        // (max_connections, Threads_connected incl. ours, reserve, expected)
        #[rustfmt::skip]
        let table: &[(u64, u64, u64, Option<u64>)] = &[
            (20, 1, 2, None),        // only us
            (20, 19, 2, None),       // 18 others, 2 free
            (20, 20, 2, Some(1)),    // 19 others, 1 free
            (20, 21, 2, Some(0)),    // all 20 taken; we came in on the SUPER extra slot
            (20, 25, 2, Some(0)),
            (20, 21, 0, None),       // 0 disables the check
            (20, 21, 1, Some(0)),
            (20, 20, 1, None),
        ];
        for (max, threads, reserve, expect) in table {
            let mut s = node(Some(4), Some("Primary"), Some("ON"));
            s.max_connections = Some(*max);
            s.threads_connected = Some(*threads);
            let p = Policy {
                donor_ok: false,
                connections_reserve: *reserve,
            };
            let h = classify(&Ok(s), p);
            let want = match expect {
                None => Health::Healthy,
                Some(free) => Health::Unhealthy(Reason::TooFewConnections {
                    free: *free,
                    reserve: *reserve,
                }),
            };
            assert_eq!(h, want, "max {max} threads {threads} reserve {reserve}");
        }
        // Unknown counts skip the check rather than guess.
        let mut s = node(Some(4), Some("Primary"), Some("ON"));
        s.max_connections = None;
        assert!(classify(&Ok(s), STRICT).is_healthy());
    }

    #[test]
    fn unreachable_carries_the_error() {
        let e = StatusError::Refused {
            target: "/run/mysqld/mysqld.sock".into(),
        };
        let h = classify(&Err(e.clone()), DONOR_OK);
        assert_eq!(h, Health::Unhealthy(Reason::Unreachable { error: e }));
        assert_eq!(h.value(), 0);
        assert!(h
            .to_string()
            .starts_with("unhealthy: unreachable: connection to"));
    }

    #[test]
    fn json_shape() {
        let h = Health::Unhealthy(Reason::TooFewConnections {
            free: 0,
            reserve: 2,
        });
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"health":"unhealthy","reason":{"kind":"too_few_connections","free":0,"reserve":2}}"#
        );
        assert_eq!(
            serde_json::to_string(&Health::Healthy).unwrap(),
            r#"{"health":"healthy"}"#
        );
        let h = Health::Unhealthy(Reason::Unreachable {
            error: StatusError::NoSocket { path: "/x".into() },
        });
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"health":"unhealthy","reason":{"kind":"unreachable","error":{"kind":"no_socket","path":"/x"}}}"#
        );
    }
}
