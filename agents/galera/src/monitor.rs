//! monitor: 7 not started; 0 unpromoted (mariadbd stopped, position published); 8 promoted
//! (running in the Primary component, or on its way: a state transfer in progress, a start,
//! a moment outside the Primary component); 9 outside the Primary component for longer than
//! non_primary_grace; 1 a promoted server that is gone. The health attribute (galera-sync's
//! meaning) is refreshed on every run.

use std::time::Duration;

use galera_lifecycle::{probe, Basis, Decision, NodeState, Phase};
use galera_status::{classify, ClusterStatus};
use ocf::Status;

use crate::cluster::Published;
use crate::error::GaleraError;
use crate::node::Node;
use crate::state::{now_secs, Role, State};

/// The longest one status query may take.
pub const QUERY_CAP: Duration = Duration::from_secs(5);

/// Promotion scores: the elected node first; once a Primary exists, every node may join.
pub const SCORE_BOOTSTRAP: i64 = 100;
pub const SCORE_JOIN: i64 = 50;

pub fn monitor(node: &Node) -> Result<Status, GaleraError> {
    let saved = node.load();
    let p = probe(&node.cfg.server)?;
    let Some(server) = p.server.as_ref() else {
        let Some(mut st) = saved else {
            return Ok(Status::NotRunning);
        };
        node.publish_health(&mut st, 0, "mariadbd stopped");
        if st.role == Role::Promoted {
            let why = node
                .cfg
                .server
                .log_error
                .as_deref()
                .and_then(galera_lifecycle::diagnose_log)
                .map_or_else(
                    || "no mariadbd on the datadir".to_string(),
                    |d| d.to_string(),
                );
            node.save(&st)?;
            return Err(GaleraError::ServerGone(why));
        }
        unpromoted(node, &mut st);
        node.save(&st)?;
        return Ok(Status::Success);
    };
    let mut st = saved.unwrap_or_else(|| {
        tracing::info!("found mariadbd pid {} running: promoted", server.pid);
        State {
            role: Role::Promoted,
            started: now_secs(),
            ..State::default()
        }
    });
    st.role = Role::Promoted;
    let result = promoted(node, &mut st, &p.phase);
    node.save(&st)?;
    result
}

/// A running server: a transfer is progress; otherwise it must be Primary within the grace.
fn promoted(node: &Node, st: &mut State, phase: &Phase) -> Result<Status, GaleraError> {
    let waiting = |st: &mut State, what: String| -> Result<Status, GaleraError> {
        let since = *st.not_primary_since.get_or_insert_with(now_secs);
        let secs = now_secs().saturating_sub(since);
        if Duration::from_secs(secs) > node.cfg.non_primary_grace {
            return Err(GaleraError::NotPrimary { secs, what });
        }
        if let Some(peer) = node.two_node_peer_fenced(st) {
            let what = format!("{peer} fenced, {what}: recovering alone (two_node_mode)");
            return Err(GaleraError::NotPrimary { secs, what });
        }
        tracing::debug!("{what} for {secs} s");
        Ok(Status::Promoted)
    };
    match phase {
        Phase::Transferring(t) => {
            node.publish_health(st, 0, "state transfer in progress");
            node.publish_state(st, &Published::Running);
            // No bound: an SST takes as long as the data needs (docs/galera-election.md F9).
            st.not_primary_since = None;
            tracing::debug!("state transfer: {} {:?}", t.script, t.role);
            Ok(Status::Promoted)
        }
        // (Stopped comes only without a server, which the caller handled.)
        Phase::Starting | Phase::Stopped => {
            node.publish_health(st, 0, "starting, no SQL socket yet");
            node.publish_state(st, &Published::Running);
            waiting(st, "mariadbd runs without SQL socket".into())
        }
        Phase::Up => {
            let client = node.cfg.client()?;
            let fetched = client.fetch(node.ctx.deadline.capped(QUERY_CAP).at());
            let health = classify(&fetched, node.cfg.health_policy);
            node.publish_health(st, health.value(), &health.to_string());
            let primary = fetched
                .as_ref()
                .is_ok_and(|s| s.cluster_status == Some(ClusterStatus::Primary));
            if primary {
                st.saw_primary();
                node.publish_state(st, &Published::Primary);
                node.publish_score(st, Some(SCORE_BOOTSTRAP));
                node.publish_wait(st, None);
                if st.not_primary_since.take().is_some() && node.cfg.force_bootstrap.is_some() {
                    tracing::warn!(
                        "the cluster is Primary: remove force_bootstrap_node, or a later \
                         whole-cluster outage bootstraps from it again"
                    );
                }
                return Ok(Status::Promoted);
            }
            node.publish_state(st, &Published::Running);
            let what = match &fetched {
                Ok(s) => format!("wsrep {}", s.summary()),
                Err(e) => format!("status query failed: {e}"),
            };
            waiting(st, what)
        }
    }
}

/// Unpromoted: keep the position published, and let the election rank this node.
fn unpromoted(node: &Node, st: &mut State) {
    let own = match st.published.as_deref().map(str::parse::<Published>) {
        Some(Ok(Published::Stopped(r))) => NodeState::Reported(r),
        _ => {
            // Not published yet (attrd was down at start): read the disk again; a position
            // that needs --wsrep-recover was stored by start.
            match node.local_state(st.recovered(), node.ctx.deadline.at()) {
                Ok(local) => {
                    let r = Node::report(&local);
                    node.publish_state(st, &Published::Stopped(r.clone()));
                    NodeState::Reported(r)
                }
                Err(e) => {
                    tracing::warn!("position not known: {e}");
                    NodeState::Missing
                }
            }
        }
    };
    rank(node, st, own);
}

/// The promotion score and the wait attribute from the election.
pub fn rank(node: &Node, st: &mut State, own: NodeState) {
    let outcome = node.election(own, st);
    let (score, wait) = match &outcome.election.decision {
        Decision::Join { .. } => (Some(SCORE_JOIN), None),
        Decision::Bootstrap(g) if g.node() == node.name => (Some(SCORE_BOOTSTRAP), None),
        Decision::Bootstrap(g) => (None, Some(format!("waiting for {} to bootstrap", g.node()))),
        Decision::Wait(_) => (None, Some(outcome.why())),
        Decision::Blocked(_) => {
            tracing::error!("{}", outcome.election.decision);
            (None, Some(outcome.why()))
        }
    };
    node.publish_score(st, score);
    node.publish_wait(st, wait.as_deref());
    grant(node, st, &outcome.election.decision);
}

/// Every node computes the same election from the same reports, but the winner learns it at
/// its own next monitor, up to an interval after the last report (which is usually another
/// node's start). The node whose report completed the election gives the winner its score at
/// once; the winner's promote runs the election again. Only for an election over every
/// node's report: a timeout's or an override's decision depends on who runs it.
fn grant(node: &Node, st: &mut State, decision: &Decision) {
    let winner = match decision {
        Decision::Bootstrap(g) if g.node() != node.name && *g.basis() == Basis::AllReported => {
            g.node()
        }
        _ => {
            st.granted = None;
            return;
        }
    };
    if st.granted.as_deref() == Some(winner) {
        return;
    }
    if node.give_score(winner, SCORE_BOOTSTRAP, "is elected") {
        st.granted = Some(winner.to_string());
    }
}
