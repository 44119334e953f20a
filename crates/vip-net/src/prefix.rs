//! Prefix math for IPv4 and IPv6, and the parsers for the ways users write netmasks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest prefix of the address's family: 32 or 128.
pub fn max_prefix(ip: &IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn mask_v4(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p if p >= 32 => u32::MAX,
        p => u32::MAX << (32 - u32::from(p)),
    }
}

fn mask_v6(prefix: u8) -> u128 {
    match prefix {
        0 => 0,
        p if p >= 128 => u128::MAX,
        p => u128::MAX << (128 - u32::from(p)),
    }
}

/// The network address of `ip/prefix` (host bits cleared).
pub fn network(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask_v4(prefix))),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask_v6(prefix))),
    }
}

/// Whether `ip` lies in the subnet `net/prefix`. Addresses of different families never match.
pub fn contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
            network(net, prefix) == network(ip, prefix)
        }
        _ => false,
    }
}

/// The IPv4 directed broadcast of `ip/prefix` (host bits set), as `ip addr add … brd +`
/// computes it. `None` for /31 and /32, which have no broadcast address (RFC 3021).
pub fn broadcast(ip: Ipv4Addr, prefix: u8) -> Option<Ipv4Addr> {
    (prefix <= 30).then(|| Ipv4Addr::from(u32::from(ip) | !mask_v4(prefix)))
}

/// What an address is in its subnet when it is not a host address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubnetRole {
    /// All host bits zero: the network address (for IPv6 the Subnet-Router anycast address,
    /// RFC 4291 §2.6.1).
    Network,
    /// All host bits one (IPv4 only: IPv6 has no broadcast).
    Broadcast,
}

/// Whether `ip` is the network or the broadcast address of `ip/prefix`. Prefixes without
/// either have none: IPv4 /31 (RFC 3021) and /32, IPv6 /127 (RFC 6164) and /128.
pub fn subnet_role(ip: IpAddr, prefix: u8) -> Option<SubnetRole> {
    if prefix >= max_prefix(&ip).saturating_sub(1) {
        return None;
    }
    if network(ip, prefix) == ip {
        return Some(SubnetRole::Network);
    }
    match ip {
        IpAddr::V4(v4) if broadcast(v4, prefix) == Some(v4) => Some(SubnetRole::Broadcast),
        _ => None,
    }
}

/// `ip addr add … brd -`: the host bits cleared.
pub fn broadcast_minus(ip: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(ip) & mask_v4(prefix))
}

/// The prefix length of a dotted-quad netmask, if it is contiguous (255.255.255.0 → 24).
pub fn prefix_from_netmask(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let ones = m.leading_ones();
    (m.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

/// Why a netmask text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetmaskError {
    #[error("'{0}' is neither a prefix length nor a dotted-quad netmask")]
    Syntax(String),
    #[error("prefix length {len} is out of range for {family} (1..={max})")]
    Range {
        len: u32,
        family: &'static str,
        max: u8,
    },
    #[error("netmask {0} is not contiguous")]
    NotContiguous(Ipv4Addr),
    #[error("a dotted-quad netmask ({0}) cannot be used with an IPv6 address")]
    DottedForIpv6(Ipv4Addr),
}

/// A netmask as written (`24`, `/24`, `255.255.255.0`), before it is checked against an
/// address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Netmask {
    /// A prefix length, as written (it may be out of range for the family).
    Length(u32),
    /// A dotted quad (it may be non-contiguous).
    Dotted(Ipv4Addr),
}

