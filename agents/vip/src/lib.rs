//! `ocf:mariadb:vip`: a virtual IP address, managed like `ocf:heartbeat:IPaddr2` (same
//! parameter names), without shell, `ip`, `arping` or any other child process: addresses and
//! link state over netlink, announcements and the duplicate probe over raw sockets
//! (crate `vip-net`).
//!
//! Exit codes, decided once here (see the meta-data longdesc, which users read):
//! - configuration wrong everywhere (malformed ip, netmask out of range, IPv4/IPv6 mix-ups,
//!   label too long for the configured nic, bad numbers): 6 — a probe turns it into 7 (core);
//! - something missing only on this node (nic absent, no or several candidate nics): start and
//!   validate-all 5, monitor 7 (never 6: ClusterLabs/resource-agents#334), stop 0;
//! - not root / no CAP_NET_ADMIN (CAP_NET_RAW for ARP/ND): 4;
//! - the address is used by another host (duplicate probe or IPv6 DAD): start 1, address not
//!   added, so Pacemaker tries another node (resource-agents#1163);
//! - link down: monitor 7 with a reason (resource-agents HEAD after #2113: soft, honours
//!   migration-threshold), start 1.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use ocf::action::Action;
use ocf::{
    ActionSpec, Agent, AgentInfo, Context, OcfError, OcfResult, ParamInfo, ParamSpec, Params,
    Status,
};
use vip_net::{prefix, Address, Capabilities, Family, Lifetime, Link, Netlink, NewAddress};

const IP: ParamSpec<String> = ParamSpec::string("ip")
    .required()
    .unique()
    .short("IPv4 or IPv6 address")
    .long(
        "The virtual IP address, IPv4 (10.0.0.50) or IPv6 (fd00::50), without a prefix (use \
         cidr_netmask for that). A malformed, multicast, broadcast or unspecified address is a \
         configuration error (6). A link-local IPv6 address (fe80::/10) needs nic.",
    );

const CIDR_NETMASK: ParamSpec<String> = ParamSpec::string("cidr_netmask")
    .short("Prefix length of the address")
    .long(
        "The prefix length (24, 64) or, for IPv4, a dotted-quad netmask (255.255.255.0). \
         Out of range (0, above 32 or 128), non-contiguous, or dotted for IPv6: 6. When not \
         set, the prefix of the interface's own address whose subnet contains ip is used \
         (5 when there is none on this node).",
    );

const NIC: ParamSpec<String> = ParamSpec::string("nic")
    .short("Interface to put the address on")
    .long(
        "The interface (name or altname) to add the address to. When not set, the interface \
         whose own address is in the VIP's subnet (ip/cidr_netmask, or the own address's \
         subnet when cidr_netmask is not set) is used; when no interface or several qualify \
         this node answers 5 with a reason naming them, never a guess. A nic that does not \
         exist on this node: start and validate-all 5, monitor 7 (probes included), stop 0. \
         The IPaddr2 form nic:label is accepted as nic plus iflabel.",
    );

const BROADCAST: ParamSpec<String> = ParamSpec::string("broadcast")
    .short("IPv4 broadcast address")
    .long(
        "IPv4 broadcast address: a dotted quad, '+' (host bits set, the default) or '-' (host \
         bits cleared). /31 and /32 get none by default. Set for an IPv6 address: 6.",
    );

const IFLABEL: ParamSpec<String> = ParamSpec::string("iflabel")
    .short("IPv4 address label")
    .long(
        "Label for the IPv4 address, shown as nic:iflabel by 'ip addr'. nic:iflabel must not \
         exceed 15 characters (6 when nic is configured; 2 when the detected nic makes it too \
         long on this node). Set for an IPv6 address: 6.",
    );

const ARP_COUNT: ParamSpec<u32> = ParamSpec::new("arp_count")
    .default(5)
    .short("Number of announcements")
    .long(
        "How many gratuitous ARP requests (IPv4) or unsolicited neighbour advertisements (IPv6) \
         start sends after adding the address, arp_interval apart, so that neighbours update \
         their caches at once. 0 sends none. start returns after the last one (they are sent \
         in the foreground, bounded by the start timeout; when the timeout would be exceeded, \
         the rest is skipped with a warning). Range 0-1000, else 6.",
    );

const ARP_INTERVAL: ParamSpec<u32> = ParamSpec::new("arp_interval")
    .default(200)
    .short("Milliseconds between announcements")
    .long("Milliseconds between two announcements (0-60000, else 6).");

const PREFERRED_LFT: ParamSpec<String> = ParamSpec::string("preferred_lft")
    .default("forever")
    .short("IPv6 preferred lifetime")
    .long(
        "Preferred lifetime of an IPv6 address: 'forever' or seconds. 0 keeps the address from \
         being chosen as a source address. Any other value than forever on an IPv4 address: 6.",
    );

