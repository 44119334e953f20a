//! A reader of the netlink replies we use: message framing (`struct nlmsghdr`), attributes
//! (`struct nlattr`), and the two payloads we read, RTM_NEWLINK and RTM_NEWADDR. Only the
//! attributes we use are read: decoding everything (as netlink-packet-route does) costs a
//! monitor more than the rest of its work, cold as every exec is. Pure functions over bytes;
//! malformed input gives `None`, never a panic.

use std::net::{IpAddr, Ipv4Addr};

use crate::address::{AddrFlags, Address, Lifetime};
use crate::link::{Link, OperState};
use crate::mac::MacAddr;

pub(crate) const NLMSG_NOOP: u16 = 1;
pub(crate) const NLMSG_ERROR: u16 = 2;
pub(crate) const NLMSG_DONE: u16 = 3;
pub(crate) const NLMSG_OVERRUN: u16 = 4;
pub(crate) const RTM_NEWLINK: u16 = 16;
pub(crate) const RTM_NEWADDR: u16 = 20;

/// `struct nlmsghdr` without the length and the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MessageHeader {
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
}

/// The first netlink message of `b`: its header, its payload, and what follows it.
pub(crate) fn split_message(b: &[u8]) -> Option<(MessageHeader, &[u8], &[u8])> {
    const NLMSG_HDRLEN: usize = 16;
    let h = b.get(..NLMSG_HDRLEN)?;
    let len = usize::try_from(ne_u32(&h[0..4])).ok()?;
    if len < NLMSG_HDRLEN || len > b.len() {
        return None;
    }
    let header = MessageHeader {
        kind: u16::from_ne_bytes([h[4], h[5]]),
        flags: u16::from_ne_bytes([h[6], h[7]]),
        seq: ne_u32(&h[8..12]),
    };
    Some((
        header,
        &b[NLMSG_HDRLEN..len],
        &b[align4(len).min(b.len())..],
    ))
}

/// The errno of an NLMSG_ERROR / NLMSG_DONE payload (negative, or 0 for success / the end).
pub(crate) fn error_code(payload: &[u8]) -> i32 {
    payload
        .get(..4)
        .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// Parses the payload of an RTM_NEWLINK message (`struct ifinfomsg` + attributes).
pub(crate) fn link(payload: &[u8]) -> Option<Link> {
    let header = payload.get(..16)?;
    let flags = ne_u32(&header[8..12]);
    let has = |flag: libc::c_int| flags & flag as u32 != 0;
    let mut link = Link {
        index: ne_u32(&header[4..8]),
        name: String::new(),
        altnames: Vec::new(),
        admin_up: has(libc::IFF_UP),
        lower_up: has(libc::IFF_LOWER_UP),
        loopback: has(libc::IFF_LOOPBACK),
        noarp: has(libc::IFF_NOARP),
        oper: OperState::Unknown,
        mac: None,
    };
    for (kind, value) in Nlas(&payload[16..]) {
        match kind {
            libc::IFLA_IFNAME => link.name = c_string(value),
            libc::IFLA_ADDRESS => link.mac = MacAddr::from_slice(value),
            libc::IFLA_OPERSTATE => {
                link.oper = OperState::from_u8(value.first().copied().unwrap_or(0))
            }
            libc::IFLA_PROP_LIST => {
                for (k, v) in Nlas(value) {
                    if k == libc::IFLA_ALT_IFNAME {
                        link.altnames.push(c_string(v));
                    }
                }
            }
            _ => {}
        }
    }
    Some(link)
}

/// Parses the payload of an RTM_NEWADDR message (`struct ifaddrmsg` + attributes).
pub(crate) fn address(payload: &[u8]) -> Option<Address> {
    let header = payload.get(..8)?;
    let family = i32::from(header[0]);
    let ip = |v: &[u8]| -> Option<IpAddr> {
        match family {
            libc::AF_INET => <[u8; 4]>::try_from(v).ok().map(IpAddr::from),
            libc::AF_INET6 => <[u8; 16]>::try_from(v).ok().map(IpAddr::from),
            _ => None,
        }
    };
    let mut local = None;
    let mut address = None;
    let mut a = Address {
        ifindex: ne_u32(&header[4..8]),
        ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        prefix: header[1],
        peer: None,
        label: None,
        broadcast: None,
        flags: AddrFlags(u32::from(header[2])),
        scope: header[3],
        preferred_lft: Lifetime::Forever,
        valid_lft: Lifetime::Forever,
    };
    for (kind, value) in Nlas(&payload[8..]) {
        match kind {
            libc::IFA_LOCAL => local = ip(value),
            libc::IFA_ADDRESS => address = ip(value),
            libc::IFA_LABEL => a.label = Some(c_string(value)),
            libc::IFA_BROADCAST => {
                a.broadcast = <[u8; 4]>::try_from(value).ok().map(Ipv4Addr::from)
            }
            libc::IFA_FLAGS if value.len() >= 4 => a.flags = AddrFlags(ne_u32(value)),
            libc::IFA_CACHEINFO if value.len() >= 8 => {
                a.preferred_lft = Lifetime::from_raw(ne_u32(&value[0..4]));
                a.valid_lft = Lifetime::from_raw(ne_u32(&value[4..8]));
            }
            _ => {}
        }
    }
    a.ip = local.or(address)?;
    a.peer = address.filter(|p| *p != a.ip);
    Some(a)
}

/// Netlink attributes (`struct nlattr`, 4-byte aligned) of a payload: (type, value).
struct Nlas<'a>(&'a [u8]);

