//! Typed, validated parameters. Nothing on this node is looked at here.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use galera_lifecycle::{Credentials, NodeName, Policy, PreparedPolicy, ServerConfig, WaitRule};
use ocf::Params;

use crate::error::GaleraError;
use crate::params::*;

#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub group: String,
    /// The configured nodes, in wsrep_cluster_address order (which breaks election ties):
    /// Pacemaker node name and Galera host.
    pub nodes: Vec<(NodeName, String)>,
    pub credentials: Credentials,
    pub policy: Policy,
    pub force_bootstrap: Option<NodeName>,
    pub prepared: PreparedPolicy,
    pub health_attribute: String,
    pub health_policy: galera_status::Policy,
    pub non_primary_grace: Duration,
}

impl Config {
    pub fn from_params(p: &Params) -> Result<Config, GaleraError> {
        let address: String = p.get(&WSREP_CLUSTER_ADDRESS)?;
        let map = p.get_opt(&CLUSTER_HOST_MAP)?.unwrap_or_default();
        let nodes = nodes_of(&address, &map)?;
        let mut server = ServerConfig::new(p.get(&DATADIR)?, p.get(&SOCKET)?, p.get(&PID)?);
        server.binary = p.get(&BINARY)?;
        server.defaults_file = Some(p.get(&CONFIG)?);
        server.user = p.get(&USER)?;
        server.log_error = p.get_opt(&LOG)?;
        server.cluster_address = Some(address.trim().to_string());
        server.additional = p
            .get_opt(&ADDITIONAL_PARAMETERS)?
            .unwrap_or_default()
            .split_whitespace()
            .map(OsString::from)
            .collect();
        server.validate()?;
        let min_reports = p.get(&MIN_REPORTS)?;
        let wait = match min_reports {
            0 => WaitRule::All,
            n => WaitRule::AtLeast {
                reports: n as usize,
                after: p.get(&REPORT_TIMEOUT)?.0,
            },
        };
        let two_node_mode = p.get(&TWO_NODE_MODE)?;
        if two_node_mode && nodes.len() != 2 {
            return Err(GaleraError::Config(format!(
                "two_node_mode needs exactly 2 nodes in wsrep_cluster_address, not {}",
                nodes.len()
            )));
        }
        let force_bootstrap = p.get_opt(&FORCE_BOOTSTRAP_NODE)?.filter(|s| !s.is_empty());
        if let Some(f) = &force_bootstrap {
            if !nodes.iter().any(|(n, _)| n == f) {
                return Err(GaleraError::Config(format!(
                    "force_bootstrap_node {f:?} is not a configured node"
                )));
            }
        }
        let prepared = match p.get(&PREPARED_TRANSACTIONS)?.as_str() {
            "rollback" => PreparedPolicy::RollBack,
            "refuse" => PreparedPolicy::Refuse,
            other => {
                return Err(GaleraError::Config(format!(
                    "prepared_transactions must be rollback or refuse, not {other:?}"
                )))
            }
        };
        let health_attribute: String = p.get(&HEALTH_ATTRIBUTE)?;
        check_attribute_name(&health_attribute)?;
        let user: String = p.get(&CHECK_USER)?;
        if user.is_empty() {
            return Err(GaleraError::Config("check_user must not be empty".into()));
        }
        let password_file: Option<PathBuf> = p.get_opt(&CHECK_PASSWD_FILE)?;
        Ok(Config {
            server,
            group: p.get(&GROUP)?,
            nodes,
            credentials: Credentials {
                user,
                password_file,
            },
            policy: Policy {
                wait,
                two_node_mode,
            },
            force_bootstrap,
            prepared,
            health_attribute,
            health_policy: galera_status::Policy {
                donor_ok: p.get(&DONOR_OK)?,
                ..galera_status::Policy::default()
            },
            non_primary_grace: p.get(&NON_PRIMARY_GRACE)?.0,
        })
    }

    /// The binary and the option file exist on this node (else 5).
    pub fn check_installed(&self) -> Result<(), GaleraError> {
        let b = &self.server.binary;
        if !b.exists() {
            return Err(GaleraError::NotInstalled {
                what: "binary",
                path: b.clone(),
            });
        }
        if let Some(c) = &self.server.defaults_file {
            if !c.exists() {
                return Err(GaleraError::NotInstalled {
                    what: "config",
                    path: c.clone(),
                });
            }
        }
        Ok(())
    }

    pub fn node_names(&self) -> Vec<NodeName> {
        self.nodes.iter().map(|(n, _)| n.clone()).collect()
    }

