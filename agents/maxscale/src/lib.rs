//! `ocf:mariadb:maxscale`: runs MariaDB MaxScale, judges it through its REST API, and — as a
//! promotable clone — keeps exactly one MaxScale active (`passive=false`).
//!
//! Exit codes, decided once (the meta-data longdesc and README.md tell users the same):
//! - monitor: 7 only when MaxScale is cleanly not running (no live process through the pid
//!   file, nothing on the admin port; with manage_process=false: the REST API refuses
//!   connections). A live process that is stopped (SIGSTOP), or whose REST API refuses, times
//!   out, answers 503, garbage or an unexpected document: 1 with the reason. A depth-20 check
//!   that fails: 1 for a primitive, a lower promotion score for a promotable clone.
//! - credentials or TLS rejected: 2 (per-node configuration; see `error`, the one mapping).
//! - malformed parameters: 6 (probes answer 7, by the OCF core); files or the user missing on
//!   this node: 5 (start, validate-all); monitor and stop never look at them.
//! - start: MaxScale's own exit codes mapped in `error::start_exit_rc`; "not ready within
//!   the timeout": 1.
//! - stop: 0 when nothing runs (stale pid files removed); 1 only when the process survives
//!   SIGKILL. It never needs the REST API, so a wrong password cannot make it fail.
//! - promote/demote work outside a promotable clone too (orphaned instances of a deleted clone
//!   are demoted without the clone's meta-attributes); start/monitor of a primitive never touch
//!   passive.
//! - a promotable clone's MaxScale reads passive=true from its first answer until promote
//!   (started with `--passive`); promotion.rs says how, and where that cannot reach.

pub mod api;
pub mod config;
pub mod daemon;
pub mod error;
pub mod keepalived;
pub mod launch;
pub mod monitor;
pub mod params;
pub mod promotion;
pub mod reload;
pub mod start;
pub mod stop;
pub mod validate;
pub mod verdict;

use std::ffi::OsString;

use ocf::action::Action;
use ocf::{ActionSpec, Agent, AgentInfo, Context, Env, Role, Status};

pub use error::MaxScaleError;

const LONGDESC: &str = "Runs MariaDB MaxScale and judges it through its REST API. As a primitive \
it replaces lsb:maxscale; as a promotable clone it replaces the Keepalived scripts that kept one \
MaxScale active: the promoted instance has passive=false, every other one passive=true, and each \
monitor sets a promotion score from the node's health (100 healthy, 10 degraded, none when \
MaxScale does not answer) so the healthiest node is promoted. \
Monitor depth (OCF_CHECK_LEVEL): 0 = the process is alive (not a zombie, not stopped); 10 (the \
default) = also GET /v1/maxscale answers; 20 = also every server named in servers is Running (at \
least one Running server when servers is empty), a Master exists when require_master is set, and \
every monitor is Running. \
Exit codes: monitor answers 7 only when MaxScale is cleanly not running (no live process through \
the pid file and nothing listening on the admin port); a hung, stopped (SIGSTOP) or broken \
MaxScale (REST API refused, timed out, 503, not JSON) answers 1 within the monitor timeout; a \
failed depth-20 check answers 1 for a primitive and only lowers the score of a promotable clone; \
credentials or a TLS certificate that MaxScale's API rejects answer 2 (this node's \
configuration: never 6, which would ban the resource everywhere); malformed parameters answer 6 \
(7 in probes); a missing binary, config or user answers 5 from start and validate-all. start \
maps MaxScale's exit codes: 1 (configuration rejected) and 5 (bad argument) to 2, 2 (library \
missing) to 5, others to 1, with MaxScale's own message as the exit reason. stop sends SIGTERM, \
a second SIGTERM halfway (MaxScale then exits at once) and SIGKILL before the timeout; it fails \
(1) only if the process survives SIGKILL. \
A promotable clone's start runs MaxScale with --passive, so that it answers passive=true from \
its first request until promote, whatever MaxScale persisted (with manage_process=false the \
agent cannot pass the flag: it sets passive=true as soon as the API answers; give MaxScale's \
own launcher --passive). passive is persisted by MaxScale: an instance that was demoted comes \
back passive even as a primitive, which leaves passive as MaxScale has it. With cooperative \
monitoring locks (mariadbmon cooperative_monitoring_locks) passive is meant to be false on \
every MaxScale: start sets it back to false once MaxScale reports the locks, and promote and \
demote then only record the role. With configuration sync, passive is set with ?sync=false. \
Keepalived: 'maxscale keepalived-check [--params FILE] [--timeout TIME]' exits 0 when healthy at \
depth 20 (hard timeout, default 2 s) and 'maxscale keepalived-notify [--params FILE] TYPE NAME \
STATE [PRIORITY]' sets passive=false on MASTER and passive=true on BACKUP, FAULT, STOP; FILE \
holds the same parameters as key=value lines.";

