//! Wire formats: ARP (RFC 826, RFC 5227) and the two neighbour-discovery messages we need
//! (RFC 4861 neighbour solicitation / advertisement). Pure functions, unit-tested byte by byte.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::mac::MacAddr;
use crate::prefix::solicited_node;

pub const ETH_P_ARP: u16 = 0x0806;
pub const ETH_P_IPV6: u16 = 0x86dd;
pub const ARP_LEN: usize = 28;
const ARPOP_REQUEST: u16 = 1;
const ARPOP_REPLY: u16 = 2;
const IPPROTO_ICMPV6: u8 = 58;
const ND_NEIGHBOR_SOLICIT: u8 = 135;
const ND_NEIGHBOR_ADVERT: u8 = 136;
const ND_OPT_TARGET_LINKADDR: u8 = 2;
/// Neighbour advertisement flags (first byte of the reserved word).
pub const NA_FLAG_ROUTER: u8 = 0x80;
pub const NA_FLAG_SOLICITED: u8 = 0x40;
pub const NA_FLAG_OVERRIDE: u8 = 0x20;

/// An Ethernet/IPv4 ARP packet (the payload after the Ethernet header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    pub op: u16,
    pub sha: MacAddr,
    pub spa: Ipv4Addr,
    pub tha: MacAddr,
    pub tpa: Ipv4Addr,
}

impl Arp {
    /// A gratuitous ARP announcement (RFC 5227 §2.3, what resource-agents' send_arp sends in
    /// its default mode): a request with sender and target IP both the announced address.
    pub fn announcement(mac: MacAddr, ip: Ipv4Addr) -> Arp {
        Arp {
            op: ARPOP_REQUEST,
            sha: mac,
            spa: ip,
            tha: MacAddr::ZERO,
            tpa: ip,
        }
    }

    /// An ARP probe (RFC 5227 §2.1.1): a request for `ip` with sender IP 0.0.0.0, so that no
    /// neighbour learns anything from it, and anyone holding `ip` answers.
    pub fn probe(mac: MacAddr, ip: Ipv4Addr) -> Arp {
        Arp {
            op: ARPOP_REQUEST,
            sha: mac,
            spa: Ipv4Addr::UNSPECIFIED,
            tha: MacAddr::ZERO,
            tpa: ip,
        }
    }

    pub fn encode(&self) -> [u8; ARP_LEN] {
        let mut b = [0u8; ARP_LEN];
        b[0..2].copy_from_slice(&1u16.to_be_bytes()); // htype Ethernet
        b[2..4].copy_from_slice(&0x0800u16.to_be_bytes()); // ptype IPv4
        b[4] = 6; // hlen
        b[5] = 4; // plen
        b[6..8].copy_from_slice(&self.op.to_be_bytes());
        b[8..14].copy_from_slice(&self.sha.0);
        b[14..18].copy_from_slice(&self.spa.octets());
        b[18..24].copy_from_slice(&self.tha.0);
        b[24..28].copy_from_slice(&self.tpa.octets());
        b
    }

    /// Parses an Ethernet/IPv4 ARP request or reply; anything else is `None`.
    pub fn parse(b: &[u8]) -> Option<Arp> {
        if b.len() < ARP_LEN || b[0..2] != [0, 1] || b[2..4] != [8, 0] || b[4] != 6 || b[5] != 4 {
            return None;
        }
        let op = u16::from_be_bytes([b[6], b[7]]);
        if op != ARPOP_REQUEST && op != ARPOP_REPLY {
            return None;
        }
        let ip = |o: usize| Ipv4Addr::new(b[o], b[o + 1], b[o + 2], b[o + 3]);
        Some(Arp {
            op,
            sha: MacAddr::from_slice(&b[8..14])?,
            spa: ip(14),
            tha: MacAddr::from_slice(&b[18..24])?,
            tpa: ip(24),
        })
    }

    /// During a probe for `ip` from `ours`: the MAC of another host that claims `ip` (it answers
    /// for it, or announces it), if this packet shows one (RFC 5227 §2.1.1).
    pub fn conflict(&self, ip: Ipv4Addr, ours: MacAddr) -> Option<MacAddr> {
        (self.spa == ip && self.sha != ours).then_some(self.sha)
    }
}

