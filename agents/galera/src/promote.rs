//! promote: the election over the positions the nodes published decides. Join (a Primary
//! exists) or Bootstrap (this node was elected) starts mariadbd with the library's StartPlan;
//! anything else waits, visibly (the wait attribute), until the action's deadline.
//!
//! A join returns once mariadbd runs: a state transfer may take longer than any promote
//! timeout, and monitor follows it (a transfer in progress is progress, not failure). A
//! bootstrap returns once the new component is Primary.

use std::time::{Duration, Instant};

use galera_lifecycle::{probe, Basis, Decision, NodeState, Phase, PlanKind, StartPlan};
use galera_status::{classify, ClusterStatus};
use ocf::Status;

use crate::cluster::Published;
use crate::error::GaleraError;
use crate::monitor::{QUERY_CAP, SCORE_BOOTSTRAP};
use crate::node::Node;
use crate::state::{now_secs, Role, State};

/// How long a fresh mariadbd is watched for an early exit (a refused join, a bad option).
const WATCH: Duration = Duration::from_secs(3);
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
    let local = node.local_state(st.recovered.as_deref(), end)?;
    st.recovered = local.recovered.as_ref().map(|r| r.position.to_string());
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
    // A bootstrap is Primary within a second or so: the watch for an early exit ends then, not
    // WATCH later, since every joiner waits for this promote (its invite_joiners).
    let mut primary = || {
        bootstrap
            && matches!(
                client.fetch((Instant::now() + QUERY_CAP).min(end)),
                Ok(s) if s.cluster_status == Some(ClusterStatus::Primary)
            )
    };
    let server = plan.start((Instant::now() + WATCH).min(end), &mut primary)?;
    st.role = Role::Promoted;
    st.not_primary_since = Some(now_secs());
    node.publish_state(st, &Published::Running);
    node.publish_wait(st, None);
    node.save(st)?;
    if let PlanKind::Join { transfer } = plan.kind() {
        tracing::info!(
            "join under way (pid {}, {transfer:?}); monitor follows it",
            server.pid
        );
        return Ok(Status::Success);
    }
    // A bootstrap has no transfer: it is Primary within seconds, or it failed.
    let mut last = String::from("no answer yet");
    while Instant::now() < end {
        let fetched = client.fetch((Instant::now() + QUERY_CAP).min(end));
        match &fetched {
            Ok(s) if s.cluster_status == Some(ClusterStatus::Primary) => {
                st.not_primary_since = None;
                st.saw_primary();
                node.publish_state(st, &Published::Primary);
                node.publish_score(st, Some(SCORE_BOOTSTRAP));
                // Health now, not a monitor interval later: after a whole-cluster outage the
                // VIP rule waits for the first healthy node, which is this one.
                let health = classify(&fetched, node.cfg.health_policy);
                node.publish_health(st, health.value(), &health.to_string());
                node.save(st)?;
                tracing::info!("bootstrapped: Primary ({})", s.summary());
                node.invite_joiners();
                return Ok(Status::Success);
            }
            Ok(s) => last = s.summary(),
            Err(e) => last = e.to_string(),
        }
        if probe(&node.cfg.server)?.phase == Phase::Stopped {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(GaleraError::BootstrapNotPrimary(last))
}
