//! reload-agent (OCF 1.1): Pacemaker calls it instead of a restart when only reloadable
//! parameters changed (params.rs says which and why). They are read by the next start, so
//! there is nothing to apply to the running address: check the new configuration, and keep the
//! address as it is.

use ocf::{Context, Status};

use crate::config::Config;
use crate::error::VipError;

pub fn reload_agent(ctx: &Context) -> Result<Status, VipError> {
    let cfg = Config::from_params(&ctx.params)?;
    tracing::info!(
        "reloaded: arp_count={} arp_interval={:?} probe_duplicate={} probe_wait={:?} apply from \
         the next start; {} stays as it is",
        cfg.arp_count,
        cfg.arp_interval,
        cfg.probe_duplicate,
        cfg.probe_wait,
        cfg.target.ip
    );
    Ok(Status::Success)
}
