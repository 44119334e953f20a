//! stop: remove the address from wherever it is on this node. Only `ip` counts: a renamed nic
//! or an address moved to another interface is still this node's VIP, and a stop that left it
//! would let Pacemaker start it elsewhere too (a duplicate address). So stop answers 0 only
//! when the address is on no interface any more; when it cannot remove it, it fails (and the
//! node is fenced, which removes it).

use ocf::{Context, Status};
use vip_net::Netlink;

use crate::config;
use crate::error::VipError;
use crate::locate;
use crate::params::NIC;

pub fn stop(ctx: &Context) -> Result<Status, VipError> {
    let Some(ip) = config::stop_ip(&ctx.params) else {
        return Ok(Status::Success);
    };
    let nic = ctx.params.get_lenient(&NIC).map(|n| n.name);
    let deadline = ctx.deadline.at();
    let mut nl = Netlink::open()?;
    let found = locate::copies(&mut nl, ip, deadline)?;
    if found.is_empty() {
        tracing::info!("{ip} is on no interface of this node: nothing to stop");
        return Ok(Status::Success);
    }
    for a in &found {
        let link = nl.link_by_index(a.ifindex, deadline)?;
        let on = link
            .as_ref()
            .map_or_else(|| format!("ifindex {}", a.ifindex), |l| l.name.clone());
        if let (Some(nic), Some(l)) = (&nic, &link) {
            if !l.is_named(nic) {
                tracing::warn!("{ip} is on {on}, not on its nic {nic}: removing it there");
            }
        }
        nl.delete_address(a, deadline)?;
        tracing::info!("removed {ip}/{} from {on}", a.prefix);
    }
    match locate::copies(&mut nl, ip, deadline)?.first() {
        None => Ok(Status::Success),
        Some(a) => Err(VipError::StillConfigured {
            ip,
            on: locate::link_name(&mut nl, a.ifindex, deadline),
        }),
    }
}
