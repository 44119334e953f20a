//! start: record "started" under HA_RSCTMP and publish the value at once.

use ocf::{Context, Status};

use crate::config::Config;
use crate::error::GaleraSyncError;
use crate::publish::refresh;
use crate::state::{Found, State, StateFile};

pub fn start(ctx: &Context) -> Result<Status, GaleraSyncError> {
    let config = Config::from_params(&ctx.params)?;
    let client = config.client()?;
    let file = StateFile::of(ctx);
    file.check_name()?;
    let before = match file.find() {
        // Started already (start is idempotent): keep what was published.
        Found::Started(state) => state,
        // A FIFO or the like is replaced; a directory or an unusable HA_RSCTMP fails here.
        Found::Absent | Found::Unusable(_) => {
            file.write(&State::default())?;
            State::default()
        }
    };
    let health = refresh(ctx, &config, &client, &file, before, Some("start"))?;
    tracing::info!("started; {} is {}", config.attribute, health.value());
    Ok(Status::Success)
}