const PROBE_DUPLICATE: ParamSpec<bool> = ParamSpec::boolean("probe_duplicate")
    .default(true)
    .short("Refuse an address another host already uses")
    .long(
        "Before adding the address, ask the link whether another host already uses it: an \
         RFC 5227 ARP probe (sender 0.0.0.0) for IPv4, a duplicate-address-detection neighbour \
         solicitation (from ::) for IPv6, waiting probe_wait milliseconds for an answer. If \
         another host answers, start fails with 1 (a soft error: Pacemaker tries another node) \
         and a reason naming that host's MAC, and the address is not added. IPv6: the probe \
         replaces the kernel's own duplicate address detection, so the address is added with \
         nodad and usable at once; with probe_duplicate=false the kernel's detection runs and \
         start waits for it (about 1-2 s); if it fails (dadfailed) the address is removed and \
         start fails with 1.",
    );

const PROBE_WAIT: ParamSpec<u32> = ParamSpec::new("probe_wait")
    .default(200)
    .short("Milliseconds to wait for a duplicate")
    .long(
        "How long the duplicate probe waits for an answer, in milliseconds (0-10000, else 6; \
         0 disables the probe). Failover takes this much longer.",
    );

const PARAMS: &[&dyn ParamInfo] = &[
    &IP,
    &CIDR_NETMASK,
    &NIC,
    &BROADCAST,
    &IFLABEL,
    &ARP_COUNT,
    &ARP_INTERVAL,
    &PREFERRED_LFT,
    &PROBE_DUPLICATE,
    &PROBE_WAIT,
];

const LONGDESC: &str =
    "Manages a virtual IPv4 or IPv6 address, like ocf:heartbeat:IPaddr2 and with \
its parameter names, without running any other program: addresses and link state through \
netlink, gratuitous ARP and unsolicited neighbour advertisements through raw sockets. \
start adds the address (after a duplicate probe) and announces it; stop removes it; monitor \
checks that it is on its interface and that the interface is up. Exit codes: a configuration \
that is wrong everywhere returns 6 (probes 7); something missing only on this node (the nic, or \
an interface in the VIP's subnet) returns 5 from start and validate-all, 7 from monitor, 0 from \
stop; without root (CAP_NET_ADMIN, CAP_NET_RAW) start returns 4. An address another host \
already uses makes start fail with 1 without adding it. A link that is down (administratively, \
or without carrier) makes monitor return 7 with a reason (a soft failure that honours \
migration-threshold, as IPaddr2 does since resource-agents issue #2113) and start return 1; \
the agent never changes the link's state. monitor is cheap (one netlink dump of addresses and \
one link lookup) and does not re-validate the configuration. validate-all checks the syntax at \
OCF_CHECK_LEVEL 0 and also this node's interfaces otherwise (crm_resource --validate gives no \
level). Deleting the primary IPv4 address of a subnet deletes its secondaries unless \
net.ipv4.conf.*.promote_secondaries is set: give the interface its own static address in the \
VIP's subnet, as IPaddr2 requires.";

static INFO: AgentInfo = AgentInfo {
    name: "vip",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "Virtual IP address (IPaddr2 compatible, no child processes)",
    longdesc: LONGDESC,
    params: PARAMS,
    actions: &[
        ActionSpec::new(Action::Start, 20),
        ActionSpec::new(Action::Stop, 20),
        ActionSpec::new(Action::Monitor, 20).interval(10).depth(0),
        ActionSpec::new(Action::MetaData, 5),
        ActionSpec::new(Action::ValidateAll, 20),
    ],
    commands: &[],
};

/// Time kept back from announcements for the final check.
const VERIFY_RESERVE: Duration = Duration::from_millis(100);
/// nic:label must fit IFNAMSIZ - 1.
const MAX_LABEL: usize = 15;

/// The agent.
#[derive(Debug, Default, Clone, Copy)]
pub struct VipAgent;

/// What monitor and stop need: where the address is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub ip: IpAddr,
    pub prefix: Option<u8>,
    pub nic: Option<String>,
    /// The label part of an IPaddr2-style `nic:label`.
    nic_label: Option<String>,
}

/// IPv4 broadcast choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    /// Not configured, or '+': host bits set (none for /31, /32).
    Plus,
    /// '-': host bits cleared.
    Minus,
    Addr(Ipv4Addr),
}

/// The whole configuration, syntax-checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub target: Target,
    /// The label without the `nic:` part.
    pub label: Option<String>,
    pub broadcast: Option<Broadcast>,
    pub arp_count: u32,
    pub arp_interval: Duration,
    pub preferred_lft: Lifetime,
    pub probe_duplicate: bool,
    pub probe_wait: Duration,
}

fn bad(msg: impl Into<String>) -> OcfError {
    OcfError::not_configured(msg)
}

