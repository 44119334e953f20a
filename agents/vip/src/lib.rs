//! `ocf:mariadb:vip`: a virtual IP address, managed like `ocf:heartbeat:IPaddr2` (same
//! parameter names), without shell, `ip`, `arping` or any other child process: addresses and
//! link state over netlink, announcements and the duplicate probe over raw sockets
//! (crate `vip-net`).
//!
//! Where things are: the parameters in `params.rs`, the validated configuration in
//! `config.rs`, every failure and its exit code in `error.rs`, where the address goes in
//! `placement.rs`, one file per action. The exit codes and why are in README.md.

mod config;
mod error;
mod locate;
mod monitor;
mod params;
mod placement;
mod reload;
mod start;
mod stop;
mod validate;

use ocf::action::Action;
use ocf::{ActionSpec, Agent, AgentInfo};

pub use config::{Config, Target};
pub use error::VipError;

const LONGDESC: &str =
    "Manages a virtual IPv4 or IPv6 address, like ocf:heartbeat:IPaddr2 and with \
its parameter names, without running any other program: addresses and link state through \
netlink, gratuitous ARP and unsolicited neighbour advertisements through raw sockets. \
start adds the address (after a duplicate probe) and announces it; stop removes it from \
whichever interface holds it, and fails rather than leave it; monitor checks that it is on its \
interface and that the interface is up. Exit codes: a configuration \
that is wrong everywhere returns 6 (probes 7); something missing only on this node (the nic, or \
an interface in the VIP's subnet) returns 5 from start and validate-all, 7 from monitor, 0 from \
stop; without root (CAP_NET_ADMIN, CAP_NET_RAW) start returns 4. An address another host \
already uses makes start fail with 1 without adding it. The address on another interface than \
nic (also a renamed nic) makes monitor, probes included, and start return 1: the node holds the \
VIP, so Pacemaker stops it here instead of starting a second copy elsewhere. A link that is down (administratively, \
or without carrier) makes monitor return 7 with a reason (a soft failure that honours \
migration-threshold, as IPaddr2 does since resource-agents issue #2113) and start return 1; \
the agent never changes the link's state. monitor is cheap (one netlink dump of addresses and \
one link lookup) and does not re-validate the configuration. validate-all checks the syntax at \
OCF_CHECK_LEVEL 0 and also this node's interfaces otherwise (crm_resource --validate gives no \
level). A change of arp_count, arp_interval, probe_duplicate or probe_wait does not restart \
the VIP: Pacemaker (2.1 and later) calls reload-agent, which checks the new configuration, and \
the values apply from the next start. Deleting the primary IPv4 address of a subnet deletes its secondaries unless \
net.ipv4.conf.*.promote_secondaries is set: give the interface its own static address in the \
VIP's subnet, as IPaddr2 requires.";

static INFO: AgentInfo = AgentInfo {
    name: "vip",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "Virtual IP address (IPaddr2 compatible, no child processes)",
    longdesc: LONGDESC,
    params: params::ALL,
    actions: &[
        ActionSpec::new(Action::Start, 20),
        ActionSpec::new(Action::Stop, 20),
        ActionSpec::new(Action::Monitor, 20).interval(10).depth(0),
        ActionSpec::new(Action::MetaData, 5),
        ActionSpec::new(Action::ValidateAll, 20),
        ActionSpec::new(Action::ReloadAgent, 20),
    ],
    commands: &[],
};

/// The agent.
#[derive(Debug, Default, Clone, Copy)]
pub struct VipAgent;

impl Agent for VipAgent {
    type Error = VipError;
    ocf::actions!(INFO; start, stop, monitor, validate, reload_agent);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_actions_and_params() {
        let names: Vec<&str> = INFO.actions.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(
            names,
            [
                "start",
                "stop",
                "monitor",
                "meta-data",
                "validate-all",
                "reload-agent"
            ]
        );
        // Those that only a later start reads (README: reload-agent).
        let reloadable: Vec<&str> = INFO
            .params
            .iter()
            .filter(|p| p.is_reloadable())
            .map(|p| p.name())
            .collect();
        assert_eq!(
            reloadable,
            ["arp_count", "arp_interval", "probe_duplicate", "probe_wait"]
        );
        let p: Vec<&str> = INFO.params.iter().map(|p| p.name()).collect();
        assert_eq!(
            p,
            [
                "ip",
                "cidr_netmask",
                "nic",
                "broadcast",
                "iflabel",
                "arp_count",
                "arp_interval",
                "preferred_lft",
                "probe_duplicate",
                "probe_wait",
            ]
        );
    }
}
