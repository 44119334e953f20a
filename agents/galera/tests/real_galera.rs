//! The agent's actions against real MariaDB 10.11 + galera-4: three mariadbd on 127.0.0.1
//! (ports 35000-35999, datadirs in a temporary directory; the harness of
//! crates/galera-lifecycle/tests/common). No Pacemaker: attrd_updater, crm_node and
//! crm_attribute are stand-ins on PATH that keep node attributes and promotion scores in
//! files, so every node's agent sees its peers' published positions as it would in a
//! cluster. Needs root; skips with a printed reason otherwise.

#[path = "../../../crates/galera-lifecycle/tests/common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use galera_lifecycle::{Comparison, Position, Report, Reported};

const AGENT: &str = env!("CARGO_BIN_EXE_galera");

const ATTRD: &str = include_str!("../../../tests/lib/pcmk-standin/attrd_updater");

const CRM_NODE: &str = include_str!("../../../tests/lib/pcmk-standin/crm_node");

const CRM_ATTRIBUTE: &str = include_str!("../../../tests/lib/pcmk-standin/crm_attribute");

struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new() -> Fake {
        let dir = common::tempdir("galera-agent-pcmk");
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        for (name, text) in [
            ("attrd_updater", ATTRD),
            ("crm_node", CRM_NODE),
            ("crm_attribute", CRM_ATTRIBUTE),
        ] {
            let p = dir.path().join("bin").join(name);
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Fake { dir }
    }
    fn attr(&self, node: &str, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join(format!("attr.{node}.{name}"))).ok()
    }
    fn score(&self, node: &str) -> Option<i64> {
        std::fs::read_to_string(self.dir.path().join(format!("score.{node}")))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }
}

struct Outcome {
    rc: i32,
    stderr: String,
    took: Duration,
}

/// The stand-ins and the cluster the agent runs against: every run needs both.
#[derive(Clone, Copy)]
struct Rig<'a> {
    fake: &'a Fake,
    c: &'a common::Cluster,
}

