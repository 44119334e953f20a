//! `ocf:mariadb:galera-sync`: publishes the local Galera node's health as a transient node
//! attribute (1 healthy, 0 not), so a VIP's location rule keeps it on Synced nodes.
//!
//! The `ocf:pacemaker:ping` pattern: run as a clone; start records "started" under HA_RSCTMP
//! and publishes; monitor re-reads Galera and publishes when the value changes, returning 0
//! while started (7 when not) whatever Galera's state — an unhealthy or unreachable MariaDB is
//! the value 0, not a resource failure; stop removes the attribute and the state file.
//!
//! Two non-OCF commands: `wsrep-notify` (the server's `wsrep_notify_cmd`, pushing the value at
//! once on every Galera state change) and `status` (health and reason for people and tools).
//!
//! Without a reachable attrd (no cluster, e.g. under ocf-tester) start and monitor log a
//! warning and still succeed: there is nothing the resource could do better, and a failure
//! would only make Pacemaker restart it in a loop. The value is retried at the next monitor.

pub mod config;
pub mod error;
pub mod notify;
pub mod state;
pub mod status_cmd;

use std::ffi::OsString;
use std::time::Duration;

use galera_status::{classify, Health, Target};
use ocf::action::Action;
use ocf::attrs::NodeAttribute;
use ocf::state::StateFile;
use ocf::{ActionSpec, Agent, AgentInfo, Context, Env, OcfResult, Status};

use crate::config::{Config, Publishing, PARAMS};
use crate::error::{to_ocf, AgentError};
use crate::state::{now_secs, why_publish, Published, State};

/// The longest one status query may take: a server that cannot answer `SHOW GLOBAL STATUS`
/// within this is not fit for a VIP, and the monitor stays well inside its timeout.
pub const QUERY_CAP: Duration = Duration::from_secs(5);
/// The longest one attrd_updater call may take.
pub const ATTRD_CAP: Duration = Duration::from_secs(5);

pub static INFO: AgentInfo = AgentInfo {
    name: "galera-sync",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "Publishes the local Galera node's health as a node attribute",
    longdesc: "Reads the local MariaDB Galera node's wsrep status over the unix socket (or TCP) \
        and publishes a transient node attribute (default 'galera-sync'): 1 when the node is \
        Synced (wsrep_local_state 4, or 2 with donor_ok), in the Primary component, \
        wsrep_ready, not read_only and with at least connections_reserve free connections; 0 \
        otherwise. Run it as a clone on every Galera node, like ocf:pacemaker:ping, and keep a \
        VIP where the attribute is 1 with the location rule 'not_defined galera-sync or \
        galera-sync number:lte 0' (score -INFINITY). An unhealthy or unreachable MariaDB sets \
        the attribute to 0 and never fails the resource; stop removes the attribute. For \
        sub-second reaction to Galera state changes, set the server's wsrep_notify_cmd to \
        'galera-sync wsrep-notify --params FILE' (see the README); 'galera-sync status' prints \
        the health and its reason.",
    params: PARAMS,
    actions: &[
        ActionSpec::new(Action::Start, 20),
        ActionSpec::new(Action::Stop, 20),
        ActionSpec::new(Action::Monitor, 20).interval(2),
        ActionSpec::new(Action::MetaData, 5),
        ActionSpec::new(Action::ValidateAll, 20),
    ],
    commands: &[
        (
            "wsrep-notify [--params FILE] [--attribute NAME] [--dampen TIME] [--donor-ok] \
             --status S [--uuid U --primary yes|no --index I --members M]",
            "for the server's wsrep_notify_cmd: push the attribute at once; always exits 0",
        ),
        (
            "status [--params FILE] [--json] [--timeout TIME]",
            "print the health and its reason; exit 0 healthy, 1 unhealthy, 2 usage error",
        ),
    ],
};

pub struct GaleraSyncAgent;

fn state_file(ctx: &Context) -> StateFile {
    StateFile::new(&ctx.env, INFO.name, ctx.instance(), "state")
}

fn attribute(publishing_name: &str, dampen: Duration) -> NodeAttribute {
    NodeAttribute {
        name: publishing_name.to_string(),
        // The local node, as for wsrep-notify (which has no OCF environment): both must update
        // the same attribute, and attrd knows its own node's name.
        node: None,
        dampen: Some(dampen),
    }
}

fn write_state(file: &StateFile, state: &State) -> Result<(), AgentError> {
    file.write(&state.render())
        .map_err(|source| AgentError::StateFile {
            path: file.path().to_path_buf(),
            source,
        })
}

impl GaleraSyncAgent {
    /// Reads Galera, publishes the value if needed, records what was published. Never fails
    /// for Galera's or attrd's sake; only for the configuration or the state file.
    fn refresh(&self, ctx: &Context, config: &Config, force: bool) -> Result<Health, AgentError> {
        let file = state_file(ctx);
        let before = State::parse(&file.read().unwrap_or_default());
        let client = config.client()?;
        let fetched = client.fetch(ctx.deadline.budget(QUERY_CAP));
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
        let Some(why) = why_publish(value, last, now, force) else {
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
            write_state(&file, &after)?;
        }
        Ok(health)
    }

