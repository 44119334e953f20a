//! The instance parameters: one typed declaration each (name, type, default, descriptions),
//! and the agent-specific types they parse into. A type's `parse` checks what can be checked
//! of one text alone; what needs two parameters (the netmask against the address family, the
//! label against the nic) is checked in `config.rs`.
//!
//! Reloadable (OCF 1.1 reload-agent, no restart) are exactly the parameters that only a later
//! start reads: the announcements (arp_count, arp_interval) and the duplicate probe
//! (probe_duplicate, probe_wait). The running address needs nothing of them. Everything else
//! defines the address (ip, cidr_netmask, nic: monitor checks them) or was applied to it when
//! it was added (broadcast, iflabel, preferred_lft): a reload would leave the running address
//! different from its configuration, so a change of those restarts it.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ocf::{Kind, ParamInfo, ParamSpec, ParamType};
use vip_net::prefix::Netmask;
use vip_net::Lifetime;

pub const IP: ParamSpec<VipIp> = ParamSpec::new("ip")
    .required()
    .unique()
    .short("IPv4 or IPv6 address")
    .long(
        "The virtual IP address, IPv4 (10.0.0.50) or IPv6 (fd00::50), without a prefix (use \
         cidr_netmask for that). A malformed, multicast, broadcast or unspecified address is a \
         configuration error (6), and so is the network or broadcast address of its subnet \
         (start and validate-all; with cidr_netmask, or the prefix found on the node). A link-local IPv6 address (fe80::/10) needs nic.",
    );

pub const CIDR_NETMASK: ParamSpec<CidrNetmask> = ParamSpec::new("cidr_netmask")
    .short("Prefix length of the address")
    .long(
        "The prefix length (24, 64) or, for IPv4, a dotted-quad netmask (255.255.255.0). \
         Out of range (0, above 32 or 128), non-contiguous, or dotted for IPv6: 6. When not \
         set, the prefix of the interface's own address whose subnet contains ip is used \
         (5 when there is none on this node).",
    );

pub const NIC: ParamSpec<Nic> = ParamSpec::new("nic")
    .short("Interface to put the address on")
    .long(
        "The interface (name or altname) to add the address to. When not set, the interface \
         whose own address is in the VIP's subnet (ip/cidr_netmask, or the own address's \
         subnet when cidr_netmask is not set) is used; when no interface or several qualify \
         this node answers 5 with a reason naming them, never a guess. A nic that does not \
         exist on this node: start and validate-all 5, monitor 7 (probes included), stop 0; \
         but when the address is on another interface (the nic renamed, or the address moved), \
         monitor and start answer 1 and stop removes it there. The IPaddr2 form nic:label is \
         accepted as nic plus iflabel.",
    );

pub const BROADCAST: ParamSpec<Broadcast> = ParamSpec::new("broadcast")
    .default(Broadcast::Plus)
    .short("IPv4 broadcast address")
    .long(
        "IPv4 broadcast address: a dotted quad, '+' (host bits set, the default) or '-' (host \
         bits cleared). /31 and /32 get none by default. Set for an IPv6 address: 6.",
    );

pub const IFLABEL: ParamSpec<Label> = ParamSpec::new("iflabel").short("IPv4 address label").long(
    "Label for the IPv4 address, shown as nic:iflabel by 'ip addr'. nic:iflabel must not \
         exceed 15 characters (6 when nic is configured; 2 when the detected nic makes it too \
         long on this node). Set for an IPv6 address: 6.",
);

pub const ARP_COUNT: ParamSpec<Count<1000>> = ParamSpec::new("arp_count")
    .default(Count(5))
    .reloadable()
    .short("Number of announcements")
    .long(
        "How many gratuitous ARP requests (IPv4) or unsolicited neighbour advertisements (IPv6) \
         start sends after adding the address, arp_interval apart, so that neighbours update \
         their caches at once. 0 sends none. start returns after the last one (they are sent \
         in the foreground, bounded by the start timeout; when the timeout would be exceeded, \
         the rest is skipped with a warning). Range 0-1000, else 6.",
    );

pub const ARP_INTERVAL: ParamSpec<Millis<60_000>> = ParamSpec::new("arp_interval")
    .default(Millis::new(200))
    .reloadable()
    .short("Milliseconds between announcements")
    .long("Milliseconds between two announcements (0-60000, else 6).");

pub const PREFERRED_LFT: ParamSpec<PreferredLft> = ParamSpec::new("preferred_lft")
    .default(PreferredLft(Lifetime::Forever))
    .short("IPv6 preferred lifetime")
    .long(
        "Preferred lifetime of an IPv6 address: 'forever' or seconds. 0 keeps the address from \
         being chosen as a source address. Any other value than forever on an IPv4 address: 6.",
    );

