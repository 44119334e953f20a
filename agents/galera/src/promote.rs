//! promote: the election over the positions the nodes published decides. Join (a Primary
//! exists) or Bootstrap (this node was elected) starts mariadbd with the library's StartPlan;
//! anything else waits, visibly (the wait attribute), until the action's deadline.
//!
//! A join returns once its state transfer is under way (or it is Synced already, or after
//! JOIN_SETTLE): a transfer may take longer than any promote timeout, and monitor follows it
//! (a transfer in progress is progress, not failure). A bootstrap returns once the new
//! component is Primary.
//!
//! Joiners enter one at a time: the bootstrap invites one, and each joiner invites the next
//! once the membership has settled around it: in the Primary view, and its transfer requested
//! (the SST script, a child of mariadbd, runs even for an IST) or no transfer needed. A node
//! that connects while the membership changes for another joiner is left out of that view,
//! forgotten, and merged only about 5 s later (the lab's kill -9 of all: the second of two
//! simultaneous joiners in the Primary 5-6 s after the first).

use std::time::{Duration, Instant};

use galera_lifecycle::{gvwstate, probe, Basis, Decision, NodeState, Phase, PlanKind, StartPlan};
use galera_status::{classify, ClusterStatus, LocalState, StatusError, WsrepStatus};
use ocf::Status;

use crate::cluster::Published;
use crate::error::GaleraError;
use crate::monitor::{QUERY_CAP, SCORE_BOOTSTRAP};
use crate::node::Node;
use crate::state::{now_secs, Role, State};

/// How long a fresh mariadbd is watched for an early exit (a refused join, a bad option).
const WATCH: Duration = Duration::from_secs(3);
/// How long a join's promote waits for its transfer to start (or for Synced) before it
/// invites the next joiner anyway and leaves the rest to monitor.
const JOIN_SETTLE: Duration = Duration::from_secs(10);
/// How often a waiting promote reads the peers again.
const POLL: Duration = Duration::from_secs(1);
/// Kept back at the end of the timeout to answer.
const TAIL: Duration = Duration::from_secs(2);

pub fn promote(node: &Node) -> Result<Status, GaleraError> {
    node.check_installed()?;
    node.cfg.client()?;
    let p = probe(&node.cfg.server)?;
    let mut st = node.load().unwrap_or_else(|| State {
        started: now_secs(),
        ..State::default()
    });
    if p.phase != Phase::Stopped {
        // Already on its way (a promote retried after its timeout): monitor follows it.
        st.role = Role::Promoted;
        node.save(&st)?;
        return Ok(Status::Success);
    }
    let end = node.ctx.deadline.reserving(TAIL).at();
    let local = node.local_state(st.recovered(), end)?;
    let stamp = st.recovered.take().and_then(|r| r.stamp);
    st.set_recovered(&local, stamp);
    let report = Node::report(&local);
    node.publish_state(&mut st, &Published::Stopped(report.clone()));
    loop {
        let outcome = node.election(NodeState::Reported(report.clone()), &st);
        let election = &outcome.election;
        let plan = match &election.decision {
            Decision::Join { primary } => {
                tracing::info!("joining the Primary component of {}", primary.join(","));
                Some(StartPlan::join(&node.cfg.server, &local, None)?)
            }
            Decision::Bootstrap(g) if g.node() == node.name => {
                match g.basis() {
                    Basis::OperatorOverride => tracing::warn!(
                        "bootstrapping from {} by operator override (force_bootstrap_node)",
                        g.position()
                    ),
                    b => tracing::info!("elected: bootstrapping from {} ({b:?})", g.position()),
                }
                Some(StartPlan::bootstrap(
                    &node.cfg.server,
                    &node.name,
                    &local,
                    g,
                )?)
            }
            Decision::Blocked(_) => {
                let why = outcome.why();
                node.publish_wait(&mut st, Some(&why));
                node.save(&st)?;
                return Err(GaleraError::Blocked(why));
            }
            Decision::Bootstrap(_) | Decision::Wait(_) => None,
        };
        let Some(plan) = plan else {
            let why = match &election.decision {
                Decision::Bootstrap(g) => format!("waiting for {} to bootstrap", g.node()),
                _ => outcome.why(),
            };
            node.publish_wait(&mut st, Some(&why));
            if Instant::now() + POLL >= end {
                node.save(&st)?;
                return Err(GaleraError::Waiting(why));
            }
            std::thread::sleep(POLL);
            continue;
        };
        return run_plan(node, &mut st, &plan, end);
    }
}

