//! Synchronous rtnetlink: links and addresses.
//!
//! One socket per [`Netlink`]; each request carries a fresh sequence number and every receive
//! has a socket timeout taken from the caller's deadline, so a silent kernel (it never is, but
//! the watchdog should never be needed) cannot block us.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
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

use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::raw::set_timeout;

/// Address family filter for dumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(ip: &IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
    fn netlink(self) -> AddressFamily {
        match self {
            Family::V4 => AddressFamily::Inet,
            Family::V6 => AddressFamily::Inet6,
        }
    }
}

/// RFC 2863 operational state, as the kernel reports it (`ip link`'s `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperState {
    Unknown,
    NotPresent,
    Down,
    LowerLayerDown,
    Testing,
    Dormant,
    Up,
    Other(u8),
}

impl OperState {
    /// IF_OPER_* (RFC 2863 / linux/if.h).
    fn from_u8(v: u8) -> OperState {
        match v {
            0 => OperState::Unknown,
            1 => OperState::NotPresent,
            2 => OperState::Down,
            3 => OperState::LowerLayerDown,
            4 => OperState::Testing,
            5 => OperState::Dormant,
            6 => OperState::Up,
            v => OperState::Other(v),
        }
    }
}

impl fmt::Display for OperState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperState::Unknown => f.write_str("UNKNOWN"),
            OperState::NotPresent => f.write_str("NOTPRESENT"),
            OperState::Down => f.write_str("DOWN"),
            OperState::LowerLayerDown => f.write_str("LOWERLAYERDOWN"),
            OperState::Testing => f.write_str("TESTING"),
            OperState::Dormant => f.write_str("DORMANT"),
            OperState::Up => f.write_str("UP"),
            OperState::Other(v) => write!(f, "state {v}"),
        }
    }
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// Alternative names (`ip link property add … altname …`).
    pub altnames: Vec<String>,
    /// IFF_UP: administratively up.
    pub admin_up: bool,
    /// IFF_LOWER_UP: carrier.
    pub lower_up: bool,
    pub loopback: bool,
    /// IFF_NOARP: the link does not do ARP / neighbour discovery.
    pub noarp: bool,
    pub oper: OperState,
    /// The hardware address, when it is Ethernet-like (6 bytes).
    pub mac: Option<MacAddr>,
}

impl Link {
    /// Whether `name` is this link's name or one of its alternative names.
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.altnames.iter().any(|a| a == name)
    }

    /// Why this link cannot carry traffic, or `None` when it can: administratively down, no
    /// carrier, or an operational state of DOWN / LOWERLAYERDOWN / NOTPRESENT. (UNKNOWN, as
    /// loopback and some virtual links report, counts as up.)
    pub fn down_reason(&self) -> Option<String> {
        if !self.admin_up {
            return Some(format!("link {} is administratively down", self.name));
        }
        if matches!(
            self.oper,
            OperState::Down | OperState::LowerLayerDown | OperState::NotPresent
        ) {
            return Some(format!(
                "link {} is down (state {}, no carrier)",
                self.name, self.oper
            ));
        }
        if !self.lower_up {
            return Some(format!(
                "link {} has no carrier (LOWER_UP not set)",
                self.name
            ));
        }
        None
    }

    /// Whether ARP / neighbour discovery packets make sense on this link.
    pub fn does_arp(&self) -> bool {
        !self.loopback && !self.noarp && self.mac.is_some_and(|m| !m.is_zero())
    }

    /// Parses the payload of an RTM_NEWLINK message (`struct ifinfomsg` + attributes). Only
    /// the attributes we use are read: decoding everything (as netlink-packet-route does) costs
    /// a monitor more than the rest of its work, cold as every exec is.
    fn parse(payload: &[u8]) -> Option<Link> {
        const IFF_UP: u32 = 0x1;
        const IFF_LOOPBACK: u32 = 0x8;
        const IFF_NOARP: u32 = 0x80;
        const IFF_LOWER_UP: u32 = 0x1_0000;
        const IFLA_ADDRESS: u16 = 1;
        const IFLA_IFNAME: u16 = 3;
        const IFLA_OPERSTATE: u16 = 16;
        const IFLA_PROP_LIST: u16 = 52;
        const IFLA_ALT_IFNAME: u16 = 53;
        let header = payload.get(..16)?;
        let flags = ne_u32(&header[8..12]);
        let mut link = Link {
            index: ne_u32(&header[4..8]),
            name: String::new(),
            altnames: Vec::new(),
            admin_up: flags & IFF_UP != 0,
            lower_up: flags & IFF_LOWER_UP != 0,
            loopback: flags & IFF_LOOPBACK != 0,
            noarp: flags & IFF_NOARP != 0,
            oper: OperState::Unknown,
            mac: None,
        };
        for (kind, value) in Nlas(&payload[16..]) {
            match kind {
                IFLA_IFNAME => link.name = c_string(value),
                IFLA_ADDRESS => link.mac = MacAddr::from_slice(value),
                IFLA_OPERSTATE => {
                    link.oper = OperState::from_u8(value.first().copied().unwrap_or(0))
                }
                IFLA_PROP_LIST => {
                    for (k, v) in Nlas(value) {
                        if k == IFLA_ALT_IFNAME {
                            link.altnames.push(c_string(v));
                        }
                    }
                }
                _ => {}
            }
        }
        Some(link)
    }
}

