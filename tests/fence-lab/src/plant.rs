//! What the switch acts on: a node's cgroups (cgroup v1 `pids` for membership, `freezer` to
//! stop everything at once), its network namespace, and the switch's ports (`ip` in the
//! switch's namespace).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Every pid listed in `dir/cgroup.procs` and in its descendants' (v1: a child cgroup's
/// processes are not listed in the parent's file). A missing directory has none.
pub fn cgroup_procs(dir: &Path) -> io::Result<BTreeSet<i32>> {
    let mut out = BTreeSet::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for d in cgroup_tree(dir)? {
        match fs::read_to_string(d.join("cgroup.procs")) {
            Ok(t) => out.extend(t.split_whitespace().filter_map(|p| p.parse::<i32>().ok())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// `dir` and every cgroup below it, parents first.
pub fn cgroup_tree(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        let d = out[i].clone();
        if let Ok(rd) = fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    out.push(e.path());
                }
            }
        }
        i += 1;
    }
    Ok(out)
}

/// Writes FROZEN to a v1 freezer cgroup and waits (at most `wait`) until the kernel says
/// FROZEN. A task in uninterruptible sleep can keep it FREEZING: the caller goes on anyway.
pub fn freeze(dir: &Path, wait: Duration) -> io::Result<bool> {
    fs::write(dir.join("freezer.state"), "FROZEN")?;
    let end = Instant::now() + wait;
    loop {
        if freezer_state(dir).as_deref() == Some("FROZEN") {
            return Ok(true);
        }
        if Instant::now() >= end {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// THAWED on the freezer cgroup and all its descendants (a v1 child frozen on its own stays
/// frozen when only its parent is thawed).
pub fn thaw_tree(dir: &Path) -> io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for d in cgroup_tree(dir)? {
        let f = d.join("freezer.state");
        if f.exists() {
            fs::write(f, "THAWED")?;
        }
    }
    Ok(())
}

pub fn freezer_state(dir: &Path) -> Option<String> {
    fs::read_to_string(dir.join("freezer.state"))
        .ok()
        .map(|s| s.trim().to_string())
}

/// Alive and not a zombie.
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => match s.rfind(')') {
            Some(i) => !matches!(s[i + 1..].trim_start().chars().next(), Some('Z' | 'X')),
            None => false,
        },
        Err(_) => false,
    }
}

/// Every live process whose network namespace is the one bound at `netns` (what
/// `ip netns pids` prints).
pub fn netns_pids(netns: &Path) -> io::Result<BTreeSet<i32>> {
    let want = fs::metadata(netns)?;
    let mut out = BTreeSet::new();
    for e in fs::read_dir("/proc")?.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if let Ok(m) = fs::metadata(format!("/proc/{pid}/ns/net")) {
            if m.ino() == want.ino() && m.dev() == want.dev() && alive(pid) {
                out.insert(pid);
            }
        }
    }
    Ok(out)
}

