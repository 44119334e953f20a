//! Everything the agent asks of Pacemaker, behind one trait: node attributes (this node's
//! and its peers'), quorum, the promotion score, a peer's fencing. [`Pacemaker`] uses the
//! cluster's own tools (attrd_updater, crm_node, crm_attribute, stonith_admin; found on PATH,
//! so a test can put a stand-in there); unit tests use [`Memory`].

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use galera_lifecycle::{NodeState, Report};

use crate::fencing::{self, Fencing, NotFenced};
use ocf::attrs::{NodeAttribute, PromotionScore};
use ocf::command::{run_ok, CommandError};
use ocf::Deadline;

/// The longest a peer's Galera port may take to answer (resolving its name included).
pub const PORT_CAP: Duration = Duration::from_millis(500);

/// Galera's default group-communication port (gmcast.listen_addr).
const GALERA_PORT: u16 = 4567;

/// `host`, `host:port`, `a.b.c.d:port` or `[v6]:port` with Galera's port when none is given.
fn with_port(host: &str) -> String {
    let bare_v6 = host.matches(':').count() > 1 && !host.starts_with('[');
    if bare_v6 {
        format!("[{host}]:{GALERA_PORT}")
    } else if host.starts_with('[') && host.ends_with(']') || !host.contains(':') {
        format!("{host}:{GALERA_PORT}")
    } else {
        host.to_string()
    }
}

/// A TCP connection to the peer's Galera port before `until`. The name is resolved on a
/// thread of its own so a hanging resolver cannot hold the action past its deadline.
pub fn galera_port_answers(host: &str, until: std::time::Instant) -> bool {
    use std::net::{TcpStream, ToSocketAddrs};
    let target = with_port(host);
    let (tx, rx) = std::sync::mpsc::channel();
    let name = target.clone();
    std::thread::spawn(move || {
        let _ = tx.send(name.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    let left = until.saturating_duration_since(std::time::Instant::now());
    let Ok(Ok(addrs)) = rx.recv_timeout(left) else {
        tracing::info!("{target}: the name does not resolve in time");
        return false;
    };
    addrs.iter().any(|a| {
        let left = until.saturating_duration_since(std::time::Instant::now());
        !left.is_zero() && TcpStream::connect_timeout(a, left).is_ok()
    })
}

/// The longest one cluster-tool call may take.
pub const TOOL_CAP: Duration = Duration::from_secs(5);

pub trait Cluster {
    fn get(&self, node: &str, name: &str) -> Result<Option<String>, CommandError>;
    fn set(&self, node: &str, name: &str, value: &str) -> Result<(), CommandError>;
    fn delete(&self, node: &str, name: &str) -> Result<(), CommandError>;
    fn quorate(&self) -> Result<bool, CommandError>;
    /// `None` removes the score (the instance is not to be promoted now).
    fn set_score(&self, node: &str, score: Option<i64>) -> Result<(), CommandError>;
    /// The local node's name when Pacemaker did not pass it.
    fn local_node(&self) -> Result<String, CommandError>;
    /// Whether a peer's Galera group-communication port (`host[:port]` of
    /// wsrep_cluster_address, default 4567) accepts a connection now. A peer's published
    /// "primary" is believed only then: it outlives the peer's mariadbd until the peer's own
    /// monitor runs, and a join started against it waits for a Primary that is gone.
    fn galera_answers(&self, host: &str) -> bool;
    /// Whether `node` is fenced now: the fencer's newest completed action against it is a
    /// successful off or reboot, none is pending, and it is not a cluster member now. Asked
    /// only in two_node_mode, for a peer that has not reported. A tool failure or output not
    /// understood is [`NotFenced::Unknown`] (logged): the survivor then waits.
    fn fencing(&self, node: &str) -> Fencing;
}

pub struct Pacemaker {
    pub resource: String,
    pub deadline: Deadline,
}

impl Pacemaker {
    fn attr(node: &str, name: &str) -> NodeAttribute {
        NodeAttribute {
            name: name.to_string(),
            node: Some(node.to_string()),
            dampen: None,
        }
    }
    fn dl(&self) -> Deadline {
        self.deadline.capped(TOOL_CAP)
    }
}

impl Cluster for Pacemaker {
    fn get(&self, node: &str, name: &str) -> Result<Option<String>, CommandError> {
        Self::attr(node, name).query(&self.dl())
    }
    fn set(&self, node: &str, name: &str, value: &str) -> Result<(), CommandError> {
        Self::attr(node, name).update(value, &self.dl())
    }
    fn delete(&self, node: &str, name: &str) -> Result<(), CommandError> {
        Self::attr(node, name).delete(&self.dl())
    }
    fn quorate(&self) -> Result<bool, CommandError> {
        let out = run_ok(Command::new("crm_node").arg("-q"), self.dl().at())?;
        Ok(out.stdout.trim() == "1")
    }
    fn set_score(&self, node: &str, score: Option<i64>) -> Result<(), CommandError> {
        let s = PromotionScore {
            resource: self.resource.clone(),
            node: Some(node.to_string()),
        };
        match score {
            Some(v) => s.set(v, &self.dl()),
            None => s.clear(&self.dl()),
        }
    }
    fn local_node(&self) -> Result<String, CommandError> {
        let out = run_ok(Command::new("crm_node").arg("-n"), self.dl().at())?;
        Ok(out.stdout.trim().to_string())
    }
    fn galera_answers(&self, host: &str) -> bool {
        galera_port_answers(host, self.deadline.capped(PORT_CAP).at())
    }
    fn fencing(&self, node: &str) -> Fencing {
        let unknown = |what: &str, e: &dyn std::fmt::Display| {
            tracing::warn!("{what}: {e}; {node} counts as not fenced");
            Fencing::NotFenced(NotFenced::Unknown)
        };
        let history = match run_ok(
            Command::new("stonith_admin").args([
                "--history",
                node,
                "--verbose",
                "--output-as",
                "xml",
            ]),
            self.dl().at(),
        ) {
            Ok(out) => out.stdout,
            Err(e) => return unknown("stonith_admin --history", &e),
        };
        let verdict = match fencing::from_history(&history, node) {
            Ok(v) => v,
            Err(e) => return unknown("stonith_admin --history output", &e),
        };
        if !verdict.is_fenced() {
            return verdict;
        }
        let list = match run_ok(Command::new("crm_node").arg("-l"), self.dl().at()) {
            Ok(out) => out.stdout,
            Err(e) => return unknown("crm_node -l", &e),
        };
        match fencing::is_member(&list, node) {
            Ok(false) => verdict,
            Ok(true) => Fencing::NotFenced(NotFenced::Member),
            Err(e) => unknown("crm_node -l output", &e),
        }
    }
}

/// An in-process cluster for unit tests.
#[derive(Default)]
pub struct Memory {
    pub attrs: RefCell<BTreeMap<(String, String), String>>,
    pub scores: RefCell<BTreeMap<String, i64>>,
    pub quorate: bool,
    /// What [`Cluster::fencing`] answers per node (absent: never fenced).
    pub fencing: RefCell<BTreeMap<String, Fencing>>,
    /// How often [`Cluster::fencing`] was asked.
    pub fencing_queries: Cell<usize>,
    /// Galera hosts whose port does not answer (absent: it answers).
    pub silent_hosts: RefCell<BTreeSet<String>>,
}

impl Cluster for Memory {
    fn get(&self, node: &str, name: &str) -> Result<Option<String>, CommandError> {
        Ok(self
            .attrs
            .borrow()
            .get(&(node.into(), name.into()))
            .cloned())
    }
    fn set(&self, node: &str, name: &str, value: &str) -> Result<(), CommandError> {
        self.attrs
            .borrow_mut()
            .insert((node.into(), name.into()), value.into());
        Ok(())
    }
    fn delete(&self, node: &str, name: &str) -> Result<(), CommandError> {
        self.attrs.borrow_mut().remove(&(node.into(), name.into()));
        Ok(())
    }
    fn quorate(&self) -> Result<bool, CommandError> {
        Ok(self.quorate)
    }
    fn set_score(&self, node: &str, score: Option<i64>) -> Result<(), CommandError> {
        match score {
            Some(s) => self.scores.borrow_mut().insert(node.into(), s),
            None => self.scores.borrow_mut().remove(node),
        };
        Ok(())
    }
    fn local_node(&self) -> Result<String, CommandError> {
        Ok("n1".into())
    }
    fn galera_answers(&self, host: &str) -> bool {
        !self.silent_hosts.borrow().contains(host)
    }
    fn fencing(&self, node: &str) -> Fencing {
        self.fencing_queries.set(self.fencing_queries.get() + 1);
        self.fencing
            .borrow()
            .get(node)
            .cloned()
            .unwrap_or(Fencing::NotFenced(NotFenced::Never))
    }
}

/// The attribute names of one resource (the clone instance suffix `:N` dropped, so every
/// instance of the clone uses the same names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// What the node is: `primary`, `running`, or its position report while stopped.
    pub state: String,
    /// What the node waits for (shown by `crm_mon -A`), removed when it does not wait.
    pub wait: String,
}

impl Names {
    pub fn for_instance(instance: &str) -> Names {
        let base = instance.split(':').next().unwrap_or(instance);
        Names {
            state: format!("{base}-state"),
            wait: format!("{base}-wait"),
        }
    }
}

/// A node's published state, as text (`primary`, `running`, or a [`Report`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    Primary,
    Running,
    Stopped(Report),
}

impl std::fmt::Display for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Published::Primary => f.write_str("primary"),
            Published::Running => f.write_str("running"),
            Published::Stopped(r) => write!(f, "{r}"),
        }
    }
}

