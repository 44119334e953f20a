use std::fmt;

/// An Ethernet (EUI-48) hardware address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    pub const ZERO: MacAddr = MacAddr([0; 6]);

    /// From a link's hardware address, if it is 6 bytes long.
    pub fn from_slice(b: &[u8]) -> Option<MacAddr> {
        <[u8; 6]>::try_from(b).ok().map(MacAddr)
    }

    pub fn octets(&self) -> [u8; 6] {
        self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_slices() {
        let m = MacAddr([0x02, 0, 0x5e, 0x10, 0xab, 0x0c]);
        assert_eq!(m.to_string(), "02:00:5e:10:ab:0c");
        assert_eq!(MacAddr::from_slice(&m.0), Some(m));
        assert_eq!(MacAddr::from_slice(&[1, 2, 3]), None);
        assert!(MacAddr::ZERO.is_zero());
    }
}
