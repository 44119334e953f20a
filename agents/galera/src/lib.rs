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
pub mod fencing;
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
    use crate::fencing::{Fencing, NotFenced};
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
            self.act_env(action, cluster, self.env(timeout_ms), timeout_ms)
        }
        fn act_env(
            &self,
            action: Action,
            cluster: &Memory,
            env: Env,
            timeout_ms: u64,
        ) -> Result<Status, GaleraError> {
            std::fs::create_dir_all(self.dir.path().join("rsctmp")).unwrap();
            let ctx = Context::new(
                &INFO,
                action,
                env,
                Deadline::from_timeout(Duration::from_millis(timeout_ms)),
            );
            run_action(&ctx, cluster)
        }
        /// Two nodes, n1 and n2, with or without two_node_mode.
        fn two_node_env(&self, two_node_mode: bool) -> Env {
            let mut env = self.env(5000);
            env.set("OCF_RESKEY_wsrep_cluster_address", "gcomm://h1,h2");
            env.set("OCF_RESKEY_cluster_host_map", "n1:h1;n2:h2");
            env.set(
                "OCF_RESKEY_two_node_mode",
                if two_node_mode { "true" } else { "false" },
            );
            env
        }
        /// What an earlier stop kept: this node was last Primary at `at` (unix seconds).
        fn primary_record(&self, at: u64, left: bool) {
            std::fs::create_dir_all(self.dir.path().join("rsctmp")).unwrap();
            let mut t = format!("primary_at={at}\n");
            if left {
                t.push_str("left_primary=1\n");
            }
            std::fs::write(self.dir.path().join("rsctmp/galera-db.primary"), t).unwrap();
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

    /// `node` has published a trusted position (from grastate.dat) of history `uuid`.
    fn reported(c: &Memory, node: &str, uuid: &str, seqno: i64) {
        set(
            c,
            node,
            "db-state",
            &format!("trusted {uuid}:{seqno} grastate"),
        );
    }

    fn score(c: &Memory, node: &str) -> Option<i64> {
        c.scores.borrow().get(node).copied()
    }

    /// n1 (at seqno 12) started with the cluster `c`, after each of `peers` (node, history,
    /// seqno) published its trusted position.
    fn started_after(c: Memory, peers: &[(&str, &str, i64)]) -> (Setup, Memory) {
        let s = Setup::new(12);
        for &(node, uuid, seqno) in peers {
            reported(&c, node, uuid, seqno);
        }
        s.act(Action::Start, &c, 5000).unwrap();
        (s, c)
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
        let (s, c) = started_after(memory(), &[("n2", U, 10), ("n3", U, 11)]);
        assert_eq!(score(&c, "n1"), Some(monitor::SCORE_BOOTSTRAP));
        assert_eq!(attr(&c, "n1", "db-wait"), None);
        // n3 turns out ahead (a stale n1 must not be elected).
        reported(&c, "n3", U, 13);
        s.act(Action::Monitor, &c, 5000).unwrap();
        assert_eq!(score(&c, "n1"), None);
        assert_eq!(
            attr(&c, "n1", "db-wait").as_deref(),
            Some("waiting for n3 to bootstrap")
        );
        // Once n3 is Primary, n1 may join.
        set(&c, "n3", "db-state", "primary");
        s.act(Action::Monitor, &c, 5000).unwrap();
        assert_eq!(score(&c, "n1"), Some(monitor::SCORE_JOIN));
    }

    /// The node whose report completes the election gives the winner its score (once), so
    /// the winner need not wait for its own monitor; an override's decision is left to the
    /// overridden node.
    #[test]
    fn the_last_report_gives_the_elected_peer_its_score_once() {
        let (s, c) = started_after(memory(), &[("n2", U, 10), ("n3", U, 13)]);
        assert_eq!(score(&c, "n3"), Some(monitor::SCORE_BOOTSTRAP));
        assert_eq!(score(&c, "n1"), None);
        // Given once: n3's own runs own it from here.
        c.scores.borrow_mut().clear();
        s.act(Action::Monitor, &c, 5000).unwrap();
        assert_eq!(score(&c, "n3"), None);
        // n3 leaves (its instance stopped): the grant is forgotten, and given again when the
        // election names n3 once more.
        c.attrs
            .borrow_mut()
            .remove(&("n3".to_string(), "db-state".to_string()));
        s.act(Action::Monitor, &c, 5000).unwrap();
        reported(&c, "n3", U, 13);
        s.act(Action::Monitor, &c, 5000).unwrap();
        assert_eq!(score(&c, "n3"), Some(monitor::SCORE_BOOTSTRAP));
        // An operator override is decided on the overridden node alone.
        c.scores.borrow_mut().clear();
        let mut env = s.env(5000);
        env.set("OCF_RESKEY_force_bootstrap_node", "n2");
        s.act_env(Action::Monitor, &c, env, 5000).unwrap();
        assert!(c.scores.borrow().is_empty(), "{:?}", c.scores.borrow());
    }

    /// The lab's kill -9 of every mariadbd: the first node to notice restarts while its peers
    /// still publish "primary" (their monitors have not run yet). It must not join them.
    #[test]
    fn a_published_primary_whose_galera_port_is_silent_is_not_joined() {
        let s = Setup::new(12);
        let c = memory();
        set(&c, "n2", "db-state", "primary");
        set(&c, "n3", "db-state", "primary");
        s.act(Action::Start, &c, 5000).unwrap();
        assert_eq!(score(&c, "n1"), Some(monitor::SCORE_JOIN));
        c.silent_hosts
            .borrow_mut()
            .extend(["h2".to_string(), "h3".to_string()]);
        s.act(Action::Monitor, &c, 5000).unwrap();
        assert_eq!(score(&c, "n1"), None, "no score to join a gone Primary");
        match s.act(Action::Promote, &c, 4000) {
            Err(GaleraError::Waiting(why)) => assert!(why.contains("n2"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(
            !s.dir.path().join("run/pid").exists(),
            "no mariadbd started"
        );
        // One of them answers again: a real Primary, joined.
        c.silent_hosts.borrow_mut().remove("h3");
        s.act(Action::Monitor, &c, 5000).unwrap();
        assert_eq!(score(&c, "n1"), Some(monitor::SCORE_JOIN));
    }

    #[test]
    fn galera_ports_answer_only_when_something_listens() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let live = l.local_addr().unwrap().to_string();
        let until = || std::time::Instant::now() + Duration::from_secs(2);
        assert!(cluster::galera_port_answers(&live, until()));
        drop(l);
        assert!(!cluster::galera_port_answers(&live, until()));
        // A name that cannot resolve, and a deadline already past, answer false in time.
        let t = std::time::Instant::now();
        assert!(!cluster::galera_port_answers(
            "no-such-host.invalid",
            until()
        ));
        assert!(!cluster::galera_port_answers(
            "127.0.0.1:1",
            std::time::Instant::now()
        ));
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    }

    #[test]
    fn promote_waits_visibly_and_fails_at_its_deadline() {
        let (s, c) = started_after(memory(), &[("n2", U, 10)]);
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
        let (s, c) = started_after(memory(), &[("n2", U2, 50), ("n3", U, 11)]);
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
        let (_s, c) = started_after(Memory::default(), &[("n2", U, 10), ("n3", U, 11)]);
        assert!(c.scores.borrow().is_empty());
        assert!(attr(&c, "n1", "db-wait").is_some());
    }

    #[test]
    fn config_errors_and_probes() {
        let s = Setup::new(12);
        let c = memory();
        let mut env = s.env(5000);
        env.set("OCF_RESKEY_CRM_meta_on_node", "n9");
        assert!(matches!(
            s.act_env(Action::Start, &c, env.clone(), 5000),
            Err(GaleraError::UnknownNode { .. })
        ));
        env.set("OCF_RESKEY_CRM_meta_interval", "0");
        assert_eq!(
            s.act_env(Action::Monitor, &c, env, 5000).unwrap(),
            Status::NotRunning
        );
        let mut env = s.env(5000);
        env.set("OCF_RESKEY_binary", "/nonexistent/mariadbd");
        let e = s.act_env(Action::ValidateAll, &c, env, 5000).unwrap_err();
        assert_eq!(ocf::Failure::rc(&e), ocf::OcfRc::ErrInstalled);
        assert!(!Path::new("/nonexistent").exists());
    }

    /// Two nodes in two_node_mode, n2 missing: the cluster's fencing answer for n2 and this
    /// node's Primary record decide between the bootstrap score and a visible wait.
    fn two_node_case(
        two_node_mode: bool,
        fencing: Option<Fencing>,
        record: Option<(u64, bool)>,
    ) -> (Setup, Memory) {
        let s = Setup::new(12);
        let c = memory();
        if let Some(f) = fencing {
            c.fencing.borrow_mut().insert("n2".into(), f);
        }
        if let Some((at, left)) = record {
            s.primary_record(at, left);
        }
        let env = s.two_node_env(two_node_mode);
        assert_eq!(
            s.act_env(Action::Start, &c, env.clone(), 5000).unwrap(),
            Status::Success
        );
        assert_eq!(
            s.act_env(Action::Monitor, &c, env, 5000).unwrap(),
            Status::Success
        );
        (s, c)
    }

    const FENCED_AT: u64 = 1_796_188_975;

    #[test]
    fn two_node_mode_a_fenced_missing_peer_lets_the_survivor_bootstrap() {
        let fenced = Fencing::Fenced { at: FENCED_AT };
        let (s, c) = two_node_case(true, Some(fenced), Some((FENCED_AT - 30, false)));
        assert_eq!(score(&c, "n1"), Some(monitor::SCORE_BOOTSTRAP));
        assert_eq!(attr(&c, "n1", "db-wait"), None);
        // The election itself: a grant for n1, on the fenced peer.
        let ctx = Context::new(
            &INFO,
            Action::Promote,
            s.two_node_env(true),
            Deadline::from_timeout(Duration::from_secs(5)),
        );
        let node = Node::new(&ctx, &c).unwrap();
        let st = node.load().unwrap();
        let own = match st.published.as_deref().unwrap().parse() {
            Ok(cluster::Published::Stopped(r)) => galera_lifecycle::NodeState::Reported(r),
            other => panic!("{other:?}"),
        };
        let outcome = node.election(own, &st);
        match &outcome.election.decision {
            galera_lifecycle::Decision::Bootstrap(g) => {
                assert_eq!(g.node(), "n1");
                assert_eq!(
                    *g.basis(),
                    galera_lifecycle::Basis::TwoNodeFencedPeer { peer: "n2".into() }
                );
            }
            d => panic!("{d:?}"),
        }
        // A fence a little before the last Primary seen (Galera's own timeouts) still counts.
        let (_, c) = two_node_case(
            true,
            Some(Fencing::Fenced { at: FENCED_AT }),
            Some((FENCED_AT + node::FENCE_VIEW_SLACK, false)),
        );
        assert_eq!(score(&c, "n1"), Some(monitor::SCORE_BOOTSTRAP));
    }

    #[test]
    fn two_node_mode_waits_for_a_peer_that_is_not_fenced_now() {
        let recent = Some((FENCED_AT - 30, false));
        let cases = [
            (None, recent, "never fenced"),
            (
                Some(Fencing::NotFenced(NotFenced::Member)),
                recent,
                "fenced, but a member again",
            ),
            (
                Some(Fencing::NotFenced(NotFenced::Pending)),
                recent,
                "fencing pending",
            ),
            (
                Some(Fencing::NotFenced(NotFenced::Unknown)),
                recent,
                "fencing history unknown",
            ),
            // Fenced long before this node last ran Primary: the peer was back since.
            (
                Some(Fencing::Fenced { at: FENCED_AT }),
                Some((FENCED_AT + node::FENCE_VIEW_SLACK + 1, false)),
                "fenced before this node was last Primary",
            ),
            // This node left the Primary cleanly: the peer may have committed alone.
            (
                Some(Fencing::Fenced { at: FENCED_AT }),
                Some((FENCED_AT - 30, true)),
                "this node left the Primary cleanly",
            ),
            (
                Some(Fencing::Fenced { at: FENCED_AT }),
                None,
                "no record of this node's last Primary",
            ),
        ];
        for (fencing, record, why) in cases {
            let (_, c) = two_node_case(true, fencing, record);
            assert_eq!(score(&c, "n1"), None, "{why}");
            let wait = attr(&c, "n1", "db-wait").unwrap();
            assert_eq!(
                wait,
                format!("waiting for n2's position or fencing: not reported, not fenced ({why})")
            );
            assert!(wait.len() <= 128);
            assert!(c.fencing_queries.get() > 0);
        }
    }

    #[test]
    fn without_two_node_mode_the_fencing_is_not_asked() {
        let fenced = Fencing::Fenced { at: FENCED_AT };
        let (_, c) = two_node_case(false, Some(fenced.clone()), Some((FENCED_AT - 30, false)));
        assert_eq!(score(&c, "n1"), None);
        assert_eq!(
            attr(&c, "n1", "db-wait").as_deref(),
            Some("waiting for n2's position: 1 of 2 reported")
        );
        assert_eq!(c.fencing_queries.get(), 0);
        // Nor for a peer that reported: the ordinary election ranks both.
        let s = Setup::new(12);
        let c = memory();
        c.fencing.borrow_mut().insert("n2".into(), fenced);
        reported(&c, "n2", U, 13);
        let env = s.two_node_env(true);
        s.act_env(Action::Start, &c, env, 5000).unwrap();
        assert_eq!(c.fencing_queries.get(), 0);
        assert_eq!(
            attr(&c, "n1", "db-wait").as_deref(),
            Some("waiting for n2 to bootstrap")
        );
    }

    #[test]
    fn stop_keeps_the_primary_record_for_the_next_start() {
        let s = Setup::new(12);
        let c = memory();
        let env = s.two_node_env(true);
        s.act_env(Action::Start, &c, env.clone(), 5000).unwrap();
        // As a promoted monitor leaves it after seeing Primary.
        let path = s.dir.path().join("rsctmp/galera-db_0.state");
        let mut st = state::State::parse(&std::fs::read_to_string(&path).unwrap());
        st.primary_at = Some(FENCED_AT - 30);
        std::fs::write(&path, st.render()).unwrap();
        s.act_env(Action::Stop, &c, env.clone(), 5000).unwrap();
        assert!(!path.exists());
        c.fencing
            .borrow_mut()
            .insert("n2".into(), Fencing::Fenced { at: FENCED_AT });
        // Under another instance number of the anonymous clone.
        let mut env = env;
        env.set("OCF_RESOURCE_INSTANCE", "db:1");
        s.act_env(Action::Start, &c, env, 5000).unwrap();
        let path = s.dir.path().join("rsctmp/galera-db_1.state");
        let st = state::State::parse(&std::fs::read_to_string(&path).unwrap());
        assert_eq!(st.primary_at, Some(FENCED_AT - 30));
        assert_eq!(score(&c, "n1"), Some(monitor::SCORE_BOOTSTRAP));
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