impl Target {
    /// The three parameters monitor and stop need; syntax only.
    pub fn parse(params: &Params) -> OcfResult<Target> {
        let text = params.get(&IP)?;
        let ip = parse_ip(&text)?;
        let prefix = match params.text(&CIDR_NETMASK) {
            None => None,
            Some(t) => Some(
                prefix::parse_netmask(t, &ip)
                    .map_err(|e| bad(format!("parameter 'cidr_netmask': {e}")))?,
            ),
        };
        let (nic, nic_label) = match params.text(&NIC) {
            None => (None, None),
            Some(n) => {
                let n = n.trim();
                let (name, label) = match n.split_once(':') {
                    Some((name, label)) => (name, Some(label.to_string())),
                    None => (n, None),
                };
                check_nic_name(name)?;
                (Some(name.to_string()), label)
            }
        };
        if let IpAddr::V6(v6) = ip {
            if prefix::is_link_local_v6(&v6) && nic.is_none() {
                return Err(bad(format!(
                    "{ip} is a link-local IPv6 address: it needs nic (it exists on every link)"
                )));
            }
        }
        Ok(Target {
            ip,
            prefix,
            nic,
            nic_label,
        })
    }
}

fn parse_ip(text: &str) -> OcfResult<IpAddr> {
    let t = text.trim();
    if t.contains('/') {
        return Err(bad(format!(
            "parameter 'ip' must be an address without prefix, not '{t}': put the prefix in \
             cidr_netmask"
        )));
    }
    let ip: IpAddr = t.parse().map_err(|_| {
        bad(format!(
            "parameter 'ip' must be an IPv4 or IPv6 address, not '{t}'"
        ))
    })?;
    let why = match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => Some("the unspecified address"),
        IpAddr::V4(v4) if v4.is_broadcast() => Some("the broadcast address"),
        IpAddr::V4(v4) if v4.is_multicast() => Some("a multicast address"),
        IpAddr::V6(v6) if v6.is_unspecified() => Some("the unspecified address"),
        IpAddr::V6(v6) if v6.is_multicast() => Some("a multicast address"),
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => {
            Some("an IPv4-mapped IPv6 address (write the IPv4 address)")
        }
        _ => None,
    };
    match why {
        Some(w) => Err(bad(format!(
            "parameter 'ip': {ip} is {w}, not a unicast address"
        ))),
        None => Ok(ip),
    }
}

fn check_nic_name(name: &str) -> OcfResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 127
        && name != "."
        && name != ".."
        && name.chars().all(|c| c.is_ascii_graphic() && c != '/');
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "parameter 'nic': '{name}' is not an interface name"
        )))
    }
}

fn bounded_u32(params: &Params, spec: &ParamSpec<u32>, max: u32) -> OcfResult<u32> {
    let v = params.get(spec)?;
    if v > max {
        return Err(bad(format!(
            "parameter '{}' must be from 0 to {max}, not {v}",
            spec.name
        )));
    }
    Ok(v)
}

impl Config {
    /// Every parameter, syntax only (nothing on this node is looked at): errors are 6.
    pub fn parse(params: &Params) -> OcfResult<Config> {
        let target = Target::parse(params)?;
        let ip = target.ip;
        let label = match (params.text(&IFLABEL), &target.nic_label) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "both iflabel and a nic:label were given; use iflabel only",
                ))
            }
            (Some(l), None) => Some(l.trim().to_string()),
            (None, Some(l)) => Some(l.clone()),
            (None, None) => None,
        };
        if let Some(l) = &label {
            if ip.is_ipv6() {
                return Err(bad(format!(
                    "iflabel applies to IPv4 addresses only; {ip} is IPv6"
                )));
            }
            if l.is_empty() || !l.chars().all(|c| c.is_ascii_graphic()) {
                return Err(bad(format!(
                    "parameter 'iflabel': '{l}' must be printable ASCII without spaces"
                )));
            }
            if let Some(nic) = &target.nic {
                check_label_len(nic, l).map_err(bad)?;
            } else if l.len() + 2 > MAX_LABEL {
                return Err(bad(format!(
                    "parameter 'iflabel': nic:{l} cannot fit in {MAX_LABEL} characters"
                )));
            }
        }
        let broadcast = match params.text(&BROADCAST).map(str::trim) {
            None => None,
            Some(_) if ip.is_ipv6() => {
                return Err(bad(format!(
                    "broadcast applies to IPv4 addresses only; {ip} is IPv6"
                )))
            }
            Some("+") => Some(Broadcast::Plus),
            Some("-") => Some(Broadcast::Minus),
            Some(b) => Some(Broadcast::Addr(b.parse::<Ipv4Addr>().map_err(|_| {
                bad(format!(
                    "parameter 'broadcast' must be an IPv4 address, '+' or '-', not '{b}'"
                ))
            })?)),
        };
        let arp_count = bounded_u32(params, &ARP_COUNT, 1000)?;
        let arp_interval =
            Duration::from_millis(bounded_u32(params, &ARP_INTERVAL, 60_000)?.into());
        let lft_text = params.get(&PREFERRED_LFT)?;
        let lft_text = lft_text.as_str();
        let preferred_lft = Lifetime::parse(lft_text).ok_or_else(|| {
            bad(format!(
                "parameter 'preferred_lft' must be 'forever' or seconds, not '{lft_text}'"
            ))
        })?;
        if ip.is_ipv4() && preferred_lft != Lifetime::Forever {
            return Err(bad(format!(
                "preferred_lft applies to IPv6 addresses only; {ip} is IPv4"
            )));
        }
        let probe_duplicate = params.get(&PROBE_DUPLICATE)?;
        let probe_wait = Duration::from_millis(bounded_u32(params, &PROBE_WAIT, 10_000)?.into());
        Ok(Config {
            target,
            label,
            broadcast,
            arp_count,
            arp_interval,
            preferred_lft,
            probe_duplicate,
            probe_wait,
        })
    }

    /// The full label (`nic:iflabel`) for the interface the address goes on.
    fn full_label(&self, nic: &str) -> Option<String> {
        self.label.as_ref().map(|l| format!("{nic}:{l}"))
    }

    fn broadcast_for(&self, prefix: u8) -> Option<Ipv4Addr> {
        let IpAddr::V4(ip) = self.target.ip else {
            return None;
        };
        match self.broadcast.unwrap_or(Broadcast::Plus) {
            Broadcast::Plus => prefix::broadcast(ip, prefix),
            Broadcast::Minus => Some(prefix::broadcast_minus(ip, prefix)),
            Broadcast::Addr(b) => Some(b),
        }
    }
}

