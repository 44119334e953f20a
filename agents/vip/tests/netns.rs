//! The real agent binary, real OCF environment, real kernel: every test builds its own network
//! namespaces and veth pairs (see `common`), runs `vip <action>` inside them with
//! `ip netns exec`, and checks the kernel's view with `ip -n NS -o addr` / `ip -n NS neigh`.
//! Needs root; without it each test prints why it skips. Nothing is created in the root
//! namespace.

mod common;

use std::time::Duration;

use common::*;

const VIP4: &str = "10.201.0.50";
const VIP6: &str = "fd00:201::50";

fn fast(pairs: &[(&str, &str)]) -> Res {
    // Short announcements keep the tests quick; the defaults are tested once below.
    Res::new(pairs)
        .with("arp_interval", "20")
        .with("arp_count", "3")
}

/// [`fast`] with the address, its prefix and its nic.
fn fast_on(ip: &str, prefix: &str, nic: &str) -> Res {
    fast(&[("ip", ip), ("cidr_netmask", prefix), ("nic", nic)])
}

/// `stop` answers 0 and leaves `ip` on no interface of `ns`.
#[track_caller]
fn stop_removes(r: &Res, ns: &str, ip: &str) {
    r.run(ns, "stop").assert_rc(0, "stop");
    assert!(!has_ip_anywhere(ns, ip), "stop left {ip} behind");
}

/// The address is on `other`, not on its nic: the node holds it, so a probe (`probe_reason`),
/// the recurring monitor and start answer 1 naming `other`.
#[track_caller]
fn assert_elsewhere(r: &Res, ns: &str, other: &str, probe_reason: &str) {
    r.probe(ns)
        .assert_rc(1, "probe")
        .assert_reason(probe_reason);
    r.run(ns, "monitor")
        .assert_rc(1, "recurring monitor")
        .assert_reason(other);
    r.run(ns, "start")
        .assert_rc(1, "start")
        .assert_reason(&format!("is on {other}"));
}

/// Starts `r` in `ns` (exit 0, `what` names the step) and answers the kernel's line for the VIP
/// `cidr` on `nic`.
fn start_added(r: &Res, ns: &str, what: &str, nic: &str, cidr: &str) -> String {
    r.run(ns, "start").assert_rc(0, what);
    addr_line(ns, nic, cidr).unwrap_or_else(|| panic!("{what}: {cidr} was not added on {nic}"))
}

/// A configuration error: validate-all and start answer 6 with `needle` in the reason, a probe
/// never answers 6 (7: not running), and stop has nothing to do.
fn assert_misconfigured(r: &Res, ns: &str, what: &str, needle: &str) {
    r.run(ns, "validate-all")
        .assert_rc(6, what)
        .assert_reason(needle);
    r.run(ns, "start").assert_rc(6, what).assert_reason(needle);
    r.probe(ns).assert_rc(7, what);
    r.run(ns, "stop").assert_rc(0, what);
}

#[test]
fn ipv4_start_monitor_stop_are_idempotent() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let r = fast_on(VIP4, "24", "eth0");

    r.probe(&a).assert_rc(7, "probe before start");
    r.run(&a, "monitor").assert_rc(7, "monitor before start");
    r.run(&a, "stop").assert_rc(0, "stop before start");
    r.run(&a, "validate-all").assert_rc(0, "validate-all");

    let line = start_added(&r, &a, "start", "eth0", "10.201.0.50/24");
    assert!(line.contains("brd 10.201.0.255"), "{line}");
    assert!(
        line.contains("secondary"),
        "added after the own address: {line}"
    );
    r.run(&a, "start").assert_rc(0, "second start");
    assert_eq!(
        addrs(&a, "eth0").matches(" 10.201.0.50/").count(),
        1,
        "start is idempotent"
    );
    r.run(&a, "monitor").assert_rc(0, "monitor");
    r.probe(&a).assert_rc(0, "probe");

    r.run(&a, "stop").assert_rc(0, "stop");
    assert!(
        addr_line(&a, "eth0", "10.201.0.50/24").is_none(),
        "VIP removed"
    );
    assert!(
        addr_line(&a, "eth0", "10.201.0.1/24").is_some(),
        "own address kept"
    );
    r.run(&a, "stop").assert_rc(0, "second stop");
    r.run(&a, "monitor").assert_rc(7, "monitor after stop");
    r.probe(&a).assert_rc(7, "probe after stop");
}

