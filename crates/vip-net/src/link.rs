//! Network interfaces as the kernel reports them (`ip link`).

use std::fmt;

use crate::mac::MacAddr;

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
    pub(crate) fn from_u8(v: u8) -> OperState {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