fn check_label_len(nic: &str, label: &str) -> Result<(), String> {
    let full = format!("{nic}:{label}");
    if full.len() > MAX_LABEL {
        return Err(format!(
            "the address label '{full}' (nic:iflabel) is {} characters long; the kernel allows {MAX_LABEL}",
            full.len()
        ));
    }
    Ok(())
}

/// The ONE mapping from a `vip_net` failure to an OCF error, for every action.
pub fn net_error(action: Action, e: vip_net::Error) -> OcfError {
    use vip_net::Error as E;
    let reason = e.to_string();
    match e {
        E::PermissionDenied { .. } => OcfError::perm(reason),
        // Missing on this node only: never 6 (that would ban the resource everywhere).
        E::NoSuchLink { .. }
        | E::NoCandidate { .. }
        | E::AmbiguousNic { .. }
        | E::NoHardwareAddress { .. }
        | E::Ipv6Disabled { .. } => {
            if action == Action::Monitor {
                OcfError::not_running(reason)
            } else {
                OcfError::not_installed(reason)
            }
        }
        E::Invalid(_) => OcfError::not_configured(reason),
        _ => OcfError::generic(reason),
    }
}

/// Where the address goes on this node.
struct Placement {
    link: Link,
    prefix: u8,
}

fn open(action: Action) -> OcfResult<Netlink> {
    Netlink::open().map_err(|e| net_error(action, e))
}

/// Finds the interface (configured or detected) and the prefix. Errors are "missing here" (5).
fn place(
    nl: &mut Netlink,
    cfg: &Config,
    action: Action,
    deadline: Instant,
) -> OcfResult<Placement> {
    let t = &cfg.target;
    let ne = |e| net_error(action, e);
    match &t.nic {
        Some(name) => {
            let link = nl
                .link_by_name(name, deadline)
                .map_err(ne)?
                .ok_or_else(|| {
                    net_error(action, vip_net::Error::NoSuchLink { name: name.clone() })
                })?;
            let prefix = match t.prefix {
                Some(p) => p,
                None => {
                    // The prefix of the nic's own address in the VIP's subnet.
                    let addrs: Vec<Address> = nl
                        .addresses(Some(Family::of(&t.ip)), deadline)
                        .map_err(ne)?
                        .into_iter()
                        .filter(|a| a.ifindex == link.index)
                        .collect();
                    let links = std::slice::from_ref(&link);
                    match vip_net::select_nic(links, &addrs, t.ip, None) {
                        Ok(c) => c.prefix,
                        Err(_) => {
                            return Err(OcfError::not_installed(format!(
                                "cidr_netmask is not set and {} has no address of its own in a \
                                 subnet containing {}; set cidr_netmask",
                                link.name, t.ip
                            )))
                        }
                    }
                }
            };
            Ok(Placement { link, prefix })
        }
        None => {
            let links = nl.links(deadline).map_err(ne)?;
            let addrs = nl
                .addresses(Some(Family::of(&t.ip)), deadline)
                .map_err(ne)?;
            let choice = vip_net::select_nic(&links, &addrs, t.ip, t.prefix).map_err(ne)?;
            let link = links
                .into_iter()
                .find(|l| l.index == choice.ifindex)
                .ok_or_else(|| OcfError::generic("the detected interface vanished"))?;
            tracing::info!(
                "nic not set: using {} (its address {} is in the subnet of {}/{})",
                link.name,
                choice.own,
                t.ip,
                choice.prefix
            );
            Ok(Placement {
                link,
                prefix: choice.prefix,
            })
        }
    }
}