#[test]
fn ipv4_defaults_announce_five_times_in_the_foreground() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    // Default arp_count 5 and arp_interval 200 ms: start returns after the last announcement,
    // i.e. after at least 4 x 200 ms (plus the 200 ms duplicate probe).
    let r = Res::new(&[("ip", VIP4)]);
    let run = r.run(&a, "start");
    run.assert_rc(0, "start");
    assert!(
        run.elapsed >= Duration::from_millis(1000),
        "start returned after {:?}",
        run.elapsed
    );
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    r.run(&a, "stop").assert_rc(0, "stop");
}

#[test]
fn ipv4_label_broadcast_and_netmask_forms() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let r = fast(&[
        ("ip", VIP4),
        ("cidr_netmask", "255.255.255.128"),
        ("nic", "eth0"),
        ("iflabel", "vip"),
        ("broadcast", "10.201.0.99"),
    ]);
    let line = start_added(&r, &a, "start", "eth0", "10.201.0.50/25");
    assert!(line.contains("brd 10.201.0.99"), "{line}");
    assert!(line.contains("eth0:vip"), "{line}");
    r.run(&a, "monitor").assert_rc(0, "monitor");
    stop_removes(&r, &a, VIP4);

    // IPaddr2's nic:label form, and broadcast '-' (host bits cleared).
    let r = fast(&[
        ("ip", VIP4),
        ("cidr_netmask", "24"),
        ("nic", "eth0:web"),
        ("broadcast", "-"),
    ]);
    let line = start_added(&r, &a, "start", "eth0", "10.201.0.50/24");
    assert!(line.contains("eth0:web"), "{line}");
    assert!(line.contains("brd 10.201.0.0"), "{line}");
    r.run(&a, "stop").assert_rc(0, "stop");

    // A /32 gets no broadcast.
    let r = fast_on(VIP4, "32", "eth0");
    let line = start_added(&r, &a, "start /32", "eth0", "10.201.0.50/32");
    assert!(!line.contains("brd"), "{line}");
    r.run(&a, "stop").assert_rc(0, "stop");
}

#[test]
fn the_address_with_another_prefix_is_an_error_and_stop_removes_it() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    add_addr(&a, "eth0", "10.201.0.50/16");
    let r = fast_on(VIP4, "24", "eth0");
    r.run(&a, "monitor")
        .assert_rc(1, "monitor")
        .assert_reason("prefix /16");
    r.run(&a, "start")
        .assert_rc(1, "start")
        .assert_reason("prefix /16");
    assert!(
        addr_line(&a, "eth0", "10.201.0.50/24").is_none(),
        "no second copy"
    );
    stop_removes(&r, &a, VIP4);
    // Without cidr_netmask, any prefix is the address.
    add_addr(&a, "eth0", "10.201.0.50/16");
    let r = fast(&[("ip", VIP4), ("nic", "eth0")]);
    r.run(&a, "monitor")
        .assert_rc(0, "monitor without cidr_netmask");
    r.run(&a, "start")
        .assert_rc(0, "start without cidr_netmask: already there");
    assert_eq!(addrs(&a, "eth0").matches(" 10.201.0.50/").count(), 1);
    stop_removes(&r, &a, VIP4);
}

