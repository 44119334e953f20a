//! `ocf:mariadb:galera`: runs a MariaDB Galera node as an instance of a promotable clone.
//!
//! Unpromoted = mariadbd stopped, its position known and published as a node attribute;
//! Promoted = mariadbd running in the Primary component (or on its way there: a state
//! transfer is progress). promote runs the bootstrap election of crates/galera-lifecycle over
//! the positions every node published, so after a whole-cluster outage the most advanced node
//! bootstraps and the others join it. README.md has the exit codes, the election table and
//! the migration from ocf:heartbeat:galera.

pub mod cluster;
pub mod config;
pub mod error;
pub mod monitor;
pub mod node;
pub mod params;
pub mod promote;
pub mod start;
pub mod state;
pub mod stop;

use ocf::action::Action;
use ocf::{ActionSpec, Agent, AgentInfo, Context, Role, Status};

use crate::cluster::{Cluster, Pacemaker};
use crate::error::GaleraError;
use crate::node::Node;

pub static INFO: AgentInfo = AgentInfo {
    name: "galera",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "MariaDB Galera node as a promotable clone; heals a whole-cluster outage",
    longdesc: "Runs mariadbd with Galera on every node of a promotable clone (promoted-max = \
        number of nodes). Unpromoted: mariadbd is stopped and the node's position \
        (uuid:seqno, from grastate.dat or --wsrep-recover) is published as the node attribute \
        <resource>-state. Promoted: mariadbd runs in the Primary component. promote elects: \
        when a Primary component exists the node joins it (IST or SST; promote returns once \
        the join is under way and monitor follows the transfer); otherwise only the node with \
        the most advanced trusted position of the one history may bootstrap, and by default \
        only once every configured node has reported. What a node waits for is the attribute \
        <resource>-wait (crm_mon -A). monitor also publishes the galera-sync health attribute \
        (1 healthy, 0 not) for VIP rules. Parameter names follow ocf:heartbeat:galera.",
    params: params::ALL,
    actions: &[
        ActionSpec::new(Action::Start, 120),
        ActionSpec::new(Action::Stop, 120),
        ActionSpec::new(Action::Monitor, 30)
            .interval(10)
            .role(Role::Promoted),
        ActionSpec::new(Action::Monitor, 30)
            .interval(20)
            .role(Role::Unpromoted),
        ActionSpec::new(Action::Promote, 300),
        ActionSpec::new(Action::Demote, 120),
        ActionSpec::new(Action::MetaData, 5),
        ActionSpec::new(Action::ValidateAll, 20),
    ],
    commands: &[],
};

pub struct GaleraAgent;

fn pacemaker(ctx: &Context) -> Pacemaker {
    Pacemaker {
        resource: ctx.instance().to_string(),
        deadline: ctx.deadline,
    }
}

/// The actions, on any [`Cluster`] (unit tests pass an in-memory one).
pub fn run_action(ctx: &Context, cluster: &dyn Cluster) -> Result<Status, GaleraError> {
    if ctx.action == Action::Stop {
        // A configuration that cannot be read cannot have started anything.
        return match Node::new(ctx, cluster) {
            Ok(node) => stop::stop(&node),
            Err(
                e @ (GaleraError::Param(_) | GaleraError::Config(_) | GaleraError::ServerConfig(_)),
            ) => {
                tracing::warn!("stop with an invalid configuration ({e}): nothing to stop");
                Ok(Status::Success)
            }
            Err(e) => Err(e),
        };
    }
    if ctx.action == Action::ValidateAll {
        // The parameters and this node's files; no cluster needed (crm_resource --validate).
        let cfg = config::Config::from_params(&ctx.params)?;
        cfg.check_installed()?;
        cfg.client()?;
        return Ok(Status::Success);
    }
    let node = match Node::new(ctx, cluster) {
        Ok(n) => n,
        // A probe on a node where nothing is set up: not running.
        Err(e) if ctx.is_probe() => {
            tracing::debug!("probe: {e}");
            return Ok(Status::NotRunning);
        }
        Err(e) => return Err(e),
    };
    match ctx.action {
        Action::Start => start::start(&node),
        Action::Monitor => monitor::monitor(&node),
        Action::Promote => promote::promote(&node),
        Action::Demote => stop::demote(&node),
        _ => Err(ctx.unimplemented().into()),
    }
}

impl Agent for GaleraAgent {
    type Error = GaleraError;
    // Every action goes through run_action, which matches on ctx.action against the cluster.
    ocf::actions!(INFO;
        start: in_pacemaker, stop: in_pacemaker, monitor: in_pacemaker,
        validate: in_pacemaker, promote: in_pacemaker, demote: in_pacemaker,
    );
}