fn check_privileges(needs_raw: bool) -> OcfResult<()> {
    let caps = Capabilities::current()
        .map_err(|e| OcfError::generic(format!("cannot read capabilities: {e}")))?;
    if !caps.net_admin() {
        return Err(OcfError::perm(
            "adding and removing addresses needs CAP_NET_ADMIN: run as root",
        ));
    }
    if needs_raw && !caps.net_raw() {
        return Err(OcfError::perm(
            "ARP/neighbour-discovery packets need CAP_NET_RAW: run as root",
        ));
    }
    Ok(())
}

fn matches_prefix(a: &Address, prefix: Option<u8>) -> bool {
    prefix.is_none_or(|p| a.prefix == p)
}

impl VipAgent {
    fn do_start(&self, ctx: &Context) -> OcfResult<Status> {
        let action = Action::Start;
        let ne = |e| net_error(action, e);
        let cfg = Config::parse(&ctx.params)?;
        let deadline = ctx.deadline.at();
        let ip = cfg.target.ip;
        check_privileges(false)?;
        let mut nl = open(action)?;
        let Placement { link, prefix } = place(&mut nl, &cfg, action, deadline)?;
        let nic = link.name.clone();
        let label = cfg.full_label(&nic);
        if let Some(l) = &cfg.label {
            // With a detected nic the length is only known here: wrong on this node only.
            check_label_len(&nic, l).map_err(OcfError::args)?;
        }

        let existing = nl.find_address(link.index, ip, deadline).map_err(ne)?;
        // Without a configured cidr_netmask any prefix is "the address", as in monitor.
        let configured = cfg.target.prefix;
        if let Some(a) = existing
            .iter()
            .find(|a| a.prefix == prefix || configured.is_none())
        {
            let prefix = a.prefix;
            if a.flags.dadfailed() {
                return Err(OcfError::generic(format!(
                    "{ip}/{prefix} is on {nic} but duplicate address detection failed \
                     (dadfailed): another node uses it"
                )));
            }
            if let Some(down) = link.down_reason() {
                return Err(OcfError::generic(format!(
                    "{ip}/{prefix} is on {nic}, but {down}"
                )));
            }
            tracing::info!("{ip}/{prefix} is already on {nic}: nothing to do");
            return Ok(Status::Success);
        }
        if let Some(other) = existing.first() {
            // Not ours as configured (a manual change): refuse rather than add a second copy.
            return Err(OcfError::generic(format!(
                "{ip} is already on {nic} with prefix /{}, not /{prefix}; remove it or fix \
                 cidr_netmask",
                other.prefix
            )));
        }
        if let Some(down) = link.down_reason() {
            return Err(OcfError::generic(format!(
                "cannot start {ip} on {nic}: {down}"
            )));
        }

        let arp = link.does_arp();
        let probing = cfg.probe_duplicate && !cfg.probe_wait.is_zero() && arp;
        check_privileges(arp && (probing || cfg.arp_count > 0))?;
        if cfg.probe_duplicate && !arp {
            tracing::info!("{nic} does no ARP/neighbour discovery: no duplicate probe");
        }
        if probing {
            let budget = ctx.deadline.reserving(VERIFY_RESERVE).at();
            if let Some(c) =
                vip_net::probe_duplicate(&link, ip, cfg.probe_wait, budget).map_err(ne)?
            {
                // Essentials first: Pacemaker keeps 128 characters of a reason.
                return Err(OcfError::generic(format!(
                    "{ip} is already in use on {nic}'s link by MAC {} (duplicate probe): not added",
                    c.mac
                )));
            }
            tracing::debug!(
                "no answer to the duplicate probe for {ip} within {:?}",
                cfg.probe_wait
            );
        }

        let req = NewAddress {
            ifindex: link.index,
            ip,
            prefix,
            broadcast: cfg.broadcast_for(prefix),
            label,
            preferred_lft: cfg.preferred_lft,
            nodad: ip.is_ipv6() && probing,
        };
        match nl.add_address(&req, &nic, deadline) {
            Ok(()) | Err(vip_net::Error::AddressExists { .. }) => {}
            Err(e) => return Err(ne(e)),
        }
        tracing::info!("added {ip}/{prefix} to {nic}");

        if ip.is_ipv6() {
            let budget = ctx.deadline.reserving(VERIFY_RESERVE).at();
            if let Err(e) = nl.wait_dad(link.index, ip, &nic, budget) {
                // Leave nothing behind that the kernel will not use.
                if let Ok(found) = nl.find_address(link.index, ip, deadline) {
                    for a in found.iter().filter(|a| a.prefix == prefix) {
                        let _ = nl.delete_address(a, deadline);
                    }
                }
                return Err(ne(e).context("address removed again"));
            }
        }

        if arp && cfg.arp_count > 0 {
            let budget = ctx.deadline.reserving(VERIFY_RESERVE).at();
            match vip_net::announce(&link, ip, cfg.arp_count, cfg.arp_interval, budget) {
                Ok(a) if a.sent < a.requested => tracing::warn!(
                    "sent only {} of {} announcements for {ip}: the start timeout was near",
                    a.sent,
                    a.requested
                ),
                Ok(a) => tracing::debug!("sent {} announcements for {ip} on {nic}", a.sent),
                // The address is up and serving; stale caches heal on their own. Failing start
                // here would move a working VIP away.
                Err(e) => tracing::warn!("announcing {ip} on {nic} failed: {e}"),
            }
        }

        let now = nl.find_address(link.index, ip, deadline).map_err(ne)?;
        if now.iter().any(|a| a.prefix == prefix) {
            Ok(Status::Success)
        } else {
            Err(OcfError::generic(format!(
                "{ip}/{prefix} is not on {nic} after adding it"
            )))
        }
    }

