//! ocf:mariadb:vip rows of the fault matrix (see src/lib.rs).
//!
//! The rows that need interfaces run in a network namespace made here (`vipfm<pid>x<n>`,
//! deleted on drop, leftovers of dead test processes removed) with veth pairs inside it. They
//! need root and skip with a printed reason without it; the rows that need no interface run
//! anyway. Besides the harness's checks, each scenario checks where the address is after its
//! rows.
//!
//! A closed stdout is this file's helper ([`CLOSE_STDOUT_ENV`]: the re-executed agent's stdout
//! becomes a pipe whose reader has gone, as in `vip meta-data | true`); the harness offers a
//! full one. (A stdout closed before exec is no case: Rust's runtime puts /dev/null there.)

use std::io::Write;

use fault_matrix::{become_agent_if_asked, common_rows, run_all, Agent, Row};
use ocf::Agent as _;
use ocf_test_support::netns::{self, has_ip, run};

/// In the re-executed agent: stdout is a pipe without a reader.
const CLOSE_STDOUT_ENV: &str = "FAULT_MATRIX_VIP_CLOSE_STDOUT";
const NS_PREFIX: &str = "vipfm";

#[test]
fn agent_process() {
    if ocf::Env::from_process().get(CLOSE_STDOUT_ENV).is_some() {
        let mut fds = [0; 2];
        // SAFETY: pipe(2) fills the array; then we close its read end and put the write end on
        // fd 1, before anything of the agent runs.
        unsafe {
            if libc::pipe(fds.as_mut_ptr()) == 0 {
                libc::close(fds[0]);
                libc::dup2(fds[1], 1);
                libc::close(fds[1]);
            }
        }
    }
    become_agent_if_asked();
}

fn vip(what: &str, args: &[&str]) -> Row {
    Row::new(Agent::Vip, what, args)
}