    fn config(ctx: &Context) -> OcfResult<Config> {
        Config::from_params(&ctx.params).map_err(to_ocf)
    }
}

impl Agent for GaleraSyncAgent {
    type Error = ocf::OcfError;
    fn info(&self) -> &'static AgentInfo {
        &INFO
    }

    fn start(&self, ctx: &Context) -> OcfResult<Status> {
        let config = Self::config(ctx)?;
        config.client().map_err(to_ocf)?;
        let file = state_file(ctx);
        if !file.exists() {
            write_state(&file, &State::default()).map_err(to_ocf)?;
        }
        let health = self.refresh(ctx, &config, true).map_err(to_ocf)?;
        tracing::info!("started; {} is {}", config.attribute, health.value());
        Ok(Status::Success)
    }

    fn stop(&self, ctx: &Context) -> OcfResult<Status> {
        let file = state_file(ctx);
        match Publishing::from_params(&ctx.params) {
            Ok(p) => {
                let attr = attribute(&p.attribute, p.dampen);
                if let Err(e) = attr.delete(&ctx.deadline.capped(ATTRD_CAP)) {
                    tracing::warn!("cannot remove attribute {} ({e})", p.attribute);
                }
            }
            // Nothing can have been published under an invalid name.
            Err(e) => tracing::warn!("not removing any attribute: {e}"),
        }
        file.remove().map_err(|source| {
            to_ocf(AgentError::StateFile {
                path: file.path().to_path_buf(),
                source,
            })
        })?;
        Ok(Status::Success)
    }

    fn monitor(&self, ctx: &Context) -> OcfResult<Status> {
        if !state_file(ctx).exists() {
            return Ok(Status::NotRunning);
        }
        let config = Self::config(ctx)?;
        self.refresh(ctx, &config, ctx.is_probe()).map_err(to_ocf)?;
        Ok(Status::Success)
    }

    fn validate(&self, ctx: &Context) -> OcfResult<Status> {
        let config = Self::config(ctx)?;
        config.client().map_err(to_ocf)?;
        if let Target::Socket(path) = &config.target {
            if !path.exists() {
                // MariaDB may simply not be running yet: the attribute will say 0.
                tracing::warn!("socket {} does not exist (yet)", path.display());
            }
        }
        Ok(Status::Success)
    }

    fn command(&self, name: &str, args: &[OsString], env: Env) -> Option<i32> {
        match name {
            "wsrep-notify" => Some(notify::run(args, env)),
            "status" => Some(status_cmd::run(args, env)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::{execute, Mode};

    fn exec(args: &[&str], env: &[(&str, &str)]) -> i32 {
        let args: Vec<OsString> = std::iter::once("galera-sync")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        execute(
            &GaleraSyncAgent,
            &args,
            Env::from_pairs(env.iter().copied()),
            Mode::Embedded,
        )
    }

    #[test]
    fn not_started_is_not_running_and_stop_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().to_str().unwrap();
        let env = [
            ("HA_RSCTMP", tmp),
            ("OCF_RESOURCE_INSTANCE", "gs"),
            ("OCF_RESKEY_CRM_meta_interval", "0"),
            // Invalid on purpose: a probe never says "not configured", and stop still works.
            ("OCF_RESKEY_attribute", "bad name"),
        ];
        assert_eq!(exec(&["monitor"], &env), 7);
        assert_eq!(exec(&["stop"], &env), 0);
        assert_eq!(exec(&["stop"], &env), 0);
        assert_eq!(exec(&["validate-all"], &env), 6);
        assert_eq!(exec(&["start"], &env), 6);
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "no state left"
        );
    }

    #[test]
    fn unsupported_actions_are_3() {
        for a in [
            "notify",
            "promote",
            "demote",
            "reload",
            "migrate_to",
            "reload-agent",
        ] {
            assert_eq!(exec(&[a], &[]), 3, "{a}");
        }
        assert_eq!(exec(&["meta-data"], &[]), 0);
    }

    #[test]
    fn missing_password_file_is_a_local_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let env = [
            ("HA_RSCTMP", dir.path().to_str().unwrap()),
            ("OCF_RESKEY_password_file", missing.to_str().unwrap()),
        ];
        assert_eq!(exec(&["validate-all"], &env), 2);
        assert_eq!(exec(&["start"], &env), 2);
    }

    #[test]
    fn metadata_lists_every_parameter() {
        let xml = ocf::metadata::render(&INFO);
        for p in PARAMS {
            assert!(
                xml.contains(&format!("<parameter name=\"{}\"", p.name())),
                "{}",
                p.name()
            );
        }
        assert!(xml.contains("<action name=\"monitor\" timeout=\"20s\" interval=\"2s\"/>"));
    }
}