    fn do_monitor(&self, ctx: &Context) -> OcfResult<Status> {
        let action = Action::Monitor;
        let ne = |e| net_error(action, e);
        let t = Target::parse(&ctx.params)?;
        let deadline = ctx.deadline.at();
        let mut nl = open(action)?;
        let addrs = nl
            .addresses(Some(Family::of(&t.ip)), deadline)
            .map_err(ne)?;
        let link = match &t.nic {
            Some(name) => match nl.link_by_name(name, deadline).map_err(ne)? {
                Some(l) => l,
                None => {
                    return Err(OcfError::not_running(format!(
                        "nic {name} does not exist on this node"
                    )))
                }
            },
            None => {
                let Some(a) = addrs.iter().find(|a| a.ip == t.ip) else {
                    return Ok(Status::NotRunning);
                };
                match nl.link_by_index(a.ifindex, deadline).map_err(ne)? {
                    Some(l) => l,
                    None => return Ok(Status::NotRunning),
                }
            }
        };
        let here: Vec<&Address> = addrs
            .iter()
            .filter(|a| a.ifindex == link.index && a.ip == t.ip)
            .collect();
        let Some(a) = here.iter().find(|a| matches_prefix(a, t.prefix)) else {
            if let Some(other) = here.first() {
                return Err(OcfError::generic(format!(
                    "{} is on {} with prefix /{}, not the configured /{}",
                    t.ip,
                    link.name,
                    other.prefix,
                    t.prefix.unwrap_or(other.prefix)
                )));
            }
            return Ok(Status::NotRunning);
        };
        if a.flags.dadfailed() {
            return Err(OcfError::generic(format!(
                "{} is on {} but duplicate address detection failed (dadfailed)",
                t.ip, link.name
            )));
        }
        if let Some(down) = link.down_reason() {
            return Err(OcfError::not_running(format!(
                "{} is on {}, but {down}",
                t.ip, link.name
            )));
        }
        Ok(Status::Success)
    }

    fn do_stop(&self, ctx: &Context) -> OcfResult<Status> {
        let action = Action::Stop;
        let ne = |e| net_error(action, e);
        let t = match Target::parse(&ctx.params) {
            Ok(t) => t,
            Err(e) => {
                // With this configuration start can never have succeeded: nothing of ours.
                tracing::info!("configuration invalid ({e}): nothing to stop");
                return Ok(Status::Success);
            }
        };
        let deadline = ctx.deadline.at();
        let mut nl = open(action)?;
        let ifindex = match &t.nic {
            Some(name) => match nl.link_by_name(name, deadline).map_err(ne)? {
                Some(l) => Some(l.index),
                None => {
                    tracing::info!("nic {name} does not exist on this node: nothing to stop");
                    return Ok(Status::Success);
                }
            },
            None => None,
        };
        let ours = |nl: &mut Netlink| -> OcfResult<Vec<Address>> {
            Ok(nl
                .addresses(Some(Family::of(&t.ip)), deadline)
                .map_err(ne)?
                .into_iter()
                .filter(|a| a.ip == t.ip && ifindex.is_none_or(|i| a.ifindex == i))
                .collect())
        };
        let found = ours(&mut nl)?;
        if found.is_empty() {
            tracing::info!("{} is not configured: nothing to stop", t.ip);
            return Ok(Status::Success);
        }
        for a in &found {
            nl.delete_address(a, deadline).map_err(ne)?;
            tracing::info!("removed {}/{} (ifindex {})", a.ip, a.prefix, a.ifindex);
        }
        let left = ours(&mut nl)?;
        if left.is_empty() {
            Ok(Status::Success)
        } else {
            Err(OcfError::generic(format!(
                "{} is still configured after removing it",
                t.ip
            )))
        }
    }

