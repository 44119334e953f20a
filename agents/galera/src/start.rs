//! start: the Unpromoted role is "mariadbd stopped, its position known and published". start
//! never runs the server; it finds the position (grastate.dat, else `--wsrep-recover`) and
//! publishes it for the election.

use std::time::Duration;

use galera_lifecycle::{probe, LocalState, NodeState, Phase, Report};
use ocf::Status;

use crate::cluster::Published;
use crate::error::GaleraError;
use crate::node::Node;
use crate::state::{now_secs, Role, State};

/// Time kept back from the action's deadline for publishing after a recovery.
const RESERVE: Duration = Duration::from_secs(5);

pub fn start(node: &Node) -> Result<Status, GaleraError> {
    node.check_installed()?;
    node.cfg.client()?;
    let p = probe(&node.cfg.server)?;
    if let Some(server) = &p.server {
        if p.phase != Phase::Stopped {
            return Err(GaleraError::AlreadyRunning { pid: server.pid });
        }
    }
    node.ensure_run_dirs();
    // After demote and stop (Pacemaker's recovery of a failed Promoted instance) the position
    // demote recovered still holds if the datadir is unchanged: no second --wsrep-recover on
    // the way to the election.
    let kept = node.take_kept_recovered();
    let local = node.local_state(kept, node.ctx.deadline.reserving(RESERVE).at())?;
    let record = node.load_primary_record();
    let mut st = State {
        role: Role::Unpromoted,
        started: now_secs(),
        primary_at: record.primary_at,
        left_primary: record.left_primary,
        ..State::default()
    };
    let report = publish_stopped(node, &mut st, &local, "mariadbd stopped")?;
    tracing::info!("started (unpromoted): {report}");
    Ok(Status::Success)
}

/// The Unpromoted role of start and demote, mariadbd stopped: `local`'s recovered position
/// kept in `st`, its report published with health 0 (`why`), the election's score given,
/// the state file saved.
pub fn publish_stopped(
    node: &Node,
    st: &mut State,
    local: &LocalState,
    why: &str,
) -> Result<Report, GaleraError> {
    st.set_recovered(local, node.stamp(local));
    let report = Node::report(local);
    node.publish_state(st, &Published::Stopped(report.clone()));
    node.publish_health(st, 0, why);
    crate::monitor::rank(node, st, NodeState::Reported(report.clone()));
    node.save(st)?;
    Ok(report)
}
