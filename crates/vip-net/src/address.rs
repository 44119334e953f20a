//! Addresses on interfaces as the kernel reports them (`ip addr`), and what to add.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use crate::error::{Error, Result};

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
}

/// IFA_F_* address flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddrFlags(pub u32);

impl AddrFlags {
    pub const SECONDARY: u32 = libc::IFA_F_SECONDARY;
    pub const NODAD: u32 = libc::IFA_F_NODAD;
    pub const DADFAILED: u32 = libc::IFA_F_DADFAILED;
    pub const DEPRECATED: u32 = libc::IFA_F_DEPRECATED;
    pub const TENTATIVE: u32 = libc::IFA_F_TENTATIVE;
    pub const PERMANENT: u32 = libc::IFA_F_PERMANENT;

    /// Whether `flag` (one of the constants above) is set.
    pub fn has(self, flag: u32) -> bool {
        self.0 & flag != 0
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

    /// The kernel's representation (`struct ifa_cacheinfo`): u32::MAX is forever.
    pub(crate) fn raw(self) -> u32 {
        match self {
            Lifetime::Forever => Self::INFINITY,
            Lifetime::Seconds(s) => s.min(Self::INFINITY - 1),
        }
    }

    pub(crate) fn from_raw(v: u32) -> Lifetime {
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
        Some(Lifetime::from_raw(s))
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
    /// What the kernel would refuse anyway, caught before sending it.
    pub(crate) fn check(&self) -> Result<()> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