    fn do_validate(&self, ctx: &Context) -> OcfResult<Status> {
        let action = Action::ValidateAll;
        let cfg = Config::parse(&ctx.params)?;
        if ctx.check_level(10) < 10 {
            return Ok(Status::Success);
        }
        let mut nl = open(action)?;
        let p = place(&mut nl, &cfg, action, ctx.deadline.at())?;
        if let Some(l) = &cfg.label {
            check_label_len(&p.link.name, l).map_err(OcfError::args)?;
        }
        Ok(Status::Success)
    }
}

impl Agent for VipAgent {
    type Error = OcfError;
    fn info(&self) -> &'static AgentInfo {
        &INFO
    }
    fn start(&self, ctx: &Context) -> OcfResult<Status> {
        self.do_start(ctx)
    }
    fn stop(&self, ctx: &Context) -> OcfResult<Status> {
        self.do_stop(ctx)
    }
    fn monitor(&self, ctx: &Context) -> OcfResult<Status> {
        self.do_monitor(ctx)
    }
    fn validate(&self, ctx: &Context) -> OcfResult<Status> {
        self.do_validate(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::{Env, OcfRc};

    fn params(pairs: &[(&str, &str)]) -> Params {
        let env = Env::from_pairs(pairs.iter().map(|(k, v)| (format!("OCF_RESKEY_{k}"), *v)));
        Params::from_env(&env)
    }

    fn cfg(pairs: &[(&str, &str)]) -> OcfResult<Config> {
        Config::parse(&params(pairs))
    }

    fn err6(pairs: &[(&str, &str)], needle: &str) {
        let e = cfg(pairs).unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrConfigured, "{pairs:?}: {e}");
        assert!(
            e.reason().contains(needle),
            "{pairs:?}: '{e}' lacks '{needle}'"
        );
    }

    #[test]
    fn defaults() {
        let c = cfg(&[("ip", "10.201.0.50")]).unwrap();
        assert_eq!(c.target.ip, "10.201.0.50".parse::<IpAddr>().unwrap());
        assert_eq!(c.target.prefix, None);
        assert_eq!(c.target.nic, None);
        assert_eq!(c.arp_count, 5);
        assert_eq!(c.arp_interval, Duration::from_millis(200));
        assert_eq!(c.preferred_lft, Lifetime::Forever);
        assert!(c.probe_duplicate);
        assert_eq!(c.probe_wait, Duration::from_millis(200));
        assert_eq!(c.broadcast_for(24), Some("10.201.0.255".parse().unwrap()));
        assert_eq!(c.broadcast_for(32), None);
    }

    #[test]
    fn full_configurations() {
        let c = cfg(&[
            ("ip", " 10.201.0.50 "),
            ("cidr_netmask", "255.255.0.0"),
            ("nic", "veth0"),
            ("iflabel", "vip"),
            ("broadcast", "-"),
            ("arp_count", "0"),
            ("arp_interval", "50"),
            ("probe_duplicate", "no"),
            ("probe_wait", "0"),
        ])
        .unwrap();
        assert_eq!(c.target.prefix, Some(16));
        assert_eq!(c.full_label("veth0").as_deref(), Some("veth0:vip"));
        assert_eq!(c.broadcast_for(16), Some("10.201.0.0".parse().unwrap()));
        assert!(!c.probe_duplicate);
        let c = cfg(&[
            ("ip", "fd00:201::50"),
            ("cidr_netmask", "64"),
            ("preferred_lft", "0"),
        ])
        .unwrap();
        assert_eq!(c.preferred_lft, Lifetime::Seconds(0));
        assert_eq!(c.broadcast_for(64), None);
        // IPaddr2's nic:label form.
        let c = cfg(&[("ip", "10.0.0.1"), ("nic", "eth0:web")]).unwrap();
        assert_eq!(c.target.nic.as_deref(), Some("eth0"));
        assert_eq!(c.label.as_deref(), Some("web"));
        // Explicit broadcast.
        let c = cfg(&[("ip", "10.0.0.1"), ("broadcast", "10.0.0.127")]).unwrap();
        assert_eq!(c.broadcast_for(24), Some("10.0.0.127".parse().unwrap()));
        // Link-local with nic is fine.
        assert!(cfg(&[("ip", "fe80::50"), ("nic", "eth0")]).is_ok());
    }

    #[test]
    fn configuration_errors_are_6_with_a_reason() {
        err6(&[], "required parameter 'ip'");
        err6(&[("ip", "10.0.0.256")], "IPv4 or IPv6 address");
        err6(&[("ip", "not-an-ip")], "not 'not-an-ip'");
        err6(&[("ip", "10.0.0.1/24")], "cidr_netmask");
        err6(&[("ip", "0.0.0.0")], "unspecified");
        err6(&[("ip", "224.0.0.1")], "multicast");
        err6(&[("ip", "255.255.255.255")], "broadcast");
        err6(&[("ip", "ff02::1")], "multicast");
        err6(&[("ip", "::ffff:10.0.0.1")], "IPv4-mapped");
        err6(&[("ip", "fe80::1")], "needs nic");
        err6(
            &[("ip", "10.0.0.1"), ("cidr_netmask", "33")],
            "out of range",
        );
        err6(&[("ip", "10.0.0.1"), ("cidr_netmask", "0")], "out of range");
        err6(
            &[("ip", "fd00::1"), ("cidr_netmask", "129")],
            "out of range",
        );
        err6(
            &[("ip", "fd00::1"), ("cidr_netmask", "255.255.255.0")],
            "IPv6",
        );
        err6(
            &[("ip", "10.0.0.1"), ("cidr_netmask", "255.0.255.0")],
            "contiguous",
        );
        err6(
            &[("ip", "fd00::1"), ("broadcast", "10.0.0.255")],
            "IPv4 addresses only",
        );
        err6(
            &[("ip", "10.0.0.1"), ("broadcast", "fd00::ff")],
            "'broadcast'",
        );
        err6(
            &[("ip", "fd00::1"), ("iflabel", "x")],
            "IPv4 addresses only",
        );
        err6(
            &[
                ("ip", "10.0.0.1"),
                ("nic", "eth0"),
                ("iflabel", "waytoolong1"),
            ],
            "15",
        );
        err6(&[("ip", "10.0.0.1"), ("iflabel", "fourteen-chars")], "15");
        err6(&[("ip", "10.0.0.1"), ("iflabel", "a b")], "printable");
        err6(
            &[("ip", "10.0.0.1"), ("nic", "eth0:a"), ("iflabel", "b")],
            "both iflabel",
        );
        err6(&[("ip", "10.0.0.1"), ("nic", "a/b")], "interface name");
        err6(&[("ip", "10.0.0.1"), ("arp_count", "-1")], "'arp_count'");
        err6(&[("ip", "10.0.0.1"), ("arp_count", "1001")], "0 to 1000");
        err6(
            &[("ip", "10.0.0.1"), ("arp_interval", "x")],
            "'arp_interval'",
        );
        err6(&[("ip", "10.0.0.1"), ("probe_wait", "10001")], "0 to 10000");
        err6(
            &[("ip", "10.0.0.1"), ("probe_duplicate", "maybe")],
            "boolean",
        );
        err6(
            &[("ip", "fd00::1"), ("preferred_lft", "soon")],
            "'preferred_lft'",
        );
        err6(
            &[("ip", "10.0.0.1"), ("preferred_lft", "0")],
            "IPv6 addresses only",
        );
        // forever on IPv4 (the default, or written out) is fine.
        assert!(cfg(&[("ip", "10.0.0.1"), ("preferred_lft", "forever")]).is_ok());
    }

    #[test]
    fn error_mapping() {
        use vip_net::Error as E;
        let m = |a, e| net_error(a, e).rc();
        let missing = || E::NoSuchLink {
            name: "eth9".into(),
        };
        assert_eq!(m(Action::Start, missing()), OcfRc::ErrInstalled);
        assert_eq!(m(Action::ValidateAll, missing()), OcfRc::ErrInstalled);
        assert_eq!(m(Action::Monitor, missing()), OcfRc::NotRunning);
        let none = || E::NoCandidate {
            vip: "10.0.0.1".parse().unwrap(),
            prefix: None,
        };
        assert_eq!(m(Action::Start, none()), OcfRc::ErrInstalled);
        assert_eq!(
            m(
                Action::Start,
                E::PermissionDenied {
                    op: "x",
                    needs: "CAP_NET_ADMIN"
                }
            ),
            OcfRc::ErrPerm
        );
        assert_eq!(
            m(
                Action::Start,
                E::DadFailed {
                    ip: "fd00::1".parse().unwrap(),
                    nic: "eth0".into()
                }
            ),
            OcfRc::ErrGeneric
        );
        assert_eq!(
            m(Action::Start, E::Invalid("x".into())),
            OcfRc::ErrConfigured
        );
        assert_eq!(
            m(
                Action::Monitor,
                E::Timeout {
                    op: "x",
                    waited: Duration::ZERO
                }
            ),
            OcfRc::ErrGeneric
        );
    }

    #[test]
    fn advertised_actions_and_params() {
        let names: Vec<&str> = INFO.actions.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(
            names,
            ["start", "stop", "monitor", "meta-data", "validate-all"]
        );
        let p: Vec<&str> = INFO.params.iter().map(|p| p.name()).collect();
        for n in [
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
        ] {
            assert!(p.contains(&n), "{n}");
        }
        assert!(IP.is_required() && IP.is_unique());
    }
}
