//! monitor: is the address on its interface, and does that interface carry traffic? One
//! address dump and one link lookup; the configuration is not re-validated beyond what these
//! need (ip, cidr_netmask, nic).

use ocf::{Context, Status};
use vip_net::{AddrFlags, Netlink};

use crate::config::Target;
use crate::error::VipError;
use crate::locate::{self, Found};

pub fn monitor(ctx: &Context) -> Result<Status, VipError> {
    let t = Target::from_params(&ctx.params)?;
    let mut nl = Netlink::open()?;
    let (link, here) = match locate::find(&mut nl, &t, ctx.deadline.at())? {
        (Found::Here(link, here), _) => (link, here),
        (Found::Absent, nic) => {
            return match &t.nic {
                // Never 6 for something missing here (#334); and absent means absent.
                Some(name) if nic.is_none() => Err(VipError::NicGone(name.clone())),
                _ => Ok(Status::NotRunning),
            };
        }
    };
    let Some(a) = here.iter().find(|a| t.prefix.is_none_or(|p| a.prefix == p)) else {
        let found = here.first().map_or(0, |a| a.prefix);
        return Err(VipError::OtherPrefix {
            ip: t.ip,
            nic: link.name,
            found,
            configured: t.prefix.unwrap_or(found),
        });
    };
    if a.flags.has(AddrFlags::DADFAILED) {
        return Err(VipError::DadFailed {
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
