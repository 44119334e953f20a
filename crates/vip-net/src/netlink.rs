//! Synchronous rtnetlink: the socket, the requests we send and the loop that collects their
//! replies (decoded by [`crate::decode`]).
//!
//! One socket per [`Netlink`]; each request carries a fresh sequence number and every receive
//! has a socket timeout taken from the caller's deadline, so a silent kernel (it never is, but
//! the watchdog should never be needed) cannot block us.

use std::fmt;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP,
    NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_REQUEST,
};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope, CacheInfo,
};
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::address::{AddrFlags, Address, Family, Lifetime, NewAddress};
use crate::decode::{
    self, split_message, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, RTM_NEWADDR,
    RTM_NEWLINK,
};
use crate::error::{Error, Result};
use crate::link::Link;
use crate::sockopt::set_timeout;

fn netlink_family(f: Family) -> AddressFamily {
    match f {
        Family::V4 => AddressFamily::Inet,
        Family::V6 => AddressFamily::Inet6,
    }
}

/// The RTM_NEWADDR request for `req`.
fn add_message(req: &NewAddress) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.family = netlink_family(Family::of(&req.ip));
    m.header.prefix_len = req.prefix;
    m.header.index = req.ifindex;
    m.header.scope = if req.ip.is_loopback() {
        AddressScope::Host
    } else {
        AddressScope::Universe
    };
    let mut flags = AddressFlags::empty();
    if req.nodad {
        flags |= AddressFlags::Nodad;
        m.header.flags = AddressHeaderFlags::Nodad;
    }
    m.attributes.push(AddressAttribute::Local(req.ip));
    m.attributes.push(AddressAttribute::Address(req.ip));
    if let Some(b) = req.broadcast {
        m.attributes.push(AddressAttribute::Broadcast(b));
    }
    if let Some(l) = &req.label {
        m.attributes.push(AddressAttribute::Label(l.clone()));
    }
    m.attributes.push(AddressAttribute::Flags(flags));
    if req.preferred_lft != Lifetime::Forever {
        let mut ci = CacheInfo::default();
        ci.ifa_preferred = req.preferred_lft.raw();
        ci.ifa_valid = Lifetime::Forever.raw();
        m.attributes.push(AddressAttribute::CacheInfo(ci));
    }
    m
}

/// A GETLINK request without the interface statistics we never read (smaller replies).
fn link_request() -> LinkMessage {
    let mut m = LinkMessage::default();
    m.attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    m
}

/// A route netlink socket.
pub struct Netlink {
    sock: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl fmt::Debug for Netlink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Netlink").field("seq", &self.seq).finish()
    }
}

const RECV_BUF: usize = 64 * 1024;

impl Netlink {
    /// Opens a NETLINK_ROUTE socket in the caller's network namespace. Needs no privilege.
    pub fn open() -> Result<Netlink> {
        let op = "open netlink socket";
        // No bind/connect: the kernel binds the socket on the first send (netlink_autobind),
        // and requests are sent to the kernel's address.
        let sock = Socket::new(NETLINK_ROUTE).map_err(Error::io(op))?;
        Ok(Netlink {
            sock,
            seq: std::process::id().wrapping_mul(1000),
            buf: vec![0; RECV_BUF],
        })
    }

    /// Every link.
    pub fn links(&mut self, deadline: Instant) -> Result<Vec<Link>> {
        let replies = self.request(
            "list links",
            RouteNetlinkMessage::GetLink(link_request()),
            NLM_F_DUMP,
            deadline,
        )?;
        Ok(links_of(&replies))
    }