/// IFA_F_* address flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddrFlags(pub u32);

impl AddrFlags {
    pub const SECONDARY: u32 = 0x01;
    pub const NODAD: u32 = 0x02;
    pub const DADFAILED: u32 = 0x08;
    pub const DEPRECATED: u32 = 0x20;
    pub const TENTATIVE: u32 = 0x40;
    pub const PERMANENT: u32 = 0x80;

    pub fn tentative(self) -> bool {
        self.0 & Self::TENTATIVE != 0
    }
    pub fn dadfailed(self) -> bool {
        self.0 & Self::DADFAILED != 0
    }
    pub fn nodad(self) -> bool {
        self.0 & Self::NODAD != 0
    }
    pub fn secondary(self) -> bool {
        self.0 & Self::SECONDARY != 0
    }
    pub fn deprecated(self) -> bool {
        self.0 & Self::DEPRECATED != 0
    }
    pub fn permanent(self) -> bool {
        self.0 & Self::PERMANENT != 0
    }
}

/// An address lifetime (`preferred_lft` / `valid_lft`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    Forever,
    Seconds(u32),
}

impl Lifetime {
    const INFINITY: u32 = u32::MAX;

    fn raw(self) -> u32 {
        match self {
            Lifetime::Forever => Self::INFINITY,
            Lifetime::Seconds(s) => s.min(Self::INFINITY - 1),
        }
    }

    fn from_raw(v: u32) -> Lifetime {
        if v == Self::INFINITY {
            Lifetime::Forever
        } else {
            Lifetime::Seconds(v)
        }
    }

    /// `forever` or a number of seconds (`ip addr`'s syntax; a `sec` suffix is accepted).
    pub fn parse(text: &str) -> Option<Lifetime> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("forever") || t.eq_ignore_ascii_case("infinity") {
            return Some(Lifetime::Forever);
        }
        let t = t.strip_suffix("sec").unwrap_or(t);
        let s: u32 = t.parse().ok()?;
        Some(if s == Self::INFINITY {
            Lifetime::Forever
        } else {
            Lifetime::Seconds(s)
        })
    }
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lifetime::Forever => f.write_str("forever"),
            Lifetime::Seconds(s) => write!(f, "{s}sec"),
        }
    }
}

/// An address configured on an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub ifindex: u32,
    pub ip: IpAddr,
    pub prefix: u8,
    /// IFA_ADDRESS when it differs from the local address (point-to-point peers).
    pub peer: Option<IpAddr>,
    pub label: Option<String>,
    pub broadcast: Option<Ipv4Addr>,
    pub flags: AddrFlags,
    /// RT_SCOPE_*: 0 global, 253 link, 254 host.
    pub scope: u8,
    pub preferred_lft: Lifetime,
    pub valid_lft: Lifetime,
}

