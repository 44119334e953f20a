//! Test harness: throw-away network namespaces and veth pairs, and a runner for the real agent
//! binary inside them with a real OCF environment.
//!
//! Every namespace is named `vipt<pid>x<n><role>`, so tests run in parallel and a crashed run's
//! leftovers can be recognised (their pid is dead) and removed by the next run. A [`Lab`]
//! deletes its namespaces (and with them their veths) when dropped, also when a test panics.
//! Nothing is ever created in the root namespace: links are created directly inside the
//! namespaces (`ip -n NS link add … peer … netns OTHER`). Addresses come from 10.201.0.0/24
//! and fd00:201::/64 and exist only inside the namespaces.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ocf_test_support::netns;
pub use ocf_test_support::Run;

pub const BIN: &str = env!("CARGO_BIN_EXE_vip");
const PREFIX: &str = "vipt";

pub use ocf_test_support::netns::{has_ip as has_ip_anywhere, run as sh, try_run as try_sh, PATH};

/// Whether this process may build namespaces; if not, prints why the calling test is skipped
/// (on stderr directly: libtest captures only the print macros).
pub fn root_or_skip() -> bool {
    let caps = vip_net::Capabilities::current().expect("read capabilities");
    if caps.net_admin() && caps.net_raw() {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a vip test")
        .to_string();
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: needs root (CAP_NET_ADMIN and CAP_NET_RAW) to build network \
         namespaces; tests/run-all runs it as root"
    );
    false
}

/// A set of namespaces owned by one test.
pub struct Lab {
    id: String,
    namespaces: Vec<String>,
}

impl Lab {
    /// A new lab, or `None` (with the reason printed) when not root: the test then skips.
    pub fn new() -> Option<Lab> {
        if !root_or_skip() {
            return None;
        }
        Some(Lab {
            id: netns::unique_name(PREFIX),
            namespaces: Vec::new(),
        })
    }

    /// A new, empty namespace (loopback up).
    pub fn netns(&mut self, role: &str) -> String {
        let name = format!("{}{role}", self.id);
        netns::add(&name);
        self.namespaces.push(name.clone());
        name
    }

    /// A veth pair between two namespaces, both ends up.
    pub fn veth(&self, ns_a: &str, if_a: &str, ns_b: &str, if_b: &str) {
        sh(&[
            "ip", "-n", ns_a, "link", "add", if_a, "type", "veth", "peer", "name", if_b, "netns",
            ns_b,
        ]);
        sh(&["ip", "-n", ns_a, "link", "set", if_a, "up"]);
        sh(&["ip", "-n", ns_b, "link", "set", if_b, "up"]);
    }

    /// Two namespaces `a` and `b` joined by a veth pair, eth0 on both sides, with their own
    /// addresses 10.201.0.1/24 + fd00:201::1/64 and .2 / ::2.
    pub fn pair(&mut self) -> (String, String) {
        let a = self.netns("a");
        let b = self.netns("b");
        self.veth(&a, "eth0", &b, "eth0");
        add_addr(&a, "eth0", "10.201.0.1/24");
        add_addr(&b, "eth0", "10.201.0.2/24");
        add_addr(&a, "eth0", "fd00:201::1/64");
        add_addr(&b, "eth0", "fd00:201::2/64");
        (a, b)
    }

    /// `n` hosts on one L2 segment: a switch namespace with a bridge, each host's eth0 on a
    /// port, host i having 10.201.0.i/24 and fd00:201::i/64.
    pub fn switch(&mut self, n: usize) -> Vec<String> {
        let sw = self.netns("sw");
        sh(&["ip", "-n", &sw, "link", "add", "br0", "type", "bridge"]);
        // No multicast snooping: ND multicast is flooded, whatever MLD said so far.
        sh(&[
            "ip",
            "-n",
            &sw,
            "link",
            "set",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ]);
        sh(&["ip", "-n", &sw, "link", "set", "br0", "up"]);
        let mut hosts = Vec::new();
        for i in 1..=n {
            let h = self.netns(&format!("h{i}"));
            let port = format!("p{i}");
            self.veth(&sw, &port, &h, "eth0");
            sh(&["ip", "-n", &sw, "link", "set", &port, "master", "br0"]);
            add_addr(&h, "eth0", &format!("10.201.0.{i}/24"));
            add_addr(&h, "eth0", &format!("fd00:201::{i}/64"));
            hosts.push(h);
        }
        hosts
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in self.namespaces.iter().rev() {
            netns::delete(ns);
        }
    }
}

