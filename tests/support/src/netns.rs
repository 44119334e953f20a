//! Throw-away network namespaces for tests. Names are `<prefix><pid>x<n>`: tests run in
//! parallel, and the leftovers of a crashed run are recognised (their pid is dead) and removed by
//! the next one. Nothing here touches the root namespace but `ip netns add/del`.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The PATH the helpers (and the agents they run) get.
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Runs a command, panicking with its output if it fails; returns its stdout.
pub fn run(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .env("PATH", PATH)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command, returning whether it succeeded.
pub fn try_run(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .env("PATH", PATH)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A fresh name `<prefix><pid>x<n>` (after removing the stale namespaces of `prefix`).
pub fn unique_name(prefix: &str) -> String {
    remove_stale(prefix);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}{}x{n}", std::process::id())
}

/// Creates the namespace, loopback up.
pub fn add(name: &str) {
    run(&["ip", "netns", "add", name]);
    run(&["ip", "-n", name, "link", "set", "lo", "up"]);
}

/// Deletes the namespace (and with it its links), killing anything left running in it.
pub fn delete(name: &str) {
    if let Ok(out) = Command::new("ip")
        .args(["netns", "pids", name])
        .env("PATH", PATH)
        .output()
    {
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
    }
    let _ = Command::new("ip")
        .args(["netns", "del", name])
        .env("PATH", PATH)
        .stderr(Stdio::null())
        .status();
}

/// Removes the namespaces of `prefix` left by test processes that died without cleaning up.
pub fn remove_stale(prefix: &str) {
    let Ok(out) = Command::new("ip")
        .args(["netns", "list"])
        .env("PATH", PATH)
        .output()
    else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let pid = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once('x'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                delete(name);
            }
        }
    }
}

/// Whether `ip` (without prefix) is on any interface of the namespace.
pub fn has_ip(ns: &str, ip: &str) -> bool {
    run(&["ip", "-n", ns, "-o", "addr", "show"]).contains(&format!(" {ip}/"))
}