    /// A status client over the socket; reads the password file.
    pub fn client(&self) -> Result<galera_status::Client, GaleraError> {
        self.credentials
            .client(galera_status::Target::Socket(self.server.socket.clone()))
            .map_err(GaleraError::PasswordFile)
    }
}

/// The configured nodes: the hosts of `gcomm://h1,h2?opts`, each mapped to its Pacemaker
/// node name by `n1:h1;n2:h2` (split at the first colon: a host may carry a port).
pub fn nodes_of(address: &str, map: &str) -> Result<Vec<(NodeName, String)>, GaleraError> {
    let a = address.trim();
    let list = a.strip_prefix("gcomm://").ok_or_else(|| {
        GaleraError::Config(format!(
            "wsrep_cluster_address must start with gcomm://, got {a:?}"
        ))
    })?;
    let list = list.split('?').next().unwrap_or_default();
    let mut pairs = Vec::new();
    for entry in map.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let (node, host) = entry.split_once(':').ok_or_else(|| {
            GaleraError::Config(format!("cluster_host_map entry {entry:?} is not node:host"))
        })?;
        pairs.push((node.trim().to_string(), host.trim().to_string()));
    }
    let mut nodes: Vec<(NodeName, String)> = Vec::new();
    for host in list.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        let name = pairs
            .iter()
            .find(|(_, h)| h == host)
            .map_or_else(|| host.to_string(), |(n, _)| n.clone());
        if nodes.iter().any(|(n, _)| *n == name) {
            return Err(GaleraError::Config(format!(
                "node {name} appears twice in wsrep_cluster_address"
            )));
        }
        nodes.push((name, host.to_string()));
    }
    if nodes.is_empty() {
        return Err(GaleraError::Config(format!(
            "wsrep_cluster_address {a:?} lists no node"
        )));
    }
    for (n, h) in &pairs {
        if !nodes.iter().any(|(_, host)| host == h) {
            return Err(GaleraError::Config(format!(
                "cluster_host_map maps {n} to {h}, which is not in wsrep_cluster_address"
            )));
        }
    }
    Ok(nodes)
}

fn check_attribute_name(name: &str) -> Result<(), GaleraError> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(GaleraError::Config(format!(
            "health_attribute {name:?}: a letter, then letters, digits, - _ ."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_map_hosts_with_ports_in_address_order() {
        let n = nodes_of(
            "gcomm://127.0.0.1:35001,127.0.0.1:35005,h3?pc.wait_prim=no",
            "n2:127.0.0.1:35005; n1:127.0.0.1:35001",
        )
        .unwrap();
        let names: Vec<&str> = n.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(names, ["n1", "n2", "h3"]);
        assert!(nodes_of("gcomm://", "").is_err());
        assert!(nodes_of("h1,h2", "").is_err());
        assert!(nodes_of("gcomm://a,a", "").is_err());
        assert!(nodes_of("gcomm://a,b", "n1:c").is_err());
        assert!(nodes_of("gcomm://a,b", "n1").is_err());
    }

    #[test]
    fn defaults_and_checks() {
        let c = Config::from_params(&Params::of(&[("wsrep_cluster_address", "gcomm://a,b,c")]))
            .unwrap();
        assert_eq!(c.policy.wait, WaitRule::All);
        assert_eq!(c.health_attribute, "galera-sync");
        assert_eq!(c.prepared, PreparedPolicy::RollBack);
        assert_eq!(c.server.user, "mysql");
        assert_eq!(c.credentials.user, "root");
        let bad = |extra: &[(&str, &str)]| {
            let mut v = vec![("wsrep_cluster_address", "gcomm://a,b,c")];
            v.extend_from_slice(extra);
            Config::from_params(&Params::of(&v)).map(drop)
        };
        assert!(bad(&[("two_node_mode", "true")]).is_err());
        assert!(bad(&[("force_bootstrap_node", "zz")]).is_err());
        assert!(bad(&[("force_bootstrap_node", "b")]).is_ok());
        assert!(bad(&[("prepared_transactions", "commit")]).is_err());
        assert!(bad(&[("additional_parameters", "--wsrep-new-cluster")]).is_err());
        assert!(bad(&[("health_attribute", "a b")]).is_err());
        assert!(bad(&[("datadir", "relative")]).is_err());
        assert!(Config::from_params(&Params::of(&[])).is_err());
        let c = Config::from_params(&Params::of(&[
            ("wsrep_cluster_address", "gcomm://a,b,c"),
            ("min_reports", "2"),
            ("report_timeout", "1m"),
        ]))
        .unwrap();
        assert_eq!(
            c.policy.wait,
            WaitRule::AtLeast {
                reports: 2,
                after: Duration::from_secs(60)
            }
        );
    }
}
