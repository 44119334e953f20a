//! stop and demote: SIGTERM, SIGKILL inside the action's timeout (a mariadbd waiting for a
//! Primary ignores SIGTERM for over a minute), state-transfer helpers killed too.

use std::time::{Duration, Instant};

use galera_lifecycle::{probe, stop_server};
use ocf::Status;

use crate::error::GaleraError;
use crate::node::Node;
use crate::state::{Role, State};

/// Kept back at the end of the timeout for what follows the kill.
const TAIL: Duration = Duration::from_secs(2);

/// Stops the server if it runs. SIGKILL at half the time left. `Ok(true)`: a server ran.
pub fn stop_mariadbd(node: &Node) -> Result<bool, GaleraError> {
    let p = probe(&node.cfg.server)?;
    let Some(server) = p.server else {
        return Ok(false);
    };
    let deadline = node.ctx.deadline.reserving(TAIL).at();
    let left = deadline.saturating_duration_since(Instant::now());
    let escalate = Instant::now() + left / 2;
    tracing::info!(
        "stopping mariadbd pid {} (SIGKILL after {:?})",
        server.pid,
        left / 2
    );
    let report = stop_server(&server, escalate, deadline)?;
    for (pid, comm) in &report.helpers_killed {
        tracing::warn!("killed state-transfer helper {comm} pid {pid}");
    }
    if !report.stopped() {
        return Err(GaleraError::StopFailed { pid: server.pid });
    }
    tracing::info!("mariadbd stopped ({:?})", report.outcome);
    Ok(true)
}

/// A server that was Primary at its last monitor and is stopped now leaves the component
/// cleanly: in two_node_mode the peer may go on committing alone, so a later fence of the
/// peer does not make this node's data the latest.
fn note_leave(st: &mut State, stopped_a_server: bool) {
    if stopped_a_server && st.published.as_deref() == Some("primary") {
        st.left_primary = true;
    }
}

pub fn stop(node: &Node) -> Result<Status, GaleraError> {
    let mut st = node.load();
    let stopped = stop_mariadbd(node)?;
    if let Some(st) = st.as_mut() {
        note_leave(st, stopped);
        node.keep_primary_record(st);
    }
    // A server that ran until now makes any recovered position old.
    node.keep_recovered(st.as_ref().filter(|_| !stopped));
    node.unpublish();
    node.remove_state()?;
    Ok(Status::Success)
}

/// demote: stop the server, then publish its position as start does.
pub fn demote(node: &Node) -> Result<Status, GaleraError> {
    let stopped = stop_mariadbd(node)?;
    let mut st = node.load().unwrap_or_else(|| State {
        started: crate::state::now_secs(),
        ..State::default()
    });
    note_leave(&mut st, stopped);
    st.role = Role::Unpromoted;
    // The election's waiting time counts from the moment this node reports again.
    st.started = crate::state::now_secs();
    st.not_primary_since = None;
    let local = node.local_state(None, node.ctx.deadline.reserving(TAIL).at())?;
    let report = crate::start::publish_stopped(node, &mut st, &local, "demoted: mariadbd stopped")?;
    tracing::info!("demoted: {report}");
    Ok(Status::Success)
}
