//! What MaxScale looks like from here: the process through its pid file, then the REST API
//! ([`observe`]), then — depth 20 — its servers and monitors ([`assess`]). The one verdict that
//! monitor, promotion and keepalived-check all use.

use std::time::{Duration, Instant};

use maxscale_rest::{Client, ErrorKind, MaxScaleInfo, Monitor, Server};
use ocf::Context;

use crate::api;
use crate::config::{Config, HealthRules};
use crate::daemon::{self, Proc};
use crate::error::MaxScaleError;

/// What was found, before the role or the depth-20 view is decided.
pub enum Observed {
    NotRunning,
    /// The process is alive; no REST call was needed.
    ProcessAlive,
    Answering(Box<MaxScaleInfo>, Client),
}

/// How long the check for a foreign listener on the admin port may take.
const FOREIGN_PROBE: Duration = Duration::from_millis(300);

/// The process, then (when `need_api`, or without a process to watch) `GET /v1/maxscale`.
pub fn observe(ctx: &Context, c: &Config, need_api: bool) -> Result<Observed, MaxScaleError> {
    if c.manage_process {
        match daemon::find(c)? {
            absent @ (Proc::Absent { .. } | Proc::Impossible { .. }) => {
                if daemon::admin_port_open(&c.admin, ctx.deadline.budget(FOREIGN_PROBE)) {
                    return Err(MaxScaleError::Foreign {
                        pid_file: c.pid_file().path().to_path_buf(),
                        host: c.admin.host.clone(),
                        port: c.admin.port,
                    });
                }
                match absent {
                    Proc::Absent { stale: Some(why) } => tracing::debug!("not running: {why}"),
                    Proc::Impossible { why } => tracing::warn!("{why}"),
                    _ => {}
                }
                return Ok(Observed::NotRunning);
            }
            Proc::Running(p) if p.state.is_stopped() => {
                return Err(MaxScaleError::Frozen {
                    pid: p.pid,
                    state: p.state,
                })
            }
            Proc::Running(_) if !need_api => return Ok(Observed::ProcessAlive),
            Proc::Running(_) => {}
        }
    }
    let client = api::client(ctx, c)?;
    match client.maxscale(api::request_deadline(ctx)) {
        Ok(info) => Ok(Observed::Answering(Box::new(info), client)),
        Err(e) if !c.manage_process && e.kind == ErrorKind::Refused => Ok(Observed::NotRunning),
        Err(e) => Err(MaxScaleError::rest("MaxScale's REST API failed", e)),
    }
}

/// The depth-20 view: the documents read and what is wrong with them.
#[derive(Debug, Clone, Default)]
pub struct Assessment {
    pub servers: Vec<Server>,
    pub monitors: Vec<Monitor>,
    /// Empty when healthy.
    pub problems: Vec<String>,
}

impl Assessment {
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }

    /// Cooperative monitoring locks are on (some mariadbmon reports `primary` non-null).
    pub fn cooperative_locks(&self) -> bool {
        cooperative_locks(&self.monitors)
    }

    /// Ok when healthy, else the failure a primitive's depth-20 monitor reports.
    pub fn verdict(&self) -> Result<(), MaxScaleError> {
        if self.healthy() {
            Ok(())
        } else {
            Err(MaxScaleError::Unhealthy(self.problems.join("; ")))
        }
    }
}

pub fn cooperative_locks(monitors: &[Monitor]) -> bool {
    monitors.iter().any(Monitor::cooperative_locks)
}

/// Reads `/v1/servers` and `/v1/monitors` and judges them.
pub fn assess(
    client: &Client,
    rules: &HealthRules,
    deadline: Instant,
) -> Result<Assessment, MaxScaleError> {
    let read = |e| MaxScaleError::rest("depth-20 check", e);
    let servers = client.servers(deadline).map_err(read)?;
    let monitors = client.monitors(deadline).map_err(read)?;
    let problems = judge(&servers, &monitors, rules);
    Ok(Assessment {
        servers,
        monitors,
        problems,
    })
}