/// The action of `ctx` against the real cluster.
fn in_pacemaker(ctx: &Context) -> Result<Status, GaleraError> {
    run_action(ctx, &pacemaker(ctx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Memory;
    use ocf::{Deadline, Env};
    use std::path::Path;
    use std::time::Duration;

    const U: &str = "726d00b4-edd5-11f1-9512-47940ce49375";
    const U2: &str = "9a0c7e52-edd6-11f1-8000-0242ac120002";

    struct Setup {
        dir: tempfile::TempDir,
    }

    impl Setup {
        fn new(seqno: i64) -> Setup {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join("data")).unwrap();
            std::fs::write(dir.path().join("my.cnf"), "[mysqld]\n").unwrap();
            let s = Setup { dir };
            s.grastate(U, seqno);
            s
        }
        fn grastate(&self, uuid: &str, seqno: i64) {
            std::fs::write(
                self.dir.path().join("data/grastate.dat"),
                format!("# GALERA saved state\nversion: 2.1\nuuid:    {uuid}\nseqno:   {seqno}\nsafe_to_bootstrap: 0\n"),
            )
            .unwrap();
        }
        fn env(&self, action_timeout_ms: u64) -> Env {
            let d = self.dir.path();
            let p = |s: &str| d.join(s).to_string_lossy().into_owned();
            Env::from_pairs([
                ("HA_RSCTMP".to_string(), p("rsctmp")),
                ("OCF_RESOURCE_INSTANCE".into(), "db:0".into()),
                ("OCF_RESKEY_CRM_meta_on_node".into(), "n1".into()),
                ("OCF_RESKEY_CRM_meta_interval".into(), "20000".into()),
                (
                    "OCF_RESKEY_CRM_meta_timeout".into(),
                    action_timeout_ms.to_string(),
                ),
                (
                    "OCF_RESKEY_wsrep_cluster_address".into(),
                    "gcomm://h1,h2,h3".into(),
                ),
                (
                    "OCF_RESKEY_cluster_host_map".into(),
                    "n1:h1;n2:h2;n3:h3".into(),
                ),
                ("OCF_RESKEY_binary".into(), "/bin/true".into()),
                ("OCF_RESKEY_config".into(), p("my.cnf")),
                ("OCF_RESKEY_datadir".into(), p("data")),
                ("OCF_RESKEY_socket".into(), p("run/sock")),
                ("OCF_RESKEY_pid".into(), p("run/pid")),
            ])
        }
        fn act(
            &self,
            action: Action,
            cluster: &Memory,
            timeout_ms: u64,
        ) -> Result<Status, GaleraError> {
            std::fs::create_dir_all(self.dir.path().join("rsctmp")).unwrap();
            let ctx = Context::new(
                &INFO,
                action,
                self.env(timeout_ms),
                Deadline::from_timeout(Duration::from_millis(timeout_ms)),
            );
            run_action(&ctx, cluster)
        }
    }

    fn memory() -> Memory {
        Memory {
            quorate: true,
            ..Memory::default()
        }
    }

    fn attr(c: &Memory, node: &str, name: &str) -> Option<String> {
        c.attrs
            .borrow()
            .get(&(node.to_string(), name.to_string()))
            .cloned()
    }

    fn set(c: &Memory, node: &str, name: &str, v: &str) {
        c.attrs
            .borrow_mut()
            .insert((node.to_string(), name.to_string()), v.to_string());
    }

    #[test]
    fn start_publishes_the_position_and_stop_removes_everything() {
        let s = Setup::new(12);
        let c = memory();
        assert_eq!(
            s.act(Action::Monitor, &c, 5000).unwrap(),
            Status::NotRunning
        );
        assert_eq!(s.act(Action::Start, &c, 5000).unwrap(), Status::Success);
        assert_eq!(
            attr(&c, "n1", "db-state").as_deref(),
            Some(format!("trusted {U}:12 grastate").as_str())
        );
        assert_eq!(attr(&c, "n1", "galera-sync").as_deref(), Some("0"));
        // n2, n3 have not reported: no score, and the wait says so.
        assert!(c.scores.borrow().is_empty());
        let wait = attr(&c, "n1", "db-wait").unwrap();
        assert!(wait.contains("n2") && wait.contains("n3"), "{wait}");
        assert_eq!(s.act(Action::Monitor, &c, 5000).unwrap(), Status::Success);
        assert_eq!(s.act(Action::Stop, &c, 5000).unwrap(), Status::Success);
        assert!(c.attrs.borrow().is_empty(), "{:?}", c.attrs.borrow());
        assert_eq!(s.act(Action::Stop, &c, 5000).unwrap(), Status::Success);
        assert_eq!(
            s.act(Action::Monitor, &c, 5000).unwrap(),
            Status::NotRunning
        );
    }

    #[test]
    fn the_most_advanced_node_gets_the_bootstrap_score_a_behind_one_none() {
        let s = Setup::new(12);
        let c = memory();
        set(&c, "n2", "db-state", &format!("trusted {U}:10 grastate"));
        set(&c, "n3", "db-state", &format!("trusted {U}:11 grastate"));
        s.act(Action::Start, &c, 5000).unwrap();
        assert_eq!(c.scores.borrow().get("n1"), Some(&monitor::SCORE_BOOTSTRAP));
        assert_eq!(attr(&c, "n1", "db-wait"), None);
        // n3 turns out ahead (a stale n1 must not be elected).
        set(&c, "n3", "db-state", &format!("trusted {U}:13 grastate"));
        s.act(Action::Monitor, &c, 5000).unwrap();
        assert_eq!(c.scores.borrow().get("n1"), None);
        assert_eq!(
            attr(&c, "n1", "db-wait").as_deref(),
            Some("waiting for n3 to bootstrap")
        );
        // Once n3 is Primary, n1 may join.
        set(&c, "n3", "db-state", "primary");
        s.act(Action::Monitor, &c, 5000).unwrap();
        assert_eq!(c.scores.borrow().get("n1"), Some(&monitor::SCORE_JOIN));
    }

    #[test]
    fn promote_waits_visibly_and_fails_at_its_deadline() {
        let s = Setup::new(12);
        let c = memory();
        set(&c, "n2", "db-state", &format!("trusted {U}:10 grastate"));
        s.act(Action::Start, &c, 5000).unwrap();
        let t = std::time::Instant::now();
        match s.act(Action::Promote, &c, 4000) {
            Err(GaleraError::Waiting(why)) => assert!(why.contains("n3"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
        assert!(attr(&c, "n1", "db-wait").unwrap().contains("n3"));
        assert!(!s.dir.path().join("run/pid").exists());
    }

    #[test]
    fn two_histories_block_promote_at_once_without_starting() {
        let s = Setup::new(12);
        let c = memory();
        set(&c, "n2", "db-state", &format!("trusted {U2}:50 grastate"));
        set(&c, "n3", "db-state", &format!("trusted {U}:11 grastate"));
        s.act(Action::Start, &c, 5000).unwrap();
        match s.act(Action::Promote, &c, 20_000) {
            Err(e @ GaleraError::Blocked(_)) => {
                assert_eq!(ocf::Failure::rc(&e), ocf::OcfRc::ErrGeneric)
            }
            other => panic!("{other:?}"),
        }
        assert!(attr(&c, "n1", "db-wait").is_some());
    }

    #[test]
    fn no_quorum_waits() {
        let s = Setup::new(12);
        let c = Memory::default();
        set(&c, "n2", "db-state", &format!("trusted {U}:10 grastate"));
        set(&c, "n3", "db-state", &format!("trusted {U}:11 grastate"));
        s.act(Action::Start, &c, 5000).unwrap();
        assert!(c.scores.borrow().is_empty());
        assert!(attr(&c, "n1", "db-wait").is_some());
    }

    #[test]
    fn config_errors_and_probes() {
        let s = Setup::new(12);
        let c = memory();
        let mut env = s.env(5000);
        env.set("OCF_RESKEY_CRM_meta_on_node", "n9");
        let ctx = Context::new(
            &INFO,
            Action::Start,
            env.clone(),
            Deadline::from_timeout(Duration::from_secs(5)),
        );
        assert!(matches!(
            run_action(&ctx, &c),
            Err(GaleraError::UnknownNode { .. })
        ));
        env.set("OCF_RESKEY_CRM_meta_interval", "0");
        let ctx = Context::new(
            &INFO,
            Action::Monitor,
            env,
            Deadline::from_timeout(Duration::from_secs(5)),
        );
        assert_eq!(run_action(&ctx, &c).unwrap(), Status::NotRunning);
        let mut env = s.env(5000);
        env.set("OCF_RESKEY_binary", "/nonexistent/mariadbd");
        let ctx = Context::new(
            &INFO,
            Action::ValidateAll,
            env,
            Deadline::from_timeout(Duration::from_secs(5)),
        );
        let e = run_action(&ctx, &c).unwrap_err();
        assert_eq!(ocf::Failure::rc(&e), ocf::OcfRc::ErrInstalled);
        assert!(!Path::new("/nonexistent").exists());
    }

    #[test]
    fn metadata_lists_every_parameter() {
        let xml = ocf::metadata::render(&INFO);
        for p in params::ALL {
            assert!(
                xml.contains(&format!("<parameter name=\"{}\"", p.name())),
                "{}",
                p.name()
            );
        }
    }
}