pub const PROBE_DUPLICATE: ParamSpec<bool> = ParamSpec::boolean("probe_duplicate")
    .default(true)
    .reloadable()
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

pub const PROBE_WAIT: ParamSpec<Millis<10_000>> = ParamSpec::new("probe_wait")
    .default(Millis::new(200))
    .reloadable()
    .short("Milliseconds to wait for a duplicate")
    .long(
        "How long the duplicate probe waits for an answer, in milliseconds (0-10000, else 6; \
         0 disables the probe). Failover takes this much longer.",
    );

/// The table: meta-data and man page order.
pub const ALL: &[&dyn ParamInfo] = &[
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

/// `ip`: an IPv4 or IPv6 address, without a prefix. Whether it may be a VIP (unicast, not its
/// subnet's network or broadcast address) is `config.rs`'s question: stop looks for any
/// address that parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VipIp(pub IpAddr);

impl ParamType for VipIp {
    const KIND: Kind = Kind::String;
    type Default = VipIp;
    fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.contains('/') {
            return Err("an address without prefix (the prefix goes in cidr_netmask)".into());
        }
        t.parse()
            .map(VipIp)
            .map_err(|_| "an IPv4 or IPv6 address".into())
    }
    fn default_text(default: VipIp) -> String {
        default.0.to_string()
    }
}

/// `cidr_netmask`: a prefix length or a dotted quad (checked against the family in config.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CidrNetmask(pub Netmask);

impl ParamType for CidrNetmask {
    const KIND: Kind = Kind::String;
    type Default = CidrNetmask;
    fn parse(text: &str) -> Result<Self, String> {
        Netmask::parse(text)
            .map(CidrNetmask)
            .ok_or_else(|| "a prefix length or a dotted-quad netmask".into())
    }
    fn default_text(default: CidrNetmask) -> String {
        match default.0 {
            Netmask::Length(l) => l.to_string(),
            Netmask::Dotted(m) => m.to_string(),
        }
    }
}

/// `nic`: an interface name (or altname), or IPaddr2's `nic:label`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    pub name: String,
    /// The label part of `nic:label`.
    pub label: Option<String>,
}

impl Nic {
    /// What the kernel accepts as a name or altname (ALTIFNAMSIZ - 1 bytes).
    fn valid_name(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= 127
            && name != "."
            && name != ".."
            && name.chars().all(|c| c.is_ascii_graphic() && c != '/')
    }
}

impl From<&'static str> for Nic {
    fn from(name: &'static str) -> Self {
        Nic {
            name: name.to_string(),
            label: None,
        }
    }
}

impl ParamType for Nic {
    const KIND: Kind = Kind::String;
    type Default = &'static str;
    fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let (name, label) = match t.split_once(':') {
            Some((name, label)) => (name, Some(label)),
            None => (t, None),
        };
        if !Nic::valid_name(name) {
            return Err("an interface name".into());
        }
        if let Some(l) = label {
            Label::check(l).map_err(|_| "an interface name (or nic:label)")?;
        }
        Ok(Nic {
            name: name.to_string(),
            label: label.map(str::to_string),
        })
    }
    fn default_text(default: &'static str) -> String {
        default.to_string()
    }
}

/// `broadcast`: how the IPv4 broadcast address is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    /// '+': host bits set (none for /31, /32).
    Plus,
    /// '-': host bits cleared.
    Minus,
    Addr(Ipv4Addr),
}

impl ParamType for Broadcast {
    const KIND: Kind = Kind::String;
    type Default = Broadcast;
    fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "+" => Ok(Broadcast::Plus),
            "-" => Ok(Broadcast::Minus),
            b => b
                .parse()
                .map(Broadcast::Addr)
                .map_err(|_| "an IPv4 address, '+' or '-'".into()),
        }
    }
    fn default_text(default: Broadcast) -> String {
        match default {
            Broadcast::Plus => "+".into(),
            Broadcast::Minus => "-".into(),
            Broadcast::Addr(a) => a.to_string(),
        }
    }
}

/// `iflabel`: printable ASCII without spaces (its length depends on the nic: config.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label(pub String);

impl Label {
    fn check(l: &str) -> Result<(), String> {
        if !l.is_empty() && l.chars().all(|c| c.is_ascii_graphic()) {
            Ok(())
        } else {
            Err("printable ASCII without spaces".into())
        }
    }
}

impl From<&'static str> for Label {
    fn from(label: &'static str) -> Self {
        Label(label.to_string())
    }
}