/// Healthy at depth 20, whatever the role: keepalived-check's question.
pub fn depth_20(ctx: &Context, c: &Config) -> Result<(), MaxScaleError> {
    match observe(ctx, c, true)? {
        Observed::NotRunning => Err(MaxScaleError::NotRunning),
        Observed::ProcessAlive => Ok(()),
        Observed::Answering(_, client) => assess(&client, &c.health, ctx.deadline.at())?.verdict(),
    }
}

/// Every name in `servers` present and Running (or, with none named, at least one Running
/// server when any is configured), a Master when `require_master`, every monitor Running.
pub fn judge(servers: &[Server], monitors: &[Monitor], rules: &HealthRules) -> Vec<String> {
    let mut problems = Vec::new();
    for name in &rules.servers {
        match servers.iter().find(|s| &s.name == name) {
            None => problems.push(format!("server {name} is not known to MaxScale")),
            Some(s) if !s.state.is_running() => {
                problems.push(format!("server {name} is '{}'", s.state))
            }
            Some(_) => {}
        }
    }
    if rules.servers.is_empty()
        && !servers.is_empty()
        && !servers.iter().any(|s| s.state.is_running())
    {
        let states: Vec<String> = servers
            .iter()
            .map(|s| format!("{}: '{}'", s.name, s.state))
            .collect();
        problems.push(format!("no server is Running ({})", states.join(", ")));
    }
    if rules.require_master && !servers.iter().any(|s| s.state.is_master()) {
        problems.push("no server is Master".to_string());
    }
    for m in monitors.iter().filter(|m| !m.is_running()) {
        problems.push(format!(
            "monitor {} is {}",
            m.name,
            m.state.as_deref().unwrap_or("in an unknown state")
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use maxscale_rest::ServerState;

    fn server(name: &str, state: &str) -> Server {
        Server {
            name: name.into(),
            state: ServerState::parse(state),
            ..Server::default()
        }
    }

    fn monitor(name: &str, state: &str, primary: Option<bool>) -> Monitor {
        Monitor {
            name: name.into(),
            state: Some(state.into()),
            primary,
            ..Monitor::default()
        }
    }

    fn rules(servers: &[&str], require_master: bool) -> HealthRules {
        HealthRules {
            servers: servers.iter().map(|s| s.to_string()).collect(),
            require_master,
        }
    }

    #[test]
    fn named_servers_must_be_running() {
        let servers = [
            server("server1", "Master, Running"),
            server("server2", "Down"),
        ];
        let p = judge(
            &servers,
            &[],
            &rules(&["server1", "server2", "server9"], false),
        );
        assert_eq!(
            p,
            [
                "server server2 is 'Down'",
                "server server9 is not known to MaxScale"
            ]
        );
    }

    #[test]
    fn without_names_one_running_server_is_enough() {
        let r = rules(&[], false);
        assert!(judge(
            &[server("a", "Down"), server("b", "Slave, Running")],
            &[],
            &r
        )
        .is_empty());
        assert_eq!(
            judge(
                &[server("a", "Down"), server("b", "Maintenance, Down")],
                &[],
                &r
            ),
            ["no server is Running (a: 'Down', b: 'Maintenance, Down')"]
        );
        assert!(judge(&[], &[], &r).is_empty(), "nothing configured");
    }

    #[test]
    fn master_and_monitors() {
        let p = judge(
            &[server("a", "Slave, Running")],
            &[monitor("m", "Stopped", None), monitor("n", "Running", None)],
            &rules(&[], true),
        );
        assert_eq!(p, ["no server is Master", "monitor m is Stopped"]);
        assert!(!cooperative_locks(&[monitor("m", "Running", None)]));
        assert!(cooperative_locks(&[monitor("m", "Running", Some(false))]));
        let a = Assessment {
            problems: p,
            ..Assessment::default()
        };
        assert_eq!(
            a.verdict().unwrap_err().to_string(),
            "MaxScale answers, but no server is Master; monitor m is Stopped"
        );
    }
}