impl Rig<'_> {
    /// Runs one action of the agent binary for `node` as Pacemaker would, with the timeouts
    /// of the harness: monitor 30 s, the other actions 120 s.
    fn run(self, node: &common::Node, action: &str) -> Outcome {
        let timeout_s = if action == "monitor" { 30 } else { 120 };
        self.run_within(node, action, timeout_s)
    }

    /// Runs one action of the agent binary for `node` as Pacemaker would, with this timeout.
    #[allow(clippy::disallowed_methods)] // the harness may read PATH
    fn run_within(self, node: &common::Node, action: &str, timeout_s: u64) -> Outcome {
        let Rig { fake, c } = self;
        let address = format!(
            "gcomm://{}",
            c.nodes
                .iter()
                .map(|n| format!("127.0.0.1:{}", n.gmcast))
                .collect::<Vec<_>>()
                .join(",")
        );
        let map = c
            .nodes
            .iter()
            .map(|n| format!("{}:127.0.0.1:{}", n.name, n.gmcast))
            .collect::<Vec<_>>()
            .join(";");
        let rsctmp = node.dir.join("rsctmp");
        std::fs::create_dir_all(&rsctmp).unwrap();
        let path = format!(
            "{}:{}",
            fake.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let p = |x: PathBuf| x.to_string_lossy().into_owned();
        let t = Instant::now();
        let out = Command::new(AGENT)
            .arg(action)
            .env_clear()
            .env("PATH", path)
            .env("FAKE_PCMK_DIR", fake.dir.path())
            .env("HA_RSCTMP", &rsctmp)
            .env("OCF_ROOT", "/usr/lib/ocf")
            .env("OCF_RESOURCE_INSTANCE", "galera:0")
            .env("OCF_RESKEY_CRM_meta_on_node", &node.name)
            .env(
                "OCF_RESKEY_CRM_meta_timeout",
                (timeout_s * 1000).to_string(),
            )
            .env(
                "OCF_RESKEY_CRM_meta_interval",
                if action == "monitor" { "10000" } else { "0" },
            )
            .env("OCF_RESKEY_wsrep_cluster_address", &address)
            .env("OCF_RESKEY_cluster_host_map", &map)
            .env("OCF_RESKEY_config", p(node.cnf()))
            .env("OCF_RESKEY_datadir", p(node.datadir()))
            .env("OCF_RESKEY_socket", p(node.socket()))
            .env("OCF_RESKEY_pid", p(node.dir.join("mysqld.pid")))
            .env("OCF_RESKEY_log", p(node.log()))
            .env("OCF_RESKEY_non_primary_grace", "600s")
            .output()
            .unwrap();
        Outcome {
            rc: out.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took: t.elapsed(),
        }
    }

    /// `run`, then `expect`, with the node's name before `what`.
    fn act(self, node: &common::Node, action: &str, rc: i32, what: &str) -> Outcome {
        expect(self.run(node, action), rc, &format!("{} {what}", node.name))
    }

    /// Monitor until it answers 8 and the node is Synced (a joiner's transfer is followed here,
    /// not in promote).
    fn follow_to_synced(self, node: &common::Node) {
        let until = Instant::now() + common::SYNC_TIMEOUT;
        loop {
            let o = self.run(node, "monitor");
            assert_eq!(o.rc, 8, "{} monitor during join: {}", node.name, o.stderr);
            if node.is_synced() && self.fake.attr(&node.name, "galera-sync").as_deref() == Some("1")
            {
                return;
            }
            assert!(
                Instant::now() < until,
                "{} not Synced: {}",
                node.name,
                node.log_errors()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn expect(o: Outcome, rc: i32, what: &str) -> Outcome {
    assert_eq!(
        o.rc, rc,
        "{what}: rc {} after {:?}\n{}",
        o.rc, o.took, o.stderr
    );
    eprintln!("{what}: rc {rc} in {:?}", o.took);
    o
}

fn published(fake: &Fake, node: &str) -> Report {
    let text = fake.attr(node, "galera-state").expect("state published");
    text.parse()
        .unwrap_or_else(|e| panic!("{node}: {text:?}: {e:?}"))
}

fn trusted(r: &Report) -> Position {
    match &r.position {
        Reported::Trusted { position, .. } => position.clone(),
        other => panic!("not trusted: {other:?}"),
    }
}

fn assert_no_loss(c: &common::Cluster, acked: &[u64]) {
    for n in &c.nodes {
        let have = common::ids(n);
        let lost: Vec<&u64> = acked.iter().filter(|i| !have.contains(i)).collect();
        assert!(
            lost.is_empty(),
            "{} lost {} acknowledged commits: {lost:?}",
            n.name,
            lost.len()
        );
    }
}

/// n3 stops cleanly and misses commits (stale); n1 and n2 are killed -9 while a client
/// commits. Each node's start publishes its position (n1, n2 through --wsrep-recover); the
/// stale n3 gets no promotion score and its promote waits for the elected node; promote on
/// the most advanced node bootstraps; the others join; all Synced, no acknowledged commit
/// lost. Then the whole cluster is killed -9 again and all three promotes run at once.
#[test]
fn whole_cluster_kill_then_election_bootstrap_and_joins() {
    need_galera!();
    let fake = Fake::new();
    let c = common::Cluster::up(3);
    let rig = Rig { fake: &fake, c: &c };
    let (n1, n2, n3) = (c.node(1), c.node(2), c.node(3));
    let nodes = [n1, n2, n3];
    // As with ocf:heartbeat:galera, the address comes from the agent, not the option file
    // (every mariadbd run, --wsrep-recover included, must get it).
    for n in nodes {
        let cnf = std::fs::read_to_string(n.cnf()).unwrap();
        let kept: Vec<&str> = cnf
            .lines()
            .filter(|l| !l.starts_with("wsrep_cluster_address"))
            .collect();
        std::fs::write(n.cnf(), kept.join("\n") + "\n").unwrap();
    }

    common::insert_rows(n1, 3);
    n3.stop();
    let w = common::Writer::start(n1, 1);
    w.wait_acked(40);
    let t_kill = Instant::now();
    c.kill_all();
    let mut acked = w.finish();
    eprintln!("{} commits acknowledged before the kill", acked.len());

    // Every node's start publishes its position; mariadbd stays stopped.
    for n in nodes {
        rig.act(n, "start", 0, "start");
        rig.act(n, "monitor", 0, "monitor unpromoted");
        assert!(galera_lifecycle::find_server(&n.cfg()).unwrap().is_none());
    }
    let pos: Vec<Position> = nodes
        .iter()
        .map(|n| trusted(&published(&fake, &n.name)))
        .collect();
    eprintln!("published: {pos:?}");
    assert!(
        matches!(pos[2].compare(&pos[0]), Comparison::Behind { .. }),
        "n3 is stale"
    );
    // The election: the most advanced of n1/n2 (n1 on a tie: configuration order).
    let best = if matches!(pos[1].compare(&pos[0]), Comparison::Ahead { .. }) {
        1
    } else {
        0
    };
    let other = 1 - best;
    // The last start (n3's) completed the election and gave the winner its score: no monitor
    // of the winner ran since.
    assert_eq!(
        fake.score(&nodes[best].name),
        Some(100),
        "the last report gives the elected node its score"
    );
    // Monitors of the others ran before the last start: refresh their view.
    for n in nodes {
        rig.act(n, "monitor", 0, "monitor");
    }
    assert_eq!(
        fake.score(&nodes[best].name),
        Some(100),
        "elected node's score"
    );
    assert_eq!(fake.score(&n3.name), None, "stale node has no score");
    let wait = fake.attr(&n3.name, "galera-wait").unwrap_or_default();
    assert!(
        wait.contains(&nodes[best].name),
        "n3 waits for the elected: {wait:?}"
    );

    // promote on the stale node does not bootstrap: it waits, visibly, until its deadline.
    let o = expect(
        rig.run_within(n3, "promote", 6),
        1,
        "n3 promote before a Primary exists",
    );
    assert!(o.stderr.contains("waiting for"), "{}", o.stderr);
    assert!(galera_lifecycle::find_server(&n3.cfg()).unwrap().is_none());

    expect(
        rig.run(nodes[best], "promote"),
        0,
        "elected node promote (bootstrap)",
    );
    // Healthy for the VIP rule as soon as the bootstrap returns, before any monitor.
    assert_eq!(
        fake.attr(&nodes[best].name, "galera-sync").as_deref(),
        Some("1"),
        "health attribute after the bootstrap promote"
    );
    // The bootstrap invited the first node (in configuration order) that had reported, and
    // only it: joiners enter one at a time. No monitor of theirs ran since.
    assert_eq!(
        fake.score(&nodes[other].name),
        Some(50),
        "{} invited to join",
        nodes[other].name
    );
    assert_eq!(fake.score(&n3.name), None, "n3 not invited yet");
    expect(
        rig.run(nodes[best], "monitor"),
        8,
        "bootstrapped node monitor",
    );
    assert_eq!(
        fake.attr(&nodes[best].name, "galera-state").as_deref(),
        Some("primary")
    );
    for n in [nodes[other], n3] {
        // n3: invited by the first joiner's promote, once that join had settled.
        assert_eq!(fake.score(&n.name), Some(50), "{} invited to join", n.name);
        rig.act(n, "monitor", 0, "monitor sees the Primary");
        assert_eq!(fake.score(&n.name), Some(50), "{} may join", n.name);
        let o = rig.act(n, "promote", 0, "promote (join)");
        // It saw the Primary view (told by gvwstate.dat before SQL answers), then its state
        // transfer start (an IST here) before it invited the next joiner.
        assert!(
            o.stderr.contains("in the Primary view")
                && (o.stderr.contains("state transfer under way")
                    || o.stderr.contains("joined: Synced")),
            "{} join promote:\n{}\nits log:\n{}",
            n.name,
            o.stderr,
            std::fs::read_to_string(n.log()).unwrap_or_default()
        );
    }
    for n in nodes {
        rig.follow_to_synced(n);
    }
    eprintln!("kill -9 to three Synced nodes: {:?}", t_kill.elapsed());
    assert_no_loss(&c, &acked);

    // Again, all at once: every promote runs concurrently; only the elected bootstraps.
    let w = common::Writer::start(n2, 2);
    w.wait_acked(40);
    let t_kill = Instant::now();
    c.kill_all();
    acked.extend(w.finish());
    for n in nodes {
        // Pacemaker: the failed monitor, then demote (publishes the recovered position).
        rig.act(n, "monitor", 1, "monitor after kill");
        rig.act(n, "demote", 0, "demote");
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = nodes
            .iter()
            .map(|n| s.spawn(|| rig.run(n, "promote")))
            .collect();
        for (h, n) in handles.into_iter().zip(nodes) {
            expect(
                h.join().unwrap(),
                0,
                &format!("{} concurrent promote", n.name),
            );
        }
    });
    for n in nodes {
        rig.follow_to_synced(n);
    }
    eprintln!(
        "second kill -9 to three Synced nodes: {:?}",
        t_kill.elapsed()
    );
    assert_no_loss(&c, &acked);

    // One node crashes while the others run (scenario j4): it rejoins without restoring the
    // view its crash left in gvwstate.dat (its plan removes the file), under a fresh gcomm
    // identity. Restored, the survivors ignored it until they forgot its old one: in the lab,
    // the Primary 16 s after the start, or later, against 2-4 s (on 127.0.0.1 both are quick).
    let w = common::Writer::start(n1, 3);
    w.wait_acked(20);
    assert!(
        n3.datadir().join("gvwstate.dat").exists(),
        "a running node has its view saved"
    );
    n3.kill9();
    n3.wait_gone();
    acked.extend(w.finish());
    rig.act(n3, "monitor", 1, "monitor after its kill");
    let demoted = rig.act(n3, "demote", 0, "demote");
    assert!(
        demoted.stderr.contains("running --wsrep-recover"),
        "n3's demote recovers the position:\n{}",
        demoted.stderr
    );
    let after_demote = published(&fake, &n3.name);
    rig.act(n3, "stop", 0, "stop");
    // Pacemaker's recovery goes on with start: the position demote recovered still holds
    // (nothing ran on the datadir since), so no second recovery.
    let started = rig.act(n3, "start", 0, "start");
    assert!(
        !started.stderr.contains("running --wsrep-recover")
            && started.stderr.contains("the datadir is unchanged since"),
        "n3's start after demote and stop recovered again:\n{}",
        started.stderr
    );
    assert_eq!(published(&fake, &n3.name), after_demote, "n3's report");
    let log_from = std::fs::metadata(n3.log()).map(|m| m.len()).unwrap_or(0) as usize;
    rig.act(n3, "promote", 0, "promote (rejoin)");
    let log = std::fs::read(n3.log()).unwrap_or_default();
    let since = String::from_utf8_lossy(&log[log_from.min(log.len())..]);
    assert!(
        since.contains("restore pc from disk failed")
            && !since.contains("restore pc from disk successfully"),
        "n3 rejoined with the crashed view restored:\n{since}"
    );
    rig.follow_to_synced(n3);
    assert_no_loss(&c, &acked);

    // stop: mariadbd gone, attributes removed; a second stop is 0 too.
    for n in nodes {
        rig.act(n, "stop", 0, "stop");
        rig.act(n, "stop", 0, "stop again");
        rig.act(n, "monitor", 7, "monitor stopped");
        assert!(fake.attr(&n.name, "galera-state").is_none());
    }
}
