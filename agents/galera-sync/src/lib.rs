//! `ocf:mariadb:galera-sync`: publishes the local Galera node's health as a transient node
//! attribute (1 healthy, 0 not), so a VIP's location rule keeps it on Synced nodes.
//!
//! The `ocf:pacemaker:ping` pattern: run as a clone; start records "started" under HA_RSCTMP
//! and publishes; monitor re-reads Galera and publishes when the value changes, returning 0
//! while started (7 when not) whatever Galera's state — an unhealthy or unreachable MariaDB is
//! the value 0, not a resource failure; stop removes the attribute and the state file;
//! reload-agent applies changed connection and policy parameters without a restart.
//!
//! Two non-OCF commands: `wsrep-notify` (the server's `wsrep_notify_cmd`, pushing the value at
//! once on every Galera state change) and `status` (health and reason for people and tools).
//!
//! Without a reachable attrd (no cluster, e.g. under ocf-tester) start and monitor log a
//! warning and still succeed: there is nothing the resource could do better, and a failure
//! would only make Pacemaker restart it in a loop. The value is retried at the next monitor.
//!
//! Files: params.rs (the declarations), config.rs (their checked values), error.rs (failures
//! and their codes), state.rs (the state file), publish.rs (read, publish, record), one file
//! per action, notify.rs and status_cmd.rs (the commands).

pub mod config;
pub mod error;
pub mod monitor;
pub mod notify;
pub mod params;
pub mod publish;
pub mod reload;
pub mod start;
pub mod state;
pub mod status_cmd;
pub mod stop;
pub mod validate;

use std::ffi::OsString;

use ocf::action::Action;
use ocf::{ActionSpec, Agent, AgentInfo, Env};

pub use crate::error::GaleraSyncError;

pub static INFO: AgentInfo = AgentInfo {
    name: "galera-sync",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "Publishes the local Galera node's health as a node attribute",
    longdesc: "Reads the local MariaDB Galera node's wsrep status over the unix socket (or TCP) \
        and publishes a transient node attribute (default 'galera-sync'): 1 when the node is \
        Synced (wsrep_local_state 4, or 2 with donor_ok), in the Primary component, \
        wsrep_ready, not read_only and with at least connections_reserve free connections; 0 \
        otherwise. Run it as a clone on every Galera node, like ocf:pacemaker:ping, and keep a \
        VIP where the attribute is 1 with the location rule 'not_defined galera-sync or \
        galera-sync number:lte 0' (score -INFINITY). An unhealthy or unreachable MariaDB sets \
        the attribute to 0 and never fails the resource; stop removes the attribute. For \
        sub-second reaction to Galera state changes, set the server's wsrep_notify_cmd to \
        'galera-sync wsrep-notify --params FILE' (see the README); 'galera-sync status' prints \
        the health and its reason.",
    params: params::ALL,
    actions: &[
        ActionSpec::new(Action::Start, 20),
        ActionSpec::new(Action::Stop, 20),
        ActionSpec::new(Action::Monitor, 20).interval(2),
        ActionSpec::new(Action::ReloadAgent, 20),
        ActionSpec::new(Action::MetaData, 5),
        ActionSpec::new(Action::ValidateAll, 20),
    ],
    commands: &[
        (
            "wsrep-notify [--params FILE] [--attribute NAME] [--dampen TIME] [--donor-ok] \
             --status S [--uuid U --primary yes|no --index I --members M]",
            "for the server's wsrep_notify_cmd: push the attribute at once; always exits 0",
        ),
        (
            "status [--params FILE] [--json] [--timeout TIME]",
            "print the health and its reason; exit 0 healthy, 1 unhealthy, 2 usage error",
        ),
    ],
};

pub struct GaleraSyncAgent;

impl Agent for GaleraSyncAgent {
    type Error = GaleraSyncError;
    ocf::actions!(INFO; start, stop, monitor, validate, reload_agent);
    fn command(&self, name: &str, args: &[OsString], env: Env) -> Option<i32> {
        match name {
            "wsrep-notify" => Some(notify::run(&INFO, args, env)),
            "status" => Some(status_cmd::run(&INFO, args, env)),
            _ => None,
        }
    }
}
