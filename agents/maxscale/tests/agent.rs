//! The agent binary against the MaxScale simulator (or a real MaxScale with MAXSCALE_BIN):
//! every action and mode, and the faults of issue 3 §4.
//!
//! Run as root: `cargo test -p maxscale --test agent` (the tests build the simulator themselves,
//! see common/mod.rs); `MAXSCALE_SIM_PROFILE=6.4` plays that MaxScale version instead of 24.02.

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const PROMOTABLE: (&str, &str) = ("OCF_RESKEY_CRM_meta_promotable", "true");
const RECURRING: (&str, &str) = ("OCF_RESKEY_CRM_meta_interval", "10000");

/// What a primitive's monitor says at depth 20 (a real MaxScale without backends: unhealthy).
fn depth_20_healthy(m: &Install) -> bool {
    if simulated() {
        return true;
    }
    m.run_env("monitor", &[("OCF_CHECK_LEVEL", "20")]).rc == 0
}

fn sig(pid: i32, s: Signal) {
    kill(Pid::from_raw(pid), s).expect("kill");
}

/// SIGSTOP, then wait until /proc shows the process stopped: the group stop of a threaded
/// process takes effect asynchronously, and a monitor run at once may still see it running.
fn freeze(pid: i32) {
    sig(pid, Signal::SIGSTOP);
    let t = Instant::now();
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(')')
            .map(|(_, r)| r.trim_start().chars().next());
        if state == Some(Some('T')) {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{pid} not stopped: {stat}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn primitive_lifecycle() {
    let m = Install::new();
    m.expect("monitor", 7);
    m.expect("validate-all", 0);
    m.expect("stop", 0);
    m.expect("start", 0);
    let pid = m.pid().expect("pid file");
    for level in ["0", "10"] {
        m.expect_env("monitor", &[("OCF_CHECK_LEVEL", level)], 0);
    }
    if simulated() {
        // A real MaxScale without backends has no Running server.
        m.expect_env("monitor", &[("OCF_CHECK_LEVEL", "20")], 0);
    }
    m.expect("monitor", 0);
    m.expect("start", 0);
    assert_eq!(
        m.pid(),
        Some(pid),
        "a second start keeps the running MaxScale"
    );
    m.expect("notify", 0);
    // Pacemaker never promotes a primitive, but it demotes the orphaned instances of a deleted
    // promotable clone without the clone's meta-attributes: promote/demote work anyway.
    m.expect("promote", 0);
    assert_eq!(m.passive(), Some(false));
    m.expect("demote", 0);
    assert_eq!(m.passive(), Some(true));
    m.expect("stop", 0);
    assert!(is_gone(pid));
    assert!(!m.pid_file().exists());
    m.expect("monitor", 7);
    m.expect("stop", 0);
    assert!(
        m.crm_log().is_empty(),
        "a primitive never sets a promotion score"
    );
}

#[test]
fn start_creates_piddir_and_detaches_the_daemon() {
    let m = Install::new();
    m.expect("start", 0);
    let meta = std::fs::metadata(m.piddir()).unwrap();
    let user = nix::unistd::User::from_name(MAXSCALE_USER)
        .unwrap()
        .unwrap();
    assert_eq!(
        meta.uid(),
        user.uid.as_raw(),
        "piddir belongs to the maxscale user"
    );
    let pid = m.pid().unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let (pgrp, session): (i32, i32) = (fields[2].parse().unwrap(), fields[3].parse().unwrap());
    let me = nix::unistd::getsid(None).unwrap().as_raw();
    assert_ne!(session, me, "MaxScale left the agent's session");
    assert_ne!(
        pgrp,
        nix::unistd::getpgrp().as_raw(),
        "and its process group"
    );
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(
        uid_line.contains(&user.uid.as_raw().to_string()),
        "runs as maxscale: {uid_line}"
    );
    // No password in MaxScale's argv (the agent has none to give).
    let args = m.argv();
    assert!(
        args.iter()
            .skip(1)
            .all(|a| !a.contains("mariadb") && !a.contains("password")),
        "{args:?}"
    );
}

#[test]
fn sigstop_makes_monitor_fail_within_its_timeout() {
    let m = Install::new();
    m.expect("start", 0);
    let pid = m.pid().unwrap();
    freeze(pid);
    let timeout = [("OCF_RESKEY_CRM_meta_timeout", "5000")];
    for level in ["0", "10", "20"] {
        let r = m.run_env(
            "monitor",
            &[timeout[0], RECURRING, ("OCF_CHECK_LEVEL", level)],
        );
        assert_eq!(r.rc, 1, "depth {level}: {}", r.stderr);
        assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);
        assert!(r.reason().contains("stopped"), "{}", r.reason());
    }
    // stop copes with a stopped MaxScale (SIGCONT follows SIGTERM).
    m.expect("stop", 0);
    assert!(wait_gone(pid, Duration::from_secs(2)));
    m.expect("monitor", 7);
}

#[test]
fn kill_9_is_not_running_and_the_stale_pid_file_does_not_block_start() {
    let m = Install::new();
    m.expect("start", 0);
    let old = m.pid().unwrap();
    m.kill9();
    assert!(m.pid_file().exists(), "SIGKILL leaves the pid file");
    m.expect_env("monitor", &[RECURRING], 7);
    m.expect("start", 0);
    let new = m.pid().unwrap();
    assert_ne!(new, old);
    m.expect("monitor", 0);
}

#[test]
fn a_zombie_in_the_pid_file_is_not_running() {
    let m = Install::new();
    // A child of this test that exits and is not reaped yet: a zombie whose comm is MaxScale's.
    let mut child = Command::new(&m.binary).arg("--version").spawn().unwrap();
    let zpid = i32::try_from(child.id()).unwrap();
    let t = Instant::now();
    while !std::fs::read_to_string(format!("/proc/{zpid}/stat"))
        .unwrap()
        .rsplit_once(')')
        .unwrap()
        .1
        .trim_start()
        .starts_with('Z')
    {
        assert!(t.elapsed() < Duration::from_secs(5), "no zombie");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::create_dir_all(m.piddir()).unwrap();
    std::fs::write(m.pid_file(), zpid.to_string()).unwrap();
    m.expect("monitor", 7);
    m.expect("stop", 0);
    std::fs::write(m.pid_file(), zpid.to_string()).unwrap();
    m.expect("start", 0);
    assert_ne!(m.pid(), Some(zpid));
    m.expect("monitor", 0);
    child.wait().unwrap();
}

#[test]
fn garbage_and_foreign_pid_files() {
    let m = Install::new();
    std::fs::create_dir_all(m.piddir()).unwrap();
    std::fs::write(m.pid_file(), "").unwrap();
    m.expect("monitor", 7);
    // A live process that is not MaxScale (pid reused by another program).
    let mut other = Command::new("sleep").arg("30").spawn().unwrap();
    std::fs::write(m.pid_file(), other.id().to_string()).unwrap();
    m.expect("monitor", 7);
    m.expect("start", 0);
    m.expect("monitor", 0);
    other.kill().unwrap();
    other.wait().unwrap();
}

#[test]
fn wrong_or_unreadable_password() {
    let mut m = Install::new();
    m.expect("start", 0);
    let pw = m.path("password");
    std::fs::write(&pw, "n0t-the-password\n").unwrap();
    m.set_param("admin_password_file", pw.to_str().unwrap());
    for env in [&[][..], &[RECURRING][..], &[PROMOTABLE][..]] {
        let r = m.run_env("monitor", env);
        assert_eq!(r.rc, 2, "{env:?}: {}", r.stderr);
        assert!(r.reason().contains("401"), "{}", r.reason());
        assert!(!r.stderr.contains("n0t-the-password"));
    }
    // Depth 0 needs no API.
    m.expect_env("monitor", &[("OCF_CHECK_LEVEL", "0")], 0);
    m.set_param("admin_password_file", "/nonexistent/password");
    let r = m.expect("monitor", 2);
    assert!(
        r.reason().contains("/nonexistent/password"),
        "{}",
        r.reason()
    );
    m.expect("validate-all", 2);
    // stop never needs the API.
    m.expect("stop", 0);
    m.expect("monitor", 7);
}

#[test]
fn the_right_password_from_a_file() {
    if !simulated() {
        return; // needs an admin account the test defines
    }
    let mut m = Install::with(|m| {
        m.global_extra = "sim_admin_user=ha\nsim_admin_password=Pa ss:w0rd\n".into();
    });
    let pw = m.path("password");
    std::fs::write(&pw, "Pa ss:w0rd\n").unwrap();
    m.set_param("admin_user", "ha");
    m.set_param("admin_password_file", pw.to_str().unwrap());
    m.expect("start", 0);
    m.expect_env("monitor", &[("OCF_CHECK_LEVEL", "20")], 0);
}

#[test]
fn rest_api_faults() {
    if !simulated() {
        return;
    }
    let m = Install::new();
    m.expect("start", 0);
    let timeout = ("OCF_RESKEY_CRM_meta_timeout", "6000");
    for (fault, rc, words) in [
        ("hang", 1, "no answer"),
        ("status:503", 1, "503"),
        ("status:500", 1, "HTTP 500"),
        ("garbage", 1, "not JSON"),
        ("badjson", 1, "unexpected JSON"),
        ("refuse-auth", 2, "401"),
        ("slow:300", 0, ""),
        ("none", 0, ""),
    ] {
        m.fault(fault);
        let r = m.run_env("monitor", &[timeout, RECURRING]);
        assert_eq!(r.rc, rc, "{fault}: {}", r.stderr);
        assert!(r.reason().contains(words), "{fault}: {}", r.reason());
        r.assert_within(Duration::from_secs(6), fault);
    }
}

#[test]
fn depth_20_checks_servers_master_and_monitors() {
    if !simulated() {
        return;
    }
    let mut m = Install::new();
    m.expect("start", 0);
    let d20 = [("OCF_CHECK_LEVEL", "20")];
    m.expect_env("monitor", &d20, 0);
    m.server_state("server2", "Down");
    m.expect_env("monitor", &d20, 0); // one server Running is enough when none is named
    m.set_param("servers", "server1 server2");
    m.expect_env("monitor", &d20, 1)
        .assert_reason("server server2 is 'Down'");
    m.expect("monitor", 0); // depth 10 does not look at servers
    m.set_param("servers", "server1,nosuch");
    m.expect_env("monitor", &d20, 1).assert_reason("nosuch");
    m.set_param("servers", "server1");
    m.set_param("require_master", "true");
    m.expect_env("monitor", &d20, 0);
    m.server_state("server1", "Slave, Running");
    m.expect_env("monitor", &d20, 1)
        .assert_reason("no server is Master");
    m.server_state("server1", "Master, Running");
    m.steer("/sim/monitors/Monitor/state", "Stopped");
    m.expect_env("monitor", &d20, 1)
        .assert_reason("monitor Monitor is Stopped");
}

#[test]
fn a_configuration_maxscale_rejects() {
    let m = Install::with(|m| m.global_extra = "no_such_parameter=1\n".into());
    let r = m.expect("start", 2);
    assert!(r.reason().contains("exit 1"), "{}", r.reason());
    assert!(r.reason().contains("no_such_parameter"), "{}", r.reason());
    m.expect("monitor", 7);
}

#[test]
fn the_admin_port_in_use() {
    let m = Install::new();
    let blocker = std::net::TcpListener::bind(("127.0.0.1", m.admin_port)).unwrap();
    // Something listens on the admin port, but no MaxScale runs through our pid file.
    let r = m.expect("monitor", 1);
    assert!(r.reason().contains("accepts connections"), "{}", r.reason());
    let r = m.expect("start", 1);
    assert!(r.reason().contains("exit 6"), "{}", r.reason());
    drop(blocker);
    m.expect("monitor", 7);
    m.expect("start", 0);
}

#[test]
fn missing_local_pieces() {
    let mut m = Install::new();
    m.set_param("binary", "/nonexistent/maxscale");
    m.expect("validate-all", 5);
    m.expect("start", 5);
    // Probes and stop never need the binary.
    m.expect_env("monitor", &[("OCF_RESKEY_CRM_meta_interval", "0")], 7);
    m.expect("stop", 0);
    m.set_param("binary", m.binary.clone().to_str().unwrap());
    m.set_param("user", "no-such-user-here");
    m.expect("start", 5);
    m.set_param("user", MAXSCALE_USER);
    m.set_param("admin_port", "http");
    m.expect("validate-all", 6);
    m.expect_env("monitor", &[("OCF_RESKEY_CRM_meta_interval", "0")], 7);
    m.expect("stop", 0);
    m.set_param("admin_port", &m.admin_port.to_string());
    m.set_param("extra_options", "--nodaemon");
    m.expect("validate-all", 6);
}

#[test]
fn a_slow_shutdown_gets_a_second_sigterm() {
    if !simulated() {
        return;
    }
    let m = Install::with(|m| m.global_extra = "sim_shutdown_delay_ms=60000\n".into());
    m.expect("start", 0);
    let pid = m.pid().unwrap();
    let r = m.expect_env("stop", &[("OCF_RESKEY_CRM_meta_timeout", "6000")], 0);
    assert!(r.elapsed < Duration::from_secs(6), "{:?}", r.elapsed);
    assert!(is_gone(pid));
    m.expect("monitor", 7);
}

#[test]
fn promotable_clone() {
    let m = Install::new();
    let p = [PROMOTABLE];
    m.expect_env("monitor", &p, 7);
    m.expect_env("start", &p, 0);
    assert_eq!(m.passive(), Some(true), "a started instance is passive");
    m.expect_env("monitor", &p, 0);
    m.expect_env("demote", &p, 0);
    m.expect_env("promote", &p, 0);
    assert_eq!(m.passive(), Some(false));
    m.expect_env("monitor", &p, 8);
    m.expect_env("promote", &p, 0);
    m.expect_env("monitor", &[PROMOTABLE, RECURRING], 8);
    m.expect_env("demote", &p, 0);
    assert_eq!(m.passive(), Some(true));
    m.expect_env("monitor", &[PROMOTABLE, RECURRING], 0);
    let log = m.crm_log();
    // 100 healthy; a real MaxScale without backends is degraded (10).
    let score = if depth_20_healthy(&m) { "100" } else { "10" };
    assert!(
        log.contains(&format!(
            "--promotion ms --lifetime reboot --update {score}\n"
        )),
        "{log}"
    );
    m.expect_env("stop", &p, 0);
    assert!(
        m.crm_log()
            .ends_with("--promotion ms --lifetime reboot --delete\n"),
        "{}",
        m.crm_log()
    );
    m.expect_env("monitor", &p, 7);
    // passive is persisted: a new start comes back passive (and start keeps it so).
    m.expect_env("start", &p, 0);
    assert_eq!(m.passive(), Some(true));
}

#[test]
fn promotion_scores_follow_health_and_change_only_when_needed() {
    if !simulated() {
        return;
    }
    let m = Install::new();
    let rec = [PROMOTABLE, RECURRING];
    m.expect_env("start", &[PROMOTABLE], 0);
    let calls = |m: &Install| m.crm_log().lines().count();
    let after_start = calls(&m);
    m.expect_env("monitor", &rec, 0);
    m.expect_env("monitor", &rec, 0);
    assert_eq!(
        calls(&m),
        after_start,
        "an unchanged score is not written again"
    );
    m.server_state("server1", "Down");
    m.server_state("server2", "Down");
    m.expect_env("monitor", &rec, 0);
    assert!(m.crm_log().ends_with("--update 10\n"), "{}", m.crm_log());
    m.server_state("server1", "Master, Running");
    m.expect_env("monitor", &rec, 0);
    assert!(m.crm_log().ends_with("--update 100\n"), "{}", m.crm_log());
    m.fault("status:503");
    m.expect_env("monitor", &rec, 1);
    assert!(m.crm_log().ends_with("--delete\n"), "{}", m.crm_log());
    m.fault("none");
    // A probe always writes the score (it follows a cluster restart or a cleanup).
    let before = calls(&m);
    m.expect_env(
        "monitor",
        &[PROMOTABLE, ("OCF_RESKEY_CRM_meta_interval", "0")],
        0,
    );
    m.expect_env(
        "monitor",
        &[PROMOTABLE, ("OCF_RESKEY_CRM_meta_interval", "0")],
        0,
    );
    assert_eq!(calls(&m), before + 2);
}

#[test]
fn cooperative_locks_leave_passive_alone() {
    if !simulated() {
        return;
    }
    let m = Install::with(|m| {
        m.monitor_extra = "cooperative_monitoring_locks=majority_of_all\n".into();
    });
    let p = [PROMOTABLE];
    let r0 = m.expect_env("start", &p, 0);
    // start passed --passive before it could know of the locks, and lifted it when it saw
    // them: with the locks, every MaxScale is meant to be passive=false.
    let before = m.passive();
    assert_eq!(before, Some(false), "{}", r0.stderr);
    assert!(r0.stderr.contains("passive=false again"), "{}", r0.stderr);
    let r1 = m.expect_env("monitor", &p, 0);
    let r2 = m.expect_env("promote", &p, 0);
    let both = format!("{}{}{}", r0.stderr, r1.stderr, r2.stderr);
    assert_eq!(
        both.matches("cooperative monitoring locks are on").count(),
        1,
        "warned once: {both}"
    );
    assert_eq!(m.passive(), before, "passive untouched");
    m.expect_env("monitor", &p, 8);
    m.expect_env("demote", &p, 0);
    assert_eq!(m.passive(), before);
    m.expect_env("monitor", &p, 0);
}

#[test]
fn config_sync_is_detected() {
    // Only a real MaxScale 6+ with a configured cluster would do config sync; the simulator
    // reports config_sync null. The agent's handling (?sync=false) is covered by the REST
    // client's tests; here only that a normal PATCH works against every version we simulate.
    if !simulated() {
        return;
    }
    for version in ["2.5.29", "6.4.15", "23.08.6"] {
        let m = Install::with(|m| m.global_extra = format!("sim_version={version}\n"));
        m.expect_env("start", &[PROMOTABLE], 0);
        m.expect_env("promote", &[PROMOTABLE], 0);
        assert_eq!(m.passive(), Some(false), "{version}");
        m.expect_env("monitor", &[PROMOTABLE], 8);
    }
}

/// Starts MaxScale the way something else (systemd) would, outside the agent.
fn start_outside(m: &Install) {
    std::fs::create_dir_all(m.piddir()).unwrap();
    let user = nix::unistd::User::from_name(MAXSCALE_USER)
        .unwrap()
        .unwrap();
    nix::unistd::chown(&m.piddir(), Some(user.uid), Some(user.gid)).unwrap();
    let st = Command::new(&m.binary)
        .arg(format!("--config={}", m.config_path().display()))
        .arg(format!("--user={MAXSCALE_USER}"))
        .arg(format!("--piddir={}", m.piddir().display()))
        .arg(format!("--logdir={}", m.path("log").display()))
        .arg(format!("--datadir={}", m.path("data").display()))
        .arg(format!("--cachedir={}", m.path("cache").display()))
        .arg(format!("--persistdir={}", m.path("persist").display()))
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn manage_process_false() {
    let mut m = Install::new();
    m.set_param("manage_process", "false");
    let short = ("OCF_RESKEY_CRM_meta_timeout", "2000");
    m.expect("monitor", 7);
    let r = m.expect_env("start", &[short], 1);
    assert!(r.reason().contains("did not answer"), "{}", r.reason());
    assert!(m.pid().is_none(), "the agent started nothing");
    start_outside(&m);
    let pid = m.pid().unwrap();
    m.expect("start", 0);
    m.expect("monitor", 0);
    m.expect_env("monitor", &[("OCF_CHECK_LEVEL", "0")], 0);
    let r = m.expect_env("start", &[PROMOTABLE], 0);
    assert_eq!(m.passive(), Some(true));
    // The agent cannot pass --passive to a MaxScale it does not start: it says so.
    assert!(
        r.stderr.contains("was started without --passive"),
        "{}",
        r.stderr
    );
    m.expect_env("promote", &[PROMOTABLE], 0);
    m.expect_env("monitor", &[PROMOTABLE], 8);
    m.expect_env("stop", &[PROMOTABLE], 0);
    assert!(!is_gone(pid), "stop leaves it running");
    assert_eq!(m.passive(), Some(true), "but passive");
    m.expect("stop", 0);
    assert!(!is_gone(pid));
    m.kill9();
    m.expect("monitor", 7);
}

#[test]
fn keepalived_check() {
    let m = Install::new();
    let params = m.params_file();
    let p = params.to_str().unwrap();
    let r = m.run_args(&["keepalived-check", "--params", p], &[]);
    assert_eq!(r.rc, 1, "not running: {}", r.stderr);
    m.expect("start", 0);
    // Healthy at depth 20 needs a Running server: the simulator has them, a real MaxScale
    // without backends may not; keepalived-check must agree with monitor at depth 20.
    let healthy = if depth_20_healthy(&m) { 0 } else { 1 };
    let r = m.run_args(&["keepalived-check", "--params", p], &[]);
    assert_eq!(r.rc, healthy, "{}", r.stderr);
    // The parameters can come from the environment too.
    let r = m.run_args(&["keepalived-check"], &[]);
    assert_eq!(r.rc, healthy, "{}", r.stderr);
    let r = m.run_args(&["keepalived-check", "--bogus"], &[]);
    assert_eq!(r.rc, 2);
    if simulated() {
        m.server_state("server1", "Down");
        m.server_state("server2", "Down");
        let r = m.run_args(&["keepalived-check", "--params", p], &[]);
        assert_eq!(r.rc, 1);
        assert!(r.stderr.contains("no server is Running"), "{}", r.stderr);
        m.server_state("server1", "Master, Running");
        m.fault("hang");
        let r = m.run_args(&["keepalived-check", "--params", p, "--timeout", "1"], &[]);
        assert_eq!(r.rc, 1);
        assert!(r.elapsed < Duration::from_millis(1500), "{:?}", r.elapsed);
        m.fault("none");
    }
    let pid = m.pid().unwrap();
    freeze(pid);
    let r = m.run_args(&["keepalived-check", "--params", p], &[]);
    assert_eq!(r.rc, 1);
    sig(pid, Signal::SIGCONT);
}

#[test]
fn keepalived_notify() {
    let m = Install::new();
    let params = m.params_file();
    let p = params.to_str().unwrap();
    let notify = |state: &str| {
        m.run_args(
            &[
                "keepalived-notify",
                "--params",
                p,
                "INSTANCE",
                "VI_1",
                state,
                "100",
            ],
            &[("HA_LOGFACILITY", "none")],
        )
    };
    assert_eq!(notify("MASTER").rc, 1, "not running");
    m.expect("start", 0);
    let r = notify("MASTER");
    assert_eq!(r.rc, 0, "{}", r.stderr);
    assert_eq!(m.passive(), Some(false));
    for state in ["BACKUP", "MASTER", "FAULT", "MASTER", "STOP"] {
        let r = notify(state);
        assert_eq!(r.rc, 0, "{state}: {}", r.stderr);
        assert_eq!(m.passive(), Some(state != "MASTER"), "{state}");
    }
    assert_eq!(notify("SOMETHING_ELSE").rc, 0);
    assert_eq!(m.passive(), Some(true));
    // Three arguments (older Keepalived) are enough; fewer is a usage error.
    let r = m.run_args(
        &["keepalived-notify", "--params", p, "GROUP", "G", "MASTER"],
        &[],
    );
    assert_eq!(r.rc, 0, "{}", r.stderr);
    let r = m.run_args(&["keepalived-notify", "--params", p, "GROUP"], &[]);
    assert_eq!(r.rc, 2);
}

#[test]
fn the_password_is_never_printed() {
    let mut m = Install::new();
    let pw = m.path("password");
    std::fs::write(&pw, "Very-Secret-42\n").unwrap();
    m.set_param("admin_password_file", pw.to_str().unwrap());
    m.set_param("binary", "/nonexistent/maxscale");
    let env = [("HA_debug", "1")];
    for action in ["validate-all", "start", "monitor", "stop", "meta-data"] {
        let r = m.run_env(action, &env);
        assert!(
            !r.stderr.contains("Very-Secret-42"),
            "{action}: {}",
            r.stderr
        );
        assert!(!r.stdout.contains("Very-Secret-42"), "{action}");
    }
}

/// A pid path that cannot hold a pid file means nothing runs through it: probes and monitors
/// answer 7 and stop 0 (with a warning), without blocking on a FIFO; validate-all and start
/// refuse it: 2 on this node (a stray file must not ban the resource everywhere), 6 when the
/// value is wrong everywhere (relative, too long).
#[test]
fn pid_paths_that_cannot_hold_a_pid_file() {
    let mut m = Install::new();
    let odd = m.path("odd");
    std::fs::create_dir(&odd).unwrap();
    std::fs::write(odd.join("file"), "x").unwrap();
    std::fs::create_dir_all(odd.join("run-dir/maxscale.pid")).unwrap();
    std::fs::create_dir(odd.join("run-fifo")).unwrap();
    nix::unistd::mkfifo(
        &odd.join("run-fifo/maxscale.pid"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let probe = [("OCF_RESKEY_CRM_meta_interval", "0")];
    let short = ("OCF_RESKEY_CRM_meta_timeout", "5000");
    let p = |rel: &str| odd.join(rel).to_string_lossy().into_owned();
    for (piddir, validate_rc, words) in [
        (p("file"), 2, "piddir is a regular file, not a directory"),
        (p("file/below"), 2, "its directory is not a directory"),
        (
            p("run-dir"),
            2,
            "maxscale.pid is a directory, not a pid file",
        ),
        (p("run-fifo"), 2, "maxscale.pid is a FIFO, not a pid file"),
        ("run/maxscale".to_string(), 6, "must be an absolute path"),
        (format!("/{}", "n".repeat(300)), 6, "short enough"),
    ] {
        m.set_param("piddir", &piddir);
        for env in [&probe[..], &[RECURRING][..]] {
            let r = m.run_env("monitor", &[env[0], short]);
            let want = if validate_rc == 6 && env == &[RECURRING][..] {
                6
            } else {
                7
            };
            assert_eq!(r.rc, want, "monitor {piddir} {env:?}: {}", r.stderr);
            r.assert_within(Duration::from_secs(3), &piddir);
        }
        let r = m.run_env("stop", &[short]);
        assert_eq!(r.rc, 0, "stop {piddir}: {}", r.stderr);
        assert!(
            r.stderr.contains("nothing can be running through it"),
            "{}",
            r.stderr
        );
        for action in ["validate-all", "start"] {
            let r = m.run_env(action, &[short]);
            assert_eq!(r.rc, validate_rc, "{action} {piddir}: {}", r.stderr);
            assert!(
                r.reason().contains(words),
                "{action} {piddir}: {}",
                r.reason()
            );
            assert!(r.reason().len() <= 128, "{}", r.reason());
        }
        assert!(m.pid().is_none());
    }
}

/// HTTPS to MaxScale's plain-HTTP port: the handshake is never answered. The reason says so
/// (it said "no answer within 4.5s"), and it stays soft (1): a hung MaxScale looks the same.
#[test]
fn tls_to_a_plain_http_port_is_named() {
    let mut m = Install::new();
    m.expect("start", 0);
    m.set_param("admin_tls", "true");
    let r = m.run_env(
        "monitor",
        &[RECURRING, ("OCF_RESKEY_CRM_meta_timeout", "6000")],
    );
    assert_eq!(r.rc, 1, "{}", r.stderr);
    assert!(
        r.reason().contains("no TLS handshake within") && r.reason().contains("admin_tls"),
        "{}",
        r.reason()
    );
    assert!(r.elapsed < Duration::from_secs(6), "{:?}", r.elapsed);
}

/// What start would fail on, validate-all catches first, and start fails at once with the
/// same code, starting nothing: config a directory (5), a CA file without a certificate (2),
/// an admin_host that cannot form a URL (6; start spun until its timeout and returned 1).
#[test]
fn validate_all_catches_what_start_would_fail_on() {
    let mut m = Install::new();
    let pem = m.path("ca.pem");
    std::fs::write(&pem, "no certificate here\n").unwrap();
    let timeout = ("OCF_RESKEY_CRM_meta_timeout", "20000");
    type Case<'a> = (&'a [(&'a str, &'a str)], i32, &'a str);
    let cases: [Case; 3] = [
        (
            &[("config", "/tmp")],
            5,
            "config /tmp is a directory, not a file",
        ),
        (
            &[
                ("admin_tls", "true"),
                ("admin_ca_file", pem.to_str().unwrap()),
            ],
            2,
            "holds no PEM certificate",
        ),
        (
            &[("admin_host", "max scale")],
            6,
            "parameter 'admin_host' must be",
        ),
    ];
    for (params, rc, words) in cases {
        for (k, v) in params {
            m.set_param(k, v);
        }
        for action in ["validate-all", "start"] {
            let r = m.run_env(action, &[timeout]);
            assert_eq!(r.rc, rc, "{action} {params:?}: {}", r.stderr);
            assert!(r.reason().contains(words), "{action}: {}", r.reason());
            r.assert_within(Duration::from_secs(2), action);
            assert!(m.pid().is_none(), "{action} {params:?} started MaxScale");
        }
        m.params.clear();
    }
    m.expect("validate-all", 0);
}

/// MaxScale rejects an option of extra_options: the reason quotes its message, not the last
/// line of the usage text it prints after it (it read "…: and ignored.)").
#[test]
fn a_rejected_extra_option_is_quoted() {
    if !simulated() {
        return; // the message and usage text are the simulator's
    }
    let mut m = Install::new();
    m.set_param("extra_options", "--frobnicate");
    let r = m.expect("start", 2);
    assert!(
        r.reason().contains("(exit 5; check extra_options)")
            && r.reason().contains("unrecognized option '--frobnicate'"),
        "{}",
        r.reason()
    );
    assert!(!r.reason().contains("ignored"), "{}", r.reason());
}

/// A promotable stop stops MaxScale first and clears the score with what time is left: with a
/// crm_attribute that hangs, MaxScale still gets its graceful SIGTERM (it got SIGKILL 1 ms
/// after SIGTERM, the score call having taken the budget).
#[test]
fn a_slow_crm_attribute_does_not_cost_maxscale_its_graceful_stop() {
    if !simulated() {
        return; // needs the simulated shutdown delay
    }
    let m = Install::with(|m| m.global_extra = "sim_shutdown_delay_ms=1500\n".into());
    m.expect_env("start", &[PROMOTABLE], 0);
    let pid = m.pid().unwrap();
    let fake = m.path("bin/crm_attribute");
    std::fs::write(&fake, "#!/bin/sh\nexec sleep 60\n").unwrap();
    let r = m.run_env(
        "stop",
        &[PROMOTABLE, ("OCF_RESKEY_CRM_meta_timeout", "6000")],
    );
    assert_eq!(r.rc, 0, "{}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(6), "{:?}", r.elapsed);
    assert!(is_gone(pid));
    assert!(!r.stderr.contains("SIGKILL"), "{}", r.stderr);
    assert!(r.stderr.contains("stopped after"), "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot set the promotion score"),
        "{}",
        r.stderr
    );
}

// ---- the promise: passive from the first answer until promote -----------------------------

/// What the simulator says passive is, sampled as fast as it answers from another thread
/// (`/sim/passive`: no fault delays it), until dropped.
struct PassiveSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<Vec<(Duration, bool)>>>,
}

impl PassiveSampler {
    fn start(port: u16) -> PassiveSampler {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let thread = std::thread::spawn(move || {
            let t0 = Instant::now();
            let mut seen = Vec::new();
            while !s2.load(Ordering::SeqCst) {
                match admin_request(port, "GET", "/sim/passive", None) {
                    Ok(r) if r.status == 200 => {
                        seen.push((t0.elapsed(), r.text().trim() == "true"))
                    }
                    // Not up yet (refused), or going down.
                    _ => std::thread::sleep(Duration::from_millis(1)),
                }
            }
            seen
        });
        PassiveSampler {
            stop,
            thread: Some(thread),
        }
    }

    /// Every answer since start: (when, passive).
    fn finish(mut self) -> Vec<(Duration, bool)> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// Kills an active (promoted) instance, then lets the agent start it again while sampling, and
/// asserts that no answer before promote said passive=false.
fn restart_of_an_active_instance_stays_passive(m: &Install) {
    let p = [PROMOTABLE];
    m.expect_env("start", &p, 0);
    m.expect_env("promote", &p, 0);
    assert_eq!(m.passive(), Some(false));
    m.kill9();
    let sampler = PassiveSampler::start(m.admin_port);
    let r = m.run_env(
        "start",
        &[PROMOTABLE, ("OCF_RESKEY_CRM_meta_timeout", "30000")],
    );
    assert_eq!(r.rc, 0, "{}", r.stderr);
    m.expect_env("monitor", &[PROMOTABLE, RECURRING], 0);
    let seen = sampler.finish();
    assert!(seen.len() >= 5, "too few samples: {seen:?}");
    let active: Vec<_> = seen.iter().filter(|(_, passive)| !passive).collect();
    assert!(
        active.is_empty(),
        "passive=false before promote, {} of {} answers, first at {:?}",
        active.len(),
        seen.len(),
        active[0].0
    );
    m.expect_env("promote", &p, 0);
    assert_eq!(m.passive(), Some(false));
    m.expect_env("monitor", &[PROMOTABLE, RECURRING], 8);
}

#[test]
fn a_killed_active_maxscale_comes_back_passive() {
    if !simulated() {
        return; // samples the simulator's /sim/passive
    }
    // Every REST answer to the agent takes 300 ms: a start that made the instance passive only
    // by a PATCH after its first GET would leave it active for about a second.
    let m = Install::with(|m| m.global_extra = "sim_fault=slow:300\n".into());
    restart_of_an_active_instance_stays_passive(&m);
}

#[test]
fn a_late_daemonizing_parent_changes_nothing() {
    if !simulated() {
        return;
    }
    // The parent exits 2 s after the REST API answers: nothing may depend on its exit.
    let wrapper_dir = tempfile::tempdir().unwrap();
    // Named like the binary it runs: the agent knows its MaxScale by the binary's name (the
    // process of a version profile's wrapper is called maxscale, the plain simulator not).
    let wrapper = wrapper_dir
        .path()
        .join(maxscale_binary().file_name().unwrap());
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n'{}' \"$@\"\nrc=$?\nsleep 2\nexit $rc\n",
            maxscale_binary().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(
        wrapper_dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let m = Install::with(|m| m.binary = wrapper.clone());
    restart_of_an_active_instance_stays_passive(&m);
}

#[test]
fn only_a_promotable_start_passes_passive() {
    let m = Install::new();
    m.expect("start", 0);
    assert!(!m.argv().iter().any(|a| a == "--passive"), "{:?}", m.argv());
    m.expect("stop", 0);
    m.expect_env("start", &[PROMOTABLE], 0);
    assert!(m.argv().iter().any(|a| a == "--passive"), "{:?}", m.argv());
}

/// reload-agent applies a change of servers or require_master without touching MaxScale: the
/// promotion score follows the new depth-20 rules at once; bad values fail it.
#[test]
fn reload_agent_applies_the_depth_20_rules() {
    if !simulated() {
        return;
    }
    let mut m = Install::new();
    m.expect_env("start", &[PROMOTABLE], 0);
    let pid = m.pid().unwrap();
    assert!(m.crm_log().ends_with("--update 100\n"), "{}", m.crm_log());
    m.set_param("servers", "server1 nosuch");
    m.expect_env("reload-agent", &[PROMOTABLE], 0);
    assert!(m.crm_log().ends_with("--update 10\n"), "{}", m.crm_log());
    m.set_param("servers", "server1");
    m.set_param("require_master", "true");
    m.expect_env("reload-agent", &[PROMOTABLE], 0);
    assert!(m.crm_log().ends_with("--update 100\n"), "{}", m.crm_log());
    assert_eq!(m.pid(), Some(pid), "MaxScale was not restarted");
    m.expect("reload-agent", 0);
    m.set_param("require_master", "perhaps");
    m.expect_env("reload-agent", &[PROMOTABLE], 6);
    m.set_param("require_master", "false");
    m.set_param("admin_password_file", "/nonexistent/pw");
    m.expect_env("reload-agent", &[PROMOTABLE], 2);
    assert_eq!(m.pid(), Some(pid));
}

/// The version the binary reports, as the agent reads it.
fn binary_version(m: &Install) -> maxscale::launch::Version {
    let out = Command::new(&m.binary).arg("--version").output().unwrap();
    maxscale::launch::Version::parse(&String::from_utf8_lossy(&out.stdout))
        .unwrap_or_else(|| panic!("no version from {} --version", m.binary.display()))
}

/// MXS-5009 (issue 11): a MaxScale that glues its command line's directory options gets only
/// --piddir of them, and its directories from [maxscale]; with logdir, datadir, cachedir and
/// persistdir all set it is started, monitored, killed (7), restarted and stopped, with every
/// file where the agent looks. Without the [maxscale] lines validate-all and start refuse with
/// 2 naming MXS-5009, and so does a directory option in extra_options. On a fixed version the
/// parameters alone work. Run with MAXSCALE_SIM_PROFILE=6.4 (tests/run-all does) for the first.
#[test]
fn mxs5009_directories_go_through_the_config_file() {
    let m = Install::new();
    let glued = binary_version(&m).has_mxs5009();
    m.expect("validate-all", 0);
    m.expect("start", 0);
    let args = m.argv();
    assert!(args.iter().any(|a| a.starts_with("--piddir=")), "{args:?}");
    let dirs_given = args.iter().any(|a| a.starts_with("--logdir="));
    assert_eq!(dirs_given, !glued, "{args:?}");
    m.expect_env("monitor", &[RECURRING], 0);
    if simulated() {
        assert!(
            m.path("log/maxscale.log").exists(),
            "the log is not in logdir"
        );
    }
    m.kill9();
    m.expect_env("monitor", &[RECURRING], 7);
    m.expect("start", 0);
    m.expect_env("monitor", &[RECURRING], 0);
    m.expect("stop", 0);
    m.expect("monitor", 7);

    let bare = Install::with(|m| m.dirs_in_config = false);
    if glued {
        for action in ["validate-all", "start"] {
            let r = bare.expect(action, 2);
            assert!(r.reason().contains("MXS-5009"), "{}", r.reason());
            assert!(r.reason().contains("logdir"), "{}", r.reason());
        }
        assert_eq!(bare.pid(), None, "start must start nothing");
        bare.expect("monitor", 7);
        let mut m = Install::new();
        m.set_param("extra_options", "--threads=1 -L/tmp");
        let r = m.expect("start", 2);
        assert!(r.reason().contains("MXS-5009"), "{}", r.reason());
        assert!(r.reason().contains("-L/tmp"), "{}", r.reason());
    } else {
        bare.expect("validate-all", 0);
        bare.expect("start", 0);
        bare.expect("stop", 0);
    }
}
