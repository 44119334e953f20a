//! Read Galera, publish the value when needed, record what was published: what start, monitor
//! and reload-agent share. Never fails for Galera's or attrd's sake; only for the state file.

use std::time::Duration;

use galera_status::{classify, Client, Health};
use ocf::attrs::NodeAttribute;
use ocf::Context;

use crate::config::Config;
use crate::error::GaleraSyncError;
use crate::state::{now_secs, why_publish, Published, State, StateFile};

/// The longest one status query may take: a server that cannot answer `SHOW GLOBAL STATUS`
/// within this is not fit for a VIP, and the monitor stays well inside its timeout.
pub const QUERY_CAP: Duration = Duration::from_secs(5);
/// The longest one attrd_updater call may take.
pub const ATTRD_CAP: Duration = Duration::from_secs(5);
/// What a query leaves of the action's time for publishing its verdict (at most half of what
/// is left): a server that hangs must still be published as 0, also with a short timeout.
pub const ATTRD_RESERVE: Duration = Duration::from_secs(1);

/// The attribute on the local node, as wsrep-notify (which has no OCF environment) updates it:
/// both must update the same attribute, and attrd knows its own node's name.
pub fn attribute(name: &str, dampen: Duration) -> NodeAttribute {
    NodeAttribute {
        name: name.to_string(),
        node: None,
        dampen: Some(dampen),
    }
}

/// Reads Galera and publishes its verdict when [`why_publish`] says so (always when `forced`
/// names a reason), then records it in the state file.
pub fn refresh(
    ctx: &Context,
    config: &Config,
    client: &Client,
    file: &StateFile,
    before: State,
    forced: Option<&'static str>,
) -> Result<Health, GaleraSyncError> {
    let reserve = ATTRD_RESERVE.min(ctx.deadline.remaining() / 2);
    let fetched = client.fetch(ctx.deadline.reserving(reserve).capped(QUERY_CAP).at());
    let health = classify(&fetched, config.policy);
    let value = health.value();
    let last = before.published;
    let describe = || match &fetched {
        Ok(s) => format!("{health} ({})", s.summary()),
        Err(_) => health.to_string(),
    };
    if last.map(|p| p.value) != Some(value) {
        let from = last.map_or("unset".to_string(), |p| p.value.to_string());
        match &fetched {
            Err(e) if e.is_configuration() => {
                tracing::error!("{} {from} -> {value}: {}", config.attribute, describe())
            }
            _ => tracing::info!("{} {from} -> {value}: {}", config.attribute, describe()),
        }
    } else {
        tracing::debug!("{} stays {value}: {}", config.attribute, describe());
    }
    let now = now_secs();
    let Some(why) = why_publish(value, last, now, forced) else {
        return Ok(health);
    };
    let attr = attribute(&config.attribute, config.dampen);
    let after = match attr.update(&value.to_string(), &ctx.deadline.capped(ATTRD_CAP)) {
        Ok(()) => {
            tracing::debug!("published {}={value} ({why})", config.attribute);
            State {
                published: Some(Published { value, at: now }),
            }
        }
        Err(e) => {
            tracing::warn!(
                "cannot publish {}={value} ({e}); is the cluster running on this node? \
                 Retrying at the next monitor",
                config.attribute
            );
            State { published: None }
        }
    };
    if after != before {
        file.write(&after)?;
    }
    Ok(health)
}
