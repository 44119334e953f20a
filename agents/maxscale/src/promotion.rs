//! The promotable clone: one MaxScale active (`passive=false`), the others passive, chosen by
//! Pacemaker from promotion scores that follow each node's health.
//!
//! The promise: a MaxScale this agent starts reads `passive=true` from the first moment it
//! answers until Pacemaker promotes it.
//! - start runs it with `--passive` (MaxScale 2.2 and later): its REST API shows passive=true
//!   from its very first answer, whatever MaxScale persisted — a formerly active instance,
//!   killed, has no `passive=true` line in `<persistdir>/maxscale.cnf` and would come back
//!   active without the flag — and however late its daemonizing parent exits: nothing waits
//!   for the agent. When the API answers, start checks passive anyway and sets it to true if it
//!   reads false (a MaxScale that was already running, or one that ignored the flag).
//! - promote sets passive=false (MaxScale persists that as the absence of the line), demote
//!   passive=true (persisted as a line: a restart even without the flag comes back passive),
//!   each verified by a fresh GET. A PATCH to the value MaxScale already has persists nothing,
//!   so none is sent. monitor answers 8 for passive=false and 0 for passive=true. stop needs
//!   nothing: Pacemaker demotes first, and a stopped MaxScale comes back through start.
//! - Scores: 100 when healthy at depth 20, 10 when degraded (a server not Running, no Master
//!   with require_master, a monitor stopped), removed when MaxScale is not running or does not
//!   answer. crm_attribute runs only when the score changes (the last value is cached in
//!   HA_RSCTMP), and always in probes and start, which follow a cluster restart; it gets at
//!   most 5 s, and stop calls it after MaxScale is stopped.
//!
//! Where the promise cannot reach:
//! - manage_process=false: something else starts MaxScale, and the agent cannot pass the flag.
//!   start sets passive=true as soon as the API answers (until then the instance is not the
//!   agent's yet). If that launcher restarts MaxScale later, it comes back as MaxScale
//!   persisted it — active after a promote — until that instance's next monitor answers 8 and
//!   Pacemaker demotes it. Giving the launcher `--passive` (a systemd drop-in) closes it.
//! - Cooperative monitoring locks (some mariadbmon reports `monitor_diagnostics.primary`
//!   non-null): the locks already make one MaxScale act, and MaxScale's documentation advises
//!   against mixing them with passive, which is meant to be false on every MaxScale then. start
//!   cannot know of the locks before MaxScale answers, so it still passes `--passive`, and sets
//!   passive=false once MaxScale reports them (only for an instance it started itself); after
//!   that the agent never touches passive: promote and demote succeed without a PATCH and the
//!   role is kept in a state file; a warning is logged once.
//! - Configuration sync on (`config_sync` non-null, 6.0+): MaxScale synchronises passive to
//!   every MaxScale, so the agent sets it with `?sync=false`, and a warning says so; a
//!   synchronised change made on any node later carries that node's passive to all of them,
//!   which no agent can prevent (a monitor then answers 8 and Pacemaker demotes). Prefer
//!   cooperative locks with config sync.

use std::time::Duration;

use ocf::attrs::PromotionScore;
use ocf::state::StateFile;
use ocf::{Context, Status};

use maxscale_rest::{Client, MaxScaleInfo};

use crate::api;
use crate::config::Config;
use crate::error::MaxScaleError;
use crate::verdict::{self, Assessment, Observed};

pub const SCORE_HEALTHY: i64 = 100;
pub const SCORE_DEGRADED: i64 = 10;

const AGENT: &str = "maxscale";

fn state(ctx: &Context, what: &str) -> StateFile {
    StateFile::new(&ctx.env, AGENT, ctx.instance(), what)
}

fn score_attr(ctx: &Context) -> PromotionScore {
    PromotionScore {
        resource: ctx.instance().to_string(),
        node: ctx.env.node_name().map(str::to_string),
    }
}

/// Sets (Some) or removes (None) this node's promotion score, calling crm_attribute only when
/// it changes — except in probes and start, which always write it. A failure is logged, never
/// fatal: the next monitor retries.
pub fn set_score(ctx: &Context, score: Option<i64>, force: bool) {
    let cache = state(ctx, "score");
    let wanted = score.map_or_else(|| "none".to_string(), |s| s.to_string());
    if !force && cache.read().as_deref() == Some(wanted.as_str()) {
        return;
    }
    let attr = score_attr(ctx);
    let deadline = ctx.deadline.capped(Duration::from_secs(5));
    let result = match score {
        Some(s) => attr.set(s, &deadline),
        None => attr.clear(&deadline),
    };
    match result {
        Ok(()) => {
            tracing::debug!("promotion score: {wanted}");
            if let Err(e) = cache.write(&wanted) {
                tracing::warn!(
                    "cannot cache the promotion score in {}: {e}",
                    cache.path().display()
                );
            }
        }
        Err(e) => {
            tracing::warn!("cannot set the promotion score to {wanted}: {e}");
            let _ = cache.remove();
        }
    }
}

/// The score for this health.
pub fn score_for(a: &Assessment) -> i64 {
    if a.healthy() {
        SCORE_HEALTHY
    } else {
        SCORE_DEGRADED
    }
}

/// Logs once (until locks go off again) that passive is left alone.
fn note_locks(ctx: &Context, locks: bool) {
    let f = state(ctx, "locks");
    if locks && !f.exists() {
        tracing::warn!(
            "cooperative monitoring locks are on: passive is not changed by this agent (but \
             for lifting start's --passive); the locks decide which MaxScale acts on the \
             cluster, and the promoted role only follows Pacemaker (kept in {})",
            state(ctx, "promoted").path().display()
        );
        let _ = f.write("on");
    } else if !locks && f.exists() {
        let _ = f.remove();
    }
}