#[test]
fn ipv6_start_monitor_stop_are_idempotent() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let r = fast_on(VIP6, "64", "eth0");
    r.probe(&a).assert_rc(7, "probe before start");
    let line = start_added(&r, &a, "start", "eth0", "fd00:201::50/64");
    // Our probe replaced the kernel's DAD: nodad, and usable at once.
    assert!(line.contains("nodad"), "{line}");
    assert!(!line.contains("tentative"), "{line}");
    assert!(line.contains("preferred_lft forever"), "{line}");
    r.run(&a, "start").assert_rc(0, "second start");
    r.run(&a, "monitor").assert_rc(0, "monitor");
    r.probe(&a).assert_rc(0, "probe");
    r.run(&a, "stop").assert_rc(0, "stop");
    assert!(addr_line(&a, "eth0", "fd00:201::50/64").is_none());
    assert!(addr_line(&a, "eth0", "fd00:201::1/64").is_some());
    r.run(&a, "stop").assert_rc(0, "second stop");
    r.run(&a, "monitor").assert_rc(7, "monitor after stop");

    // preferred_lft 0: present, deprecated (not used as a source address).
    let r = r.with("preferred_lft", "0");
    let line = start_added(
        &r,
        &a,
        "start with preferred_lft 0",
        "eth0",
        "fd00:201::50/64",
    );
    assert!(line.contains("preferred_lft 0sec"), "{line}");
    assert!(line.contains("deprecated"), "{line}");
    r.run(&a, "monitor").assert_rc(0, "monitor");
    r.run(&a, "stop").assert_rc(0, "stop");
}

#[test]
fn ipv6_disabled_on_the_nic_is_5() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    sh(&[
        "ip",
        "netns",
        "exec",
        &a,
        "sysctl",
        "-q",
        "-w",
        "net.ipv6.conf.eth0.disable_ipv6=1",
    ]);
    let r = fast_on(VIP6, "64", "eth0");
    r.run(&a, "start")
        .assert_rc(5, "start")
        .assert_reason("IPv6 is disabled on eth0");
    r.run(&a, "monitor").assert_rc(7, "monitor");
    r.run(&a, "stop").assert_rc(0, "stop");
}

#[test]
fn ipv6_without_probe_waits_for_the_kernels_dad() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let r = fast(&[("ip", VIP6), ("probe_duplicate", "false")]);
    // The prefix is detected from eth0's own address.
    let line = start_added(&r, &a, "start", "eth0", "fd00:201::50/64");
    assert!(
        !line.contains("tentative"),
        "start returned during DAD: {line}"
    );
    assert!(!line.contains("nodad"), "kernel DAD was used: {line}");
    r.run(&a, "monitor").assert_rc(0, "monitor");
    stop_removes(&r, &a, VIP6);
}

#[test]
fn nic_is_detected_from_the_subnet() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    // IPv4: prefix from the own address 10.201.0.1/24.
    let r = fast(&[("ip", VIP4)]);
    r.run(&a, "validate-all").assert_rc(0, "validate-all");
    r.run(&a, "start").assert_rc(0, "start");
    assert!(addr_line(&a, "eth0", "10.201.0.50/24").is_some());
    r.run(&a, "monitor")
        .assert_rc(0, "monitor finds it anywhere");
    stop_removes(&r, &a, VIP4);
    // IPv6 (link-local own addresses do not count).
    let r = fast(&[("ip", VIP6)]);
    r.run(&a, "start").assert_rc(0, "start v6");
    assert!(addr_line(&a, "eth0", "fd00:201::50/64").is_some());
    r.run(&a, "stop").assert_rc(0, "stop v6");
    // nic given, cidr_netmask not: prefix from that nic's own address.
    let r = fast(&[("ip", VIP4), ("nic", "eth0")]);
    r.run(&a, "start").assert_rc(0, "start with nic only");
    assert!(addr_line(&a, "eth0", "10.201.0.50/24").is_some());
    r.run(&a, "stop").assert_rc(0, "stop");
}