    /// The link with this name or alternative name; `Ok(None)` when there is none.
    pub fn link_by_name(&mut self, name: &str, deadline: Instant) -> Result<Option<Link>> {
        if name.is_empty() || name.len() > 127 || name.contains(['/', '\0']) {
            return Ok(None);
        }
        if name.len() > 15 {
            // Only alternative names can be longer than IFNAMSIZ - 1: search the dump.
            return Ok(self.links(deadline)?.into_iter().find(|l| l.is_named(name)));
        }
        // The kernel resolves IFLA_IFNAME against alternative names too.
        let mut m = link_request();
        m.attributes.push(LinkAttribute::IfName(name.to_string()));
        match self.request("look up link", RouteNetlinkMessage::GetLink(m), 0, deadline) {
            Ok(replies) => Ok(links_of(&replies).into_iter().next()),
            Err(Error::Kernel { errno, .. }) if errno == libc::ENODEV => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The link with this index; `Ok(None)` when there is none.
    pub fn link_by_index(&mut self, index: u32, deadline: Instant) -> Result<Option<Link>> {
        let mut m = link_request();
        m.header.index = index;
        match self.request("look up link", RouteNetlinkMessage::GetLink(m), 0, deadline) {
            Ok(replies) => Ok(links_of(&replies).into_iter().next()),
            Err(Error::Kernel { errno, .. }) if errno == libc::ENODEV => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every address of one family (or of both).
    pub fn addresses(&mut self, family: Option<Family>, deadline: Instant) -> Result<Vec<Address>> {
        let mut m = AddressMessage::default();
        if let Some(f) = family {
            m.header.family = netlink_family(f);
        }
        let replies = self.request(
            "list addresses",
            RouteNetlinkMessage::GetAddress(m),
            NLM_F_DUMP,
            deadline,
        )?;
        Ok(replies
            .iter()
            .filter(|(kind, _)| *kind == RTM_NEWADDR)
            .filter_map(|(_, payload)| decode::address(payload))
            .filter(|a| family.is_none_or(|f| Family::of(&a.ip) == f))
            .collect())
    }

    /// The addresses equal to `ip` on interface `ifindex` (any prefix).
    pub fn find_address(
        &mut self,
        ifindex: u32,
        ip: IpAddr,
        deadline: Instant,
    ) -> Result<Vec<Address>> {
        Ok(self
            .addresses(Some(Family::of(&ip)), deadline)?
            .into_iter()
            .filter(|a| a.ifindex == ifindex && a.ip == ip)
            .collect())
    }

    /// Adds an address. An address that already exists with the same prefix on the same
    /// interface is [`Error::AddressExists`].
    pub fn add_address(&mut self, req: &NewAddress, nic: &str, deadline: Instant) -> Result<()> {
        req.check()?;
        match self.request(
            "add address",
            RouteNetlinkMessage::NewAddress(add_message(req)),
            NLM_F_CREATE | NLM_F_EXCL,
            deadline,
        ) {
            Ok(_) => Ok(()),
            Err(Error::Kernel { errno, .. }) if errno == libc::EEXIST => {
                Err(Error::AddressExists {
                    ip: req.ip,
                    prefix: req.prefix,
                    nic: nic.to_string(),
                })
            }
            // The kernel's answer when net.ipv6.conf.<nic>.disable_ipv6 is set.
            Err(Error::Kernel { errno, .. }) if errno == libc::EACCES && req.ip.is_ipv6() => {
                Err(Error::Ipv6Disabled {
                    nic: nic.to_string(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Deletes exactly this address (as listed). Deleting one that is already gone is not an
    /// error (`Ok(false)`).
    pub fn delete_address(&mut self, addr: &Address, deadline: Instant) -> Result<bool> {
        let mut m = AddressMessage::default();
        m.header.family = netlink_family(Family::of(&addr.ip));
        m.header.prefix_len = addr.prefix;
        m.header.index = addr.ifindex;
        m.attributes.push(AddressAttribute::Local(addr.ip));
        m.attributes
            .push(AddressAttribute::Address(addr.peer.unwrap_or(addr.ip)));
        match self.request(
            "delete address",
            RouteNetlinkMessage::DelAddress(m),
            0,
            deadline,
        ) {
            Ok(_) => Ok(true),
            Err(Error::Kernel { errno, .. })
                if errno == libc::EADDRNOTAVAIL || errno == libc::ENODEV =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Waits until IPv6 duplicate address detection for `ip` on `ifindex` is over: `Ok` when the
    /// address is no longer tentative, [`Error::DadFailed`] when the kernel flagged it
    /// `dadfailed`, [`Error::AddressVanished`] if it went away, [`Error::Timeout`] at `deadline`.
    /// IPv4 addresses are never tentative and return at once.
    pub fn wait_dad(
        &mut self,
        ifindex: u32,
        ip: IpAddr,
        nic: &str,
        deadline: Instant,
    ) -> Result<Address> {
        let started = Instant::now();
        loop {
            let found = self.find_address(ifindex, ip, deadline)?;
            let Some(a) = found.into_iter().next() else {
                return Err(Error::AddressVanished {
                    ip,
                    nic: nic.to_string(),
                });
            };
            if a.flags.has(AddrFlags::DADFAILED) {
                return Err(Error::DadFailed {
                    ip,
                    nic: nic.to_string(),
                });
            }
            if !a.flags.has(AddrFlags::TENTATIVE) {
                return Ok(a);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    op: "wait for duplicate address detection",
                    waited: now - started,
                });
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.seq
    }

    /// Sends one request and collects the replies: until NLMSG_DONE for a dump, until the ACK
    /// otherwise (every non-dump request asks for one). A dump that the kernel flags as
    /// interrupted (NLM_F_DUMP_INTR: the table changed while it was read, so an entry may be
    /// missing) is repeated, up to three times.
    fn request(
        &mut self,
        op: &'static str,
        msg: RouteNetlinkMessage,
        flags: u16,
        deadline: Instant,
    ) -> Result<Vec<Reply>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (replies, interrupted) = self.request_once(op, msg.clone(), flags, deadline)?;
            if !interrupted || attempt >= 3 {
                return Ok(replies);
            }
        }
    }

    fn request_once(
        &mut self,
        op: &'static str,
        msg: RouteNetlinkMessage,
        flags: u16,
        deadline: Instant,
    ) -> Result<(Vec<Reply>, bool)> {
        let dump = flags & NLM_F_DUMP == NLM_F_DUMP;
        // A single GET is complete with its one reply (or an error); changes ask for an ACK.
        let single_get = !dump && matches!(msg, RouteNetlinkMessage::GetLink(_));
        let mut interrupted = false;
        let seq = self.next_seq();
        let mut packet = NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::from(msg));
        let ack = if dump || single_get { 0 } else { NLM_F_ACK };
        packet.header.flags = NLM_F_REQUEST | flags | ack;
        packet.header.sequence_number = seq;
        packet.finalize();
        let mut out = vec![0; packet.buffer_len()];
        packet.serialize(&mut out);

        let fd = self.sock.as_raw_fd();
        let started = Instant::now();
        let timeout = |started: Instant| Error::Timeout {
            op,
            waited: started.elapsed(),
        };
        if deadline <= started {
            return Err(timeout(started));
        }
        // A send to the kernel is handled synchronously (netlink_unicast_kernel): it never
        // waits for buffer space, so it needs no timeout; every receive below has one.
        let kernel = SocketAddr::new(0, 0);
        loop {
            match self.sock.send_to(&out, &kernel, 0) {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(netlink_io(op, e)),
            }
        }

        let mut replies = Vec::new();
        loop {
            let remaining = deadline
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| timeout(started))?;
            set_timeout(fd, libc::SO_RCVTIMEO, remaining).map_err(Error::io(op))?;
            let n = match self.sock.recv_from(&mut &mut self.buf[..], libc::MSG_TRUNC) {
                // Only the kernel (port 0) answers; anything else is not for us.
                Ok((_, from)) if from.port_number() != 0 => continue,
                Ok((n, _)) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if is_timeout(&e) => return Err(timeout(started)),
                Err(e) => return Err(netlink_io(op, e)),
            };
            if n > self.buf.len() {
                return Err(Error::Decode {
                    op,
                    message: format!("message of {n} bytes exceeds the {RECV_BUF}-byte buffer"),
                });
            }
            let mut rest = &self.buf[..n];
            while !rest.is_empty() {
                let (header, payload, next) = split_message(rest).ok_or_else(|| Error::Decode {
                    op,
                    message: format!("truncated netlink message ({} bytes left)", rest.len()),
                })?;
                rest = next;
                if header.seq != seq {
                    continue; // a late answer to an earlier, abandoned request
                }
                interrupted |= header.flags & NLM_F_DUMP_INTR != 0;
                match header.kind {
                    NLMSG_NOOP => {}
                    NLMSG_DONE | NLMSG_ERROR => {
                        // Both carry an errno (negative) or 0: the end of a dump, or the ACK.
                        let code = decode::error_code(payload);
                        if code == 0 {
                            return Ok((replies, interrupted));
                        }
                        return Err(kernel_error(op, code.saturating_neg()));
                    }
                    NLMSG_OVERRUN => {
                        return Err(Error::Decode {
                            op,
                            message: "netlink overrun".into(),
                        })
                    }
                    kind => {
                        replies.push((kind, payload.to_vec()));
                        if single_get {
                            return Ok((replies, interrupted));
                        }
                    }
                }
            }
        }
    }
}

/// One reply: the message type and its payload.
type Reply = (u16, Vec<u8>);

fn links_of(replies: &[Reply]) -> Vec<Link> {
    replies
        .iter()
        .filter(|(kind, _)| *kind == RTM_NEWLINK)
        .filter_map(|(_, payload)| decode::link(payload))
        .collect()
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

fn netlink_io(op: &'static str, e: std::io::Error) -> Error {
    match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => Error::PermissionDenied {
            op,
            needs: "CAP_NET_ADMIN",
        },
        _ => Error::Io { op, source: e },
    }
}

fn kernel_error(op: &'static str, errno: i32) -> Error {
    match errno {
        // Not EACCES: the kernel also uses it for "IPv6 is disabled on this interface".
        libc::EPERM => Error::PermissionDenied {
            op,
            needs: "CAP_NET_ADMIN",
        },
        _ => Error::Kernel { op, errno },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::Emitable;

    #[test]
    fn new_address_messages() {
        let req = NewAddress {
            ifindex: 7,
            ip: "10.201.0.50".parse().unwrap(),
            prefix: 24,
            broadcast: Some("10.201.0.255".parse().unwrap()),
            label: Some("eth0:vip".into()),
            preferred_lft: Lifetime::Forever,
            nodad: false,
        };
        req.check().unwrap();
        let m = add_message(&req);
        assert_eq!(m.header.family, AddressFamily::Inet);
        assert_eq!(m.header.prefix_len, 24);
        assert_eq!(m.header.index, 7);
        assert!(m
            .attributes
            .contains(&AddressAttribute::Label("eth0:vip".into())));
        assert!(m.attributes.contains(&AddressAttribute::Broadcast(
            "10.201.0.255".parse().unwrap()
        )));
        assert!(!m
            .attributes
            .iter()
            .any(|a| matches!(a, AddressAttribute::CacheInfo(_))));
        let back = decode::address(&emit(&m)).unwrap();
        assert_eq!((back.ip, back.prefix, back.ifindex), (req.ip, 24, 7));
        assert_eq!(back.label, req.label);
        assert_eq!(back.broadcast, req.broadcast);

        let v6 = NewAddress {
            ifindex: 3,
            ip: "fd00:201::50".parse().unwrap(),
            prefix: 64,
            broadcast: None,
            label: None,
            preferred_lft: Lifetime::Seconds(0),
            nodad: true,
        };
        v6.check().unwrap();
        let m = add_message(&v6);
        assert_eq!(m.header.family, AddressFamily::Inet6);
        assert!(m
            .attributes
            .contains(&AddressAttribute::Flags(AddressFlags::Nodad)));
        let ci = m
            .attributes
            .iter()
            .find_map(|a| match a {
                AddressAttribute::CacheInfo(c) => Some(*c),
                _ => None,
            })
            .unwrap();
        assert_eq!((ci.ifa_preferred, ci.ifa_valid), (0, u32::MAX));
        // Round trip through our own parser of dump replies.
        let back = decode::address(&emit(&m)).unwrap();
        assert_eq!((back.ip, back.prefix, back.ifindex), (v6.ip, 64, 3));
        assert!(back.flags.has(AddrFlags::NODAD));
        assert_eq!(back.preferred_lft, Lifetime::Seconds(0));
        assert_eq!(back.valid_lft, Lifetime::Forever);
        assert_eq!(back.peer, None);
    }

    fn emit<T: Emitable>(m: &T) -> Vec<u8> {
        let mut b = vec![0; m.buffer_len()];
        m.emit(&mut b);
        b
    }

    #[test]
    fn listing_works_unprivileged_in_this_namespace() {
        // Reading links and addresses needs no privilege and changes nothing.
        let mut nl = Netlink::open().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let links = nl.links(deadline).unwrap();
        assert!(links.iter().any(|l| l.loopback), "{links:?}");
        let lo = links.iter().find(|l| l.loopback).unwrap();
        let again = nl.link_by_name(&lo.name, deadline).unwrap().unwrap();
        assert_eq!(again.index, lo.index);
        let by_index = nl.link_by_index(lo.index, deadline).unwrap().unwrap();
        assert_eq!(by_index.name, lo.name);
        assert_eq!(nl.link_by_index(999_999, deadline).unwrap(), None);
        assert_eq!(nl.link_by_name("no-such-nic0", deadline).unwrap(), None);
        let addrs = nl.addresses(None, deadline).unwrap();
        let v4 = nl.addresses(Some(Family::V4), deadline).unwrap();
        assert!(v4.len() <= addrs.len());
        assert!(v4.iter().all(|a| a.ip.is_ipv4()));
        let past = Instant::now();
        assert!(matches!(nl.links(past), Err(Error::Timeout { .. })));
    }
}
