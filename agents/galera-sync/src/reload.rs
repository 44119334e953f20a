//! reload-agent (OCF 1.1): Pacemaker calls it instead of a restart when only `reloadable`
//! parameters changed (params.rs: all but `attribute`). They are read afresh by every action,
//! so applying them means checking them and publishing the verdict they give at once (with the
//! new dampening), instead of at the next monitor.

use ocf::{Context, Status};

use crate::config::Config;
use crate::error::GaleraSyncError;
use crate::publish::refresh;
use crate::state::{Found, StateFile};

pub fn reload_agent(ctx: &Context) -> Result<Status, GaleraSyncError> {
    let config = Config::from_params(&ctx.params)?;
    let client = config.client()?;
    let file = StateFile::of(ctx);
    match file.find() {
        Found::Started(before) => {
            let health = refresh(ctx, &config, &client, &file, before, Some("reload-agent"))?;
            tracing::info!("reloaded; {} is {}", config.attribute, health.value());
        }
        // Pacemaker reloads only a started resource; by hand, there is nothing to apply.
        Found::Absent | Found::Unusable(_) => {
            tracing::info!("reload-agent: not started here, nothing to apply")
        }
    }
    Ok(Status::Success)
}