#[test]
fn no_candidate_nic_is_5_naming_none() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let r = fast(&[("ip", "10.202.0.50")]);
    r.run(&a, "start")
        .assert_rc(5, "start")
        .assert_reason("no interface on this node has an address in the subnet of 10.202.0.50");
    r.run(&a, "validate-all").assert_rc(5, "validate-all");
    // Syntax-only validation (OCF_CHECK_LEVEL 0) does not look at this node.
    r.run_env(&a, "validate-all", &[("OCF_CHECK_LEVEL", "0")])
        .assert_rc(0, "validate-all level 0");
    r.probe(&a).assert_rc(7, "probe");
    r.run(&a, "monitor").assert_rc(7, "monitor");
    stop_removes(&r, &a, "10.202.0.50");
    // nic given, but no own address in a subnet containing the VIP and no cidr_netmask.
    let r = fast(&[("ip", "10.202.0.50"), ("nic", "eth0")]);
    r.run(&a, "start")
        .assert_rc(5, "start")
        .assert_reason("set cidr_netmask");
}

#[test]
fn two_candidate_nics_are_5_naming_both() {
    let Some(mut lab) = Lab::new() else { return };
    let a = lab.netns("a");
    let b = lab.netns("b");
    lab.veth(&a, "eth0", &b, "eth0");
    lab.veth(&a, "eth1", &b, "eth1");
    add_addr(&a, "eth0", "10.201.0.1/24");
    add_addr(&a, "eth1", "10.201.0.2/24");
    let r = fast(&[("ip", VIP4)]);
    let run = r.run(&a, "start");
    run.assert_rc(5, "start")
        .assert_reason("eth0 (10.201.0.1/24)")
        .assert_reason("eth1 (10.201.0.2/24)")
        .assert_reason("set nic");
    assert!(!has_ip_anywhere(&a, VIP4), "nothing added on a guess");
    r.run(&a, "validate-all").assert_rc(5, "validate-all");
    // Naming the nic resolves it.
    let r = r.with("nic", "eth1");
    r.run(&a, "start").assert_rc(0, "start with nic");
    assert!(addr_line(&a, "eth1", "10.201.0.50/24").is_some());
    r.run(&a, "stop").assert_rc(0, "stop");
}

#[test]
fn bad_parameters_are_6_with_a_reason() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "required parameter 'ip'"),
        (&[("ip", "10.201.0.500")], "IPv4 or IPv6 address"),
        (&[("ip", "10.201.0.50/24")], "cidr_netmask"),
        (&[("ip", VIP4), ("cidr_netmask", "33")], "out of range"),
        (&[("ip", VIP6), ("cidr_netmask", "129")], "out of range"),
        (&[("ip", VIP6), ("cidr_netmask", "255.255.255.0")], "IPv6"),
        (
            &[("ip", VIP6), ("broadcast", "10.201.0.255")],
            "IPv4 addresses only",
        ),
        (&[("ip", VIP6), ("iflabel", "x")], "IPv4 addresses only"),
        (
            &[("ip", VIP4), ("preferred_lft", "60")],
            "IPv6 addresses only",
        ),
        (
            &[("ip", VIP4), ("nic", "eth0"), ("iflabel", "labeltoolong")],
            "the kernel allows 15",
        ),
        (&[("ip", VIP4), ("arp_count", "-1")], "'arp_count'"),
        (&[("ip", VIP4), ("probe_duplicate", "perhaps")], "boolean"),
        (&[("ip", "fe80::50")], "needs nic"),
    ];
    for (params, needle) in cases {
        assert_misconfigured(&Res::new(params), &a, &format!("{params:?}"), needle);
    }
    assert!(!has_ip_anywhere(&a, VIP4) && !has_ip_anywhere(&a, VIP6));
}

