//! Raw sockets: gratuitous ARP and unsolicited neighbour advertisements (announce), and the
//! duplicate-address probe. Needs CAP_NET_RAW.
//!
//! The `unsafe` here is the minimum to talk to the socket API through `libc`: socket(2),
//! bind(2), sendto(2), recvfrom(2), setsockopt(2), each with a SAFETY note.

use std::io;
use std::mem::size_of;
use std::net::{IpAddr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::link::Link;
use crate::mac::MacAddr;
use crate::packet::{self, Advertisement, Arp, ETH_P_ARP, ETH_P_IPV6};
use crate::prefix::is_link_local_v6;
use crate::sockopt::{set_timeout, setsockopt};

/// How many announcements went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Announced {
    pub sent: u32,
    pub requested: u32,
}

/// Another host that answers for the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict {
    pub ip: IpAddr,
    pub mac: MacAddr,
}

/// Tells the link that `ip` now lives at `link`'s MAC, `count` times, `interval` apart (none
/// after the last): gratuitous ARP requests (sender = target = `ip`, to the broadcast MAC, as
/// resource-agents' send_arp does) for IPv4, unsolicited neighbour advertisements (Override
/// set, target link-layer option, to ff02::1, hop limit 255) for IPv6.
///
/// Stops early, without error, when the next packet would go out after `deadline`; the result
/// says how many were sent.
pub fn announce(
    link: &Link,
    ip: IpAddr,
    count: u32,
    interval: Duration,
    deadline: Instant,
) -> Result<Announced> {
    let mut done = Announced {
        sent: 0,
        requested: count,
    };
    if count == 0 {
        return Ok(done);
    }
    let mac = ethernet_mac(link)?;
    let sender: Box<dyn Fn() -> Result<()>> = match ip {
        IpAddr::V4(v4) => {
            let op = "send gratuitous ARP";
            let fd = packet_socket(op, 0)?;
            let arp = Arp::announcement(mac, v4).encode();
            let dst = sockaddr_ll(link.index, ETH_P_ARP, MacAddr::BROADCAST);
            Box::new(move || send_to(op, &fd, &dst, &arp))
        }
        IpAddr::V6(v6) => {
            let op = "send unsolicited neighbour advertisement";
            let fd = icmp6_socket(op, link.index, v6)?;
            let na = packet::unsolicited_na(mac, v6);
            let dst = sockaddr_in6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1), link.index);
            Box::new(move || send_to(op, &fd, &dst, &na))
        }
    };
    for i in 0..count {
        if i > 0 {
            if Instant::now() + interval > deadline {
                break;
            }
            std::thread::sleep(interval);
        }
        if Instant::now() >= deadline {
            break;
        }
        sender()?;
        done.sent += 1;
    }
    Ok(done)
}

