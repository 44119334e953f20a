//! stop: remove the attribute and the state file. Succeeds whenever nothing can be started
//! here, whatever the parameters or HA_RSCTMP look like (a failed stop gets the node fenced).

use ocf::{Context, Status};

use crate::config::Publishing;
use crate::error::GaleraSyncError;
use crate::publish::{attribute, ATTRD_CAP};
use crate::state::StateFile;

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
    // Fails only when a state file is there and stays: the next monitor would say "running".
    StateFile::of(ctx).remove()?;
    Ok(Status::Success)
}