/// A VIP equal to its subnet's network or broadcast address is a configuration error, also when
/// the prefix is the one detected on the node.
#[test]
fn network_and_broadcast_addresses_are_6() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    for (params, needle) in [
        (
            &[
                ("ip", "10.201.0.255"),
                ("cidr_netmask", "24"),
                ("nic", "eth0"),
            ][..],
            "10.201.0.255 is the broadcast address of its subnet /24",
        ),
        (
            &[("ip", "10.201.0.0"), ("cidr_netmask", "24")][..],
            "10.201.0.0 is the network address of its subnet /24",
        ),
        (
            &[("ip", "fd00:201::"), ("cidr_netmask", "64")][..],
            "network address",
        ),
        // The prefix detected from eth0's own 10.201.0.1/24.
        (
            &[("ip", "10.201.0.255")][..],
            "broadcast address of its subnet /24",
        ),
        (
            &[("ip", "10.201.0.255"), ("nic", "eth0")][..],
            "broadcast address",
        ),
    ] {
        assert_misconfigured(&fast(params), &a, &format!("{params:?}"), needle);
    }
    assert!(!has_ip_anywhere(&a, "10.201.0.255") && !has_ip_anywhere(&a, "10.201.0.0"));
    assert!(!has_ip_anywhere(&a, "fd00:201::"));
    // Syntax only, without cidr_netmask: the prefix is not known.
    fast(&[("ip", "10.201.0.255")])
        .run_env(&a, "validate-all", &[("OCF_CHECK_LEVEL", "0")])
        .assert_rc(0, "level 0");
    // A VIP that an earlier version added is still removed by stop.
    add_addr(&a, "eth0", "10.201.0.255/24");
    fast(&[("ip", "10.201.0.255"), ("cidr_netmask", "24")])
        .run(&a, "stop")
        .assert_rc(0, "stop");
    assert!(!has_ip_anywhere(&a, "10.201.0.255"));
}

#[test]
fn a_node_without_the_nic() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let r = fast_on(VIP4, "24", "bond7");
    r.probe(&a)
        .assert_rc(7, "probe")
        .assert_reason("nic bond7 does not exist");
    r.run(&a, "monitor")
        .assert_rc(7, "recurring monitor: never 6 (#334)")
        .assert_reason("bond7");
    r.run(&a, "start")
        .assert_rc(5, "start")
        .assert_reason("interface 'bond7' does not exist on this node");
    r.run(&a, "validate-all").assert_rc(5, "validate-all");
    r.run(&a, "stop").assert_rc(0, "stop");

    // The nic vanishing under a running VIP: monitor says 7, stop says 0.
    let r = fast_on(VIP4, "24", "eth1");
    let c = lab.netns("c");
    lab.veth(&a, "eth1", &c, "eth1");
    r.run(&a, "start").assert_rc(0, "start on eth1");
    sh(&["ip", "-n", &a, "link", "del", "eth1"]);
    r.run(&a, "monitor")
        .assert_rc(7, "monitor after the nic vanished");
    r.run(&a, "stop")
        .assert_rc(0, "stop after the nic vanished");
}

/// The address on another interface than nic (moved by hand, or left by something else): the
/// node holds the VIP, so no probe may say "not running" (Pacemaker would start it elsewhere
/// too: a duplicate address), start adds no second copy, and stop removes it where it is.
#[test]
fn the_address_on_another_interface_is_found_and_stop_removes_it() {
    for (vip, prefix) in [(VIP4, "24"), (VIP6, "64")] {
        let Some(mut lab) = Lab::new() else { return };
        let (a, _b) = lab.pair();
        let c = lab.netns("c");
        lab.veth(&a, "eth1", &c, "eth1");
        let cidr = format!("{vip}/{prefix}");
        add_addr(&a, "eth1", &cidr);
        let r = fast_on(vip, prefix, "eth0");
        let on_eth1 = format!("{vip} is on eth1, not on its nic eth0");
        assert_elsewhere(&r, &a, "eth1", &on_eth1);
        assert!(addr_line(&a, "eth0", &cidr).is_none(), "no second copy");
        // Not allowed to remove it: stop fails loudly instead of claiming success.
        r.run_unprivileged(&a, "stop")
            .assert_rc(4, "stop as nobody")
            .assert_reason("permission denied");
        assert!(addr_line(&a, "eth1", &cidr).is_some());
        stop_removes(&r, &a, vip);
        r.run(&a, "stop").assert_rc(0, "second stop");
        r.probe(&a).assert_rc(7, "probe after stop");
        // On its nic and, stray, on another one too: running; stop removes both.
        r.run(&a, "start").assert_rc(0, "start");
        add_addr(&a, "eth1", &cidr);
        r.run(&a, "monitor")
            .assert_rc(0, "monitor with a stray copy");
        stop_removes(&r, &a, vip);
    }
}