pub static INFO: AgentInfo = AgentInfo {
    name: "maxscale",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "MariaDB MaxScale (REST-API health, one active instance as a promotable clone)",
    longdesc: LONGDESC,
    params: params::ALL,
    actions: &[
        ActionSpec::new(Action::Start, 60),
        ActionSpec::new(Action::Stop, 60),
        ActionSpec::new(Action::Monitor, 20).interval(10).depth(10),
        ActionSpec::new(Action::Monitor, 20)
            .interval(9)
            .depth(10)
            .role(Role::Promoted),
        ActionSpec::new(Action::Monitor, 20)
            .interval(11)
            .depth(10)
            .role(Role::Unpromoted),
        ActionSpec::new(Action::Promote, 30),
        ActionSpec::new(Action::Demote, 30),
        ActionSpec::new(Action::Notify, 10),
        ActionSpec::new(Action::ReloadAgent, 20),
        ActionSpec::new(Action::MetaData, 5),
        ActionSpec::new(Action::ValidateAll, 20),
    ],
    commands: &[
        (
            "keepalived-check [--params FILE] [--timeout TIME]",
            "Keepalived vrrp_script: exit 0 when MaxScale is healthy at depth 20, 1 otherwise",
        ),
        (
            "keepalived-notify [--params FILE] [--timeout TIME] TYPE NAME STATE [PRIORITY]",
            "Keepalived notify: MASTER -> passive=false; BACKUP, FAULT, STOP -> passive=true",
        ),
    ],
};

/// The agent.
#[derive(Debug, Default, Clone, Copy)]
pub struct MaxScaleAgent;

impl Agent for MaxScaleAgent {
    type Error = MaxScaleError;
    ocf::actions!(INFO; start, stop, monitor, validate, reload_agent,
        promote: |ctx| promotion::set_role(ctx, false),
        demote: |ctx| promotion::set_role(ctx, true),
    );
    /// Nothing to coordinate: notifications are accepted so clones may use notify=true.
    fn notify(&self, _ctx: &Context) -> Result<Status, MaxScaleError> {
        Ok(Status::Success)
    }
    fn command(&self, name: &str, args: &[OsString], env: Env) -> Option<i32> {
        match name {
            "keepalived-check" => Some(keepalived::check(&INFO, args, env)),
            "keepalived-notify" => Some(keepalived::notify(&INFO, args, env)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitors_have_distinct_intervals() {
        let mut intervals: Vec<u32> = INFO
            .actions
            .iter()
            .filter(|a| a.action == Action::Monitor)
            .filter_map(|a| a.interval)
            .collect();
        let n = intervals.len();
        intervals.sort_unstable();
        intervals.dedup();
        assert_eq!(intervals.len(), n);
        assert!(INFO.advertises(Action::Promote) && INFO.advertises(Action::Demote));
        assert!(INFO.has_reloadable() && INFO.advertises(Action::ReloadAgent));
        let reloadable: Vec<&str> = INFO
            .params
            .iter()
            .filter(|p| p.is_reloadable())
            .map(|p| p.name())
            .collect();
        assert_eq!(
            reloadable,
            [
                "admin_user",
                "admin_password_file",
                "servers",
                "require_master"
            ]
        );
    }
}
