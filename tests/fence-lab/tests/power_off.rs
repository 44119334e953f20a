//! The switch's power-off on real kernel objects: cgroup v1 pids + freezer cgroups and a
//! network namespace, with pid-unique names, removed afterwards. Needs root and the v1
//! `pids` and `freezer` hierarchies (the lab's machine has them); skipped otherwise.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use fence_lab::plant::{self, NodeHw};

const PIDS: &str = "/sys/fs/cgroup/pids";
const FREEZER: &str = "/sys/fs/cgroup/freezer";

fn usable() -> bool {
    let root = unsafe { libc::geteuid() } == 0;
    if !root
        || !Path::new(PIDS).join("cgroup.procs").exists()
        || !Path::new(FREEZER).join("cgroup.procs").exists()
    {
        eprintln!("SKIP: needs root and the cgroup v1 pids and freezer hierarchies");
        return false;
    }
    true
}

struct Cgroups {
    dirs: Vec<PathBuf>,
    netns: Option<String>,
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        for d in self.dirs.iter().rev() {
            for p in plant::cgroup_procs(d).unwrap_or_default() {
                plant::sigkill(p);
            }
            let _ = plant::thaw_tree(d);
        }
        std::thread::sleep(Duration::from_millis(100));
        for d in self.dirs.iter().rev() {
            if let Ok(t) = plant::cgroup_tree(d) {
                for c in t.iter().rev() {
                    let _ = fs::remove_dir(c);
                }
            }
        }
        if let Some(ns) = &self.netns {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// A process started inside the given cgroups (it writes itself there before exec).
fn spawn_in(cgroups: &[&Path], cmd: &str) -> Child {
    let mut script = String::new();
    for cg in cgroups {
        script.push_str(&format!(
            "echo $$ > {}/cgroup.procs || exit 9; ",
            cg.display()
        ));
    }
    script.push_str("exec ");
    script.push_str(cmd);
    Command::new("sh").args(["-c", &script]).spawn().unwrap()
}

fn wait_for(what: &str, t: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + t;
    while !f() {
        assert!(Instant::now() < end, "not within {t:?}: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn off_empties_the_node_including_a_wedged_process_and_netns_visitors() {
    if !usable() {
        return;
    }
    let tag = format!("fence-lab-test-{}", std::process::id());
    let pids = Path::new(PIDS).join(&tag);
    let freezer = Path::new(FREEZER).join(&tag);
    let wedge = freezer.join("wedge");
    let ns = tag.clone();
    let mut guard = Cgroups {
        dirs: vec![pids.clone(), freezer.clone()],
        netns: None,
    };
    fs::create_dir(&pids).unwrap();
    fs::create_dir(&freezer).unwrap();
    fs::create_dir(&wedge).unwrap();
    assert!(Command::new("ip")
        .args(["netns", "add", &ns])
        .status()
        .unwrap()
        .success());
    guard.netns = Some(ns.clone());

    // the node's daemons: one with children, one that ignores SIGTERM
    let mut kids = vec![
        spawn_in(&[&pids, &freezer], "sh -c 'sleep 300 & sleep 300 & wait'"),
        spawn_in(&[&pids, &freezer], "sh -c 'trap \"\" TERM; sleep 300'"),
    ];
    // one wedged: moved into its own freezer cgroup and frozen (survives SIGKILL until thawed)
    let wedged = spawn_in(&[&pids, &freezer], "sleep 300");
    let wpid = wedged.id() as i32;
    kids.push(wedged);
    wait_for("all in the pids cgroup", Duration::from_secs(5), || {
        plant::cgroup_procs(&pids).unwrap().len() >= 5
    });
    // Until its wrapper has exec'd sleep it may still write itself into the parent freezer
    // cgroup, out of the wedge: the wedge would freeze empty and SIGKILL would kill it.
    wait_for("the wedged task exec'd", Duration::from_secs(5), || {
        fs::read_to_string(format!("/proc/{wpid}/comm")).is_ok_and(|c| c.trim() == "sleep")
    });
    fs::write(wedge.join("cgroup.procs"), wpid.to_string()).unwrap();
    assert!(
        plant::freeze(&wedge, Duration::from_secs(2)).unwrap(),
        "wedge frozen"
    );
    plant::sigkill(wpid);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        plant::alive(wpid),
        "a frozen task survives SIGKILL while frozen (the premise)"
    );

    // a visitor of the node's network namespace, in no cgroup of the node
    let visitor = Command::new("ip")
        .args(["netns", "exec", &ns, "sleep", "300"])
        .spawn()
        .unwrap();
    let vpid = visitor.id() as i32;
    kids.push(visitor);
    let nspath = PathBuf::from(format!("/run/netns/{ns}"));
    wait_for("the visitor in the netns", Duration::from_secs(5), || {
        plant::netns_pids(&nspath).unwrap().contains(&vpid)
    });

    let hw = NodeHw {
        cgroups: vec![pids.clone(), freezer.clone()],
        freezer: Some(freezer.clone()),
        netns: Some(nspath.clone()),
    };
    let before = plant::node_procs(&hw).unwrap();
    assert!(
        before.contains(&wpid) && before.contains(&vpid),
        "{before:?}"
    );
    let t0 = Instant::now();
    let r = plant::kill_everything(&hw, Instant::now() + Duration::from_secs(10)).unwrap();
    let took = t0.elapsed();
    assert!(r.killed >= before.len(), "{r:?} vs {before:?}");
    assert!(
        plant::node_procs(&hw).unwrap().is_empty(),
        "nothing of the node left"
    );
    assert!(!plant::alive(wpid), "the wedged process died once thawed");
    assert_eq!(plant::freezer_state(&freezer).as_deref(), Some("THAWED"));
    assert_eq!(plant::freezer_state(&wedge).as_deref(), Some("THAWED"));
    assert!(took < Duration::from_secs(2), "power-off took {took:?}");
    for mut k in kids {
        let _ = k.wait();
    }
}