/// The configured nic renamed under a running VIP (the address moves with the link).
#[test]
fn a_renamed_nic_keeps_the_vip_found() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let c = lab.netns("c");
    lab.veth(&a, "eth1", &c, "eth1");
    let r = fast_on(VIP4, "24", "eth1");
    r.run(&a, "start").assert_rc(0, "start on eth1");
    link(&a, "eth1", "down");
    sh(&["ip", "-n", &a, "link", "set", "eth1", "name", "eth9"]);
    link(&a, "eth9", "up");
    assert!(addr_line(&a, "eth9", "10.201.0.50/24").is_some());
    let on_eth9 = "10.201.0.50 is on eth9; nic eth1 does not exist on this node";
    assert_elsewhere(&r, &a, "eth9", on_eth9);
    stop_removes(&r, &a, VIP4);
    r.run(&a, "stop").assert_rc(0, "second stop");
    r.probe(&a)
        .assert_rc(7, "probe after stop")
        .assert_reason("nic eth1 does not exist");
    // An altname keeps the old name valid: nothing is elsewhere then.
    sh(&[
        "ip", "-n", &a, "link", "property", "add", "dev", "eth9", "altname", "eth1",
    ]);
    r.run(&a, "start").assert_rc(0, "start through the altname");
    assert!(addr_line(&a, "eth9", "10.201.0.50/24").is_some());
    r.run(&a, "monitor")
        .assert_rc(0, "monitor through the altname");
    stop_removes(&r, &a, VIP4);
}

/// reload-agent (OCF 1.1): the reloadable parameters are read only by a later start, so it
/// validates the new configuration and leaves the running address alone.
#[test]
fn reload_agent_validates_and_keeps_the_address() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let r = fast_on(VIP4, "24", "eth0");
    let before = start_added(&r, &a, "start", "eth0", "10.201.0.50/24");
    let changed = r
        .with("arp_count", "1")
        .with("arp_interval", "500")
        .with("probe_duplicate", "false")
        .with("probe_wait", "50");
    changed.run(&a, "reload-agent").assert_rc(0, "reload-agent");
    assert_eq!(
        addr_line(&a, "eth0", "10.201.0.50/24").as_deref(),
        Some(before.as_str()),
        "the address is left as it was"
    );
    changed
        .run(&a, "monitor")
        .assert_rc(0, "monitor after the reload");
    r.with("arp_count", "many")
        .run(&a, "reload-agent")
        .assert_rc(6, "reload-agent with a bad arp_count")
        .assert_reason("'arp_count'");
    assert!(addr_line(&a, "eth0", "10.201.0.50/24").is_some());
    r.run(&a, "stop").assert_rc(0, "stop");
}

#[test]
fn link_down_is_7_with_a_reason() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, b) = lab.pair();
    let r = fast_on(VIP4, "24", "eth0");
    r.run(&a, "start").assert_rc(0, "start");

    link(&a, "eth0", "down");
    r.run(&a, "monitor")
        .assert_rc(7, "monitor, admin down")
        .assert_reason("administratively down");
    r.probe(&a).assert_rc(7, "probe, admin down");
    r.run(&a, "start")
        .assert_rc(1, "start while down")
        .assert_reason("administratively down");
    link(&a, "eth0", "up");
    r.run(&a, "monitor").assert_rc(0, "monitor, up again");

    // No carrier: the peer's end is down.
    link(&b, "eth0", "down");
    r.run(&a, "monitor")
        .assert_rc(7, "monitor, no carrier")
        .assert_reason("down");
    link(&b, "eth0", "up");
    assert!(
        eventually(Duration::from_secs(5), || r.run(&a, "monitor").rc == 0),
        "monitor recovers with the carrier"
    );
    r.run(&a, "stop").assert_rc(0, "stop");

    // start on a down link adds nothing.
    link(&a, "eth0", "down");
    r.run(&a, "start").assert_rc(1, "start on a down link");
    assert!(!has_ip_anywhere(&a, VIP4));
    r.run(&a, "stop").assert_rc(0, "stop on a down link");
}