impl Netmask {
    /// The syntax only: a prefix length (optionally after a `/`) or a dotted quad.
    pub fn parse(text: &str) -> Option<Netmask> {
        let t = text.trim();
        let t = t.strip_prefix('/').unwrap_or(t);
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Netmask::Length(t.parse().unwrap_or(u32::MAX)));
        }
        t.parse::<Ipv4Addr>().ok().map(Netmask::Dotted)
    }

    /// The prefix length this netmask gives `ip`. Prefix 0 is refused: a VIP owning the whole
    /// address space is always a mistake.
    pub fn prefix_for(self, ip: &IpAddr) -> Result<u8, NetmaskError> {
        let (family, max) = match ip {
            IpAddr::V4(_) => ("IPv4", 32u8),
            IpAddr::V6(_) => ("IPv6", 128u8),
        };
        match self {
            Netmask::Length(len) if len == 0 || len > u32::from(max) => {
                Err(NetmaskError::Range { len, family, max })
            }
            Netmask::Length(len) => Ok(len as u8),
            Netmask::Dotted(mask) if ip.is_ipv6() => Err(NetmaskError::DottedForIpv6(mask)),
            Netmask::Dotted(mask) => match prefix_from_netmask(mask) {
                Some(0) => Err(NetmaskError::Range {
                    len: 0,
                    family,
                    max,
                }),
                Some(p) => Ok(p),
                None => Err(NetmaskError::NotContiguous(mask)),
            },
        }
    }
}

/// Parses a `cidr_netmask` for `ip`: a prefix length (`24`, `/24`, `64`) or, for IPv4, a
/// dotted-quad netmask (`255.255.255.0`); see [`Netmask`].
pub fn parse_netmask(text: &str, ip: &IpAddr) -> Result<u8, NetmaskError> {
    Netmask::parse(text)
        .ok_or_else(|| NetmaskError::Syntax(text.to_string()))?
        .prefix_for(ip)
}

/// The solicited-node multicast group of an IPv6 address (ff02::1:ffXX:XXXX, RFC 4291 §2.7.1).
pub fn solicited_node(ip: Ipv6Addr) -> Ipv6Addr {
    let o = ip.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    )
}