impl<'a> Iterator for Nlas<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        const NLA_TYPE_MASK: u16 = 0x3fff; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
        let b = self.0;
        if b.len() < 4 {
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([b[0], b[1]]));
        let kind = u16::from_ne_bytes([b[2], b[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > b.len() {
            self.0 = &[];
            return None;
        }
        self.0 = &b[align4(len).min(b.len())..];
        Some((kind, &b[4..len]))
    }
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn ne_u32(b: &[u8]) -> u32 {
    u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
}

/// A NUL-terminated (or not) attribute string.
fn c_string(v: &[u8]) -> String {
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::{Emitable, NLM_F_DUMP_INTR};
    use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage};
    use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage, Prop, State};
    use netlink_packet_route::AddressFamily;

    fn emit<T: Emitable>(m: &T) -> Vec<u8> {
        let mut b = vec![0; m.buffer_len()];
        m.emit(&mut b);
        b
    }

    #[test]
    fn parses_addresses_as_netlink_packet_route_writes_them() {
        let mut m = AddressMessage::default();
        m.header.family = AddressFamily::Inet;
        m.header.prefix_len = 24;
        m.header.index = 9;
        let ip: IpAddr = "10.201.0.50".parse().unwrap();
        m.attributes.push(AddressAttribute::Local(ip));
        m.attributes.push(AddressAttribute::Address(ip));
        m.attributes
            .push(AddressAttribute::Broadcast("10.201.0.255".parse().unwrap()));
        m.attributes
            .push(AddressAttribute::Label("eth0:vip".into()));
        m.attributes.push(AddressAttribute::Flags(
            AddressFlags::Secondary | AddressFlags::Permanent,
        ));
        let a = address(&emit(&m)).unwrap();
        assert_eq!(a.ip, ip);
        assert_eq!((a.prefix, a.ifindex), (24, 9));
        assert_eq!(a.label.as_deref(), Some("eth0:vip"));
        assert_eq!(a.broadcast, Some("10.201.0.255".parse().unwrap()));
        assert!(
            a.flags.has(AddrFlags::SECONDARY)
                && a.flags.has(AddrFlags::PERMANENT)
                && !a.flags.has(AddrFlags::TENTATIVE)
        );
        // A point-to-point peer: IFA_ADDRESS differs from IFA_LOCAL.
        let mut ptp = AddressMessage::default();
        ptp.header.family = AddressFamily::Inet;
        ptp.header.prefix_len = 32;
        ptp.attributes
            .push(AddressAttribute::Local("10.0.0.1".parse().unwrap()));
        ptp.attributes
            .push(AddressAttribute::Address("10.0.0.2".parse().unwrap()));
        let a = address(&emit(&ptp)).unwrap();
        assert_eq!(a.ip, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(a.peer, Some("10.0.0.2".parse().unwrap()));
        // Tentative / dadfailed IPv6 flags from IFA_FLAGS.
        let mut v6 = AddressMessage::default();
        v6.header.family = AddressFamily::Inet6;
        v6.header.prefix_len = 64;
        v6.attributes
            .push(AddressAttribute::Address("fd00::5".parse().unwrap()));
        v6.attributes.push(AddressAttribute::Flags(
            AddressFlags::Tentative | AddressFlags::Dadfailed,
        ));
        let a = address(&emit(&v6)).unwrap();
        assert!(a.flags.has(AddrFlags::TENTATIVE) && a.flags.has(AddrFlags::DADFAILED));
        // Garbage is rejected, not a panic.
        assert_eq!(address(&[1, 2, 3]), None);
        let mut cut = emit(&v6);
        cut.truncate(14);
        assert_eq!(address(&cut), None, "no address attribute left");
    }

    #[test]
    fn parses_links_as_netlink_packet_route_writes_them() {
        let mut m = LinkMessage::default();
        m.header.index = 4;
        m.header.flags = LinkFlags::Up | LinkFlags::LowerUp | LinkFlags::Broadcast;
        m.attributes.push(LinkAttribute::IfName("eth0".into()));
        m.attributes.push(LinkAttribute::Mtu(1500));
        m.attributes
            .push(LinkAttribute::Address(vec![2, 0, 0, 0, 0, 7]));
        m.attributes.push(LinkAttribute::OperState(State::Up));
        m.attributes.push(LinkAttribute::PropList(vec![
            Prop::AltIfName("enp0s3".into()),
            Prop::AltIfName("lan".into()),
        ]));
        let l = link(&emit(&m)).unwrap();
        assert_eq!(l.index, 4);
        assert_eq!(l.name, "eth0");
        assert_eq!(l.altnames, ["enp0s3", "lan"]);
        assert!(l.admin_up && l.lower_up && !l.loopback && !l.noarp);
        assert_eq!(l.oper, OperState::Up);
        assert_eq!(l.mac, Some(MacAddr([2, 0, 0, 0, 0, 7])));
        assert!(l.does_arp());

        let mut lo = LinkMessage::default();
        lo.header.index = 1;
        lo.header.flags = LinkFlags::Up | LinkFlags::LowerUp | LinkFlags::Loopback;
        lo.attributes.push(LinkAttribute::IfName("lo".into()));
        lo.attributes.push(LinkAttribute::OperState(State::Unknown));
        lo.attributes.push(LinkAttribute::Address(vec![0; 6]));
        let l = link(&emit(&lo)).unwrap();
        assert!(l.loopback && !l.does_arp());
        assert_eq!(l.down_reason(), None);

        let mut down = LinkMessage::default();
        down.header.flags = LinkFlags::Up;
        down.attributes
            .push(LinkAttribute::OperState(State::LowerLayerDown));
        let l = link(&emit(&down)).unwrap();
        assert_eq!(l.oper, OperState::LowerLayerDown);
        assert!(l.down_reason().is_some());
        assert_eq!(link(&[0; 8]), None);
    }

    #[test]
    fn splits_netlink_messages() {
        // Two messages back to back, the first with a payload that needs padding.
        let mut b = Vec::new();
        for (kind, payload, seq) in [
            (RTM_NEWADDR, &[1u8, 2, 3][..], 7u32),
            (NLMSG_DONE, &[0u8; 4][..], 7),
        ] {
            let len = 16 + payload.len() as u32;
            b.extend_from_slice(&len.to_ne_bytes());
            b.extend_from_slice(&kind.to_ne_bytes());
            b.extend_from_slice(&NLM_F_DUMP_INTR.to_ne_bytes());
            b.extend_from_slice(&seq.to_ne_bytes());
            b.extend_from_slice(&0u32.to_ne_bytes());
            b.extend_from_slice(payload);
            while b.len() % 4 != 0 {
                b.push(0);
            }
        }
        let (h, p, rest) = split_message(&b).unwrap();
        assert_eq!((h.kind, h.seq, h.flags), (RTM_NEWADDR, 7, NLM_F_DUMP_INTR));
        assert_eq!(p, &[1, 2, 3]);
        let (h, p, rest) = split_message(rest).unwrap();
        assert_eq!((h.kind, p.len()), (NLMSG_DONE, 4));
        assert_eq!(error_code(p), 0);
        assert!(rest.is_empty());
        // A length beyond the buffer, or below the header size, is an error.
        let mut bad = b.clone();
        bad[0] = 200;
        assert_eq!(split_message(&bad[..24]), None);
        bad[0] = 3;
        assert_eq!(split_message(&bad), None);
        assert_eq!(split_message(&b[..10]), None);
        assert_eq!(error_code(&(-19i32).to_ne_bytes()), -19);
        assert_eq!(error_code(&[]), 0);
    }
}