/// IPv4 takeover on one L2 segment: h2 learns the VIP at h1's MAC, then h1 stops and h3
/// starts; h2's neighbour entry must move to h3's MAC because of h3's gratuitous ARP.
#[test]
fn ipv4_takeover_is_announced() {
    takeover(VIP4);
}

/// The same with IPv6 and unsolicited neighbour advertisements.
#[test]
fn ipv6_takeover_is_announced() {
    takeover(VIP6);
}

fn takeover(vip: &str) {
    let Some(mut lab) = Lab::new() else { return };
    let h = lab.switch(3);
    let (h1, h2, h3) = (&h[0], &h[1], &h[2]);
    let prefix = if vip.contains(':') { "64" } else { "24" };
    let r = fast_on(vip, prefix, "eth0");
    let (mac1, mac3) = (mac(h1, "eth0"), mac(h3, "eth0"));

    r.run(h1, "start").assert_rc(0, "start on h1");
    assert!(ping(h2, vip), "h2 reaches the VIP on h1");
    assert_eq!(
        neigh_mac(h2, vip).as_deref(),
        Some(mac1.as_str()),
        "h2 learned h1"
    );

    r.run(h1, "stop").assert_rc(0, "stop on h1");
    // Control: without announcements h2 keeps the old MAC (the kernel announces nothing by
    // itself, so what follows is our doing).
    let silent = r.with("arp_count", "0");
    silent.run(h3, "start").assert_rc(0, "silent start on h3");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        neigh_mac(h2, vip).as_deref(),
        Some(mac1.as_str()),
        "no announcement, no change"
    );
    silent.run(h3, "stop").assert_rc(0, "stop on h3");

    r.run(h3, "start").assert_rc(0, "start on h3");
    assert!(
        eventually(Duration::from_secs(2), || neigh_mac(h2, vip).as_deref()
            == Some(mac3.as_str())),
        "h2's neighbour entry for {vip} should be h3's MAC {mac3}, is {:?}",
        neigh_mac(h2, vip)
    );
    assert!(ping(h2, vip), "h2 reaches the VIP on h3");
    r.run(h3, "stop").assert_rc(0, "stop on h3");
}

#[test]
fn ipv4_duplicate_is_refused() {
    duplicate(VIP4, "24");
}

#[test]
fn ipv6_duplicate_is_refused() {
    duplicate(VIP6, "64");
}

fn duplicate(vip: &str, prefix: &str) {
    let Some(mut lab) = Lab::new() else { return };
    let (a, b) = lab.pair();
    let cidr = format!("{vip}/{prefix}");
    add_addr(&b, "eth0", &cidr); // another host already holds it
    let holder = mac(&b, "eth0");
    let r = fast_on(vip, prefix, "eth0");

    let run = r.run(&a, "start");
    run.assert_rc(1, "start")
        .assert_reason("already used by MAC")
        .assert_reason(&holder)
        .assert_reason("not added");
    assert!(addr_line(&a, "eth0", &cidr).is_none(), "address not added");
    r.run(&a, "monitor").assert_rc(7, "monitor");

    let unchecked = r.with("probe_duplicate", "false");
    if vip.contains(':') {
        // IPv6 without our probe: the kernel's DAD finds the duplicate; nothing stays behind.
        unchecked
            .run(&a, "start")
            .assert_rc(1, "start without probe")
            .assert_reason("dadfailed");
        assert!(addr_line(&a, "eth0", &cidr).is_none(), "removed again");
    } else {
        unchecked
            .run(&a, "start")
            .assert_rc(0, "start without probe");
        assert!(addr_line(&a, "eth0", &cidr).is_some(), "added as told");
        unchecked.run(&a, "stop").assert_rc(0, "stop");
    }
}

