//! `ocf:mariadb:galera`: runs a MariaDB Galera node as an instance of a promotable clone.
//!
//! Unpromoted = mariadbd stopped, its position known and published as a node attribute;
//! Promoted = mariadbd running in the Primary component (or on its way there: a state
//! transfer is progress). promote runs the bootstrap election of crates/galera-lifecycle over
//! the positions every node published, so after a whole-cluster outage the most advanced node
//! bootstraps and the others join it. README.md has the exit codes, the election table and
//! the migration from ocf:heartbeat:galera.

pub mod cluster;
pub mod config;
pub mod error;
pub mod monitor;
pub mod node;
pub mod params;
pub mod promote;
pub mod start;
pub mod state;
pub mod stop;

use ocf::action::Action;
use ocf::{ActionSpec, Agent, AgentInfo, Context, Role, Status};

use crate::cluster::{Cluster, Pacemaker};
use crate::error::GaleraError;
use crate::node::Node;

pub static INFO: AgentInfo = AgentInfo {
    name: "galera",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "MariaDB Galera node as a promotable clone; heals a whole-cluster outage",
    longdesc: "Runs mariadbd with Galera on every node of a promotable clone (promoted-max = \
        number of nodes). Unpromoted: mariadbd is stopped and the node's position \
        (uuid:seqno, from grastate.dat or --wsrep-recover) is published as the node attribute \
        <resource>-state. Promoted: mariadbd runs in the Primary component. promote elects: \
        when a Primary component exists the node joins it (IST or SST; promote returns once \
        the join is under way and monitor follows the transfer); otherwise only the node with \
        the most advanced trusted position of the one history may bootstrap, and by default \
        only once every configured node has reported. What a node waits for is the attribute \
        <resource>-wait (crm_mon -A). monitor also publishes the galera-sync health attribute \
        (1 healthy, 0 not) for VIP rules. Parameter names follow ocf:heartbeat:galera.",
    params: params::ALL,
    actions: &[
        ActionSpec::new(Action::Start, 120),
        ActionSpec::new(Action::Stop, 120),
        ActionSpec::new(Action::Monitor, 30)
            .interval(10)
            .role(Role::Promoted),
        ActionSpec::new(Action::Monitor, 30)
            .interval(20)
            .role(Role::Unpromoted),
        ActionSpec::new(Action::Promote, 300),
        ActionSpec::new(Action::Demote, 120),
        ActionSpec::new(Action::MetaData, 5),
        ActionSpec::new(Action::ValidateAll, 20),
    ],
    commands: &[],
};

pub struct GaleraAgent;

fn pacemaker(ctx: &Context) -> Pacemaker {
    Pacemaker {
        resource: ctx.instance().to_string(),
        deadline: ctx.deadline.clone(),
    }
}

/// The actions, on any [`Cluster`] (unit tests pass an in-memory one).
pub fn run_action(ctx: &Context, cluster: &dyn Cluster) -> Result<Status, GaleraError> {
    if ctx.action == Action::Stop {
        // A configuration that cannot be read cannot have started anything.
        return match Node::new(ctx, cluster) {
            Ok(node) => stop::stop(&node),
            Err(
                e @ (GaleraError::Param(_) | GaleraError::Config(_) | GaleraError::ServerConfig(_)),
            ) => {
                tracing::warn!("stop with an invalid configuration ({e}): nothing to stop");
                Ok(Status::Success)
            }
            Err(e) => Err(e),
        };
    }
    let node = match Node::new(ctx, cluster) {
        Ok(n) => n,
        // A probe on a node where nothing is set up: not running.
        Err(e) if ctx.is_probe() => {
            tracing::debug!("probe: {e}");
            return Ok(Status::NotRunning);
        }
        Err(e) => return Err(e),
    };
    match ctx.action {
        Action::Start => start::start(&node),
        Action::Monitor => monitor::monitor(&node),
        Action::Promote => promote::promote(&node),
        Action::Demote => stop::demote(&node),
        Action::ValidateAll => {
            node.check_installed()?;
            node.cfg.client()?;
            Ok(Status::Success)
        }
        _ => Err(ctx.unimplemented().into()),
    }
}

impl Agent for GaleraAgent {
    type Error = GaleraError;
    fn info(&self) -> &'static AgentInfo {
        &INFO
    }
    fn start(&self, ctx: &Context) -> Result<Status, GaleraError> {
        run_action(ctx, &pacemaker(ctx))
    }
    fn stop(&self, ctx: &Context) -> Result<Status, GaleraError> {
        run_action(ctx, &pacemaker(ctx))
    }
    fn monitor(&self, ctx: &Context) -> Result<Status, GaleraError> {
        run_action(ctx, &pacemaker(ctx))
    }
    fn validate(&self, ctx: &Context) -> Result<Status, GaleraError> {
        run_action(ctx, &pacemaker(ctx))
    }
    fn promote(&self, ctx: &Context) -> Result<Status, GaleraError> {
        run_action(ctx, &pacemaker(ctx))
    }
    fn demote(&self, ctx: &Context) -> Result<Status, GaleraError> {
        run_action(ctx, &pacemaker(ctx))
    }
}
