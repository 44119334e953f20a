//! start: add the address (after a duplicate probe) and announce it.

use std::time::Duration;

use ocf::{Context, Status};
use vip_net::{AddrFlags, Capabilities, NewAddress};

use crate::config::Config;
use crate::error::VipError;
use crate::locate::{self, Found};
use crate::placement::{place, Placement};

/// Time kept back from the probe and the announcements for the final check.
const VERIFY_RESERVE: Duration = Duration::from_millis(100);

pub fn start(ctx: &Context) -> Result<Status, VipError> {
    let cfg = Config::from_params(&ctx.params)?;
    let deadline = ctx.deadline.at();
    let ip = cfg.target.ip;
    check_privileges(false)?;
    let mut nl = vip_net::Netlink::open()?;
    // Where the address already is decides first: never a second copy on this node.
    if let (Found::Here(link, here), _) = locate::find(&mut nl, &cfg.target, deadline)? {
        let nic = link.name.clone();
        // Without a configured cidr_netmask any prefix is "the address", as in monitor.
        let Some(a) = here
            .iter()
            .find(|a| cfg.target.prefix.is_none_or(|p| a.prefix == p))
        else {
            // Not ours as configured (a manual change): refuse rather than add a second copy.
            let found = here.first().map_or(0, |a| a.prefix);
            return Err(VipError::OtherPrefixAtStart {
                ip,
                nic,
                found,
                want: cfg.target.prefix.unwrap_or(found),
            });
        };
        let prefix = a.prefix;
        if a.flags.has(AddrFlags::DADFAILED) {
            return Err(VipError::DadFailed { ip, nic });
        }
        if let Some(why) = link.down_reason() {
            return Err(VipError::DownAtStart {
                ip,
                prefix,
                nic,
                why,
            });
        }
        tracing::info!("{ip}/{prefix} is already on {nic}: nothing to do");
        return Ok(Status::Success);
    }
    let p = place(&mut nl, &cfg, deadline)?;
    cfg.check_subnet(p.prefix)?;
    p.check_label(&cfg)?;
    let Placement { link, prefix } = p;
    let nic = link.name.clone();
    if let Some(why) = link.down_reason() {
        return Err(VipError::CannotStart { ip, nic, why });
    }

    let arp = link.does_arp();
    let probing = cfg.probe_duplicate && !cfg.probe_wait.is_zero() && arp;
    check_privileges(arp && (probing || cfg.arp_count > 0))?;
    if cfg.probe_duplicate && !arp {
        tracing::info!("{nic} does no ARP/neighbour discovery: no duplicate probe");
    }
    if probing {
        let budget = ctx.deadline.reserving(VERIFY_RESERVE).at();
        if let Some(c) = vip_net::probe_duplicate(&link, ip, cfg.probe_wait, budget)? {
            return Err(VipError::Duplicate {
                ip,
                nic,
                mac: c.mac,
            });
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
        label: cfg.full_label(&nic),
        preferred_lft: cfg.preferred_lft,
        nodad: ip.is_ipv6() && probing,
    };
    match nl.add_address(&req, &nic, deadline) {
        Ok(()) | Err(vip_net::Error::AddressExists { .. }) => {}
        Err(e) => return Err(e.into()),
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
            return Err(VipError::DadRemoved(e));
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

    let now = nl.find_address(link.index, ip, deadline)?;
    if now.iter().any(|a| a.prefix == prefix) {
        Ok(Status::Success)
    } else {
        Err(VipError::NotAdded { ip, prefix, nic })
    }
}

fn check_privileges(needs_raw: bool) -> Result<(), VipError> {
    let caps = Capabilities::current().map_err(VipError::Capabilities)?;
    if !caps.net_admin() {
        return Err(VipError::Privilege(
            "adding and removing addresses needs CAP_NET_ADMIN: run as root",
        ));
    }
    if needs_raw && !caps.net_raw() {
        return Err(VipError::Privilege(
            "ARP/neighbour-discovery packets need CAP_NET_RAW: run as root",
        ));
    }
    Ok(())
}
