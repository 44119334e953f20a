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
    #[error(
        "parameter 'iflabel' is too long: nic:iflabel cannot fit in {max} characters ('{}')",
        short(label)
    )]
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
    #[error("interface '{}' does not exist on this node", short(.0))]
    NoSuchNic(String),
    #[error(transparent)]
    NoNic(NicError),
    #[error("set cidr_netmask: {nic} has no address of its own in a subnet containing {ip}")]
    NoOwnAddress { nic: String, ip: IpAddr },
    /// monitor: 7, never 6 (#334).
    #[error("nic {} does not exist on this node", short(.0))]
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
    #[error("{ip} already used by MAC {mac} on {nic} (duplicate probe): not added")]
    Duplicate {
        ip: IpAddr,
        nic: String,
        mac: MacAddr,
    },
    /// An address the kernel flagged dadfailed (monitor, start).
    #[error("{ip} on {nic}: duplicate address detection failed (dadfailed), another node uses it")]
    DadFailed { ip: IpAddr, nic: String },
    /// start: the wait for the kernel's DAD failed; the address was removed again.
    #[error("{0}; address removed again")]
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

/// A configured name in a reason: normal names have at most 15 characters, altnames up to 127,
/// which would push the essential words past Pacemaker's limit.
fn short(name: &str) -> String {
    ocf::reason::excerpt(name, 24)
}

fn elsewhere(ip: &IpAddr, on: &str, nic: &str, nic_exists: bool) -> String {
    let nic = short(nic);
    if nic_exists {
        format!("{ip} is on {on}, not on its nic {nic}")
    } else {
        format!("{ip} is on {on}; nic {nic} does not exist on this node")
    }
}