fn run_plan(
    node: &Node,
    st: &mut State,
    plan: &StartPlan,
    end: Instant,
) -> Result<Status, GaleraError> {
    tracing::info!("starting mariadbd: {:?}", plan.kind());
    node.ensure_run_dirs();
    let client = node.cfg.client()?;
    let bootstrap = matches!(plan.kind(), PlanKind::Bootstrap { .. });
    // The watch for an early exit ends once the node is in the Primary view, not WATCH later:
    // the next joiner waits for it (invite_next_joiner). A bootstrap shows it by SQL within a
    // second or so; a joiner has no SQL before its transfer ends, but saves the view to disk
    // (its plan removed the old one).
    let datadir = node.cfg.server.datadir.clone();
    let mut in_view = false;
    let mut primary = || {
        in_view = if bootstrap {
            matches!(
                client.fetch((Instant::now() + QUERY_CAP).min(end)),
                Ok(s) if s.cluster_status == Some(ClusterStatus::Primary)
            )
        } else {
            gvwstate::view_saved(&datadir)
        };
        in_view
    };
    let server = plan.start((Instant::now() + WATCH).min(end), &mut primary)?;
    st.role = Role::Promoted;
    st.not_primary_since = Some(now_secs());
    node.publish_state(st, &Published::Running);
    node.publish_wait(st, None);
    node.save(st)?;
    if let PlanKind::Join { transfer } = plan.kind() {
        let view = if in_view {
            "in the Primary view"
        } else {
            "no Primary view seen yet"
        };
        tracing::info!("join under way (pid {}, {transfer:?}), {view}", server.pid);
        let settle_end = (Instant::now() + JOIN_SETTLE).min(end);
        let watched = watch(node, &client, settle_end, |fetched| match fetched {
            Ok(s) if s.local_state == Some(LocalState::Synced) => {
                Some(format!("joined: {}", s.summary()))
            }
            _ if in_view && daemon_process::has_children(server.pid) => {
                Some("state transfer under way; monitor follows it".to_string())
            }
            _ => None,
        })?;
        match watched {
            Watched::Done(what) => tracing::info!("{what}"),
            Watched::Exited(last) => {
                return Err(GaleraError::ServerGone(format!("in its join ({last})")))
            }
            Watched::TimedOut(last) => {
                tracing::info!("no transfer seen, not Synced ({last}); monitor follows the join")
            }
        }
        node.invite_next_joiner();
        return Ok(Status::Success);
    }
    // A bootstrap has no transfer: it is Primary within seconds, or it failed.
    let watched = watch(node, &client, end, |fetched| match fetched {
        Ok(s) if s.cluster_status == Some(ClusterStatus::Primary) => Some(s.clone()),
        _ => None,
    })?;
    let primary = match watched {
        Watched::Done(status) => status,
        Watched::Exited(last) | Watched::TimedOut(last) => {
            return Err(GaleraError::BootstrapNotPrimary(last))
        }
    };
    st.not_primary_since = None;
    st.saw_primary();
    node.publish_state(st, &Published::Primary);
    node.publish_score(st, Some(SCORE_BOOTSTRAP));
    // Health now, not a monitor interval later: after a whole-cluster outage the VIP rule
    // waits for the first healthy node, which is this one.
    let summary = primary.summary();
    let health = classify(&Ok(primary), node.cfg.health_policy);
    node.publish_health(st, health.value(), &health.to_string());
    node.save(st)?;
    tracing::info!("bootstrapped: Primary ({summary})");
    node.invite_next_joiner();
    Ok(Status::Success)
}

/// How watching a fresh mariadbd ended.
enum Watched<T> {
    /// `done` answered this.
    Done(T),
    /// mariadbd exited; the last status read.
    Exited(String),
    /// `until` came first; the last status read.
    TimedOut(String),
}

/// Reads the local status every 200 ms until `done` answers, mariadbd exits, or `until`.
fn watch<T>(
    node: &Node,
    client: &galera_status::Client,
    until: Instant,
    mut done: impl FnMut(&Result<WsrepStatus, StatusError>) -> Option<T>,
) -> Result<Watched<T>, GaleraError> {
    const EVERY: Duration = Duration::from_millis(200);
    loop {
        let fetched = client.fetch((Instant::now() + QUERY_CAP).min(until));
        if let Some(what) = done(&fetched) {
            return Ok(Watched::Done(what));
        }
        let last = match &fetched {
            Ok(s) => s.summary(),
            Err(e) => e.to_string(),
        };
        if probe(&node.cfg.server)?.phase == Phase::Stopped {
            return Ok(Watched::Exited(last));
        }
        if Instant::now() + EVERY >= until {
            return Ok(Watched::TimedOut(last));
        }
        std::thread::sleep(EVERY);
    }
}