/// The role monitor reports for a running MaxScale.
pub fn role(ctx: &Context, info: &MaxScaleInfo, a: &Assessment) -> Result<Status, MaxScaleError> {
    let locks = a.cooperative_locks();
    note_locks(ctx, locks);
    if locks {
        return Ok(if state(ctx, "promoted").exists() {
            Status::Promoted
        } else {
            Status::Success
        });
    }
    match info.passive {
        Some(false) => Ok(Status::Promoted),
        Some(true) => Ok(Status::Success),
        None => Err(MaxScaleError::NoPassive),
    }
}

/// Sets passive (verified), unless cooperative locks are on. `what` is the action, for reasons.
pub fn apply(
    ctx: &Context,
    client: &Client,
    info: &MaxScaleInfo,
    a: &Assessment,
    passive: bool,
    what: &str,
) -> Result<(), MaxScaleError> {
    let locks = a.cooperative_locks();
    note_locks(ctx, locks);
    let marker = state(ctx, "promoted");
    if !passive {
        let _ = marker.write("promoted");
    } else {
        let _ = marker.remove();
    }
    if locks {
        return Ok(());
    }
    if info.passive == Some(passive) {
        tracing::info!("{what}: passive is already {passive}");
        return Ok(());
    }
    let skip_sync = info.config_sync_on();
    if skip_sync {
        tracing::warn!(
            "configuration sync is on: passive would be pushed to every MaxScale; setting it \
             on this one only (?sync=false), until the next synchronised change overwrites it"
        );
    }
    client
        .set_passive(passive, skip_sync, ctx.deadline.at())
        .map_err(|e| MaxScaleError::rest(format!("{what}: setting passive={passive}"), e))?;
    tracing::info!("{what}: passive={passive}");
    Ok(())
}

/// start's part, once the API answers: the instance stays passive, except that with
/// cooperative locks an instance started with `--passive` (`started_passive`) is set back to
/// passive=false (see the module documentation).
pub fn after_start(
    ctx: &Context,
    client: &Client,
    info: &MaxScaleInfo,
    a: &Assessment,
    started_passive: bool,
) -> Result<(), MaxScaleError> {
    if started_passive && a.cooperative_locks() {
        note_locks(ctx, true);
        if info.passive == Some(true) {
            client
                .set_passive(false, info.config_sync_on(), ctx.deadline.at())
                .map_err(|e| MaxScaleError::rest("start: setting passive=false", e))?;
            tracing::info!(
                "start: passive=false again, the cooperative locks decide (start passed \
                 --passive before it could know of them)"
            );
        }
        return Ok(());
    }
    if started_passive && info.passive == Some(false) {
        tracing::warn!("start: MaxScale ignored --passive and answers passive=false");
    }
    apply(ctx, client, info, a, true, "start")
}

/// After stop: no score, no role.
pub fn forget(ctx: &Context) {
    set_score(ctx, None, false);
    let _ = state(ctx, "promoted").remove();
    let _ = state(ctx, "locks").remove();
}

/// promote (`passive=false`) and demote (`passive=true`).
///
/// No "promotable clone only" gate: Pacemaker calls promote/demote only for promotable clones,
/// except when such a clone is deleted while promoted — the orphaned instance is then demoted
/// without the clone's meta-attributes, and a 3 here would leave it stuck as
/// "ORPHANED FAILED Promoted" (seen in the lab). start/monitor of a primitive still never touch
/// passive.
pub fn set_role(ctx: &Context, passive: bool) -> Result<Status, MaxScaleError> {
    let what = if passive { "demote" } else { "promote" };
    let c = Config::from_params(&ctx.params)?;
    match verdict::observe(ctx, &c, true)? {
        Observed::Answering(info, client) => {
            let a = verdict::assess(&client, &c.health, api::request_deadline(ctx))?;
            apply(ctx, &client, &info, &a, passive, what)?;
            Ok(Status::Success)
        }
        Observed::NotRunning if passive => {
            tracing::info!("demote: MaxScale is not running, so it is not active");
            Ok(Status::Success)
        }
        _ => Err(MaxScaleError::NotRunningFor(what)),
    }
}

/// Sets passive for `keepalived-notify` (the rules of promote and demote, without Pacemaker's
/// role bookkeeping: cooperative locks leave it alone, an unchanged value is not written).
pub fn set_passive_for_keepalived(ctx: &Context, passive: bool) -> Result<(), MaxScaleError> {
    let what = "keepalived-notify";
    let c = Config::from_params(&ctx.params)?;
    let client = api::client(ctx, &c)?;
    let info = client
        .maxscale(ctx.deadline.at())
        .map_err(|e| MaxScaleError::rest(what, e))?;
    let monitors = client
        .monitors(ctx.deadline.at())
        .map_err(|e| MaxScaleError::rest(what, e))?;
    if verdict::cooperative_locks(&monitors) {
        tracing::warn!("cooperative monitoring locks are on: passive left unchanged");
        return Ok(());
    }
    if info.passive == Some(passive) {
        return Ok(());
    }
    client
        .set_passive(passive, info.config_sync_on(), ctx.deadline.at())
        .map_err(|e| MaxScaleError::rest(format!("{what}: setting passive={passive}"), e))?;
    Ok(())
}
