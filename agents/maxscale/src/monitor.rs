//! monitor: 7 only when MaxScale is cleanly not running; the depth (OCF_CHECK_LEVEL, default
//! 10) says how much is checked; a promotable clone also reports its role (8 for
//! `passive=false`) and keeps this node's promotion score in step with its health.

use ocf::{Context, Status};

use crate::api;
use crate::config::Config;
use crate::error::MaxScaleError;
use crate::promotion;
use crate::verdict::{self, Observed};

pub fn monitor(ctx: &Context) -> Result<Status, MaxScaleError> {
    let c = Config::from_params(&ctx.params)?;
    let level = ctx.check_level(10);
    let promotable = ctx.env.is_promotable();
    let observed = verdict::observe(ctx, &c, level >= 10 || promotable || !c.manage_process);
    if promotable {
        return monitor_promotable(ctx, &c, observed);
    }
    match observed? {
        Observed::NotRunning => Ok(Status::NotRunning),
        Observed::ProcessAlive => Ok(Status::Success),
        Observed::Answering(_, client) => {
            if level >= 20 {
                verdict::assess(&client, &c.health, api::request_deadline(ctx))?.verdict()?;
            }
            Ok(Status::Success)
        }
    }
}

/// A failed depth-20 check only lowers the score: the backends are not MaxScale's fault, and
/// the healthier node should be promoted.
fn monitor_promotable(
    ctx: &Context,
    c: &Config,
    observed: Result<Observed, MaxScaleError>,
) -> Result<Status, MaxScaleError> {
    let (info, client) = match observed {
        Ok(Observed::Answering(info, client)) => (info, client),
        Ok(Observed::NotRunning | Observed::ProcessAlive) => {
            // ProcessAlive cannot happen (a promotable monitor always asks the API); were it
            // to, "not running" with no score is the safe answer.
            promotion::forget(ctx);
            return Ok(Status::NotRunning);
        }
        Err(e) => {
            promotion::set_score(ctx, None, false);
            return Err(e);
        }
    };
    let a = match verdict::assess(&client, &c.health, api::request_deadline(ctx)) {
        Ok(a) => a,
        Err(e) => {
            promotion::set_score(ctx, None, false);
            return Err(e);
        }
    };
    if let Err(e) = a.verdict() {
        tracing::warn!("degraded: {e}");
    }
    promotion::set_score(ctx, Some(promotion::score_for(&a)), ctx.is_probe());
    promotion::role(ctx, &info, &a)
}
