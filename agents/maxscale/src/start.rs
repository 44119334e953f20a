//! start: the node's files checked, MaxScale run detached (unless it already runs, or
//! something else runs it: manage_process=false), then its REST API awaited. A promotable
//! clone's instance is started with `--passive`, so it is passive from its first answer (see
//! promotion.rs), checked passive when it answers, and gets its first promotion score.

use std::time::Duration;

use maxscale_rest::{Client, ErrorKind, MaxScaleInfo};
use ocf::{Context, Status};

use crate::api;
use crate::config::Config;
use crate::daemon::{self, Proc};
use crate::error::MaxScaleError;
use crate::launch::{self, Launch};
use crate::promotion;
use crate::validate;
use crate::verdict;

/// Between two readiness polls.
const READY_POLL: Duration = Duration::from_millis(50);
/// One readiness poll never takes longer than this.
const READY_ATTEMPT: Duration = Duration::from_secs(2);

pub fn start(ctx: &Context) -> Result<Status, MaxScaleError> {
    let c = Config::from_params(&ctx.params)?;
    validate::check_node(&c)?;
    let launch = launch::plan(ctx, &c)?;
    let promotable = ctx.env.is_promotable();
    let mut started_passive = false;
    if c.manage_process {
        match daemon::find(&c)? {
            Proc::Running(p) if p.state.is_stopped() => {
                return Err(MaxScaleError::Frozen {
                    pid: p.pid,
                    state: p.state,
                })
            }
            Proc::Running(p) => tracing::info!("MaxScale is already running (pid {})", p.pid),
            Proc::Impossible { why } => {
                // check_node refuses such a piddir first; this is a race with someone else.
                return Err(MaxScaleError::PidPath {
                    piddir: c.piddir.clone(),
                    what: why,
                });
            }
            Proc::Absent { stale } => {
                if let Some(why) = stale {
                    daemon::remove_stale_pid_file(&c, &why)?;
                }
                daemon::spawn(ctx, &c, &launch, promotable)?;
                started_passive = promotable;
            }
        }
    }
    let client = api::client(ctx, &c)?;
    let info = wait_ready(ctx, &c, &launch, &client)?;
    if promotable {
        if !c.manage_process {
            if let Some(pid) = daemon::runs_without_passive(&c) {
                tracing::warn!(
                    "MaxScale (pid {pid}) was started without --passive: if its launcher \
                     restarts it, it answers as it persisted (active after a promote) until \
                     its next monitor here; add --passive to its command line"
                );
            }
        }
        let a = verdict::assess(&client, &c.health, api::request_deadline(ctx))?;
        promotion::after_start(ctx, &client, &info, &a, started_passive)?;
        promotion::set_score(ctx, Some(promotion::score_for(&a)), true);
    }
    Ok(Status::Success)
}

/// Polls `GET /v1/maxscale` until it answers; credentials/TLS failures end it at once, and so
/// does the death of the process.
fn wait_ready(
    ctx: &Context,
    c: &Config,
    launch: &Launch,
    client: &Client,
) -> Result<MaxScaleInfo, MaxScaleError> {
    loop {
        let attempt = ctx.deadline.capped(READY_ATTEMPT).at();
        let err = match client.maxscale(attempt) {
            Ok(info) => return Ok(info),
            Err(e) => e,
        };
        if matches!(
            err.kind,
            ErrorKind::Unauthorized(_) | ErrorKind::Forbidden(_) | ErrorKind::Tls(_)
        ) {
            return Err(MaxScaleError::rest("start", err));
        }
        if c.manage_process {
            if let Proc::Absent { .. } | Proc::Impossible { .. } = daemon::find(c)? {
                return Err(MaxScaleError::ExitedDuringStart {
                    log: launch.log_file.clone(),
                    last: err,
                });
            }
        }
        if ctx.deadline.remaining() <= READY_POLL {
            return Err(MaxScaleError::NotReady(err));
        }
        std::thread::sleep(READY_POLL);
    }
}