impl ParamType for Label {
    const KIND: Kind = Kind::String;
    type Default = &'static str;
    fn parse(text: &str) -> Result<Self, String> {
        let l = text.trim();
        Label::check(l).map(|()| Label(l.to_string()))
    }
    fn default_text(default: &'static str) -> String {
        default.to_string()
    }
}

/// `preferred_lft`: `forever` or seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreferredLft(pub Lifetime);

impl ParamType for PreferredLft {
    const KIND: Kind = Kind::String;
    type Default = PreferredLft;
    fn parse(text: &str) -> Result<Self, String> {
        Lifetime::parse(text)
            .map(PreferredLft)
            .ok_or_else(|| "'forever' or seconds".into())
    }
    fn default_text(default: PreferredLft) -> String {
        default.0.to_string()
    }
}

/// A whole number from 0 to `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count<const MAX: u32>(pub u32);

impl<const MAX: u32> ParamType for Count<MAX> {
    const KIND: Kind = Kind::Integer;
    type Default = Count<MAX>;
    fn parse(text: &str) -> Result<Self, String> {
        match text.trim().parse::<u32>() {
            Ok(n) if n <= MAX => Ok(Count(n)),
            _ => Err(format!("an integer from 0 to {MAX}")),
        }
    }
    fn default_text(default: Count<MAX>) -> String {
        default.0.to_string()
    }
}

/// Milliseconds from 0 to `MAX`, written as a plain integer (IPaddr2's `arp_interval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Millis<const MAX: u32>(pub Duration);

impl<const MAX: u32> Millis<MAX> {
    pub const fn new(ms: u32) -> Millis<MAX> {
        Millis(Duration::from_millis(ms as u64))
    }
}

impl<const MAX: u32> ParamType for Millis<MAX> {
    const KIND: Kind = Kind::Integer;
    type Default = Millis<MAX>;
    fn parse(text: &str) -> Result<Self, String> {
        match text.trim().parse::<u32>() {
            Ok(n) if n <= MAX => Ok(Millis::new(n)),
            _ => Err(format!("an integer from 0 to {MAX} (milliseconds)")),
        }
    }
    fn default_text(default: Millis<MAX>) -> String {
        default.0.as_millis().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_written_as_before() {
        let d: Vec<(&str, &str, Option<String>)> = ALL
            .iter()
            .map(|p| (p.name(), p.kind().as_str(), p.default_text()))
            .collect();
        let s = |t: &str| Some(t.to_string());
        assert_eq!(
            d,
            [
                ("ip", "string", None),
                ("cidr_netmask", "string", None),
                ("nic", "string", None),
                ("broadcast", "string", s("+")),
                ("iflabel", "string", None),
                ("arp_count", "integer", s("5")),
                ("arp_interval", "integer", s("200")),
                ("preferred_lft", "string", s("forever")),
                ("probe_duplicate", "boolean", s("true")),
                ("probe_wait", "integer", s("200")),
            ]
        );
        assert!(IP.is_required() && IP.is_unique());
    }

    #[test]
    fn types_parse_what_users_write() {
        assert_eq!(
            VipIp::parse(" 10.0.0.1 "),
            Ok(VipIp("10.0.0.1".parse().unwrap()))
        );
        assert!(VipIp::parse("10.0.0.1/24")
            .unwrap_err()
            .contains("cidr_netmask"));
        assert!(VipIp::parse("x").is_err());
        assert_eq!(
            CidrNetmask::parse("/24"),
            Ok(CidrNetmask(Netmask::Length(24)))
        );
        assert!(CidrNetmask::parse("24x").is_err());
        let n = Nic::parse("eth0:web").unwrap();
        assert_eq!((n.name.as_str(), n.label.as_deref()), ("eth0", Some("web")));
        assert!(Nic::parse("a/b").is_err());
        assert!(Nic::parse("eth0:").is_err());
        assert!(Nic::parse("..").is_err());
        assert!(Nic::parse(&"n".repeat(128)).is_err());
        assert_eq!(Broadcast::parse("-"), Ok(Broadcast::Minus));
        assert!(Broadcast::parse("fd00::ff").is_err());
        assert!(Label::parse("a b").is_err());
        assert_eq!(
            PreferredLft::parse("0"),
            Ok(PreferredLft(Lifetime::Seconds(0)))
        );
        assert_eq!(Count::<1000>::parse("1000"), Ok(Count(1000)));
        assert!(Count::<1000>::parse("1001")
            .unwrap_err()
            .contains("0 to 1000"));
        assert_eq!(
            Millis::<60_000>::parse("50"),
            Ok(Millis(Duration::from_millis(50)))
        );
        assert!(Millis::<10_000>::parse("-1").is_err());
    }
}