/// `ip addr add` with nodad for IPv6, so the namespace's own addresses are usable at once.
pub fn add_addr(ns: &str, dev: &str, cidr: &str) {
    if cidr.contains(':') {
        sh(&["ip", "-n", ns, "addr", "add", cidr, "dev", dev, "nodad"]);
    } else {
        sh(&["ip", "-n", ns, "addr", "add", cidr, "dev", dev]);
    }
}

/// `ip -n NS -o addr show dev DEV`: the kernel's view.
pub fn addrs(ns: &str, dev: &str) -> String {
    sh(&["ip", "-n", ns, "-o", "addr", "show", "dev", dev])
}

/// The `ip -o addr` line for this address (`10.201.0.50/24`), if present.
pub fn addr_line(ns: &str, dev: &str, cidr: &str) -> Option<String> {
    let needle = format!(" {cidr} ");
    addrs(ns, dev)
        .lines()
        .find(|l| l.contains(&needle))
        .map(str::to_string)
}

pub fn mac(ns: &str, dev: &str) -> String {
    let out = sh(&["ip", "-n", ns, "-o", "link", "show", "dev", dev]);
    let after = out
        .split("link/ether ")
        .nth(1)
        .unwrap_or_else(|| panic!("no MAC in {out}"));
    after
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The MAC a neighbour entry holds for `ip`, if any.
pub fn neigh_mac(ns: &str, ip: &str) -> Option<String> {
    let out = sh(&["ip", "-n", ns, "neigh", "show", ip]);
    out.split("lladdr ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .map(str::to_string)
}

pub fn ping(ns: &str, ip: &str) -> bool {
    let fam = if ip.contains(':') { "-6" } else { "-4" };
    try_sh(&[
        "ip", "netns", "exec", ns, "ping", fam, "-c", "1", "-W", "2", ip,
    ])
}

pub fn link(ns: &str, dev: &str, state: &str) {
    sh(&["ip", "-n", ns, "link", "set", dev, state]);
}

/// Polls `f` every 20 ms until it holds or `limit` passes.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The agent's instance parameters (`OCF_RESKEY_<name>`) for one resource.
#[derive(Debug, Clone, Default)]
pub struct Res {
    params: BTreeMap<String, String>,
}

impl Res {
    pub fn new(pairs: &[(&str, &str)]) -> Res {
        Res {
            params: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    pub fn with(&self, key: &str, value: &str) -> Res {
        let mut r = self.clone();
        r.params.insert(key.to_string(), value.to_string());
        r
    }

    fn run_full(&self, ns: &str, action: &str, meta: &[(&str, &str)], prefix: &[&str]) -> Run {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]);
        cmd.args(prefix);
        cmd.args([BIN, action]);
        cmd.env_clear()
            .env("PATH", PATH)
            .env("OCF_ROOT", "/usr/lib/ocf")
            .env("OCF_RA_VERSION_MAJOR", "1")
            .env("OCF_RA_VERSION_MINOR", "1")
            .env("OCF_RESOURCE_INSTANCE", "test-vip")
            .env("OCF_RESKEY_CRM_meta_timeout", "20000");
        for (k, v) in &self.params {
            cmd.env(format!("OCF_RESKEY_{k}"), v);
        }
        for (k, v) in meta {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null());
        Run::of(&mut cmd)
    }

    /// start / stop / validate-all (interval 0), monitor as a recurring monitor (10 s).
    pub fn run(&self, ns: &str, action: &str) -> Run {
        let interval = if action == "monitor" { "10000" } else { "0" };
        self.run_full(
            ns,
            action,
            &[("OCF_RESKEY_CRM_meta_interval", interval)],
            &[],
        )
    }

    /// A probe: monitor with interval 0.
    pub fn probe(&self, ns: &str) -> Run {
        self.run_full(ns, "monitor", &[("OCF_RESKEY_CRM_meta_interval", "0")], &[])
    }

    /// With extra environment (e.g. OCF_CHECK_LEVEL, a short timeout).
    pub fn run_env(&self, ns: &str, action: &str, meta: &[(&str, &str)]) -> Run {
        self.run_full(ns, action, meta, &[])
    }

    /// As user nobody without capabilities.
    pub fn run_unprivileged(&self, ns: &str, action: &str) -> Run {
        self.run_full(
            ns,
            action,
            &[("OCF_RESKEY_CRM_meta_interval", "0")],
            &[
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--",
            ],
        )
    }

    /// Under `strace -f`, writing the trace to `trace`.
    pub fn run_traced(&self, ns: &str, action: &str, trace: &str) -> Run {
        self.run_full(
            ns,
            action,
            &[("OCF_RESKEY_CRM_meta_interval", "0")],
            &[
                "strace",
                "-f",
                "-qq",
                "-e",
                "trace=execve,execveat,fork,vfork,clone,clone3",
                "-o",
                trace,
                "--",
            ],
        )
    }
}
