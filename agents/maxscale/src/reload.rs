//! reload-agent (OCF 1.1): Pacemaker calls it instead of a restart when only `reloadable`
//! parameters changed. They are the ones no running MaxScale depends on:
//! - `servers`, `require_master`: only the depth-20 check (monitor) reads them;
//! - `admin_user`, `admin_password_file`: how the agent logs in. MaxScale's admin users are its
//!   runtime data, so a restart could never make a wrong password right.
//!
//! Not reloadable: what MaxScale is started with (`binary`, `config`, `user`, the directories,
//! `extra_options`, `manage_process`) and what must match MaxScale's own configuration, which
//! takes a restart to change (`admin_host`, `admin_port`, `admin_tls`, `admin_ca_file`, the
//! latter paired with MaxScale's certificate).
//!
//! Nothing is kept between actions, so the next monitor uses the new values anyway; what
//! reload does is check them (a malformed value: 6; an unreadable password file: 2) and, in a
//! promotable clone, set the promotion score from the new depth-20 rules at once. A MaxScale
//! that does not answer is not reload's failure: the next monitor reports it.

use ocf::{Context, Status};

use crate::api;
use crate::config::Config;
use crate::error::MaxScaleError;
use crate::promotion;
use crate::verdict::{self, Observed};

pub fn reload_agent(ctx: &Context) -> Result<Status, MaxScaleError> {
    let c = Config::from_params(&ctx.params)?;
    api::password(&c.admin)?;
    if !ctx.env.is_promotable() {
        return Ok(Status::Success);
    }
    let scored = verdict::observe(ctx, &c, true).and_then(|o| match o {
        Observed::Answering(_, client) => {
            let a = verdict::assess(&client, &c.health, api::request_deadline(ctx))?;
            promotion::set_score(ctx, Some(promotion::score_for(&a)), false);
            Ok(())
        }
        Observed::NotRunning | Observed::ProcessAlive => Ok(()),
    });
    if let Err(e) = scored {
        tracing::warn!("reload-agent: the promotion score stays until the next monitor: {e}");
    }
    Ok(Status::Success)
}