pub fn sigkill(pid: i32) {
    if pid > 1 {
        // SAFETY: kill(2) has no memory effects; pid > 1 never means "every process".
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// What a node's power-off acts on.
#[derive(Debug, Clone)]
pub struct NodeHw {
    /// The cgroups holding the node's processes (v1 pids, freezer; all are emptied).
    pub cgroups: Vec<PathBuf>,
    /// The node's v1 freezer cgroup (frozen before the kill, thawed with its children after).
    pub freezer: Option<PathBuf>,
    /// The node's network namespace (`/run/netns/lab-nN`).
    pub netns: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KillReport {
    /// Distinct processes that got SIGKILL.
    pub killed: usize,
    /// Whether the freezer reached FROZEN before the kill.
    pub frozen: bool,
}

/// Every process of the node, now. Errors reading the cgroups or /proc are errors: the caller
/// cannot claim the node is off without knowing.
pub fn node_procs(hw: &NodeHw) -> Result<BTreeSet<i32>, String> {
    let mut all = BTreeSet::new();
    for cg in &hw.cgroups {
        all.extend(cgroup_procs(cg).map_err(|e| format!("reading {}: {e}", cg.display()))?);
    }
    if let Some(ns) = &hw.netns {
        if ns.exists() {
            all.extend(netns_pids(ns).map_err(|e| format!("scanning /proc: {e}"))?);
        }
    }
    all.retain(|&p| alive(p) && p != std::process::id() as i32);
    Ok(all)
}

/// Kills every process of the node at once: freeze (nothing can fork or react in between),
/// SIGKILL all of them, thaw (a frozen task acts on SIGKILL only once thawed: that is also how
/// a MaxScale wedged in its own freezer cgroup dies), repeated until nothing is left (a
/// process that entered the node's namespace meanwhile) or `deadline`.
pub fn kill_everything(hw: &NodeHw, deadline: Instant) -> Result<KillReport, String> {
    let mut report = KillReport::default();
    if let Some(f) = &hw.freezer {
        if f.is_dir() {
            report.frozen = freeze(f, Duration::from_millis(500))
                .map_err(|e| format!("freezing {}: {e}", f.display()))?;
        }
    }
    let mut seen = BTreeSet::new();
    loop {
        let procs = node_procs(hw)?;
        if procs.is_empty() {
            break;
        }
        for &p in &procs {
            sigkill(p);
            seen.insert(p);
        }
        if let Some(f) = &hw.freezer {
            thaw_tree(f).map_err(|e| format!("thawing {}: {e}", f.display()))?;
        }
        if Instant::now() >= deadline {
            let left = node_procs(hw)?;
            if left.is_empty() {
                break;
            }
            return Err(format!(
                "still alive after SIGKILL: {}",
                left.iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if let Some(f) = &hw.freezer {
        // a node boots thawed
        thaw_tree(f).map_err(|e| format!("thawing {}: {e}", f.display()))?;
    }
    report.killed = seen.len();
    Ok(report)
}

/// `ip -n NS link set dev DEV up|down`.
pub fn link_set(ip: &str, ns: &str, dev: &str, up: bool) -> Result<(), String> {
    let out = Command::new(ip)
        .args([
            "-n",
            ns,
            "link",
            "set",
            "dev",
            dev,
            if up { "up" } else { "down" },
        ])
        .output()
        .map_err(|e| format!("running {ip}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip -n {ns} link set dev {dev}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// What a power cycle loses: every address and neighbour entry of the namespace (they are
/// kernel memory; the boot configures the node's own addresses again). Without this, a node
/// rebooted by the fencer would come back answering for the VIP it held before its crash.
pub fn forget_addresses(ip: &str, ns: &str) -> Result<(), String> {
    for args in [
        &["-n", ns, "addr", "flush", "scope", "global"][..],
        &["-n", ns, "neigh", "flush", "all"][..],
    ] {
        let out = Command::new(ip)
            .args(args)
            .output()
            .map_err(|e| format!("running {ip}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ip {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    let out = Command::new(ip)
        .args(["-n", ns, "-o", "addr", "show", "scope", "global"])
        .output()
        .map_err(|e| format!("running {ip}: {e}"))?;
    let left = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !left.trim().is_empty() {
        return Err(format!("addresses left in {ns}: {:.120}", left.trim()));
    }
    Ok(())
}

/// Whether DEV in NS is administratively up (the UP flag of `ip -o link show`).
pub fn link_is_up(ip: &str, ns: &str, dev: &str) -> Result<bool, String> {
    let out = Command::new(ip)
        .args(["-n", ns, "-o", "link", "show", "dev", dev])
        .output()
        .map_err(|e| format!("running {ip}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ip -n {ns} link show dev {dev}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(flags_up(&String::from_utf8_lossy(&out.stdout)))
}

/// The UP flag in `5: p1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ...`.
pub fn flags_up(line: &str) -> bool {
    let Some(start) = line.find('<') else {
        return false;
    };
    let Some(len) = line[start..].find('>') else {
        return false;
    };
    line[start + 1..start + len].split(',').any(|f| f == "UP")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_flags() {
        assert!(flags_up(
            "5: p1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP"
        ));
        assert!(!flags_up(
            "5: p1@if2: <BROADCAST,MULTICAST> mtu 1500 state DOWN"
        ));
        assert!(!flags_up(
            "5: p1@if2: <NO-CARRIER,BROADCAST,MULTICAST,LOWER_UP> mtu"
        ));
        assert!(!flags_up("garbage"));
    }

    #[test]
    fn alive_and_zombies() {
        assert!(alive(std::process::id() as i32));
        assert!(!alive(i32::MAX));
        let mut c = std::process::Command::new("true").spawn().unwrap();
        // not reaped yet: a zombie once it exited
        let pid = c.id() as i32;
        let end = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!alive(pid), "a zombie is not alive");
        c.wait().unwrap();
    }

    #[test]
    fn cgroup_tree_of_plain_dirs() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("a/b")).unwrap();
        fs::write(d.path().join("cgroup.procs"), "1\n2\n").unwrap();
        fs::write(d.path().join("a/b/cgroup.procs"), "3\n").unwrap();
        let p = cgroup_procs(d.path()).unwrap();
        assert_eq!(p.into_iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert!(cgroup_procs(&d.path().join("missing")).unwrap().is_empty());
    }
}