/// The one's-complement sum of the IPv6 pseudo-header and an ICMPv6 message (RFC 4443 §2.3).
/// The message's own checksum field must be zero when computing, or in place when verifying
/// (a correct message then sums to zero).
pub fn icmpv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, icmp: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut add = |bytes: &[u8]| {
        for chunk in bytes.chunks(2) {
            let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
            sum += u32::from(word);
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&(icmp.len() as u32).to_be_bytes());
    add(&[0, 0, 0, IPPROTO_ICMPV6]);
    add(icmp);
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The ICMPv6 body of an unsolicited neighbour advertisement for `target` (RFC 4861 §4.4,
/// §7.2.6): Override set, Solicited clear, with a target link-layer address option. The
/// checksum is left zero: on a raw ICMPv6 socket the kernel fills it in.
pub fn unsolicited_na(mac: MacAddr, target: Ipv6Addr) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[0] = ND_NEIGHBOR_ADVERT;
    b[1] = 0; // code
    b[4] = NA_FLAG_OVERRIDE;
    b[8..24].copy_from_slice(&target.octets());
    b[24] = ND_OPT_TARGET_LINKADDR;
    b[25] = 1; // option length in units of 8 bytes
    b[26..32].copy_from_slice(&mac.0);
    b
}

/// A complete IPv6 packet carrying a duplicate-address-detection neighbour solicitation for
/// `target` (RFC 4862 §5.4.2): from the unspecified address `::` to the target's
/// solicited-node multicast group, hop limit 255, no source link-layer option. Returns the
/// packet and the Ethernet destination (33:33:ff:…).
pub fn dad_solicitation(target: Ipv6Addr) -> ([u8; 64], MacAddr) {
    let dst = solicited_node(target);
    let mut p = [0u8; 64];
    p[0] = 0x60; // version 6, traffic class 0, flow label 0
    p[4..6].copy_from_slice(&24u16.to_be_bytes()); // payload length
    p[6] = IPPROTO_ICMPV6;
    p[7] = 255; // hop limit
                // p[8..24]: source :: (zero)
    p[24..40].copy_from_slice(&dst.octets());
    let icmp = &mut p[40..64];
    icmp[0] = ND_NEIGHBOR_SOLICIT;
    icmp[8..24].copy_from_slice(&target.octets());
    let sum = icmpv6_checksum(Ipv6Addr::UNSPECIFIED, dst, icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    (p, MacAddr(crate::prefix::multicast_mac(dst)))
}

/// A neighbour advertisement read from an IPv6 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advertisement {
    pub source: Ipv6Addr,
    pub target: Ipv6Addr,
    pub flags: u8,
    /// The target link-layer address option, when present.
    pub mac: Option<MacAddr>,
}

impl Advertisement {
    /// Parses an IPv6 packet (starting at the IPv6 header) that is a valid-looking neighbour
    /// advertisement: next header ICMPv6 (no extension headers), hop limit 255, type 136 code 0.
    pub fn parse(p: &[u8]) -> Option<Advertisement> {
        if p.len() < 40 + 24 || p[0] >> 4 != 6 || p[6] != IPPROTO_ICMPV6 || p[7] != 255 {
            return None;
        }
        let payload_len = usize::from(u16::from_be_bytes([p[4], p[5]]));
        let icmp = p.get(40..40 + payload_len)?;
        if icmp.len() < 24 || icmp[0] != ND_NEIGHBOR_ADVERT || icmp[1] != 0 {
            return None;
        }
        let addr =
            |b: &[u8]| -> Option<Ipv6Addr> { <[u8; 16]>::try_from(b).ok().map(Ipv6Addr::from) };
        let mut mac = None;
        let mut opts = &icmp[24..];
        while opts.len() >= 8 {
            let len = usize::from(opts[1]) * 8;
            if len == 0 || len > opts.len() {
                break;
            }
            if opts[0] == ND_OPT_TARGET_LINKADDR && len >= 8 {
                mac = MacAddr::from_slice(&opts[2..8]);
            }
            opts = &opts[len..];
        }
        Some(Advertisement {
            source: addr(&p[8..24])?,
            target: addr(&icmp[8..24])?,
            flags: icmp[4],
            mac,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: MacAddr = MacAddr([0x02, 0x42, 0xac, 0x11, 0x00, 0x02]);

    #[test]
    fn gratuitous_arp_bytes() {
        let ip: Ipv4Addr = "10.201.0.50".parse().unwrap();
        let b = Arp::announcement(MAC, ip).encode();
        #[rustfmt::skip]
        let want: [u8; 28] = [
            0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
            0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 10, 201, 0, 50,
            0, 0, 0, 0, 0, 0, 10, 201, 0, 50,
        ];
        assert_eq!(b, want);
        assert_eq!(Arp::parse(&b), Some(Arp::announcement(MAC, ip)));
    }

    #[test]
    fn arp_probe_bytes_and_conflicts() {
        let ip: Ipv4Addr = "10.201.0.50".parse().unwrap();
        let b = Arp::probe(MAC, ip).encode();
        assert_eq!(&b[6..8], &[0, 1], "request");
        assert_eq!(&b[14..18], &[0, 0, 0, 0], "sender IP 0.0.0.0");
        assert_eq!(&b[18..24], &[0; 6], "target MAC zero");
        assert_eq!(&b[24..28], &[10, 201, 0, 50]);

        let other = MacAddr([0x02, 0, 0, 0, 0, 0x99]);
        // The holder's reply to our probe: sender = the VIP at its MAC.
        let reply = Arp {
            op: 2,
            sha: other,
            spa: ip,
            tha: MAC,
            tpa: Ipv4Addr::UNSPECIFIED,
        };
        let parsed = Arp::parse(&reply.encode()).unwrap();
        assert_eq!(parsed.conflict(ip, MAC), Some(other));
        // Our own probe and announcements, seen on the wire, are no conflict.
        assert_eq!(Arp::probe(MAC, ip).conflict(ip, MAC), None);
        assert_eq!(Arp::announcement(MAC, ip).conflict(ip, MAC), None);
        // Someone else's announcement of the address is.
        assert_eq!(Arp::announcement(other, ip).conflict(ip, MAC), Some(other));
        // Unrelated traffic is not.
        let unrelated = Arp::announcement(other, "10.201.0.7".parse().unwrap());
        assert_eq!(unrelated.conflict(ip, MAC), None);
        // Garbage is not ARP.
        assert_eq!(Arp::parse(&[0u8; 10]), None);
        let mut bad = reply.encode();
        bad[7] = 9;
        assert_eq!(Arp::parse(&bad), None);
    }

    #[test]
    fn unsolicited_na_bytes() {
        let target: Ipv6Addr = "fd00:201::50".parse().unwrap();
        let b = unsolicited_na(MAC, target);
        #[rustfmt::skip]
        let want: [u8; 32] = [
            136, 0, 0, 0, 0x20, 0, 0, 0,
            0xfd, 0x00, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x50,
            2, 1, 0x02, 0x42, 0xac, 0x11, 0x00, 0x02,
        ];
        assert_eq!(b, want);
    }

    #[test]
    fn dad_solicitation_packet() {
        let target: Ipv6Addr = "fd00:201::12:3456".parse().unwrap();
        let (p, mac) = dad_solicitation(target);
        assert_eq!(mac, MacAddr([0x33, 0x33, 0xff, 0x12, 0x34, 0x56]));
        assert_eq!(p[0], 0x60);
        assert_eq!(u16::from_be_bytes([p[4], p[5]]), 24);
        assert_eq!((p[6], p[7]), (58, 255));
        assert_eq!(&p[8..24], &[0u8; 16], "source ::");
        let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&p[24..40]).unwrap());
        assert_eq!(dst, "ff02::1:ff12:3456".parse::<Ipv6Addr>().unwrap());
        assert_eq!((p[40], p[41]), (135, 0));
        assert_eq!(&p[48..64], &target.octets());
        // With the checksum in place, the sum over pseudo-header + message is zero.
        assert_eq!(icmpv6_checksum(Ipv6Addr::UNSPECIFIED, dst, &p[40..64]), 0);
    }

    #[test]
    fn checksum_known_vector() {
        // An echo request "ping6 ::1 -> ::1", id 0x1234 seq 1, no data, checksum worked by hand:
        // pseudo-header words: ::1 twice = 0x0001 + 0x0001; length 8; next header 58 (0x3a);
        // message words 0x8000 + 0x1234 + 0x0001 -> sum 0x9279 -> checksum !0x9279 = 0x6d86.
        let lo = Ipv6Addr::LOCALHOST;
        let msg = [0x80, 0, 0, 0, 0x12, 0x34, 0x00, 0x01];
        assert_eq!(icmpv6_checksum(lo, lo, &msg), 0x6d86);
        let mut with = msg;
        with[2..4].copy_from_slice(&0x6d86u16.to_be_bytes());
        assert_eq!(icmpv6_checksum(lo, lo, &with), 0);
        // Odd lengths pad with a zero byte (and the length word grows by one).
        assert_eq!(
            icmpv6_checksum(lo, lo, &[0x80, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, 0x00]),
            0x6d85
        );
    }

    #[test]
    fn parses_advertisements() {
        let target: Ipv6Addr = "fd00:201::50".parse().unwrap();
        let src: Ipv6Addr = "fe80::99".parse().unwrap();
        let dst: Ipv6Addr = "ff02::1".parse().unwrap();
        let other = MacAddr([0x02, 0, 0, 0, 0, 0x99]);
        let mut p = vec![0x60, 0, 0, 0, 0, 32, 58, 255];
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&dst.octets());
        let mut icmp = unsolicited_na(other, target);
        let sum = icmpv6_checksum(src, dst, &icmp);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        p.extend_from_slice(&icmp);
        let na = Advertisement::parse(&p).unwrap();
        assert_eq!(na.target, target);
        assert_eq!(na.source, src);
        assert_eq!(na.mac, Some(other));
        assert_eq!(na.flags & NA_FLAG_OVERRIDE, NA_FLAG_OVERRIDE);
        // Hop limit other than 255: not a valid ND message.
        let mut bad = p.clone();
        bad[7] = 64;
        assert_eq!(Advertisement::parse(&bad), None);
        // A solicitation is not an advertisement.
        let (ns, _) = dad_solicitation(target);
        assert_eq!(Advertisement::parse(&ns), None);
        // Truncated.
        assert_eq!(Advertisement::parse(&p[..50]), None);
    }
}
