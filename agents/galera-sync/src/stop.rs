//! stop: remove the attribute and the state file. Succeeds with invalid parameters (a failed
//! stop gets the node fenced).

use ocf::{Context, Status};

use crate::config::Publishing;
use crate::error::GaleraSyncError;
use crate::publish::{attribute, ATTRD_CAP};
use crate::state::state_file;

pub fn stop(ctx: &Context) -> Result<Status, GaleraSyncError> {
    match Publishing::from_params(&ctx.params) {
        Ok(p) => {
            if let Err(e) =
                attribute(&p.attribute, p.dampen).delete(&ctx.deadline.capped(ATTRD_CAP))
            {
                tracing::warn!("cannot remove attribute {} ({e})", p.attribute);
            }
        }
        // Nothing can have been published under an invalid name.
        Err(e) => tracing::warn!("not removing any attribute: {e}"),
    }
    let file = state_file(ctx);
    file.remove().map_err(|source| GaleraSyncError::StateFile {
        path: file.path().to_path_buf(),
        source,
    })?;
    Ok(Status::Success)
}