impl FromStr for Published {
    type Err = String;
    fn from_str(s: &str) -> Result<Published, String> {
        match s.trim() {
            "primary" => Ok(Published::Primary),
            "running" => Ok(Published::Running),
            other => Report::from_str(other)
                .map(Published::Stopped)
                .map_err(|e| e.to_string()),
        }
    }
}

/// What the election sees of a node from its published text (absent or unreadable: missing).
pub fn node_state(text: Option<&str>) -> NodeState {
    match text.map(Published::from_str) {
        Some(Ok(Published::Primary)) => NodeState::Primary,
        Some(Ok(Published::Running)) => NodeState::RunningNotPrimary,
        Some(Ok(Published::Stopped(r))) => NodeState::Reported(r),
        Some(Err(e)) => {
            tracing::warn!("unreadable peer state ({e}): counted as not reported");
            NodeState::Missing
        }
        None => NodeState::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drop_the_clone_suffix() {
        assert_eq!(
            Names::for_instance("galera:2"),
            Names::for_instance("galera")
        );
        assert_eq!(Names::for_instance("db").state, "db-state");
    }

    #[test]
    fn published_round_trips() {
        for t in [
            "primary",
            "running",
            "trusted 726d00b4-edd5-11f1-9512-47940ce49375:12 grastate safe",
            "untrusted -",
        ] {
            let p: Published = t.parse().unwrap();
            assert_eq!(p.to_string(), t);
        }
        assert_eq!(node_state(Some("garbage")), NodeState::Missing);
        assert_eq!(node_state(None), NodeState::Missing);
        assert_eq!(node_state(Some("primary")), NodeState::Primary);
    }
}
