//! Depth 20: what MaxScale says about its servers and monitors.

use std::time::Instant;

use maxscale_rest::{Client, Monitor, Server};

use crate::settings::Settings;

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

    pub fn summary(&self) -> String {
        self.problems.join("; ")
    }
}

pub fn cooperative_locks(monitors: &[Monitor]) -> bool {
    monitors.iter().any(Monitor::cooperative_locks)
}

/// Reads `/v1/servers` and `/v1/monitors` and judges them.
pub fn assess(
    client: &Client,
    settings: &Settings,
    deadline: Instant,
) -> Result<Assessment, maxscale_rest::Error> {
    let servers = client.servers(deadline)?;
    let monitors = client.monitors(deadline)?;
    let problems = judge(&servers, &monitors, settings);
    Ok(Assessment {
        servers,
        monitors,
        problems,
    })
}

/// Every name in `servers` present and Running (or, with none named, at least one Running
/// server when any is configured), a Master when `require_master`, every monitor Running.
pub fn judge(servers: &[Server], monitors: &[Monitor], settings: &Settings) -> Vec<String> {
    let mut problems = Vec::new();
    for name in &settings.servers {
        match servers.iter().find(|s| &s.name == name) {
            None => problems.push(format!("server {name} is not known to MaxScale")),
            Some(s) if !s.state.is_running() => {
                problems.push(format!("server {name} is '{}'", s.state))
            }
            Some(_) => {}
        }
    }
    if settings.servers.is_empty()
        && !servers.is_empty()
        && !servers.iter().any(|s| s.state.is_running())
    {
        let states: Vec<String> = servers
            .iter()
            .map(|s| format!("{}: '{}'", s.name, s.state))
            .collect();
        problems.push(format!("no server is Running ({})", states.join(", ")));
    }
    if settings.require_master && !servers.iter().any(|s| s.state.is_master()) {
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
    use ocf::{Env, Params};

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

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        let env = Env::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())),
        );
        Settings::from_params(&Params::from_env(&env)).unwrap()
    }

    #[test]
    fn named_servers_must_be_running() {
        let s = settings(&[("servers", "server1 server2 server9")]);
        let servers = [
            server("server1", "Master, Running"),
            server("server2", "Down"),
        ];
        let p = judge(&servers, &[], &s);
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
        let s = settings(&[]);
        assert!(judge(
            &[server("a", "Down"), server("b", "Slave, Running")],
            &[],
            &s
        )
        .is_empty());
        assert_eq!(
            judge(
                &[server("a", "Down"), server("b", "Maintenance, Down")],
                &[],
                &s
            ),
            ["no server is Running (a: 'Down', b: 'Maintenance, Down')"]
        );
        assert!(judge(&[], &[], &s).is_empty(), "nothing configured");
    }

    #[test]
    fn master_and_monitors() {
        let s = settings(&[("require_master", "true")]);
        let p = judge(
            &[server("a", "Slave, Running")],
            &[monitor("m", "Stopped", None), monitor("n", "Running", None)],
            &s,
        );
        assert_eq!(p, ["no server is Master", "monitor m is Stopped"]);
        assert!(!cooperative_locks(&[monitor("m", "Running", None)]));
        assert!(cooperative_locks(&[monitor("m", "Running", Some(false))]));
    }
}
