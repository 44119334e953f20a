//! start: record "started" under HA_RSCTMP and publish the value at once.

use ocf::{Context, Status};

use crate::config::Config;
use crate::error::GaleraSyncError;
use crate::publish::refresh;
use crate::state::{state_file, write_state, State};

pub fn start(ctx: &Context) -> Result<Status, GaleraSyncError> {
    let config = Config::from_params(&ctx.params)?;
    let client = config.client()?;
    let file = state_file(ctx);
    if !file.exists() {
        write_state(&file, &State::default())?;
    }
    // Started already (start is idempotent): keep what was published.
    let before = State::parse(&file.read().unwrap_or_default());
    let health = refresh(ctx, &config, &client, &file, before, Some("start"))?;
    tracing::info!("started; {} is {}", config.attribute, health.value());
    Ok(Status::Success)
}
