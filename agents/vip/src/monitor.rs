//! monitor: is the address on its interface, and does that interface carry traffic? One
//! address dump and one link lookup; the configuration is not re-validated beyond what these
//! need (ip, cidr_netmask, nic).

use ocf::{Context, Status};
use vip_net::{Address, Family, Netlink};

use crate::config::Target;
use crate::error::VipError;

pub fn monitor(ctx: &Context) -> Result<Status, VipError> {
    let t = Target::from_params(&ctx.params)?;
    let deadline = ctx.deadline.at();
    let mut nl = Netlink::open()?;
    let addrs = nl.addresses(Some(Family::of(&t.ip)), deadline)?;
    let link = match &t.nic {
        Some(name) => match nl.link_by_name(name, deadline)? {
            Some(l) => l,
            None => return Err(VipError::NicGone(name.clone())),
        },
        None => {
            let Some(a) = addrs.iter().find(|a| a.ip == t.ip) else {
                return Ok(Status::NotRunning);
            };
            match nl.link_by_index(a.ifindex, deadline)? {
                Some(l) => l,
                None => return Ok(Status::NotRunning),
            }
        }
    };
    let here: Vec<&Address> = addrs
        .iter()
        .filter(|a| a.ifindex == link.index && a.ip == t.ip)
        .collect();
    let Some(a) = here.iter().find(|a| t.prefix.is_none_or(|p| a.prefix == p)) else {
        if let Some(other) = here.first() {
            return Err(VipError::OtherPrefix {
                ip: t.ip,
                nic: link.name,
                found: other.prefix,
                configured: t.prefix.unwrap_or(other.prefix),
            });
        }
        return Ok(Status::NotRunning);
    };
    if a.flags.dadfailed() {
        return Err(VipError::DadFailedFound {
            ip: t.ip,
            nic: link.name,
        });
    }
    if let Some(why) = link.down_reason() {
        return Err(VipError::LinkDownHere {
            ip: t.ip,
            nic: link.name,
            why,
        });
    }
    Ok(Status::Success)
}