fn label_too_long(full: &str, max: usize) -> String {
    format!(
        "parameter 'iflabel': nic:iflabel is {} characters long, the kernel allows {max}: '{}'",
        full.len(),
        short(full)
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
            | DadFailed { .. }
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

    /// Pacemaker keeps 128 characters of a reason (the core cuts there). With the longest
    /// values each can carry (a 39-character IPv6 address, 15-character kernel interface names,
    /// a 127-character configured nic or altname, an endless label), every reason keeps its
    /// essential words within the cut.
    #[test]
    fn every_reason_keeps_its_essentials_within_pacemakers_limit() {
        use vip_net::Error as E;
        let ip: IpAddr = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe".parse().unwrap();
        let mapped: IpAddr = "::ffff:255.255.255.254".parse().unwrap();
        let kn = "abcdefghijklmno".to_string(); // IFNAMSIZ - 1
        let cn = "n".repeat(127); // a configured altname
        let why = format!("link {kn} is down (state LOWERLAYERDOWN, no carrier)");
        let mac = MacAddr([0xfe; 6]);
        let cand = |i: u32| vip_net::Candidate {
            ifindex: i,
            nic: kn.clone(),
            own: ip,
            own_prefix: 127,
        };
        let cases: Vec<(VipError, &[&str])> = vec![
            (
                VipError::NotUnicast {
                    ip: mapped,
                    what: "an IPv4-mapped IPv6 address (write the IPv4 address)",
                },
                &["parameter 'ip'", "IPv4-mapped", "not a unicast address"],
            ),
            (
                VipError::SubnetAddress {
                    ip,
                    role: "network address",
                    prefix: 64,
                },
                &["parameter 'ip'", "network address of its subnet /64"],
            ),
            (VipError::BroadcastItself(ip), &["configured broadcast"]),
            (VipError::LinkLocalNeedsNic(ip), &["needs nic"]),
            (
                VipError::Netmask(NetmaskError::Range {
                    len: u32::MAX,
                    family: "IPv4",
                    max: 32,
                }),
                &["cidr_netmask", "out of range"],
            ),
            (
                VipError::LabelCannotFit {
                    label: "l".repeat(5000),
                    max: 15,
                },
                &["iflabel", "15 characters"],
            ),
            (
                VipError::LabelTooLong {
                    full: format!("{cn}:{}", "l".repeat(5000)),
                    max: 15,
                },
                &["nic:iflabel", "the kernel allows 15"],
            ),
            (
                VipError::LabelTooLongHere {
                    full: format!("{kn}:{}", "l".repeat(5000)),
                    max: 15,
                },
                &["nic:iflabel", "the kernel allows 15"],
            ),
            (
                VipError::NoSuchNic(cn.clone()),
                &["does not exist on this node"],
            ),
            (
                VipError::NicGone(cn.clone()),
                &["does not exist on this node"],
            ),
            (
                VipError::NoNic(NicError::AmbiguousNic {
                    vip: ip,
                    prefix: Some(127),
                    candidates: (1..9).map(cand).collect(),
                }),
                &["8 interfaces", "set nic"],
            ),
            (
                VipError::NoNic(NicError::NoCandidate {
                    vip: ip,
                    prefix: Some(127),
                }),
                &["no interface", "set nic"],
            ),
            (
                VipError::NoOwnAddress {
                    nic: kn.clone(),
                    ip,
                },
                &["cidr_netmask", "no address of its own", "set cidr_netmask"],
            ),
            (
                VipError::LinkDownHere {
                    ip,
                    nic: kn.clone(),
                    why: why.clone(),
                },
                &["is down"],
            ),
            (
                VipError::Duplicate {
                    ip,
                    nic: kn.clone(),
                    mac,
                },
                &["already used by MAC fe:fe:fe:fe:fe:fe", "not added"],
            ),
            (
                VipError::DadFailed {
                    ip,
                    nic: kn.clone(),
                },
                &["dadfailed", "another node uses it"],
            ),
            (
                VipError::DadRemoved(E::DadFailed {
                    ip,
                    nic: kn.clone(),
                }),
                &["dadfailed", "another node uses it"],
            ),
            (
                VipError::OtherPrefix {
                    ip,
                    nic: kn.clone(),
                    found: 128,
                    configured: 127,
                },
                &["prefix /128", "/127"],
            ),
            (
                VipError::OtherPrefixAtStart {
                    ip,
                    nic: kn.clone(),
                    found: 128,
                    want: 127,
                },
                &["prefix /128", "/127", "cidr_netmask"],
            ),
            (
                VipError::DownAtStart {
                    ip,
                    prefix: 128,
                    nic: kn.clone(),
                    why: why.clone(),
                },
                &["is down"],
            ),
            (
                VipError::CannotStart {
                    ip,
                    nic: kn.clone(),
                    why: why.clone(),
                },
                &["cannot start", "is down"],
            ),
            (
                VipError::NotAdded {
                    ip,
                    prefix: 128,
                    nic: kn.clone(),
                },
                &["after adding it"],
            ),
            (
                VipError::Elsewhere {
                    ip,
                    on: kn.clone(),
                    nic: cn.clone(),
                    nic_exists: true,
                },
                &["is on abcdefghijklmno", "not on its nic"],
            ),
            (
                VipError::Elsewhere {
                    ip,
                    on: kn.clone(),
                    nic: cn.clone(),
                    nic_exists: false,
                },
                &["is on abcdefghijklmno", "does not exist on this node"],
            ),
            (
                VipError::StillConfigured { ip, on: kn.clone() },
                &["still on", "after removing it"],
            ),
            (
                E::Ipv6Disabled { nic: kn.clone() }.into(),
                &["IPv6 is disabled", "disable_ipv6=1"],
            ),
            (
                E::PermissionDenied {
                    op: "delete address",
                    needs: "CAP_NET_ADMIN",
                }
                .into(),
                &["permission denied", "CAP_NET_ADMIN"],
            ),
            (
                E::Timeout {
                    op: "wait for duplicate address detection",
                    waited: Duration::from_secs(3600),
                }
                .into(),
                &["no answer within"],
            ),
            (
                E::NoHardwareAddress { nic: kn.clone() }.into(),
                &["no Ethernet hardware address"],
            ),
        ];
        let mut broken = Vec::new();
        for (e, needles) in &cases {
            let shown = ocf::reason::for_pacemaker(&e.to_string());
            for n in *needles {
                if !shown.contains(n) {
                    broken.push(format!("'{n}' lost from: {shown}"));
                }
            }
        }
        assert!(broken.is_empty(), "{}", broken.join("\n"));
    }
}
