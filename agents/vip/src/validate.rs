//! validate-all: the configuration, and at OCF_CHECK_LEVEL 10 (the default: crm_resource
//! --validate passes no level) also this node's interfaces.

use ocf::{Context, Status};
use vip_net::Netlink;

use crate::config::Config;
use crate::error::VipError;
use crate::placement::place;

/// The check level from which this node's interfaces are looked at, and the default.
const NODE_CHECKS: u32 = 10;

pub fn validate(ctx: &Context) -> Result<Status, VipError> {
    let cfg = Config::from_params(&ctx.params)?;
    if ctx.check_level(NODE_CHECKS) < NODE_CHECKS {
        return Ok(Status::Success);
    }
    let mut nl = Netlink::open()?;
    let p = place(&mut nl, &cfg, ctx.deadline.at())?;
    cfg.check_subnet(p.prefix)?;
    p.check_label(&cfg)?;
    Ok(Status::Success)
}