/// Asks the link whether another host already uses `ip`, waiting up to `wait` (and never past
/// `deadline`) for an answer. IPv4: an RFC 5227 ARP probe (sender IP 0.0.0.0), sent twice (at
/// the start and halfway), any ARP packet from another MAC with sender IP = `ip` is a conflict.
/// IPv6: a duplicate-address-detection neighbour solicitation (from `::` to the solicited-node
/// group), sent twice likewise; a neighbour advertisement for `ip` from another MAC is a
/// conflict. Nothing is configured and no neighbour learns anything from the probe.
pub fn probe_duplicate(
    link: &Link,
    ip: IpAddr,
    wait: Duration,
    deadline: Instant,
) -> Result<Option<Conflict>> {
    let mac = ethernet_mac(link)?;
    let start = Instant::now();
    let end = (start + wait).min(deadline);
    if end <= start {
        return Ok(None);
    }
    let (op, proto) = match ip {
        IpAddr::V4(_) => ("ARP probe", ETH_P_ARP),
        IpAddr::V6(_) => ("neighbour solicitation probe", ETH_P_IPV6),
    };
    let fd = packet_socket(op, proto)?;
    bind_ll(op, &fd, link.index, proto)?;
    let (frame, dst): (Vec<u8>, libc::sockaddr_ll) = match ip {
        IpAddr::V4(v4) => (
            Arp::probe(mac, v4).encode().to_vec(),
            sockaddr_ll(link.index, ETH_P_ARP, MacAddr::BROADCAST),
        ),
        IpAddr::V6(v6) => {
            let (pkt, dmac) = packet::dad_solicitation(v6);
            (pkt.to_vec(), sockaddr_ll(link.index, ETH_P_IPV6, dmac))
        }
    };
    send_to(op, &fd, &dst, &frame)?;
    let mut resend = Some(start + (end - start) / 2);
    let mut buf = [0u8; 2048];
    loop {
        let now = Instant::now();
        if now >= end {
            return Ok(None);
        }
        if let Some(at) = resend {
            if now >= at {
                send_to(op, &fd, &dst, &frame)?;
                resend = None;
            }
        }
        let until = resend.map_or(end, |r| r.min(end));
        let Some(got) = recv_ll(op, &fd, &mut buf, until)? else {
            continue;
        };
        if got.ifindex != link.index || got.pkttype == libc::PACKET_OUTGOING || got.src == mac {
            continue;
        }
        let data = &buf[..got.len];
        let found = match ip {
            IpAddr::V4(v4) => Arp::parse(data).and_then(|a| a.conflict(v4, mac)),
            IpAddr::V6(v6) => Advertisement::parse(data)
                .filter(|na| na.target == v6)
                .map(|na| na.mac.unwrap_or(got.src))
                .filter(|m| *m != mac),
        };
        if let Some(other) = found {
            return Ok(Some(Conflict { ip, mac: other }));
        }
    }
}

fn ethernet_mac(link: &Link) -> Result<MacAddr> {
    link.mac
        .filter(|m| !m.is_zero() && !link.loopback && !link.noarp)
        .ok_or_else(|| Error::NoHardwareAddress {
            nic: link.name.clone(),
        })
}

fn socket(op: &'static str, domain: i32, ty: i32, proto: i32) -> Result<OwnedFd> {
    // SAFETY: socket(2) takes no pointers; the result is checked before use.
    let fd = unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, proto) };
    if fd < 0 {
        return Err(Error::from_io(op, io::Error::last_os_error()));
    }
    // SAFETY: `fd` is a freshly created descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// AF_PACKET/SOCK_DGRAM: the kernel adds the Ethernet header. Protocol 0 receives nothing
/// (send-only); a protocol in network order receives that EtherType.
fn packet_socket(op: &'static str, proto: u16) -> Result<OwnedFd> {
    socket(
        op,
        libc::AF_PACKET,
        libc::SOCK_DGRAM,
        i32::from(proto.to_be()),
    )
}

fn sockaddr_ll(ifindex: u32, proto: u16, mac: MacAddr) -> libc::sockaddr_ll {
    let mut addr = [0u8; 8];
    addr[..6].copy_from_slice(&mac.0);
    libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: proto.to_be(),
        sll_ifindex: i32::try_from(ifindex).unwrap_or(0),
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 6,
        sll_addr: addr,
    }
}

fn bind_ll(op: &'static str, fd: &OwnedFd, ifindex: u32, proto: u16) -> Result<()> {
    let sll = sockaddr_ll(ifindex, proto, MacAddr::ZERO);
    // SAFETY: `sll` is a valid sockaddr_ll that lives across the call; its size is passed.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast::<libc::sockaddr>(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(Error::from_io(op, io::Error::last_os_error()));
    }
    Ok(())
}

/// A socket address struct that sendto(2) reads as a `struct sockaddr` of its own size.
///
/// # Safety
/// Only for the C `sockaddr_*` structs, whose layout begins with the address family.
unsafe trait SockAddr {}
// SAFETY: both are the kernel's own socket address structs.
unsafe impl SockAddr for libc::sockaddr_ll {}
unsafe impl SockAddr for libc::sockaddr_in6 {}

