//! Every way an action of this agent can fail, and (in [`Failure::rc`]) the one mapping of
//! those failures to OCF exit codes. The reason Pacemaker shows is the variant's text:
//! essentials first, since Pacemaker keeps 128 characters.
//!
//! The rule behind the codes: wrong in the configuration (so on every node) is 6, which a probe
//! turns into 7 (ocf::run); missing on this node only is 5 from start and validate-all and 7
//! from monitor (never 6: resource-agents #334); a lack of privilege is 4; a conflict or a
//! broken state of the address is 1 (soft: Pacemaker recovers, or tries another node).

use std::io;
use std::net::IpAddr;

use ocf::{Failure, OcfRc, ParamError, Unimplemented};
use vip_net::prefix::NetmaskError;
use vip_net::{MacAddr, NicError};

#[derive(Debug, thiserror::Error)]
pub enum VipError {
    // --- 6: the configuration is wrong everywhere ---------------------------------------
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error("parameter 'ip': {ip} is {what}, not a unicast address")]
    NotUnicast { ip: IpAddr, what: &'static str },
    /// The subnet's network or broadcast address (the prefix configured, or found on the node).
    #[error("parameter 'ip': {ip} is the {role} of its subnet /{prefix}")]
    SubnetAddress {
        ip: IpAddr,
        role: &'static str,
        prefix: u8,
    },
    #[error("parameter 'ip': {0} is the configured broadcast address")]
    BroadcastItself(IpAddr),
    #[error("{0} is a link-local IPv6 address: it needs nic (it exists on every link)")]
    LinkLocalNeedsNic(IpAddr),
    #[error("parameter 'cidr_netmask': {0}")]
    Netmask(NetmaskError),
    #[error("both iflabel and a nic:label were given; use iflabel only")]
    TwoLabels,
    #[error("{param} applies to IPv4 addresses only; {ip} is IPv6")]
    Ipv4Only { param: &'static str, ip: IpAddr },
    #[error("{param} applies to IPv6 addresses only; {ip} is IPv4")]
    Ipv6Only { param: &'static str, ip: IpAddr },
    #[error("parameter 'iflabel': nic:{label} cannot fit in {max} characters")]
    LabelCannotFit { label: String, max: usize },
    /// With the configured nic.
    #[error("{}", label_too_long(full, *max))]
    LabelTooLong { full: String, max: usize },

    // --- 3 ------------------------------------------------------------------------------
    #[error(transparent)]
    Unimplemented(#[from] Unimplemented),

    // --- 2: an argument that does not work on this node ---------------------------------
    /// With the detected nic: the same configuration may fit elsewhere.
    #[error("{}", label_too_long(full, *max))]
    LabelTooLongHere { full: String, max: usize },

    // --- 5 (start, validate-all) and 7 (monitor): missing on this node ------------------
    #[error("interface '{0}' does not exist on this node")]
    NoSuchNic(String),
    #[error(transparent)]
    NoNic(NicError),
    #[error(
        "cidr_netmask is not set and {nic} has no address of its own in a subnet containing \
         {ip}; set cidr_netmask"
    )]
    NoOwnAddress { nic: String, ip: IpAddr },
    /// monitor: 7, never 6 (#334).
    #[error("nic {0} does not exist on this node")]
    NicGone(String),
    /// monitor: the address is there but the link carries no traffic (7: soft, honours
    /// migration-threshold, as IPaddr2 since resource-agents #2113).
    #[error("{ip} is on {nic}, but {why}")]
    LinkDownHere {
        ip: IpAddr,
        nic: String,
        why: String,
    },

    // --- 4 ------------------------------------------------------------------------------
    #[error("{0}")]
    Privilege(&'static str),

    // --- 1: conflicts and broken states ---------------------------------------------------
    #[error("cannot read capabilities: {0}")]
    Capabilities(io::Error),
    /// From the library; its code depends on what it says (see `rc`).
    #[error(transparent)]
    Net(#[from] vip_net::Error),
    #[error("{ip} is already in use on {nic}'s link by MAC {mac} (duplicate probe): not added")]
    Duplicate {
        ip: IpAddr,
        nic: String,
        mac: MacAddr,
    },
    #[error("{ip} is on {nic} but duplicate address detection failed (dadfailed)")]
    DadFailedFound { ip: IpAddr, nic: String },
    #[error(
        "{ip}/{prefix} is on {nic} but duplicate address detection failed (dadfailed): another \
         node uses it"
    )]
    DadFailedAtStart { ip: IpAddr, prefix: u8, nic: String },
    #[error("address removed again: {0}")]
    DadRemoved(vip_net::Error),
    #[error("{ip} is on {nic} with prefix /{found}, not the configured /{configured}")]
    OtherPrefix {
        ip: IpAddr,
        nic: String,
        found: u8,
        configured: u8,
    },
    #[error(
        "{ip} is already on {nic} with prefix /{found}, not /{want}; remove it or fix cidr_netmask"
    )]
    OtherPrefixAtStart {
        ip: IpAddr,
        nic: String,
        found: u8,
        want: u8,
    },
    #[error("{ip}/{prefix} is on {nic}, but {why}")]
    DownAtStart {
        ip: IpAddr,
        prefix: u8,
        nic: String,
        why: String,
    },
    #[error("cannot start {ip} on {nic}: {why}")]
    CannotStart {
        ip: IpAddr,
        nic: String,
        why: String,
    },
    #[error("{ip}/{prefix} is not on {nic} after adding it")]
    NotAdded { ip: IpAddr, prefix: u8, nic: String },
    /// The node holds the address, but not where the configuration says (monitor, probes and
    /// start: 1, so that Pacemaker stops it here; stop removes it wherever it is).
    #[error("{}", elsewhere(ip, on, nic, *nic_exists))]
    Elsewhere {
        ip: IpAddr,
        on: String,
        nic: String,
        nic_exists: bool,
    },
    #[error("{ip} is still on {on} after removing it")]
    StillConfigured { ip: IpAddr, on: String },
    #[error("the detected interface vanished")]
    DetectedVanished,
}

