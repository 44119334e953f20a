//! validate-all: the parameters, and the password file on this node.

use galera_status::Target;
use ocf::{Context, Status};

use crate::config::Config;
use crate::error::GaleraSyncError;

pub fn validate(ctx: &Context) -> Result<Status, GaleraSyncError> {
    let config = Config::from_params(&ctx.params)?;
    config.client()?;
    if let Target::Socket(path) = &config.target {
        if !path.exists() {
            // MariaDB may simply not be running yet: the attribute will say 0.
            tracing::warn!("socket {} does not exist (yet)", path.display());
        }
    }
    Ok(Status::Success)
}