fn send_to<A: SockAddr>(op: &'static str, fd: &OwnedFd, dst: &A, payload: &[u8]) -> Result<()> {
    // SAFETY: `payload` and `dst` are valid for reads of the lengths passed, for the call.
    let rc = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            payload.as_ptr().cast::<libc::c_void>(),
            payload.len(),
            0,
            (dst as *const A).cast::<libc::sockaddr>(),
            size_of::<A>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(Error::from_io(op, io::Error::last_os_error()));
    }
    Ok(())
}

struct Received {
    len: usize,
    ifindex: u32,
    pkttype: u8,
    src: MacAddr,
}

/// One datagram, or `None` when `until` passes first.
fn recv_ll(
    op: &'static str,
    fd: &OwnedFd,
    buf: &mut [u8],
    until: Instant,
) -> Result<Option<Received>> {
    let Some(left) = until
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
    else {
        return Ok(None);
    };
    set_timeout(fd.as_raw_fd(), libc::SO_RCVTIMEO, left).map_err(Error::io(op))?;
    let mut from = sockaddr_ll(0, 0, MacAddr::ZERO);
    let mut from_len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    // SAFETY: `buf` is valid for writes of buf.len() bytes; `from`/`from_len` are valid for
    // writes and `from_len` holds the size of `from`, as recvfrom(2) requires.
    let n = unsafe {
        libc::recvfrom(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast::<libc::c_void>(),
            buf.len(),
            0,
            (&mut from as *mut libc::sockaddr_ll).cast::<libc::sockaddr>(),
            &mut from_len,
        )
    };
    if n < 0 {
        let e = io::Error::last_os_error();
        return match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted => {
                Ok(None)
            }
            _ => Err(Error::from_io(op, e)),
        };
    }
    Ok(Some(Received {
        len: n as usize,
        ifindex: u32::try_from(from.sll_ifindex).unwrap_or(0),
        pkttype: from.sll_pkttype,
        src: MacAddr::from_slice(&from.sll_addr[..6]).unwrap_or(MacAddr::ZERO),
    }))
}

fn sockaddr_in6(ip: Ipv6Addr, scope: u32) -> libc::sockaddr_in6 {
    libc::sockaddr_in6 {
        sin6_family: libc::AF_INET6 as u16,
        sin6_port: 0,
        sin6_flowinfo: 0,
        sin6_addr: libc::in6_addr {
            s6_addr: ip.octets(),
        },
        sin6_scope_id: scope,
    }
}

/// A raw ICMPv6 socket for sending neighbour advertisements out of `ifindex`, from `source`
/// when the kernel lets us bind it (it does once the address is no longer tentative).
fn icmp6_socket(op: &'static str, ifindex: u32, source: Ipv6Addr) -> Result<OwnedFd> {
    let fd = socket(op, libc::AF_INET6, libc::SOCK_RAW, libc::IPPROTO_ICMPV6)?;
    let raw = fd.as_raw_fd();
    let hops: libc::c_int = 255;
    let no: libc::c_int = 0;
    let index = libc::c_int::try_from(ifindex).unwrap_or(0);
    let set = |opt, v: &libc::c_int| {
        setsockopt(raw, libc::IPPROTO_IPV6, opt, v).map_err(|e| Error::from_io(op, e))
    };
    set(libc::IPV6_MULTICAST_HOPS, &hops)?;
    set(libc::IPV6_UNICAST_HOPS, &hops)?;
    set(libc::IPV6_MULTICAST_IF, &index)?;
    set(libc::IPV6_MULTICAST_LOOP, &no)?;
    let scope = if is_link_local_v6(&source) {
        ifindex
    } else {
        0
    };
    let src = sockaddr_in6(source, scope);
    // SAFETY: `src` is a valid sockaddr_in6 living across the call; its size is passed.
    let rc = unsafe {
        libc::bind(
            raw,
            (&src as *const libc::sockaddr_in6).cast::<libc::sockaddr>(),
            size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        )
    };
    // Not fatal: unbound, the kernel picks the link-local source, which receivers accept too.
    let _ = rc;
    Ok(fd)
}