fn elsewhere(ip: &IpAddr, on: &str, nic: &str, nic_exists: bool) -> String {
    if nic_exists {
        format!("{ip} is on {on}, not on its nic {nic}")
    } else {
        format!("{ip} is on {on}; nic {nic} does not exist on this node")
    }
}

fn label_too_long(full: &str, max: usize) -> String {
    format!(
        "the address label '{full}' (nic:iflabel) is {} characters long; the kernel allows {max}",
        full.len()
    )
}

impl Failure for VipError {
    fn rc(&self) -> OcfRc {
        use vip_net::Error as E;
        use VipError::*;
        match self {
            Param(_)
            | NotUnicast { .. }
            | SubnetAddress { .. }
            | BroadcastItself(_)
            | LinkLocalNeedsNic(_)
            | Netmask(_)
            | TwoLabels
            | Ipv4Only { .. }
            | Ipv6Only { .. }
            | LabelCannotFit { .. }
            | LabelTooLong { .. } => OcfRc::ErrConfigured,
            Unimplemented(_) => OcfRc::ErrUnimplemented,
            LabelTooLongHere { .. } => OcfRc::ErrArgs,
            NoSuchNic(_) | NoNic(_) | NoOwnAddress { .. } => OcfRc::ErrInstalled,
            NicGone(_) | LinkDownHere { .. } => OcfRc::NotRunning,
            Privilege(_) => OcfRc::ErrPerm,
            Net(e) => match e {
                E::PermissionDenied { .. } => OcfRc::ErrPerm,
                // Only start meets these (adding, announcing): missing on this node.
                E::NoHardwareAddress { .. } | E::Ipv6Disabled { .. } => OcfRc::ErrInstalled,
                E::Invalid(_) => OcfRc::ErrConfigured,
                _ => OcfRc::ErrGeneric,
            },
            Capabilities(_)
            | Duplicate { .. }
            | DadFailedFound { .. }
            | DadFailedAtStart { .. }
            | DadRemoved(_)
            | OtherPrefix { .. }
            | OtherPrefixAtStart { .. }
            | DownAtStart { .. }
            | CannotStart { .. }
            | NotAdded { .. }
            | Elsewhere { .. }
            | StillConfigured { .. }
            | DetectedVanished => OcfRc::ErrGeneric,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn codes() {
        use vip_net::Error as E;
        let rc = |e: VipError| e.rc();
        assert_eq!(rc(VipError::NoSuchNic("eth9".into())), OcfRc::ErrInstalled);
        assert_eq!(rc(VipError::NicGone("eth9".into())), OcfRc::NotRunning);
        let none = NicError::NoCandidate {
            vip: "10.0.0.1".parse().unwrap(),
            prefix: None,
        };
        assert_eq!(rc(VipError::NoNic(none)), OcfRc::ErrInstalled);
        let ipv6_off = E::Ipv6Disabled { nic: "eth9".into() };
        assert_eq!(rc(ipv6_off.into()), OcfRc::ErrInstalled);
        let denied = E::PermissionDenied {
            op: "x",
            needs: "CAP_NET_ADMIN",
        };
        assert_eq!(rc(denied.into()), OcfRc::ErrPerm);
        let dad = E::DadFailed {
            ip: "fd00::1".parse().unwrap(),
            nic: "eth0".into(),
        };
        assert_eq!(rc(VipError::DadRemoved(dad)), OcfRc::ErrGeneric);
        assert_eq!(rc(E::Invalid("x".into()).into()), OcfRc::ErrConfigured);
        let slow = E::Timeout {
            op: "x",
            waited: Duration::ZERO,
        };
        assert_eq!(rc(slow.into()), OcfRc::ErrGeneric);
        let long = |here| {
            let full = "eth0:waytoolong".to_string();
            if here {
                VipError::LabelTooLongHere { full, max: 15 }
            } else {
                VipError::LabelTooLong { full, max: 15 }
            }
        };
        assert_eq!(rc(long(false)), OcfRc::ErrConfigured);
        assert_eq!(rc(long(true)), OcfRc::ErrArgs);
        assert_eq!(
            rc(ParamError::Missing { name: "ip" }.into()),
            OcfRc::ErrConfigured
        );
    }
}
