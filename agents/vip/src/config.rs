//! The typed, validated configuration, built from the parameters alone (nothing on this node is
//! looked at here): every error is a configuration error (6).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ocf::Params;
use vip_net::{prefix, Lifetime};

use crate::error::VipError;
use crate::params::{
    Broadcast, CidrNetmask, Count, Label, Millis, Nic, PreferredLft, VipIp, ARP_COUNT,
    ARP_INTERVAL, BROADCAST, CIDR_NETMASK, IFLABEL, IP, NIC, PREFERRED_LFT, PROBE_DUPLICATE,
    PROBE_WAIT,
};

/// nic:label must fit IFNAMSIZ - 1.
pub const MAX_LABEL: usize = 15;

/// Where the address is: what monitor needs (it reads nothing else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub ip: IpAddr,
    pub prefix: Option<u8>,
    pub nic: Option<String>,
    /// The label part of an IPaddr2-style `nic:label`.
    nic_label: Option<String>,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub target: Target,
    /// The label without the `nic:` part.
    pub label: Option<String>,
    pub broadcast: Broadcast,
    pub arp_count: u32,
    pub arp_interval: Duration,
    pub preferred_lft: Lifetime,
    pub probe_duplicate: bool,
    pub probe_wait: Duration,
}

impl Target {
    pub fn from_params(params: &Params) -> Result<Target, VipError> {
        let VipIp(ip) = params.get(&IP)?;
        check_unicast(ip)?;
        let prefix = params
            .get_opt(&CIDR_NETMASK)?
            .map(|CidrNetmask(m)| m.prefix_for(&ip))
            .transpose()
            .map_err(VipError::Netmask)?;
        let (nic, nic_label) = match params.get_opt(&NIC)? {
            Some(Nic { name, label }) => (Some(name), label),
            None => (None, None),
        };
        if let IpAddr::V6(v6) = ip {
            if prefix::is_link_local_v6(&v6) && nic.is_none() {
                return Err(VipError::LinkLocalNeedsNic(ip));
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

/// The address stop looks for: `ip`, when it is one that start could ever have added (any
/// unicast address; none of the checks that need other parameters, which may have changed since
/// the start). `None`: nothing of ours can be configured.
pub fn stop_ip(params: &Params) -> Option<IpAddr> {
    match params.get(&IP) {
        Ok(VipIp(ip)) if check_unicast(ip).is_ok() => Some(ip),
        Ok(VipIp(ip)) => {
            tracing::info!("{ip} is not a unicast address: nothing of ours can be configured");
            None
        }
        Err(e) => {
            tracing::info!("{e}: nothing of ours can be configured");
            None
        }
    }
}

fn check_unicast(ip: IpAddr) -> Result<(), VipError> {
    let what = match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => "the unspecified address",
        IpAddr::V4(v4) if v4.is_broadcast() => "the broadcast address",
        IpAddr::V4(v4) if v4.is_multicast() => "a multicast address",
        IpAddr::V6(v6) if v6.is_unspecified() => "the unspecified address",
        IpAddr::V6(v6) if v6.is_multicast() => "a multicast address",
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => {
            "an IPv4-mapped IPv6 address (write the IPv4 address)"
        }
        _ => return Ok(()),
    };
    Err(VipError::NotUnicast { ip, what })
}

impl Config {
    pub fn from_params(params: &Params) -> Result<Config, VipError> {
        let target = Target::from_params(params)?;
        let ip = target.ip;
        let label = match (params.get_opt(&IFLABEL)?, &target.nic_label) {
            (Some(_), Some(_)) => return Err(VipError::TwoLabels),
            (Some(Label(l)), None) => Some(l),
            (None, l) => l.clone(),
        };
        if let Some(l) = &label {
            if ip.is_ipv6() {
                return Err(VipError::Ipv4Only {
                    param: "iflabel",
                    ip,
                });
            }
            match &target.nic {
                Some(nic) => {
                    if let Some(full) = too_long(nic, l) {
                        return Err(VipError::LabelTooLong {
                            full,
                            max: MAX_LABEL,
                        });
                    }
                }
                // The shortest nic name is one character.
                None if l.len() + 2 > MAX_LABEL => {
                    return Err(VipError::LabelCannotFit {
                        label: l.clone(),
                        max: MAX_LABEL,
                    })
                }
                None => {}
            }
        }
        if ip.is_ipv6() && params.text(&BROADCAST).is_some() {
            return Err(VipError::Ipv4Only {
                param: "broadcast",
                ip,
            });
        }
        let broadcast = params.get(&BROADCAST)?;
        let Count(arp_count) = params.get(&ARP_COUNT)?;
        let Millis(arp_interval) = params.get(&ARP_INTERVAL)?;
        let PreferredLft(preferred_lft) = params.get(&PREFERRED_LFT)?;
        if ip.is_ipv4() && preferred_lft != Lifetime::Forever {
            return Err(VipError::Ipv6Only {
                param: "preferred_lft",
                ip,
            });
        }
        let probe_duplicate = params.get(&PROBE_DUPLICATE)?;
        let Millis(probe_wait) = params.get(&PROBE_WAIT)?;
        let cfg = Config {
            target,
            label,
            broadcast,
            arp_count,
            arp_interval,
            preferred_lft,
            probe_duplicate,
            probe_wait,
        };
        if let Some(p) = cfg.target.prefix {
            cfg.check_subnet(p)?;
        }
        Ok(cfg)
    }

    /// The address must be a host address of its subnet `ip/prefix`: not the network address,
    /// not the broadcast address (nor the configured one). Called with the configured prefix
    /// here, and with the one found on the node by start and validate-all.
    pub fn check_subnet(&self, prefix: u8) -> Result<(), VipError> {
        let ip = self.target.ip;
        let role = match prefix::subnet_role(ip, prefix) {
            Some(prefix::SubnetRole::Network) => "network address",
            Some(prefix::SubnetRole::Broadcast) => "broadcast address",
            None if self
                .broadcast_for(prefix)
                .is_some_and(|b| IpAddr::V4(b) == ip) =>
            {
                return Err(VipError::BroadcastItself(ip))
            }
            None => return Ok(()),
        };
        Err(VipError::SubnetAddress { ip, role, prefix })
    }

    /// The full label (`nic:iflabel`) for the interface the address goes on.
    pub fn full_label(&self, nic: &str) -> Option<String> {
        self.label.as_ref().map(|l| format!("{nic}:{l}"))
    }

    /// `nic:iflabel` when it is too long for the kernel.
    pub fn label_too_long(&self, nic: &str) -> Option<String> {
        self.label.as_deref().and_then(|l| too_long(nic, l))
    }

    pub fn broadcast_for(&self, prefix: u8) -> Option<Ipv4Addr> {
        let IpAddr::V4(ip) = self.target.ip else {
            return None;
        };
        match self.broadcast {
            Broadcast::Plus => prefix::broadcast(ip, prefix),
            Broadcast::Minus => Some(prefix::broadcast_minus(ip, prefix)),
            Broadcast::Addr(b) => Some(b),
        }
    }
}

fn too_long(nic: &str, label: &str) -> Option<String> {
    let full = format!("{nic}:{label}");
    (full.len() > MAX_LABEL).then_some(full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::{Env, Failure, OcfRc};

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, VipError> {
        Config::from_params(&Params::of(pairs))
    }

    #[track_caller]
    fn err6(pairs: &[(&str, &str)], needle: &str) {
        let e = cfg(pairs).unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrConfigured, "{pairs:?}: {e}");
        assert!(
            e.to_string().contains(needle),
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
        assert_eq!(c.arp_interval, Duration::from_millis(50));
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
        for (ip, needle) in [
            ("10.0.0.256", "IPv4 or IPv6 address"),
            ("not-an-ip", "not 'not-an-ip'"),
            ("10.0.0.1/24", "cidr_netmask"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("ff02::1", "multicast"),
            ("::ffff:10.0.0.1", "IPv4-mapped"),
            ("fe80::1", "needs nic"),
        ] {
            err6(&[("ip", ip)], needle);
        }
        // One other parameter beside a valid address of either family.
        let (v4, v6) = ("10.0.0.1", "fd00::1");
        for (ip, name, value, needle) in [
            (v4, "cidr_netmask", "33", "out of range"),
            (v4, "cidr_netmask", "0", "out of range"),
            (v6, "cidr_netmask", "129", "out of range"),
            (v6, "cidr_netmask", "255.255.255.0", "IPv6"),
            (v4, "cidr_netmask", "255.0.255.0", "contiguous"),
            (v4, "cidr_netmask", "24 bits", "'cidr_netmask'"),
            (v6, "broadcast", "10.0.0.255", "IPv4 addresses only"),
            (v4, "broadcast", "fd00::ff", "'broadcast'"),
            (v6, "iflabel", "x", "IPv4 addresses only"),
            (v4, "iflabel", "fourteen-chars", "15"),
            (v4, "iflabel", "a b", "printable"),
            (v4, "nic", "a/b", "interface name"),
            (v4, "arp_count", "-1", "'arp_count'"),
            (v4, "arp_count", "1001", "0 to 1000"),
            (v4, "arp_interval", "x", "'arp_interval'"),
            (v4, "probe_wait", "10001", "0 to 10000"),
            (v4, "probe_duplicate", "maybe", "boolean"),
            (v6, "preferred_lft", "soon", "'preferred_lft'"),
            (v4, "preferred_lft", "0", "IPv6 addresses only"),
        ] {
            err6(&[("ip", ip), (name, value)], needle);
        }
        err6(
            &[("ip", v4), ("nic", "eth0"), ("iflabel", "waytoolong1")],
            "15",
        );
        err6(
            &[("ip", v4), ("nic", "eth0:a"), ("iflabel", "b")],
            "both iflabel",
        );
        // forever on IPv4 (the default, or written out) is fine.
        assert!(cfg(&[("ip", v4), ("preferred_lft", "forever")]).is_ok());
    }

    #[test]
    fn the_subnets_network_and_broadcast_addresses_are_refused() {
        let ip = |ip: &str, mask: &str| vec![("ip", ip.to_string()), ("cidr_netmask", mask.into())];
        let e6 = |pairs: Vec<(&str, String)>, needle: &str| {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            err6(&pairs, needle);
        };
        e6(
            ip("10.0.0.255", "24"),
            "10.0.0.255 is the broadcast address of its subnet /24",
        );
        e6(
            ip("10.0.0.0", "24"),
            "10.0.0.0 is the network address of its subnet /24",
        );
        e6(ip("10.0.1.255", "255.255.254.0"), "broadcast address");
        e6(ip("10.0.0.4", "30"), "network address");
        e6(ip("fd00:201::", "64"), "fd00:201:: is the network address");
        let mut b = ip("10.0.0.99", "24");
        b.push(("broadcast", "10.0.0.99".into()));
        e6(b, "10.0.0.99 is the configured broadcast address");
        // /31, /32 (RFC 3021), /127 (RFC 6164) and /128 have neither.
        for (ip, mask) in [
            ("10.0.0.0", "31"),
            ("10.0.0.1", "31"),
            ("10.0.0.255", "32"),
            ("fd00:201::", "127"),
            ("fd00:201::", "128"),
            ("10.0.0.254", "24"),
            ("10.0.0.1", "24"),
        ] {
            assert!(
                cfg(&[("ip", ip), ("cidr_netmask", mask)]).is_ok(),
                "{ip}/{mask}"
            );
        }
        // Without cidr_netmask the prefix is only known on the node (start, validate-all).
        let c = cfg(&[("ip", "10.0.0.255")]).unwrap();
        assert_eq!(c.check_subnet(24).unwrap_err().rc(), OcfRc::ErrConfigured);
        assert!(c.check_subnet(23).is_ok());
    }

    #[test]
    fn monitor_reads_only_where_the_address_is() {
        // A bad arp_count does not concern monitor.
        let t =
            Target::from_params(&Params::of(&[("ip", "10.0.0.1"), ("arp_count", "x")])).unwrap();
        assert_eq!(t.prefix, None);
        assert!(Target::from_params(&Params::of(&[("ip", "10.0.0.1"), ("nic", "a/b")])).is_err());
    }

    mod properties {
        use super::*;
        use crate::params::ALL;
        use proptest::prelude::*;

        /// Any text, texts made of the characters these parameters use, and valid values.
        fn text() -> impl Strategy<Value = Option<String>> {
            prop::option::of(prop_oneof![
                any::<String>(),
                "[0-9a-f:./+ -]{0,24}",
                "[a-z0-9:]{0,20}",
                prop::sample::select(vec![
                    "10.0.0.1",
                    "10.0.0.255",
                    "fd00::1",
                    "fe80::1",
                    "24",
                    "31",
                    "64",
                    "255.255.255.0",
                    "eth0",
                    "eth0:vip",
                    "+",
                    "-",
                    "forever",
                    "0",
                    "1000",
                    "true",
                    "no",
                ])
                .prop_map(String::from),
            ])
        }

        proptest! {
            // Whatever is configured: no panic, and a failure is a configuration error (6)
            // whose reason is clean, within Pacemaker's limit and names what is wrong.
            #[test]
            fn from_params_fails_only_with_configuration_errors(
                values in prop::collection::vec(text(), ALL.len()),
                prefix in any::<u8>(),
            ) {
                let pairs: Vec<(String, String)> = ALL
                    .iter()
                    .zip(&values)
                    .filter_map(|(p, v)| v.clone().map(|v| (format!("OCF_RESKEY_{}", p.name()), v)))
                    .collect();
                let p = Params::from_env(&Env::from_pairs(pairs));
                let config = Config::from_params(&p);
                for e in [config.as_ref().err(), Target::from_params(&p).as_ref().err()]
                    .into_iter()
                    .flatten()
                {
                    prop_assert_eq!(e.rc(), OcfRc::ErrConfigured, "{}", e);
                    let text = e.to_string();
                    prop_assert!(!text.chars().any(char::is_control), "{:?}", text);
                    prop_assert!(!text.contains("ocf-exit-reason:"), "{:?}", text);
                    prop_assert!(text.len() <= 200, "{}", text);
                    // Essentials first: what Pacemaker keeps says what is wrong; only the
                    // quoted value (last) may be cut.
                    let shown = ocf::reason::for_pacemaker(&text);
                    match e {
                        VipError::Param(ocf::ParamError::Invalid { name, expected, .. }) => {
                            let what = format!("parameter '{name}' must be {expected}");
                            prop_assert!(shown.contains(&what), "{}", shown);
                        }
                        _ => prop_assert_eq!(&shown, &text),
                    }
                }
                if let Ok(c) = &config {
                    if let Err(e) = c.check_subnet(prefix) {
                        prop_assert_eq!(e.rc(), OcfRc::ErrConfigured);
                    }
                    let _ = (c.broadcast_for(prefix), c.full_label("eth0"));
                }
                let _ = stop_ip(&p);
            }
        }
    }
}
