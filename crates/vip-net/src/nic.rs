//! Which interface a VIP belongs on, when the user did not say.
//!
//! The rule is simple and stated once: an interface is a candidate when one of its own
//! addresses lies in the VIP's subnet — `VIP/cidr_netmask` when the netmask is given, otherwise
//! the subnet of that own address (whose prefix then becomes the VIP's). Exactly one candidate
//! is the answer; none or several is an error that names what was found. No routing table, no
//! metrics, no "most specific wins": resource-agents' findif guessed from routes and broke on
//! exactly that (ClusterLabs/resource-agents#1963, #1726).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::address::{AddrFlags, Address};
use crate::link::Link;
use crate::prefix::{self, is_link_local_v6};

/// Why no interface was chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NicError {
    /// No interface has an address in the VIP's subnet.
    #[error("no interface on this node has an address in the subnet of {}; set nic", subnet(*vip, *prefix))]
    NoCandidate { vip: IpAddr, prefix: Option<u8> },

    /// Several interfaces have an address in the VIP's subnet.
    #[error(
        "{} interfaces have an address in the subnet of {}; set nic to choose one: {}",
        candidates.len(), subnet(*vip, *prefix), list(candidates)
    )]
    AmbiguousNic {
        vip: IpAddr,
        prefix: Option<u8>,
        candidates: Vec<Candidate>,
    },
}

fn subnet(vip: IpAddr, prefix: Option<u8>) -> String {
    match prefix {
        Some(p) => format!("{vip}/{p}"),
        None => vip.to_string(),
    }
}

fn list(c: &[Candidate]) -> String {
    c.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An interface with an address in the VIP's subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub ifindex: u32,
    pub nic: String,
    /// The interface's own address that matched, with its prefix.
    pub own: IpAddr,
    pub own_prefix: u8,
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}/{})", self.nic, self.own, self.own_prefix)
    }
}

/// The chosen interface and the prefix the VIP gets on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NicChoice {
    pub ifindex: u32,
    pub nic: String,
    pub prefix: u8,
    /// The own address that made this interface the candidate.
    pub own: IpAddr,
}