impl Address {
    /// Parses the payload of an RTM_NEWADDR message (`struct ifaddrmsg` + attributes).
    fn parse(payload: &[u8]) -> Option<Address> {
        const IFA_ADDRESS: u16 = 1;
        const IFA_LOCAL: u16 = 2;
        const IFA_LABEL: u16 = 3;
        const IFA_BROADCAST: u16 = 4;
        const IFA_CACHEINFO: u16 = 6;
        const IFA_FLAGS: u16 = 8;
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
                IFA_LOCAL => local = ip(value),
                IFA_ADDRESS => address = ip(value),
                IFA_LABEL => a.label = Some(c_string(value)),
                IFA_BROADCAST => a.broadcast = <[u8; 4]>::try_from(value).ok().map(Ipv4Addr::from),
                IFA_FLAGS if value.len() >= 4 => a.flags = AddrFlags(ne_u32(value)),
                IFA_CACHEINFO if value.len() >= 8 => {
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

/// What to add: `ip addr add IP/PREFIX [brd B] [label L] [preferred_lft P] [nodad] dev IFINDEX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddress {
    pub ifindex: u32,
    pub ip: IpAddr,
    pub prefix: u8,
    /// IPv4 only.
    pub broadcast: Option<Ipv4Addr>,
    /// IPv4 only; at most 15 bytes (IFNAMSIZ - 1).
    pub label: Option<String>,
    pub preferred_lft: Lifetime,
    /// IPv6: skip the kernel's duplicate address detection.
    pub nodad: bool,
}

impl NewAddress {
    fn check(&self) -> Result<()> {
        if self.prefix > crate::prefix::max_prefix(&self.ip) {
            return Err(Error::Invalid(format!(
                "prefix /{} is too long for {}",
                self.prefix, self.ip
            )));
        }
        if self.ip.is_ipv6() && (self.broadcast.is_some() || self.label.is_some()) {
            return Err(Error::Invalid(
                "broadcast and label apply to IPv4 addresses only".into(),
            ));
        }
        if let Some(l) = &self.label {
            if l.is_empty() || l.len() > 15 {
                return Err(Error::Invalid(format!(
                    "address label '{l}' must be 1 to 15 bytes long"
                )));
            }
        }
        Ok(())
    }

    fn message(&self) -> AddressMessage {
        let mut m = AddressMessage::default();
        m.header.family = Family::of(&self.ip).netlink();
        m.header.prefix_len = self.prefix;
        m.header.index = self.ifindex;
        m.header.scope = if self.ip.is_loopback() {
            AddressScope::Host
        } else {
            AddressScope::Universe
        };
        let mut flags = AddressFlags::empty();
        if self.nodad {
            flags |= AddressFlags::Nodad;
            m.header.flags = AddressHeaderFlags::Nodad;
        }
        m.attributes.push(AddressAttribute::Local(self.ip));
        m.attributes.push(AddressAttribute::Address(self.ip));
        if let Some(b) = self.broadcast {
            m.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let Some(l) = &self.label {
            m.attributes.push(AddressAttribute::Label(l.clone()));
        }
        m.attributes.push(AddressAttribute::Flags(flags));
        if self.preferred_lft != Lifetime::Forever {
            let mut ci = CacheInfo::default();
            ci.ifa_preferred = self.preferred_lft.raw();
            ci.ifa_valid = Lifetime::Forever.raw();
            m.attributes.push(AddressAttribute::CacheInfo(ci));
        }
        m
    }
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
            m.header.family = f.netlink();
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
            .filter_map(|(_, payload)| Address::parse(payload))
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
            RouteNetlinkMessage::NewAddress(req.message()),
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
        m.header.family = Family::of(&addr.ip).netlink();
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
            if a.flags.dadfailed() {
                return Err(Error::DadFailed {
                    ip,
                    nic: nic.to_string(),
                });
            }
            if !a.flags.tentative() {
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
                        let code = payload
                            .get(..4)
                            .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
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

const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_OVERRUN: u16 = 4;
const RTM_NEWLINK: u16 = 16;
const RTM_NEWADDR: u16 = 20;

/// One reply: the message type and its payload.
type Reply = (u16, Vec<u8>);

fn links_of(replies: &[Reply]) -> Vec<Link> {
    replies
        .iter()
        .filter(|(kind, _)| *kind == RTM_NEWLINK)
        .filter_map(|(_, payload)| Link::parse(payload))
        .collect()
}

/// `struct nlmsghdr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MessageHeader {
    kind: u16,
    flags: u16,
    seq: u32,
}

/// The first netlink message of `b`: its header, its payload, and what follows it.
fn split_message(b: &[u8]) -> Option<(MessageHeader, &[u8], &[u8])> {
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
    fn lifetimes() {
        assert_eq!(Lifetime::parse("forever"), Some(Lifetime::Forever));
        assert_eq!(Lifetime::parse(" FOREVER "), Some(Lifetime::Forever));
        assert_eq!(Lifetime::parse("0"), Some(Lifetime::Seconds(0)));
        assert_eq!(Lifetime::parse("3600sec"), Some(Lifetime::Seconds(3600)));
        assert_eq!(Lifetime::parse("4294967295"), Some(Lifetime::Forever));
        assert_eq!(Lifetime::parse("-1"), None);
        assert_eq!(Lifetime::parse("soon"), None);
        assert_eq!(Lifetime::Seconds(5).to_string(), "5sec");
        assert_eq!(Lifetime::Forever.raw(), u32::MAX);
        assert_eq!(Lifetime::Seconds(u32::MAX).raw(), u32::MAX - 1);
    }

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
        let m = req.message();
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
        let m = v6.message();
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
        let back = Address::parse(&emit(&m)).unwrap();
        assert_eq!((back.ip, back.prefix, back.ifindex), (v6.ip, 64, 3));
        assert!(back.flags.nodad());
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
    fn parses_addresses_as_netlink_packet_route_writes_them() {
        let req = NewAddress {
            ifindex: 9,
            ip: "10.201.0.50".parse().unwrap(),
            prefix: 24,
            broadcast: Some("10.201.0.255".parse().unwrap()),
            label: Some("eth0:vip".into()),
            preferred_lft: Lifetime::Forever,
            nodad: false,
        };
        let mut m = req.message();
        m.attributes.push(AddressAttribute::Flags(
            AddressFlags::Secondary | AddressFlags::Permanent,
        ));
        m.attributes
            .retain(|a| !matches!(a, AddressAttribute::Flags(f) if f.is_empty()));
        let a = Address::parse(&emit(&m)).unwrap();
        assert_eq!(a.ip, req.ip);
        assert_eq!((a.prefix, a.ifindex), (24, 9));
        assert_eq!(a.label.as_deref(), Some("eth0:vip"));
        assert_eq!(a.broadcast, req.broadcast);
        assert!(a.flags.secondary() && a.flags.permanent() && !a.flags.tentative());
        // A point-to-point peer: IFA_ADDRESS differs from IFA_LOCAL.
        let mut ptp = AddressMessage::default();
        ptp.header.family = AddressFamily::Inet;
        ptp.header.prefix_len = 32;
        ptp.attributes
            .push(AddressAttribute::Local("10.0.0.1".parse().unwrap()));
        ptp.attributes
            .push(AddressAttribute::Address("10.0.0.2".parse().unwrap()));
        let a = Address::parse(&emit(&ptp)).unwrap();
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
        let a = Address::parse(&emit(&v6)).unwrap();
        assert!(a.flags.tentative() && a.flags.dadfailed());
        // Garbage is rejected, not a panic.
        assert_eq!(Address::parse(&[1, 2, 3]), None);
        let mut cut = emit(&v6);
        cut.truncate(14);
        assert_eq!(Address::parse(&cut), None, "no address attribute left");
    }

    #[test]
    fn parses_links_as_netlink_packet_route_writes_them() {
        use netlink_packet_route::link::{LinkFlags, Prop, State};
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
        let l = Link::parse(&emit(&m)).unwrap();
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
        let l = Link::parse(&emit(&lo)).unwrap();
        assert!(l.loopback && !l.does_arp());
        assert_eq!(l.down_reason(), None);

        let mut down = LinkMessage::default();
        down.header.flags = LinkFlags::Up;
        down.attributes
            .push(LinkAttribute::OperState(State::LowerLayerDown));
        let l = Link::parse(&emit(&down)).unwrap();
        assert_eq!(l.oper, OperState::LowerLayerDown);
        assert!(l.down_reason().is_some());
        assert_eq!(Link::parse(&[0; 8]), None);
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
        assert!(rest.is_empty());
        // A length beyond the buffer, or below the header size, is an error.
        let mut bad = b.clone();
        bad[0] = 200;
        assert_eq!(split_message(&bad[..24]), None);
        bad[0] = 3;
        assert_eq!(split_message(&bad), None);
        assert_eq!(split_message(&b[..10]), None);
    }

    #[test]
    fn bad_requests_are_caught_before_the_kernel() {
        let mut req = NewAddress {
            ifindex: 1,
            ip: "fd00::1".parse().unwrap(),
            prefix: 64,
            broadcast: None,
            label: Some("x".into()),
            preferred_lft: Lifetime::Forever,
            nodad: false,
        };
        assert!(matches!(req.check(), Err(Error::Invalid(_))));
        req.ip = "10.0.0.1".parse().unwrap();
        req.label = Some("a-very-long-label-indeed".into());
        assert!(matches!(req.check(), Err(Error::Invalid(_))));
        req.label = None;
        req.prefix = 33;
        assert!(matches!(req.check(), Err(Error::Invalid(_))));
    }

    #[test]
    fn down_reasons() {
        let mut l = Link {
            index: 2,
            name: "eth0".into(),
            altnames: vec!["enp0s3".into()],
            admin_up: true,
            lower_up: true,
            loopback: false,
            noarp: false,
            oper: OperState::Up,
            mac: Some(MacAddr([2, 0, 0, 0, 0, 1])),
        };
        assert_eq!(l.down_reason(), None);
        assert!(l.is_named("enp0s3") && l.is_named("eth0") && !l.is_named("eth1"));
        assert!(l.does_arp());
        l.oper = OperState::Unknown;
        assert_eq!(l.down_reason(), None, "UNKNOWN counts as up");
        l.lower_up = false;
        assert!(l.down_reason().unwrap().contains("no carrier"));
        l.oper = OperState::LowerLayerDown;
        assert!(l.down_reason().unwrap().contains("LOWERLAYERDOWN"));
        l.admin_up = false;
        assert!(l.down_reason().unwrap().contains("administratively down"));
        l.loopback = true;
        assert!(!l.does_arp());
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
