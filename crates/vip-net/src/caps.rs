//! The process's effective capabilities, read from `/proc/self/status` (no child process, no
//! libcap). Adding addresses needs CAP_NET_ADMIN; ARP/ND packets need CAP_NET_RAW.

use std::io;

const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    effective: u64,
}

impl Capabilities {
    /// The effective set of this process.
    pub fn current() -> io::Result<Capabilities> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        Capabilities::from_status(&status).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "no CapEff line in /proc/self/status",
            )
        })
    }

    /// Parses the `CapEff:` line of a `/proc/<pid>/status` text.
    pub fn from_status(status: &str) -> Option<Capabilities> {
        let hex = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))?
            .trim();
        u64::from_str_radix(hex, 16)
            .ok()
            .map(|effective| Capabilities { effective })
    }

    pub fn from_bits(effective: u64) -> Capabilities {
        Capabilities { effective }
    }

    fn has(&self, cap: u32) -> bool {
        self.effective & (1u64 << cap) != 0
    }

    pub fn net_admin(&self) -> bool {
        self.has(CAP_NET_ADMIN)
    }

    pub fn net_raw(&self) -> bool {
        self.has(CAP_NET_RAW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cap_eff() {
        let root = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        let c = Capabilities::from_status(root).unwrap();
        assert!(c.net_admin() && c.net_raw());
        let user = "CapEff:\t0000000000000000\n";
        let c = Capabilities::from_status(user).unwrap();
        assert!(!c.net_admin() && !c.net_raw());
        let admin_only = Capabilities::from_bits(1 << 12);
        assert!(admin_only.net_admin() && !admin_only.net_raw());
        assert_eq!(Capabilities::from_status("nothing"), None);
        assert!(Capabilities::current().is_ok());
    }
}