/// Picks the interface for `vip` among `links`/`addrs` (see the module documentation).
/// `prefix` is the configured `cidr_netmask`, if any.
pub fn select_nic(
    links: &[Link],
    addrs: &[Address],
    vip: IpAddr,
    prefix: Option<u8>,
) -> Result<NicChoice, NicError> {
    let vip_link_local = matches!(vip, IpAddr::V6(v) if is_link_local_v6(&v));
    // ifindex -> best matching own address (longest own prefix, then lowest address).
    let mut best: BTreeMap<u32, &Address> = BTreeMap::new();
    for a in addrs {
        if a.ip == vip || a.ip.is_ipv4() != vip.is_ipv4() || a.flags.has(AddrFlags::DADFAILED) {
            continue;
        }
        if let IpAddr::V6(own) = a.ip {
            // Every IPv6 interface has a link-local address; those say nothing about where a
            // routable VIP belongs.
            if is_link_local_v6(&own) != vip_link_local {
                continue;
            }
        }
        let p = prefix.unwrap_or(a.prefix);
        if p == 0 || !prefix::contains(a.ip, p, vip) {
            continue;
        }
        // A /32 or /128 own address contains only itself, excluded above.
        best.entry(a.ifindex)
            .and_modify(|cur| {
                if (a.prefix, std::cmp::Reverse(a.ip)) > (cur.prefix, std::cmp::Reverse(cur.ip)) {
                    *cur = a;
                }
            })
            .or_insert(a);
    }
    let name = |ifindex: u32| {
        links
            .iter()
            .find(|l| l.index == ifindex)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| format!("ifindex {ifindex}"))
    };
    let mut candidates: Vec<Candidate> = best
        .values()
        .map(|a| Candidate {
            ifindex: a.ifindex,
            nic: name(a.ifindex),
            own: a.ip,
            own_prefix: a.prefix,
        })
        .collect();
    match candidates.len() {
        0 => Err(NicError::NoCandidate { vip, prefix }),
        1 => {
            let c = candidates.remove(0);
            Ok(NicChoice {
                ifindex: c.ifindex,
                nic: c.nic,
                prefix: prefix.unwrap_or(c.own_prefix),
                own: c.own,
            })
        }
        _ => {
            candidates.sort_by(|a, b| a.nic.cmp(&b.nic));
            Err(NicError::AmbiguousNic {
                vip,
                prefix,
                candidates,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Lifetime;
    use crate::link::OperState;

    fn link(index: u32, name: &str) -> Link {
        Link {
            index,
            name: name.into(),
            altnames: vec![],
            admin_up: true,
            lower_up: true,
            loopback: index == 1,
            noarp: false,
            oper: OperState::Up,
            mac: None,
        }
    }

    fn addr(ifindex: u32, cidr: &str) -> Address {
        let (ip, p) = cidr.split_once('/').unwrap();
        Address {
            ifindex,
            ip: ip.parse().unwrap(),
            prefix: p.parse().unwrap(),
            peer: None,
            label: None,
            broadcast: None,
            flags: AddrFlags::default(),
            scope: 0,
            preferred_lft: Lifetime::Forever,
            valid_lft: Lifetime::Forever,
        }
    }

    fn links() -> Vec<Link> {
        vec![link(1, "lo"), link(2, "eth0"), link(3, "eth1")]
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// [`select_nic`] among lo, eth0 and eth1.
    fn select(addrs: &[Address], vip: &str, prefix: Option<u8>) -> Result<NicChoice, NicError> {
        select_nic(&links(), addrs, ip(vip), prefix)
    }

    #[test]
    fn single_candidate_gives_its_prefix() {
        let addrs = [
            addr(1, "127.0.0.1/8"),
            addr(2, "10.201.0.1/24"),
            addr(3, "192.168.7.1/24"),
        ];
        let c = select(&addrs, "10.201.0.50", None).unwrap();
        assert_eq!((c.nic.as_str(), c.prefix, c.ifindex), ("eth0", 24, 2));
        // A configured netmask wins over the own address's prefix.
        let c = select(&addrs, "10.201.0.50", Some(16)).unwrap();
        assert_eq!((c.nic.as_str(), c.prefix), ("eth0", 16));
        // With the configured netmask, the VIP's subnet must contain the own address.
        let e = select(&addrs, "10.201.0.50", Some(30)).unwrap_err();
        assert!(matches!(e, NicError::NoCandidate { .. }), "{e}");
        // Loopback VIPs land on lo.
        let c = select(&addrs, "127.0.0.50", None).unwrap();
        assert_eq!(c.nic, "lo");
    }

    #[test]
    fn none_and_several_are_errors_naming_what_was_found() {
        let addrs = [addr(2, "10.201.0.1/24"), addr(3, "10.201.0.2/24")];
        let e = select(&addrs, "10.201.0.50", None).unwrap_err();
        let text = e.to_string();
        assert!(
            matches!(e, NicError::AmbiguousNic { ref candidates, .. } if candidates.len() == 2)
        );
        assert!(
            text.contains("eth0 (10.201.0.1/24)") && text.contains("eth1 (10.201.0.2/24)"),
            "{text}"
        );
        assert!(text.contains("set nic"), "{text}");
        let e = select(&addrs, "10.9.9.9", None).unwrap_err();
        assert!(matches!(e, NicError::NoCandidate { .. }));
        assert!(e.to_string().contains("no interface"), "{e}");
        assert!(e.to_string().contains("10.9.9.9"), "{e}");
    }

    #[test]
    fn the_vip_itself_and_other_families_do_not_count() {
        // Already configured VIP on eth1 does not make eth1 a candidate.
        let addrs = [
            addr(2, "10.201.0.1/24"),
            addr(3, "10.201.0.50/24"),
            addr(3, "fd00:201::1/64"),
        ];
        let c = select(&addrs, "10.201.0.50", None).unwrap();
        assert_eq!(c.nic, "eth0");
        let e = select(&addrs[..2], "fd00:201::50", None).unwrap_err();
        assert!(matches!(e, NicError::NoCandidate { .. }));
    }

    #[test]
    fn ipv6_ignores_link_local_own_addresses() {
        let addrs = [
            addr(2, "fe80::1/64"),
            addr(3, "fe80::2/64"),
            addr(3, "fd00:201::1/64"),
        ];
        let c = select(&addrs, "fd00:201::50", None).unwrap();
        assert_eq!((c.nic.as_str(), c.prefix), ("eth1", 64));
        // A link-local VIP matches link-local own addresses only (and there are two here).
        let e = select(&addrs, "fe80::50", None).unwrap_err();
        assert!(matches!(e, NicError::AmbiguousNic { .. }));
    }

    #[test]
    fn several_addresses_on_one_interface_are_one_candidate() {
        let mut failed = addr(3, "10.201.0.3/24");
        failed.flags = AddrFlags(AddrFlags::DADFAILED);
        let addrs = [addr(2, "10.201.0.1/16"), addr(2, "10.201.0.2/24"), failed];
        let c = select(&addrs, "10.201.0.50", None).unwrap();
        assert_eq!(
            (c.nic.as_str(), c.prefix),
            ("eth0", 24),
            "longest own prefix"
        );
        assert_eq!(c.own, ip("10.201.0.2"));
    }
}