#[test]
fn without_privileges_start_is_4() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    let r = fast_on(VIP4, "24", "eth0");
    r.run_unprivileged(&a, "start")
        .assert_rc(4, "start as nobody")
        .assert_reason("CAP_NET_ADMIN");
    assert!(!has_ip_anywhere(&a, VIP4));
    // Reading needs no privilege: probe and stop of an absent VIP work for anyone.
    r.run_unprivileged(&a, "monitor")
        .assert_rc(7, "probe as nobody");
    r.run_unprivileged(&a, "stop")
        .assert_rc(0, "stop as nobody, absent");
    r.run_unprivileged(&a, "meta-data")
        .assert_rc(0, "meta-data as nobody");
    r.run(&a, "start").assert_rc(0, "start as root");
    r.run_unprivileged(&a, "monitor")
        .assert_rc(0, "probe as nobody");
    r.run_unprivileged(&a, "stop")
        .assert_rc(4, "stop as nobody, present")
        .assert_reason("permission denied");
    assert!(has_ip_anywhere(&a, VIP4));
    r.run(&a, "stop").assert_rc(0, "stop as root");
}

#[test]
fn announcements_never_outlive_the_timeout() {
    let Some(mut lab) = Lab::new() else { return };
    let (a, _b) = lab.pair();
    // 1000 announcements 100 ms apart would take 100 s; the op timeout is 2 s.
    let r = Res::new(&[
        ("ip", VIP4),
        ("cidr_netmask", "24"),
        ("nic", "eth0"),
        ("arp_count", "1000"),
        ("arp_interval", "100"),
    ]);
    let run = r.run_env(
        &a,
        "start",
        &[
            ("OCF_RESKEY_CRM_meta_timeout", "2000"),
            ("OCF_RESKEY_CRM_meta_interval", "0"),
        ],
    );
    run.assert_rc(0, "start");
    assert!(
        run.elapsed < Duration::from_millis(2000),
        "{:?}",
        run.elapsed
    );
    assert!(run.stderr.contains("sent only"), "{}", run.stderr);
    r.run(&a, "monitor").assert_rc(0, "monitor");
    r.run(&a, "stop").assert_rc(0, "stop");
}

#[test]
fn no_child_processes() {
    let Some(mut lab) = Lab::new() else { return };
    // tests/setup/install-deps.sh installs strace: without it this test fails, never skips.
    assert!(
        try_sh(&["strace", "-V"]),
        "strace is not installed (apt-get install strace)"
    );
    let (a, _b) = lab.pair();
    let dir = tempfile::tempdir().expect("temp dir");
    for (v, p) in [(VIP4, "24"), (VIP6, "64")] {
        let r = fast_on(v, p, "eth0");
        for action in ["start", "monitor", "stop", "validate-all"] {
            let trace = dir.path().join(format!("{action}.trace"));
            let trace = trace.to_str().unwrap_or_default();
            r.run_traced(&a, action, trace).assert_rc(0, action);
            let text = std::fs::read_to_string(trace).expect("trace written");
            let execs: Vec<&str> = text.lines().filter(|l| l.contains("execve(")).collect();
            assert_eq!(execs.len(), 1, "{action}: only the agent itself:\n{text}");
            assert!(execs[0].contains(BIN), "{text}");
            for l in text.lines() {
                let spawn = l.contains("fork(") || l.contains("clone(") || l.contains("clone3(");
                assert!(
                    !spawn || l.contains("CLONE_THREAD"),
                    "{action}: a child process was created:\n{l}"
                );
            }
        }
    }
}
