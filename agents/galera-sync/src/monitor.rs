//! monitor: 0 while started (7 when not), whatever Galera's state — an unhealthy or unreachable
//! MariaDB is the value 0, published, not a failure.

use ocf::{Context, Status};

use crate::config::Config;
use crate::error::GaleraSyncError;
use crate::publish::refresh;
use crate::state::{state_file, State};

pub fn monitor(ctx: &Context) -> Result<Status, GaleraSyncError> {
    let file = state_file(ctx);
    if !file.exists() {
        return Ok(Status::NotRunning);
    }
    let before = State::parse(&file.read().unwrap_or_default());
    let config = Config::from_params(&ctx.params)?;
    let client = config.client()?;
    // A probe publishes: after a Pacemaker restart the transient attribute is gone.
    let forced = ctx.is_probe().then_some("probe");
    refresh(ctx, &config, &client, &file, before, forced)?;
    Ok(Status::Success)
}