/// The Ethernet multicast MAC of an IPv6 multicast group (33:33 + low 32 bits, RFC 2464 §7).
pub fn multicast_mac(group: Ipv6Addr) -> [u8; 6] {
    let o = group.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

/// fe80::/10.
pub fn is_link_local_v6(ip: &Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xffc0) == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_and_membership() {
        assert_eq!(network(v4("10.201.0.50"), 24), v4("10.201.0.0"));
        assert_eq!(network(v4("10.201.0.50"), 32), v4("10.201.0.50"));
        assert_eq!(network(v4("10.201.0.50"), 0), v4("0.0.0.0"));
        assert!(contains(v4("10.201.0.1"), 24, v4("10.201.0.254")));
        assert!(!contains(v4("10.201.0.1"), 24, v4("10.201.1.1")));
        assert!(contains(v4("10.201.0.1"), 23, v4("10.201.1.1")));
        assert!(!contains(v4("10.201.0.1"), 24, v4("fd00:201::1")));
        let a = v4("fd00:201::1");
        assert!(contains(a, 64, v4("fd00:201::ffff:1")));
        assert!(!contains(a, 64, v4("fd00:202::1")));
        assert!(contains(a, 0, v4("2001:db8::1")));
        assert_eq!(network(a, 128), a);
        assert_eq!(network(v4("fd00:201::abcd"), 112), v4("fd00:201::"));
    }

    #[test]
    fn broadcasts() {
        let ip: Ipv4Addr = "10.201.0.50".parse().unwrap();
        assert_eq!(broadcast(ip, 24), Some("10.201.0.255".parse().unwrap()));
        assert_eq!(broadcast(ip, 16), Some("10.201.255.255".parse().unwrap()));
        assert_eq!(broadcast(ip, 30), Some("10.201.0.51".parse().unwrap()));
        assert_eq!(broadcast(ip, 31), None);
        assert_eq!(broadcast(ip, 32), None);
        assert_eq!(
            broadcast_minus(ip, 24),
            "10.201.0.0".parse::<Ipv4Addr>().unwrap()
        );
    }

    #[test]
    fn subnet_roles() {
        use SubnetRole::*;
        assert_eq!(subnet_role(v4("10.0.0.0"), 24), Some(Network));
        assert_eq!(subnet_role(v4("10.0.0.255"), 24), Some(Broadcast));
        assert_eq!(subnet_role(v4("10.0.0.254"), 24), None);
        assert_eq!(subnet_role(v4("10.0.0.3"), 30), Some(Broadcast));
        assert_eq!(subnet_role(v4("10.0.0.0"), 31), None);
        assert_eq!(subnet_role(v4("10.0.0.1"), 31), None);
        assert_eq!(subnet_role(v4("10.0.0.0"), 32), None);
        assert_eq!(subnet_role(v4("fd00::"), 64), Some(Network));
        assert_eq!(subnet_role(v4("fd00::ffff:ffff:ffff:ffff"), 64), None);
        assert_eq!(subnet_role(v4("fd00::"), 127), None);
        assert_eq!(subnet_role(v4("fd00::"), 128), None);
        assert_eq!(subnet_role(v4("0.0.0.0"), 1), Some(Network));
    }

    #[test]
    fn netmasks() {
        let ip4 = v4("10.0.0.1");
        let ip6 = v4("fd00::1");
        for (text, ip, len) in [
            ("24", ip4, 24),
            (" /16 ", ip4, 16),
            ("32", ip4, 32),
            ("255.255.255.0", ip4, 24),
            ("255.255.255.255", ip4, 32),
            ("128.0.0.0", ip4, 1),
            ("64", ip6, 64),
            ("128", ip6, 128),
        ] {
            assert_eq!(parse_netmask(text, &ip), Ok(len), "{text:?}");
        }
        for (text, ip, len) in [
            ("33", ip4, 33),
            ("0", ip4, 0),
            ("0.0.0.0", ip4, 0),
            ("129", ip6, 129),
        ] {
            let e = parse_netmask(text, &ip);
            assert!(
                matches!(e, Err(NetmaskError::Range { len: l, .. }) if l == len),
                "{text:?}: {e:?}"
            );
        }
        assert!(matches!(
            parse_netmask("99999999999999", &ip4),
            Err(NetmaskError::Range { .. })
        ));
        assert_eq!(
            parse_netmask("255.0.255.0", &ip4),
            Err(NetmaskError::NotContiguous("255.0.255.0".parse().unwrap()))
        );
        for text in ["abc", "", "-1"] {
            let e = parse_netmask(text, &ip4);
            assert!(matches!(e, Err(NetmaskError::Syntax(_))), "{text:?}: {e:?}");
        }
        assert!(matches!(
            parse_netmask("255.255.255.0", &ip6),
            Err(NetmaskError::DottedForIpv6(_))
        ));
    }

    #[test]
    fn contiguous_masks() {
        for p in 0..=32u8 {
            let mask = Ipv4Addr::from(mask_v4(p));
            assert_eq!(prefix_from_netmask(mask), Some(p), "{mask}");
        }
        assert_eq!(prefix_from_netmask("0.255.0.0".parse().unwrap()), None);
    }

    #[test]
    fn solicited_node_and_multicast_mac() {
        let ip: Ipv6Addr = "fd00:201::1234:5678".parse().unwrap();
        let g = solicited_node(ip);
        assert_eq!(g, "ff02::1:ff34:5678".parse::<Ipv6Addr>().unwrap());
        assert_eq!(multicast_mac(g), [0x33, 0x33, 0xff, 0x34, 0x56, 0x78]);
        assert!(is_link_local_v6(&"fe80::1".parse().unwrap()));
        assert!(is_link_local_v6(&"febf::1".parse().unwrap()));
        assert!(!is_link_local_v6(&"fec0::1".parse().unwrap()));
        assert!(!is_link_local_v6(&"fd00::1".parse().unwrap()));
    }
}
