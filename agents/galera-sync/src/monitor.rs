//! monitor: 0 while started (7 when not), whatever Galera's state — an unhealthy or unreachable
//! MariaDB is the value 0, published, not a failure.

use ocf::{Context, Status};

use crate::config::Config;
use crate::error::GaleraSyncError;
use crate::publish::refresh;
use crate::state::{Found, StateFile};

pub fn monitor(ctx: &Context) -> Result<Status, GaleraSyncError> {
    let file = StateFile::of(ctx);
    let before = match file.find() {
        Found::Started(state) => state,
        Found::Absent => return Ok(Status::NotRunning),
        Found::Unusable(why) => {
            tracing::warn!(
                "state file {} {why}: not started here",
                file.path().display()
            );
            return Ok(Status::NotRunning);
        }
    };
    let config = Config::from_params(&ctx.params)?;
    let client = config.client()?;
    // A probe publishes: after a Pacemaker restart the transient attribute is gone.
    let forced = ctx.is_probe().then_some("probe");
    refresh(ctx, &config, &client, &file, before, forced)?;
    Ok(Status::Success)
}
