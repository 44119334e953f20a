//! The server's own view, over the MariaDB protocol (crates/galera-status): cluster status,
//! local state, last committed seqno and history UUID. Credentials come from one place: a
//! user name and an optional password file — never argv, never `~/.my.cnf` (the pure-Rust
//! client reads no option files).

use std::path::PathBuf;
use std::time::Instant;

use galera_status::{Client, ClusterStatus, Secret, StatusError, Target, WsrepStatus};
use secret::SecretError;

use crate::position::{ClusterUuid, Position};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    /// `None`: no password (root over the unix socket authenticates by `unix_socket`).
    pub password_file: Option<PathBuf>,
}

impl Credentials {
    /// A status client for `target`. The only place that reads the password file (with the
    /// suite's one bounded reader).
    pub fn client(&self, target: Target) -> Result<Client, SecretError> {
        let password: Option<Secret> = match &self.password_file {
            Some(path) => Some(secret::read_file(path)?),
            None => None,
        };
        Ok(Client::new(target, self.user.clone(), password))
    }
}

/// Reads the status within `deadline`.
pub fn fetch(client: &Client, deadline: Instant) -> Result<WsrepStatus, StatusError> {
    client.fetch(deadline.saturating_duration_since(Instant::now()))
}

/// The node's current position: `wsrep_cluster_state_uuid:wsrep_last_committed`.
pub fn position_of(status: &WsrepStatus) -> Option<Position> {
    let uuid = ClusterUuid::parse(status.cluster_state_uuid.as_deref()?).ok()?;
    let seqno = i64::try_from(status.last_committed?).ok()?;
    Position::new(uuid, seqno).ok()
}

/// What a Primary node says about the cluster's history: the reference for refusing a joiner
/// whose data is ahead (docs/galera-election.md F8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryView {
    pub position: Position,
}

impl PrimaryView {
    /// `Some` only for a node in the Primary component that reports a known position.
    pub fn from_status(status: &WsrepStatus) -> Option<PrimaryView> {
        if status.cluster_status != Some(ClusterStatus::Primary) {
            return None;
        }
        position_of(status)
            .filter(Position::is_known)
            .map(|position| PrimaryView { position })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_primary_view_needs_primary_and_a_position() {
        let rows = |status: &str, uuid: &str, seqno: &str| {
            WsrepStatus::from_rows([
                ("wsrep_cluster_status", Some(status.to_string())),
                ("wsrep_cluster_state_uuid", Some(uuid.to_string())),
                ("wsrep_last_committed", Some(seqno.to_string())),
            ])
        };
        let u = "726d00b4-edd5-11f1-9512-47940ce49375";
        let v = PrimaryView::from_status(&rows("Primary", u, "17")).unwrap();
        assert_eq!(v.position.to_string(), format!("{u}:17"));
        assert!(PrimaryView::from_status(&rows("non-Primary", u, "17")).is_none());
        assert!(PrimaryView::from_status(&rows("Primary", "junk", "17")).is_none());
        assert!(PrimaryView::from_status(&rows(
            "Primary",
            "00000000-0000-0000-0000-000000000000",
            "0"
        ))
        .is_none());
        assert!(PrimaryView::from_status(&rows("Primary", u, "-1")).is_none());
    }

    #[test]
    fn credentials_read_the_file_once_per_client() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "s3cret\n").unwrap();
        let c = Credentials {
            user: "monitor".into(),
            password_file: Some(pw.clone()),
        };
        let client = c.client(Target::default()).unwrap();
        assert_eq!(client.user(), "monitor");
        assert!(!format!("{client:?}").contains("s3cret"));
        std::fs::remove_file(&pw).unwrap();
        assert!(matches!(
            c.client(Target::default()).unwrap_err(),
            SecretError::Open { .. }
        ));
    }
}
