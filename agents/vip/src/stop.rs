//! stop: remove the address.

use ocf::{Context, Status};
use vip_net::{Address, Family, Netlink};

use crate::config::Target;
use crate::error::VipError;

pub fn stop(ctx: &Context) -> Result<Status, VipError> {
    let t = match Target::from_params(&ctx.params) {
        Ok(t) => t,
        Err(e) => {
            // With this configuration start can never have succeeded: nothing of ours.
            tracing::info!("configuration invalid ({e}): nothing to stop");
            return Ok(Status::Success);
        }
    };
    let deadline = ctx.deadline.at();
    let mut nl = Netlink::open()?;
    let ifindex = match &t.nic {
        Some(name) => match nl.link_by_name(name, deadline)? {
            Some(l) => Some(l.index),
            None => {
                tracing::info!("nic {name} does not exist on this node: nothing to stop");
                return Ok(Status::Success);
            }
        },
        None => None,
    };
    let ours = |nl: &mut Netlink| -> Result<Vec<Address>, VipError> {
        Ok(nl
            .addresses(Some(Family::of(&t.ip)), deadline)?
            .into_iter()
            .filter(|a| a.ip == t.ip && ifindex.is_none_or(|i| a.ifindex == i))
            .collect())
    };
    let found = ours(&mut nl)?;
    if found.is_empty() {
        tracing::info!("{} is not configured: nothing to stop", t.ip);
        return Ok(Status::Success);
    }
    for a in &found {
        nl.delete_address(a, deadline)?;
        tracing::info!("removed {}/{} (ifindex {})", a.ip, a.prefix, a.ifindex);
    }
    if ours(&mut nl)?.is_empty() {
        Ok(Status::Success)
    } else {
        Err(VipError::StillConfigured(t.ip))
    }
}
