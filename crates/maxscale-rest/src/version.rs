//! MaxScale versions: `2.5.29`, `21.06.17`, `24.02.3`, `99.99.99` (develop). The minor part is
//! zero-padded, so this is not semver; it is three numbers.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// `passive` must be a JSON boolean from 2.5 on (a `"true"` string is rejected); 2.2–2.4
    /// accept either. The agent always sends a boolean.
    pub fn passive_needs_bool(&self) -> bool {
        *self >= Version::new(2, 5, 0)
    }

    /// Cooperative monitoring locks (`monitor_diagnostics.primary`) exist from 2.5.
    pub fn has_cooperative_locks(&self) -> bool {
        *self >= Version::new(2, 5, 0)
    }

    /// Configuration synchronisation (`config_sync`, `?sync=false`) exists from 6.0.
    pub fn has_config_sync(&self) -> bool {
        *self >= Version::new(6, 0, 0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a MaxScale version: {0:?}")]
pub struct BadVersion(pub String);

impl FromStr for Version {
    type Err = BadVersion;

    /// Accepts `A.B.C` and `A.B` (patch 0); a suffix after the numbers (`-rc1`, `-debug`) is
    /// ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadVersion(s.to_string());
        let core = s.trim();
        let core = core.split(['-', '+', ' ', '~']).next().ok_or_else(bad)?;
        let mut parts = core.split('.');
        let mut num = |required: bool| -> Result<u32, BadVersion> {
            match parts.next() {
                Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                    p.parse().map_err(|_| bad())
                }
                None if !required => Ok(0),
                _ => Err(bad()),
            }
        };
        let v = Version::new(num(true)?, num(true)?, num(false)?);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(v)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.major >= 6 {
            // Since 6 (21.06, 22.08, …) the minor is printed zero-padded.
            write!(f, "{}.{:02}.{}", self.major, self.minor, self.patch)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_known_form() {
        assert_eq!("2.5.29".parse(), Ok(Version::new(2, 5, 29)));
        assert_eq!("21.06.17".parse(), Ok(Version::new(21, 6, 17)));
        assert_eq!("24.02.3".parse(), Ok(Version::new(24, 2, 3)));
        assert_eq!("99.99.99".parse(), Ok(Version::new(99, 99, 99)));
        assert_eq!("6.4".parse(), Ok(Version::new(6, 4, 0)));
        assert_eq!("23.08.6-debug".parse(), Ok(Version::new(23, 8, 6)));
        assert!("".parse::<Version>().is_err());
        assert!("24".parse::<Version>().is_err());
        assert!("24.x.1".parse::<Version>().is_err());
        assert!("1.2.3.4".parse::<Version>().is_err());
        assert!("99999999999.1.1".parse::<Version>().is_err());
    }

    #[test]
    fn orders_and_displays() {
        let v: Version = "21.06.17".parse().unwrap();
        assert_eq!(v.to_string(), "21.06.17");
        assert_eq!(Version::new(2, 5, 29).to_string(), "2.5.29");
        assert!(Version::new(2, 4, 19) < Version::new(2, 5, 0));
        assert!(Version::new(24, 2, 3) > Version::new(6, 4, 15));
        assert!(!Version::new(2, 4, 19).passive_needs_bool());
        assert!(Version::new(2, 5, 0).has_cooperative_locks());
        assert!(!Version::new(2, 5, 29).has_config_sync());
        assert!(Version::new(6, 0, 0).has_config_sync());
    }
}
