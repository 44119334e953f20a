//! stop: 0 whenever nothing runs (stale pid files removed); SIGTERM → second SIGTERM →
//! SIGKILL within the timeout; 1 only when the process survives SIGKILL (Pacemaker then fences
//! the node: better than two MaxScales). It never needs the REST API — except with
//! manage_process=false in a promotable clone, where MaxScale stays up but is made passive
//! (best effort).

use std::time::Duration;

use maxscale_rest::ErrorKind;
use ocf::{Context, Status};

use crate::api;
use crate::config::{self, Config};
use crate::daemon::{self, Proc};
use crate::error::MaxScaleError;
use crate::promotion;
use crate::verdict;

/// The most the manage_process=false demotion may take.
const DEMOTE_CAP: Duration = Duration::from_secs(5);

pub fn stop(ctx: &Context) -> Result<Status, MaxScaleError> {
    let c = Config::for_stop(&ctx.params);
    let stopped = stop_maxscale(ctx, &c);
    // The score goes after MaxScale, with what time is left (crm_attribute is killed at the
    // deadline): a slow crm_attribute first took the whole budget, and MaxScale got SIGKILL
    // 1 ms after SIGTERM.
    if ctx.env.is_promotable() {
        promotion::forget(ctx);
    }
    stopped.map(|()| Status::Success)
}

fn stop_maxscale(ctx: &Context, c: &Config) -> Result<(), MaxScaleError> {
    let promotable = ctx.env.is_promotable();
    if c.manage_process {
        if let Err(expected) = config::pid_path_syntax(&c.piddir) {
            // start refuses such a piddir, so nothing was started through it.
            tracing::warn!("stop: piddir is not {expected}: nothing can be running through it");
            return Ok(());
        }
        match daemon::find(c)? {
            Proc::Running(p) => daemon::stop_process(ctx, c, &p)?,
            Proc::Absent { stale: Some(why) } => {
                if let Err(e) = daemon::remove_stale_pid_file(c, &why) {
                    tracing::warn!("{e}");
                }
            }
            Proc::Absent { stale: None } => {}
            Proc::Impossible { why } => tracing::warn!("stop: {why}"),
        }
    } else if promotable {
        if let Err(e) = make_passive(ctx, c) {
            tracing::warn!("stop: MaxScale is left running and could not be made passive: {e}");
        }
    }
    Ok(())
}

/// MaxScale keeps running (someone else manages it), but must not stay active.
fn make_passive(ctx: &Context, c: &Config) -> Result<(), MaxScaleError> {
    let client = api::client(ctx, c)?;
    let d = ctx.deadline.capped(DEMOTE_CAP).at();
    match client.maxscale(d) {
        Err(e) if e.kind == ErrorKind::Refused => Ok(()),
        Err(e) => Err(MaxScaleError::rest("stop", e)),
        Ok(info) if info.passive == Some(true) => Ok(()),
        Ok(info) => {
            let a = verdict::assess(&client, &c.health, d)?;
            promotion::apply(ctx, &client, &info, &a, true, "stop")
        }
    }
}