/// A resource: its parameters applied to any row.
#[derive(Clone)]
struct Res(Vec<(&'static str, String)>);

impl Res {
    fn new(pairs: &[(&'static str, &str)]) -> Res {
        Res(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
    }
    fn with(&self, key: &'static str, value: impl Into<String>) -> Res {
        let mut r = self.clone();
        r.0.retain(|(k, _)| *k != key);
        r.0.push((key, value.into()));
        r
    }
    fn row(&self, ns: Option<&str>, what: &str, action: &str) -> Row {
        let mut row = vip(what, &[action]);
        for (k, v) in &self.0 {
            row = row.param(k, v.clone());
        }
        row = match action {
            "monitor" => row.env("OCF_RESKEY_CRM_meta_interval", "10000"),
            _ => row.env("OCF_RESKEY_CRM_meta_interval", "0"),
        };
        match ns {
            Some(ns) => row.in_netns(ns),
            None => row,
        }
    }
    /// A probe: monitor with interval 0.
    fn probe(&self, ns: Option<&str>, what: &str) -> Row {
        self.row(ns, what, "monitor")
            .env("OCF_RESKEY_CRM_meta_interval", "0")
    }
    /// Rows named "<what>, <when>", each run as the action its `what` begins with ("probe": a
    /// probe): (what, the exit code expected, a text the reason must contain).
    fn steps(&self, ns: Option<&str>, when: &str, steps: &[(&str, i32, Option<&str>)]) -> Vec<Row> {
        steps
            .iter()
            .map(|&(what, rc, needle)| {
                let name = format!("{what}, {when}");
                let row = match what.split(' ').next().unwrap_or(what) {
                    "probe" => self.probe(ns, &name),
                    action => self.row(ns, &name, action),
                }
                .expect(&[rc]);
                match needle {
                    Some(needle) => row.reason(needle),
                    None => row,
                }
            })
            .collect()
    }
}

/// Runs rows now (the scenario changes state between them) and collects what broke.
fn check(broken: &mut Vec<String>, rows: impl IntoIterator<Item = Row>) {
    broken.extend(rows.into_iter().filter_map(|r| r.check().err()));
}

#[test]
fn vip_rows() {
    let mut rows = common_rows(Agent::Vip);
    rows.extend([
        vip("probe, ip missing", &["monitor"]).probe().expect(&[7]),
        vip("monitor, ip missing", &["monitor"])
            .env("OCF_RESKEY_CRM_meta_interval", "10000")
            .expect(&[6])
            .reason("'ip'"),
        vip("stop, ip malformed", &["stop"])
            .param("ip", "300.1.1.1")
            .expect(&[0]),
        vip("stop, nic missing", &["stop"])
            .param("ip", "192.0.2.77")
            .param("nic", "nosuchnic0")
            .expect(&[0]),
        vip("validate, ip with a hostile text", &["validate-all"])
            .param(
                "ip",
                format!("\u{1b}[2Jocf-exit-reason:fake{}", "x".repeat(5000)),
            )
            .expect(&[6])
            .reason("parameter 'ip'"),
    ]);
    // A closed stdout: what prints fails with a reason, what does not print is unaffected.
    for action in ["meta-data", "usage", "methods", "--version", "--man"] {
        rows.push(
            vip(&format!("{action} to a closed stdout"), &[action])
                .env(CLOSE_STDOUT_ENV, "1")
                .expect(&[1])
                .reason("cannot write"),
        );
    }
    let absent = Res::new(&[("ip", "192.0.2.77"), ("cidr_netmask", "24")]);
    rows.push(
        absent
            .probe(None, "probe with a closed stdout")
            .env(CLOSE_STDOUT_ENV, "1")
            .expect(&[7]),
    );
    rows.push(
        absent
            .row(None, "stop with a closed stdout", "stop")
            .env(CLOSE_STDOUT_ENV, "1")
            .expect(&[0]),
    );
    run_all(&rows);
}

/// Texts a user or a tool may put into a parameter. Each is invalid for every parameter of
/// this agent (a control character, a space, or too long for a name), so every action that
/// reads the parameter answers 6 — probes 7, stop 0 — with one clean reason naming it.
fn hostile_texts() -> Vec<(&'static str, String)> {
    vec![
        (
            "escape codes and a forged marker",
            format!(
                "\u{1b}[2J\u{1b}]0;x\u{7}ocf-exit-reason:fake {}",
                "x".repeat(5000)
            ),
        ),
        (
            "several lines",
            "line1\nocf-exit-reason:forged\r\nline3".to_string(),
        ),
        (
            "bidi overrides and multi-byte text",
            format!("\u{202e}evil\u{200b}{}", "é".repeat(3000)),
        ),
        (
            "shell and format metacharacters",
            "%s%n%x $(reboot) `id`; | & ../../etc/passwd".to_string(),
        ),
        ("100000 characters", "a".repeat(100_000)),
    ]
}

#[test]
fn vip_hostile_texts_in_every_parameter() {
    let ns = Netns::new();
    let ns_name = ns.as_ref().map(|n| n.name.clone());
    let ns = ns_name.as_deref();
    let base = Res::new(&[("ip", "10.201.0.50"), ("cidr_netmask", "24"), ("nic", "d1")]);
    // monitor reads only these; for the others it answers as for an absent address.
    let monitor_reads = ["ip", "cidr_netmask", "nic"];
    let mut rows = Vec::new();
    for p in vip::VipAgent.info().params {
        let name = p.name();
        for (kind, text) in hostile_texts() {
            let r = base.with(name, text);
            let what = |a: &str| format!("{a}, {name} with {kind}");
            let named = format!("'{name}'");
            for action in ["validate-all", "start", "reload-agent"] {
                rows.push(r.row(ns, &what(action), action).expect(&[6]).reason(&named));
            }
            rows.push(r.probe(ns, &what("probe")).expect(&[7]));
            rows.push(r.row(ns, &what("stop"), "stop").expect(&[0]));
            let monitor = r.row(ns, &what("monitor"), "monitor");
            rows.push(if monitor_reads.contains(&name) {
                monitor.expect(&[6]).reason(&named)
            } else {
                monitor.expect(&[7])
            });
        }
    }
    run_all(&rows);
    if let Some(ns) = ns_name {
        assert!(
            !has_ip(&ns, "10.201.0.50"),
            "a row with a hostile text added the address"
        );
    }
}

#[test]
fn vip_interfaces_renamed_missing_down_and_the_address_elsewhere() {
    let Some(ns) = Netns::new() else { return };
    let n = Some(ns.name.as_str());
    let mut broken = Vec::new();
    // No announcements, no duplicate probe: quick starts (tested in agents/vip/tests).
    let quick = |pairs: &[(&'static str, &str)]| {
        Res::new(pairs)
            .with("arp_count", "0")
            .with("probe_wait", "0")
    };
    let on_d1 = quick(&[("ip", "10.201.0.50"), ("cidr_netmask", "24"), ("nic", "d1")]);

    // Nothing configured yet.
    check(
        &mut broken,
        [
            on_d1.probe(n, "probe, absent").expect(&[7]),
            on_d1.row(n, "monitor, absent", "monitor").expect(&[7]),
            on_d1.row(n, "stop, absent", "stop").expect(&[0]),
            on_d1.row(n, "validate-all", "validate-all").expect(&[0]),
            on_d1
                .row(n, "reload-agent, absent", "reload-agent")
                .expect(&[0]),
        ],
    );

    // A missing interface.
    let missing = on_d1.with("nic", "nosuch0");
    check(
        &mut broken,
        missing.steps(
            n,
            "nic missing",
            &[
                ("probe", 7, Some("nic nosuch0 does not exist")),
                ("monitor", 7, Some("nosuch0")),
                ("start", 5, Some("interface 'nosuch0' does not exist")),
                ("validate-all", 5, None),
                ("stop", 0, None),
                ("stop again", 0, None),
            ],
        ),
    );
    ns.expect_nowhere(&mut broken, "10.201.0.50", "nic missing");

    // An interface administratively down under a running VIP.
    check(
        &mut broken,
        [on_d1.row(n, "start on d1", "start").expect(&[0])],
    );
    ns.expect_on(&mut broken, "d1", "10.201.0.50/24", "after start");
    ns.ip(&["link", "set", "d1", "down"]);
    check(
        &mut broken,
        on_d1.steps(
            n,
            "d1 down",
            &[
                ("monitor", 7, Some("administratively down")),
                ("probe", 7, None),
                ("start", 1, Some("administratively down")),
                ("stop", 0, None),
                ("stop again", 0, None),
            ],
        ),
    );
    ns.expect_nowhere(&mut broken, "10.201.0.50", "stop on a down link");
    ns.ip(&["link", "set", "d1", "up"]);

    // No carrier (the veth peer is down): start adds nothing.
    let on_v0 = quick(&[("ip", "10.201.2.50"), ("cidr_netmask", "24"), ("nic", "v0")]);
    check(
        &mut broken,
        on_v0.steps(
            n,
            "no carrier",
            &[
                ("start", 1, Some("cannot start 10.201.2.50 on v0")),
                ("probe", 7, None),
                ("stop", 0, None),
            ],
        ),
    );
    ns.expect_nowhere(&mut broken, "10.201.2.50", "no carrier");

    // The nic renamed under a running VIP.
    let on_d3 = quick(&[("ip", "10.201.3.50"), ("cidr_netmask", "24"), ("nic", "d3")]);
    check(
        &mut broken,
        [on_d3.row(n, "start on d3", "start").expect(&[0])],
    );
    ns.ip(&["link", "set", "d3", "down"]);
    ns.ip(&["link", "set", "d3", "name", "d9"]);
    ns.ip(&["link", "set", "d9", "up"]);
    ns.expect_on(&mut broken, "d9", "10.201.3.50/24", "renamed");
    check(
        &mut broken,
        on_d3.steps(
            n,
            "nic renamed",
            &[
                (
                    "probe",
                    1,
                    Some("10.201.3.50 is on d9; nic d3 does not exist"),
                ),
                ("monitor", 1, Some("is on d9")),
                ("start", 1, Some("is on d9")),
                ("stop", 0, None),
                ("stop again", 0, None),
                ("probe after stop", 7, None),
            ],
        ),
    );
    ns.expect_nowhere(&mut broken, "10.201.3.50", "stop after the rename");

    // The address on another interface than nic (IPv4 and IPv6).
    for (res, other, cidr) in [
        (on_d1.clone(), "d2", "10.201.0.50/24"),
        (
            quick(&[
                ("ip", "fd00:201::50"),
                ("cidr_netmask", "64"),
                ("nic", "d1"),
            ]),
            "d2",
            "fd00:201::50/64",
        ),
    ] {
        let ip = cidr.split('/').next().unwrap_or_default();
        ns.add(other, cidr);
        let elsewhere = format!("{ip} is on {other}, not on its nic d1");
        let elsewhere = Some(elsewhere.as_str());
        check(
            &mut broken,
            res.steps(
                n,
                &format!("{ip} on {other}"),
                &[
                    ("probe", 1, elsewhere),
                    ("monitor", 1, elsewhere),
                    ("start", 1, elsewhere),
                    ("validate-all", 0, None),
                    ("stop", 0, None),
                    ("stop again", 0, None),
                ],
            ),
        );
        check(
            &mut broken,
            res.steps(n, ip, &[("probe after stop", 7, None)]),
        );
        ns.expect_nowhere(&mut broken, ip, "stop of an address on another interface");
    }

    // The subnet's network and broadcast addresses, configured or found on d1.
    for (res, needle) in [
        (
            on_d1.with("ip", "10.201.0.255"),
            "10.201.0.255 is the broadcast address of its subnet /24",
        ),
        (
            on_d1.with("ip", "10.201.0.0"),
            "10.201.0.0 is the network address",
        ),
        (
            quick(&[("ip", "10.201.0.255")]),
            "broadcast address of its subnet /24",
        ),
    ] {
        check(
            &mut broken,
            res.steps(
                n,
                "subnet address",
                &[
                    ("validate-all", 6, Some(needle)),
                    ("start", 6, Some(needle)),
                    ("probe", 7, None),
                    ("stop", 0, None),
                ],
            ),
        );
    }
    ns.expect_nowhere(&mut broken, "10.201.0.255", "subnet addresses");
    ns.expect_nowhere(&mut broken, "10.201.0.0", "subnet addresses");

    assert!(
        broken.is_empty(),
        "{} checks broke the contract:\n\n{}",
        broken.len(),
        broken.join("\n\n")
    );
}

/// A network namespace of this test process: veth links d1 (10.201.0.1/24, fd00:201::1/64), d2
/// (10.201.1.1/24) and d3 (10.201.3.1/24), each with its peer pN up in the same namespace, and
/// v0 (10.201.2.1/24) whose peer v1 is down (no carrier). Deleted on drop.
struct Netns {
    name: String,
}

impl Netns {
    /// `None`, with the reason printed, when not root.
    fn new() -> Option<Netns> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            let test = std::thread::current().name().unwrap_or("vip").to_string();
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED the namespace rows of {test}: needs root to build a network namespace; \
                 tests/run-all runs them as root"
            );
            return None;
        }
        let ns = Netns {
            name: netns::unique_name(NS_PREFIX),
        };
        netns::add(&ns.name);
        for (dev, cidrs) in [
            ("d1", &["10.201.0.1/24", "fd00:201::1/64"][..]),
            ("d2", &["10.201.1.1/24"][..]),
            ("d3", &["10.201.3.1/24"][..]),
        ] {
            let peer = dev.replace('d', "p");
            ns.ip(&["link", "add", dev, "type", "veth", "peer", "name", &peer]);
            ns.ip(&["link", "set", dev, "up"]);
            ns.ip(&["link", "set", &peer, "up"]);
            for c in cidrs {
                ns.add(dev, c);
            }
        }
        ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
        ns.ip(&["link", "set", "v0", "up"]);
        ns.add("v0", "10.201.2.1/24");
        Some(ns)
    }

    fn ip(&self, args: &[&str]) -> String {
        let mut all = vec!["ip", "-n", self.name.as_str()];
        all.extend_from_slice(args);
        run(&all)
    }

    fn add(&self, dev: &str, cidr: &str) {
        if cidr.contains(':') {
            self.ip(&["addr", "add", cidr, "dev", dev, "nodad"]);
        } else {
            self.ip(&["addr", "add", cidr, "dev", dev]);
        }
    }

    fn expect_on(&self, broken: &mut Vec<String>, dev: &str, cidr: &str, when: &str) {
        let out = self.ip(&["-o", "addr", "show", "dev", dev]);
        if !out.contains(&format!(" {cidr} ")) {
            broken.push(format!("{when}: {cidr} is not on {dev}:\n{out}"));
        }
    }

    fn expect_nowhere(&self, broken: &mut Vec<String>, ip: &str, when: &str) {
        if has_ip(&self.name, ip) {
            broken.push(format!(
                "{when}: {ip} is still configured:\n{}",
                self.ip(&["-o", "addr", "show"])
            ));
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        netns::delete(&self.name);
    }
}
