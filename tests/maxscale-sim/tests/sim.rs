//! Black-box tests of the `maxscale-sim` binary: process behaviour, REST API and steering.
//! Each test gets its own temporary installation and loopback ports, so they run in parallel.

mod util;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::json;
use util::*;

// --- process -----------------------------------------------------------------------------------

#[test]
fn version_and_bad_option() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert_rc(&out, 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "MaxScale 24.02.3\n");
    let out = Command::new(BIN).arg("--no-such-option").output().unwrap();
    assert_rc(&out, 5);
    let sim = Sim::with(|s| s.global_extra = "sim_version=2.5.29".into());
    let out = Command::new(BIN)
        .arg("-f")
        .arg(sim.path("maxscale.cnf"))
        .arg("-v")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "MaxScale 2.5.29\n");
}

#[test]
fn daemon_start_pid_file_and_api() {
    let sim = Sim::new();
    let t = Instant::now();
    let out = sim.start();
    assert_rc(&out, 0);
    assert!(t.elapsed() < Duration::from_secs(5));
    // The API answers as soon as the parent has exited.
    let r = sim.get("/v1/maxscale");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(r.header("ETag").is_some() && r.header("Last-Modified").is_some());
    assert!(!r.body.ends_with(b"\n"), "no trailing newline");
    assert!(
        r.text().starts_with("{\n    \"data\": {\n"),
        "4-space pretty print"
    );
    let doc = r.json();
    assert_eq!(doc["data"]["id"], "maxscale");
    assert_eq!(doc["data"]["type"], "maxscale");
    assert_eq!(doc["data"]["attributes"]["version"], "24.02.3");
    assert_eq!(doc["data"]["attributes"]["parameters"]["passive"], false);
    assert_eq!(
        doc["data"]["attributes"]["config_sync"],
        serde_json::Value::Null
    );
    assert!(doc["data"]["attributes"]["uptime"].is_u64());
    assert_eq!(
        doc["links"]["self"],
        format!("http://127.0.0.1:{}/v1/maxscale/", sim.admin_port)
    );

    // The pid file holds the daemon's pid without a newline, and the daemon is alive.
    let raw = std::fs::read_to_string(sim.pidfile()).unwrap();
    assert!(
        !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()),
        "{raw:?}"
    );
    let pid: i32 = raw.parse().unwrap();
    assert!(alive(pid));
    assert_eq!(
        std::fs::read_to_string(sim.path("var/lib/maxscale.lock")).unwrap(),
        raw,
        "datadir lock holds the pid"
    );
    assert!(sim
        .log()
        .contains("notice : MaxScale started with 2 worker threads."));

    // No prefix works too, with links to match.
    let doc = sim.get("/maxscale").json();
    assert_eq!(
        doc["links"]["self"],
        format!("http://127.0.0.1:{}/maxscale/", sim.admin_port)
    );
    assert_eq!(sim.get("/").status, 200);
    assert_eq!(sim.get("/v1/").status, 200);
    let threads = sim.get("/v1/maxscale/threads").json();
    assert_eq!(threads["data"][1]["attributes"]["stats"]["state"], "Active");
    assert_eq!(
        threads["data"][0]["links"]["self"],
        format!("http://127.0.0.1:{}/v1/threads/0/", sim.admin_port)
    );
    sim.stop();
}

#[test]
fn second_instance_is_refused_with_4() {
    let sim = Sim::started();
    let pid = sim.pid().unwrap();
    assert_rc(&sim.start(), 4);
    assert!(sim
        .log()
        .contains(&format!("MaxScale is already running. Process id: {pid}.")));
    assert_eq!(sim.pid(), Some(pid), "the pid file is left alone");
    sim.stop();
}

#[test]
fn stale_pid_file_is_overwritten() {
    let sim = Sim::new();
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    write_owned(&sim.pidfile(), &dead.to_string());
    assert_rc(&sim.start(), 0);
    let pid = sim.pid().unwrap();
    assert_ne!(pid, i32::try_from(dead).unwrap());
    assert!(alive(pid));
    sim.stop();
}

#[test]
fn zombie_maxscale_blocks_start() {
    // A finished, unreaped maxscale-sim process: still in /proc with comm "maxscale-sim".
    let sim = Sim::new();
    let mut zombie = Command::new(BIN)
        .arg("--version")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let zpid = zombie.id();
    assert!(wait_for(Duration::from_secs(5), || !alive(zpid as i32)));
    write_owned(&sim.pidfile(), &zpid.to_string());
    assert_rc(&sim.start(), 4);
    assert!(sim
        .log()
        .contains(&format!("MaxScale is already running. Process id: {zpid}.")));
    zombie.wait().unwrap();
}

#[test]
fn empty_or_garbage_pid_file_blocks_start() {
    let sim = Sim::new();
    write_owned(&sim.pidfile(), "");
    assert_rc(&sim.start(), 4);
    assert!(sim.log().contains("File was empty."));
    write_owned(&sim.pidfile(), "garbage");
    assert_rc(&sim.start(), 4);
    assert!(sim.log().contains("File contents not valid."));
}

#[test]
fn config_errors_exit_1() {
    let sim = Sim::new();
    // Missing file.
    let out = Command::new(BIN)
        .args(if is_root() {
            vec!["--user=nobody"]
        } else {
            vec![]
        })
        .arg("-f")
        .arg(sim.path("nope.cnf"))
        .arg("-d")
        .arg(format!("--logdir={}", sim.path("var/log").display()))
        .output()
        .unwrap();
    assert_rc(&out, 1);
    // Syntax error: reported on stderr before the daemon's log is open.
    sim.write_config_text("[maxscale]\nthreads=2\nthis is not a key value pair\n");
    let out = sim.start();
    assert_rc(&out, 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("alert  : Failed to read configuration file")
    );
    // No type / unknown type / unknown global parameter / dangling reference.
    for bad in [
        "[x]\nfoo=bar\n",
        "[x]\ntype=gadget\n",
        "[maxscale]\nno_such_param=1\n",
        "[L]\ntype=listener\nservice=nope\nport=4006\n",
    ] {
        sim.write_config_text(bad);
        assert_rc(&sim.start(), 1);
    }
    assert!(sim.log().contains("Object 'x' has no type."));
    assert!(sim
        .log()
        .contains("alert  : Failed to open, read or process the MaxScale configuration file"));
    assert!(!sim.pidfile().exists());
    // --config-check validates and exits.
    sim.write_config();
    assert_rc(&sim.start_with(&["--config-check"]), 0);
    assert!(!sim.pidfile().exists());
    sim.write_config_text("[x]\ntype=gadget\n");
    assert_rc(&sim.start_with(&["-c"]), 1);
}

#[test]
fn missing_piddir_exits_1() {
    let sim = Sim::new();
    std::fs::remove_dir(sim.piddir()).unwrap();
    assert_rc(&sim.start(), 1);
    assert!(sim
        .log()
        .contains(&format!("Can't access '{}'.", sim.piddir().display())));
}

#[test]
fn admin_port_conflict_exits_6() {
    let sim = Sim::new();
    let _busy = TcpListener::bind(("127.0.0.1", sim.admin_port)).unwrap();
    assert_rc(&sim.start(), 6);
    let log = sim.log();
    assert!(log.contains(&format!(
        "Failed to bind to port {}: Address already in use",
        sim.admin_port
    )));
    assert!(log.contains("alert  : Failed to initialize REST API."));
    // As in MaxScale, the child reports to the parent before its exit handlers remove the pid file.
    assert!(
        wait_for(Duration::from_secs(5), || !sim.pidfile().exists()),
        "pid file removed"
    );
}

#[test]
fn listener_port_conflict_exits_3_unless_ignored() {
    let sim = Sim::new();
    let _busy = TcpListener::bind(("127.0.0.1", sim.listener_port)).unwrap();
    assert_rc(&sim.start(), 3);
    assert!(sim.log().contains("Failed to start all MaxScale services."));
    let sim2 = Sim::with(|s| s.global_extra = "sim_listener_failure=ignore".into());
    let _busy2 = TcpListener::bind(("127.0.0.1", sim2.listener_port)).unwrap();
    assert_rc(&sim2.start(), 0);
    let svc = sim2.attributes("/v1/services/RW-Split-Router");
    assert_eq!(svc["state"], "Failed");
    let l = sim2.attributes("/v1/listeners/RW-Split-Listener");
    assert_eq!(l["state"], "Failed");
    sim2.stop();
}

#[test]
fn sigterm_is_graceful() {
    let sim = Sim::started_with(|s| s.global_extra = "sim_shutdown_delay_ms=400".into());
    let pid = sim.pid().unwrap();
    kill(pid, Signal::SIGTERM);
    // During the shutdown window the REST API answers 503.
    assert!(wait_for(Duration::from_secs(2), || {
        request(
            sim.admin_port,
            "GET",
            "/v1/maxscale",
            None,
            ADMIN,
            Duration::from_secs(2),
        )
        .is_ok_and(|r| r.status == 503 && r.text().contains("MaxScale is shutting down"))
    }));
    assert!(wait_for(Duration::from_secs(5), || !sim.pidfile().exists()));
    assert!(wait_for(Duration::from_secs(5), || !alive(pid)));
    assert!(!sim.path("var/lib/maxscale.lock").exists());
    let log = sim.log();
    let order = [
        "MaxScale is shutting down.",
        "Stopped MaxScale REST API",
        "All workers have shut down.",
        "MaxScale shutdown completed.",
        "MaxScale received signal SIGTERM. Exiting.",
        "MariaDB MaxScale is shut down.",
    ];
    let mut at = 0;
    for line in order {
        let pos = log[at..]
            .find(line)
            .unwrap_or_else(|| panic!("missing {line:?} in\n{log}"));
        at += pos + line.len();
    }
    // The port is free again: an immediate restart works.
    assert_rc(&sim.start(), 0);
    sim.stop();
}

#[test]
fn foreground_exit_codes() {
    let sim = Sim::with(|s| s.global_extra = "sim_shutdown_delay_ms=3000".into());
    // -d: graceful SIGTERM → 0.
    let mut child = sim.spawn_foreground();
    assert!(wait_for(Duration::from_secs(5), || sim
        .pid()
        .is_some_and(|p| p == child.id() as i32)));
    assert!(wait_for(Duration::from_secs(5), || sim.api_answers()));
    // A second SIGTERM during the (long) shutdown exits 1 at once, still removing the pid file.
    kill(child.id() as i32, Signal::SIGTERM);
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    kill(child.id() as i32, Signal::SIGTERM);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(!sim.pidfile().exists());

    let sim = Sim::new();
    let mut child = sim.spawn_foreground();
    assert!(wait_for(Duration::from_secs(5), || sim.api_answers()));
    // SIGHUP is ignored.
    kill(child.id() as i32, Signal::SIGHUP);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(sim.get("/v1/maxscale").status, 200);
    // SIGUSR1 reopens the log (rotation).
    let rotated = sim.path("var/log/maxscale.log.1");
    std::fs::rename(sim.logfile(), &rotated).unwrap();
    kill(child.id() as i32, Signal::SIGUSR1);
    assert!(wait_for(Duration::from_secs(5), || sim.logfile().exists()));
    let _ = request(
        sim.admin_port,
        "GET",
        "/v1/maxscale",
        None,
        None,
        Duration::from_secs(5),
    );
    assert!(wait_for(Duration::from_secs(5), || sim
        .log()
        .contains("Authentication failed")));
    assert!(std::fs::read_to_string(&rotated)
        .unwrap()
        .contains("Log file flush following reception of SIGUSR1"));
    kill(child.id() as i32, Signal::SIGTERM);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(!sim.pidfile().exists());
}

#[test]
fn root_and_user_handling() {
    if is_root() {
        let sim = Sim::new();
        let out = Command::new(BIN)
            .arg("-d")
            .arg("-f")
            .arg(sim.path("maxscale.cnf"))
            .output()
            .unwrap();
        assert_rc(&out, 1);
        assert!(String::from_utf8_lossy(&out.stderr).contains("MaxScale cannot be run as root."));
    }
    let out = Command::new(BIN)
        .arg("--user=no-such-user-xyz")
        .output()
        .unwrap();
    assert_rc(&out, 5);
    assert!(String::from_utf8_lossy(&out.stdout).contains("User not found"));
}

// --- REST API ------------------------------------------------------------------------------------

#[test]
fn auth_failures_are_401() {
    let sim = Sim::started();
    let to = Duration::from_secs(5);
    for auth in [None, Some(("admin", "wrong")), Some(("nobody", "mariadb"))] {
        for (m, body) in [("GET", None), ("PATCH", Some(r#"{"data":{}}"#))] {
            let r = request(sim.admin_port, m, "/v1/maxscale", body, auth, to).unwrap();
            assert_eq!(r.status, 401);
            assert_eq!(
                r.text(),
                r#"{"errors": [ { "detail": "Access denied" } ] }"#
            );
            assert_eq!(r.body.len(), 46);
            assert_eq!(
                r.header("WWW-Authenticate"),
                Some("Basic realm=\"maxscale\"")
            );
            assert_eq!(r.header("Content-Type"), None);
        }
    }
    // Unknown paths need credentials first.
    let r = request(sim.admin_port, "GET", "/v1/nosuchthing", None, None, to).unwrap();
    assert_eq!(r.status, 401);
    assert!(sim.log().contains(
        "warning: Authentication failed for 'admin', using password. Request: GET /v1/maxscale"
    ));
    sim.stop();
}

#[test]
fn not_found_shapes() {
    let sim = Sim::started();
    for (m, p) in [
        ("GET", "/v1/nosuchthing"),
        ("GET", "/v1/maxscale/nosuchthing"),
        ("DELETE", "/v1/maxscale"),
    ] {
        let r = sim.req(m, p, None);
        assert_eq!(r.status, 404, "{m} {p}");
        assert!(r.body.is_empty());
        assert_eq!(r.header("Content-Length"), Some("0"));
        assert_eq!(r.header("Content-Type"), None);
    }
    let r = sim.get("/v1/servers/nosuchserver");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"errors": [{"detail": "nosuchserver is not a server"}]})
    );
    assert_eq!(
        sim.get("/v1/monitors/x").json()["errors"][0]["detail"],
        "x is not a monitor"
    );
    sim.stop();
}

#[test]
fn patch_passive_is_persisted_and_survives_restart() {
    let sim = Sim::started();
    assert!(!sim.passive());
    let r = sim.patch_passive("true");
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    let warning = r.header("Mxs-Warning").expect("Mxs-Warning");
    assert!(
        warning.starts_with("Saving runtime modifications to 'maxscale' in '"),
        "{warning}"
    );
    assert!(sim.passive());
    let persisted = std::fs::read_to_string(sim.persisted()).unwrap();
    assert!(persisted.starts_with("[maxscale]\n") && persisted.contains("passive=true"));
    // Same value again: still 204.
    let r = sim.patch_passive("true");
    assert_eq!(r.status, 204);
    // Sparse fieldset.
    let doc = sim
        .get("/v1/maxscale?fields[maxscale]=parameters/passive")
        .json();
    assert_eq!(
        doc["data"]["attributes"],
        json!({"parameters": {"passive": true}})
    );

    sim.stop();
    assert_rc(&sim.start(), 0);
    assert!(sim.passive(), "persisted value overrides the static config");
    assert!(sim.listener_line().ends_with(" passive=true\n"));
    let r = sim.patch_passive("false");
    assert_eq!(r.status, 204);
    assert!(
        !sim.persisted().exists(),
        "back to the static value removes the file"
    );
    assert!(!sim.passive());
    sim.stop();

    // -p forces passive.
    assert_rc(&sim.start_with(&["--passive"]), 0);
    assert!(sim.passive());
    sim.stop();
}

#[test]
fn patch_errors() {
    let sim = Sim::started();
    let detail = |body: &str| {
        let r = sim.req("PATCH", "/v1/maxscale", Some(body));
        assert_eq!(r.status, 400, "{body}");
        r.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        detail(r#"{"data":{"attributes":{"parameters":{"passive":"yes"}}}}"#),
        "passive: Expected a json boolean, but got a json string."
    );
    assert_eq!(
        detail(r#"{"data":{"attributes":{"parameters":{"nosuchparam":1}}}}"#),
        "maxscale: The parameter 'nosuchparam' is unrecognized."
    );
    assert_eq!(
        detail(r#"{"data":{"attributes":{"parameters":{"threads_max":8}}}}"#),
        "maxscale: The parameter 'threads_max' cannot be modified at runtime."
    );
    assert_eq!(
        detail(r#"{"passive":true}"#),
        "The '/data' field is not an object"
    );
    let r = sim.req("PATCH", "/v1/maxscale", None);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["detail"], "Missing request body");
    let r = sim.req("PATCH", "/v1/maxscale", Some(r#"{"data": {"#));
    assert_eq!(r.status, 400);
    assert_eq!(r.header("Content-Type"), None);
    assert!(
        r.text().contains("Invalid JSON in request: "),
        "{}",
        r.text()
    );
    assert!(!sim.passive());
    assert!(!sim.persisted().exists());
    sim.stop();
}

#[test]
fn server_and_monitor_state_steering() {
    let sim = Sim::started();
    assert_eq!(sim.server_state("server1"), "Master, Running");
    assert_eq!(sim.server_state("server2"), "Slave, Running");
    let mon = sim.attributes("/v1/monitors/MariaDB-Monitor");
    let diag = &mon["monitor_diagnostics"];
    assert_eq!(diag["master"], "server1");
    assert_eq!(diag["state"], "Idle");
    assert_eq!(diag["primary"], serde_json::Value::Null);
    assert_eq!(diag["server_info"][0]["lock_held"], serde_json::Value::Null);
    assert_eq!(mon["state"], "Running");

    // A request that answers 204, and the attribute it leaves in the document at `doc`.
    let steer =
        |method: &str, path: &str, body: Option<&str>, doc: &str, key: &str, value: &str| {
            assert_eq!(sim.req(method, path, body).status, 204, "{method} {path}");
            assert_eq!(
                sim.attributes(doc)[key],
                value,
                "{method} {path}: {doc} {key}"
            );
        };
    // A request that is refused with `status`.
    let refused = |method: &str, path: &str, body: Option<&str>, status: u16| {
        assert_eq!(
            sim.req(method, path, body).status,
            status,
            "{method} {path}"
        );
    };

    // /sim steering, with the monitor events a real tick would record.
    assert_eq!(
        sim.put_sim("/sim/servers/server1/state", "Down").status,
        204
    );
    let s1 = sim.attributes("/v1/servers/server1");
    assert_eq!(s1["state"], "Down");
    assert_eq!(s1["last_event"], "master_down");
    let diag = sim.attributes("/v1/monitors/MariaDB-Monitor");
    assert_eq!(
        diag["monitor_diagnostics"]["master"],
        serde_json::Value::Null
    );
    steer(
        "PUT",
        "/sim/servers/server1/state",
        Some("Master, Running"),
        "/v1/servers/server1",
        "last_event",
        "master_up",
    );
    refused("PUT", "/sim/servers/server1/state", Some("Leader"), 400);
    refused("PUT", "/sim/servers/nope/state", Some("Down"), 404);

    // The REST API's own state changes.
    let server2 = "/v1/servers/server2";
    steer(
        "PUT",
        "/v1/servers/server2/set?state=maintenance",
        None,
        server2,
        "state",
        "Maintenance, Running",
    );
    steer(
        "PUT",
        "/v1/servers/server2/clear?state=maintenance",
        None,
        server2,
        "state",
        "Slave, Running",
    );
    let r = sim.req("PUT", "/v1/servers/server1/set?state=maintenance", None);
    assert_eq!(r.status, 400);
    assert!(r.json()["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("The server is primary"));
    refused("PUT", "/v1/servers/server2/set", None, 400);
    refused("PUT", "/v1/servers/server2/set?state=bogus", None, 400);

    let monitor = "/v1/monitors/MariaDB-Monitor";
    steer(
        "PUT",
        "/v1/monitors/MariaDB-Monitor/stop",
        None,
        monitor,
        "state",
        "Stopped",
    );
    steer(
        "PUT",
        "/sim/monitors/MariaDB-Monitor/state",
        Some("Running"),
        monitor,
        "state",
        "Running",
    );

    let svc = sim.attributes("/v1/services/RW-Split-Router");
    assert_eq!(svc["state"], "Started");
    assert_eq!(svc["router"], "readwritesplit");
    let l = sim.attributes("/v1/listeners/RW-Split-Listener");
    assert_eq!(l["state"], "Running");
    assert_eq!(l["parameters"]["protocol"], "MariaDBProtocol");
    assert_eq!(l["parameters"]["port"], sim.listener_port);
    sim.stop();
}

#[test]
fn galera_initial_states_and_locks() {
    let sim = Sim::with(|s| {
        s.extra_sections = "[g1]\ntype=server\naddress=127.0.0.1\nport=4306\n\
                            [g2]\ntype=server\naddress=127.0.0.1\nport=4307\n\
                            [Galera-Monitor]\ntype=monitor\nmodule=galeramon\nservers=g1,g2\nuser=u\npassword=p\n"
            .into();
    });
    assert_rc(&sim.start(), 0);
    assert_eq!(sim.server_state("g1"), "Master, Synced, Running");
    assert_eq!(sim.server_state("g2"), "Slave, Synced, Running");
    let diag = sim.attributes("/v1/monitors/Galera-Monitor");
    assert_eq!(diag["monitor_diagnostics"]["cluster_size"], 2);
    sim.put_sim("/sim/servers/g1/state", "Running");
    assert_eq!(
        sim.attributes("/v1/servers/g1")["last_event"],
        "lost_master"
    );
    sim.stop();

    let sim = Sim::with(|s| {
        s.extra_sections = "[s9]\ntype=server\naddress=127.0.0.1\nport=5306\n\
            [Locks]\ntype=monitor\nmodule=mariadbmon\nservers=s9\nuser=u\npassword=p\n\
            cooperative_monitoring_locks=majority_of_all\n"
            .into();
    });
    assert_rc(&sim.start(), 0);
    let d = sim.attributes("/v1/monitors/Locks");
    assert_eq!(d["monitor_diagnostics"]["primary"], true);
    assert_eq!(
        sim.put_sim("/sim/monitors/Locks/primary", "false").status,
        204
    );
    let d = sim.attributes("/v1/monitors/Locks");
    assert_eq!(d["monitor_diagnostics"]["primary"], false);
    sim.stop();
}

// --- faults ------------------------------------------------------------------------------------

#[test]
fn fault_modes() {
    let sim = Sim::started();
    let short = Duration::from_millis(300);
    let get = |timeout| request(sim.admin_port, "GET", "/v1/maxscale", None, ADMIN, timeout);

    // hang: accepted, never answered.
    assert_eq!(sim.put_sim("/sim/fault", "hang").status, 204);
    assert_eq!(sim.get("/sim/fault").text().trim(), "hang");
    let err = get(short).expect_err("should time out");
    assert!(matches!(
        err.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));

    // slow:<ms>
    assert_eq!(sim.put_sim("/sim/fault", "slow:300").status, 204);
    let t = Instant::now();
    assert_eq!(get(Duration::from_secs(5)).unwrap().status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    // status:<code>
    for code in [500u16, 503] {
        assert_eq!(
            sim.put_sim("/sim/fault", &format!("status:{code}")).status,
            204
        );
        let r = get(Duration::from_secs(5)).unwrap();
        assert_eq!(r.status, code);
        assert!(r.json()["errors"][0]["detail"].is_string());
    }

    // garbage: 200 with a body that is not JSON.
    assert_eq!(sim.put_sim("/sim/fault", "garbage").status, 204);
    let r = get(Duration::from_secs(5)).unwrap();
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());

    // badjson: valid JSON, wrong shape.
    assert_eq!(sim.put_sim("/sim/fault", "badjson").status, 204);
    let r = get(Duration::from_secs(5)).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"data": []}));

    // refuse-auth: 401 even with the right password.
    assert_eq!(sim.put_sim("/sim/fault", "refuse-auth").status, 204);
    assert_eq!(get(Duration::from_secs(5)).unwrap().status, 401);

    assert_eq!(sim.put_sim("/sim/fault", "bogus").status, 400);
    assert_eq!(sim.put_sim("/sim/fault", "none").status, 204);
    assert_eq!(get(Duration::from_secs(5)).unwrap().status, 200);
    // /sim needs the admin credentials too.
    let r = request(
        sim.admin_port,
        "GET",
        "/sim/fault",
        None,
        None,
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(r.status, 401);
    sim.stop();
}

#[test]
fn fault_from_config() {
    let sim = Sim::started_with(|s| s.global_extra = "sim_fault=status:500".into());
    assert_eq!(sim.get("/v1/maxscale").status, 500);
    assert_eq!(sim.get("/sim/fault").text().trim(), "status:500");
    sim.stop();
}

// --- listeners -----------------------------------------------------------------------------------

#[test]
fn listener_names_the_node() {
    let sim = Sim::started_with(|s| s.global_extra = "sim_node_name=node-a".into());
    assert_eq!(
        sim.listener_line(),
        "maxscale-sim node-a RW-Split-Listener passive=false\n"
    );
    let r = sim.patch_passive("true");
    assert_eq!(r.status, 204);
    assert_eq!(
        sim.listener_line(),
        "maxscale-sim node-a RW-Split-Listener passive=true\n"
    );
    sim.stop();
    assert!(std::net::TcpStream::connect(("127.0.0.1", sim.listener_port)).is_err());
}

// --- other versions ------------------------------------------------------------------------------

#[test]
fn older_versions_differ_where_maxscale_did() {
    // 6.x: a failed PATCH /v1/maxscale is a 403; `system` is absent, `config_sync` present.
    let sim = Sim::started_with(|s| s.global_extra = "sim_version=6.4.15".into());
    let r = sim.patch_passive(r#""true""#);
    assert_eq!(r.status, 403);
    let a = sim.attributes("/v1/maxscale");
    assert_eq!(a["version"], "6.4.15");
    assert!(a.get("system").is_none());
    assert!(a.get("config_sync").is_some());
    sim.stop();

    // 2.4: passive could be set with a string, there is no top-level /v1/listeners.
    let sim = Sim::started_with(|s| s.global_extra = "sim_version=2.4.19".into());
    let r = sim.patch_passive(r#""true""#);
    assert_eq!(r.status, 204);
    assert!(sim.passive());
    assert_eq!(sim.get("/v1/listeners").status, 404);
    assert_eq!(
        sim.get("/v1/services/RW-Split-Router/listeners").status,
        200
    );
    sim.stop();
}

#[test]
fn read_only_account() {
    let sim = Sim::started_with(|s| s.global_extra = "sim_basic_user=viewer:secret".into());
    let to = Duration::from_secs(5);
    let viewer = Some(("viewer", "secret"));
    assert_eq!(
        request(sim.admin_port, "GET", "/v1/maxscale", None, viewer, to)
            .unwrap()
            .status,
        200
    );
    let r = request(
        sim.admin_port,
        "PATCH",
        "/v1/maxscale",
        Some(&passive_body("true")),
        viewer,
        to,
    )
    .unwrap();
    assert_eq!(r.status, 403);
    assert!(r.text().contains("Administrative access required"));
    sim.stop();
}

// --- version profiles ----------------------------------------------------------------------------

fn stdout_of(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert_rc(&out, 0);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn profiles_choose_the_version_string() {
    for (profile, version) in [
        ("2.5", "2.5.29"),
        ("6.4", "6.4.15"),
        ("22.08", "22.08.14"),
        ("23.08", "23.08.6"),
        ("24.02", "24.02.3"),
        ("24.08", "24.08.0"),
        ("22.08.12", "22.08.12"),
    ] {
        assert_eq!(
            stdout_of(&["--profile", profile, "--version"]),
            format!("MaxScale {version}\n")
        );
    }
    assert_eq!(
        stdout_of(&["--profile=24.02", "-V"]),
        "MaxScale 24.02.3 - d77a737db314a3dab3811a1e4b81e20ac2aedbe9\n"
    );
    let out = Command::new(BIN)
        .args(["--profile", "seven", "-v"])
        .output()
        .unwrap();
    assert_rc(&out, 5);
    // From the configuration (sim_profile, or its older name sim_version); --profile wins.
    let sim = Sim::with(|s| s.global_extra = "sim_profile=6.4".into());
    let cnf = sim.path("maxscale.cnf");
    let cnf = cnf.to_str().unwrap();
    assert_eq!(stdout_of(&["-f", cnf, "-v"]), "MaxScale 6.4.15\n");
    assert_eq!(
        stdout_of(&["-f", cnf, "--profile", "23.08", "-v"]),
        "MaxScale 23.08.6\n"
    );
    assert_rc(&sim.start(), 0);
    assert_eq!(sim.attributes("/v1/maxscale")["version"], "6.4.15");
    sim.stop();
    assert_rc(&sim.start_with(&["--profile", "24.08"]), 0);
    assert_eq!(sim.attributes("/v1/maxscale")["version"], "24.08.0");
    sim.stop();
}

/// The directories util::Sim::cmd passes, in its order (piddir first), as MXS-5009 glues them.
fn glued(sim: &Sim, rel: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!(
        "{}/{}",
        sim.piddir().display(),
        sim.path(rel).display()
    ))
}

#[test]
fn mxs5009_on_6_4_glues_the_directory_options() {
    let sim = Sim::new();
    assert_rc(&sim.start_with(&["--profile", "6.4"]), 0);
    // --piddir came first: right. --logdir got it glued in front, and so on.
    assert!(sim.pidfile().exists());
    let p = sim.attributes("/v1/maxscale")["parameters"].clone();
    let logdir = glued(&sim, "var/log");
    assert_eq!(p["logdir"], format!("{}/", logdir.display()));
    assert_eq!(
        p["datadir"],
        format!("{}/{}/", logdir.display(), sim.path("var/lib").display())
    );
    assert!(logdir.join("maxscale.log").exists());
    assert!(!sim.logfile().exists(), "nothing where the options said");
    // A runtime change lands in the glued persistdir, consistently across restarts.
    assert_eq!(sim.patch_passive("true").status, 204);
    assert!(!sim.persisted().exists());
    sim.stop();
    assert_rc(&sim.start_with(&["--profile", "6.4"]), 0);
    assert!(sim.passive());
    sim.stop();

    // The same command line on 24.02 and on the releases with the fix: all where asked.
    for fixed in ["24.02", "21.06.16", "22.08.13", "23.02.10"] {
        let sim = Sim::new();
        assert_rc(&sim.start_with(&["--profile", fixed]), 0);
        assert!(sim.logfile().exists(), "{fixed}");
        sim.stop();
    }
    // ...and still wrong on the releases before the fixes.
    let sim = Sim::new();
    assert_rc(&sim.start_with(&["--profile", "22.08.12"]), 0);
    assert!(!sim.logfile().exists());
    assert!(glued(&sim, "var/log").join("maxscale.log").exists());
    sim.stop();
}

#[test]
fn mxs5009_a_late_piddir_gets_the_others_in_front() {
    // issue 11: --logdir --datadir --cachedir --piddir --persistdir puts the pid file under
    // logdir/datadir/cachedir/piddir.
    let sim = Sim::new();
    let d = |r: &str| sim.path(r).display().to_string();
    let mut c = Command::new(BIN);
    if is_root() {
        c.arg("--user=nobody");
    }
    let out = c
        .args(["--profile", "6.4"])
        .arg(format!("--config={}", d("maxscale.cnf")))
        .arg(format!("--logdir={}", d("var/log")))
        .arg(format!("--datadir={}", d("var/lib")))
        .arg(format!("--cachedir={}", d("var/cache")))
        .arg(format!("--piddir={}", d("run")))
        .arg(format!("--persistdir={}", d("var/lib/maxscale.cnf.d")))
        .output()
        .unwrap();
    assert_rc(&out, 0);
    let pidfile = std::path::PathBuf::from(format!(
        "{}/{}/{}/{}/maxscale.pid",
        d("var/log"),
        d("var/lib"),
        d("var/cache"),
        d("run")
    ));
    assert!(pidfile.exists(), "{}", pidfile.display());
    assert!(!sim.pidfile().exists());
    assert!(sim.logfile().exists(), "the first option is right");
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().parse().unwrap();
    kill(pid, Signal::SIGTERM);
    assert!(wait_for(Duration::from_secs(5), || !alive(pid)));
}

#[test]
fn mxs5009_the_maxscale_section_works_and_the_command_line_wins() {
    let sim = Sim::with(|s| {
        s.global_extra = format!(
            "logdir={}\ndatadir={}\ncachedir={}\npersistdir={}\n",
            s.path("var/log").display(),
            s.path("var/lib").display(),
            s.path("var/cache").display(),
            s.path("var/lib/maxscale.cnf.d").display()
        );
    });
    let run = |extra: &[String]| {
        let mut c = Command::new(BIN);
        if is_root() {
            c.arg("--user=nobody");
        }
        c.args(["--profile", "6.4"])
            .arg(format!("--config={}", sim.path("maxscale.cnf").display()))
            .arg(format!("--piddir={}", sim.piddir().display()))
            .args(extra)
            .output()
            .unwrap()
    };
    assert_rc(&run(&[]), 0);
    assert!(sim.pidfile().exists() && sim.logfile().exists());
    assert_eq!(sim.patch_passive("true").status, 204);
    assert!(sim.persisted().exists());
    sim.stop();
    // A command-line --logdir wins over the file (glued behind --piddir, as 6.4 does).
    let before = sim.log();
    assert_rc(
        &run(&[format!("--logdir={}", sim.path("var/log2").display())]),
        0,
    );
    assert!(glued(&sim, "var/log2").join("maxscale.log").exists());
    assert_eq!(sim.log(), before, "the file's logdir is not used");
    sim.stop();
}

#[test]
fn startup_errors_go_where_each_version_puts_them() {
    // A configuration MaxScale rejects after its log is open: the words go to maxscale.log
    // only (stdout and stderr are the log by then), on both versions; on 6.4 that log is in
    // the glued logdir, not where --logdir pointed.
    let bad = |s: &mut Sim| s.global_extra = "no_such_parameter=1".into();
    let sim = Sim::with(bad);
    let out = sim.start_with(&["--profile", "24.02"]);
    assert_rc(&out, 1);
    assert!(sim
        .log()
        .contains("error  : maxscale: The parameter 'no_such_parameter' is unrecognized."));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("no_such_parameter"));
    let sim = Sim::with(bad);
    let out = sim.start_with(&["--profile", "6.4"]);
    assert_rc(&out, 1);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("no_such_parameter"));
    assert_eq!(sim.log(), "", "nothing in <logdir>/maxscale.log");
    let glued_log = std::fs::read_to_string(glued(&sim, "var/log").join("maxscale.log")).unwrap();
    assert!(glued_log.contains("The parameter 'no_such_parameter' is unrecognized."));

    // A missing configuration file, found before the log is open: stderr on both; 6.x
    // (log_startup_error) also writes it to the log file of the logdir it knows then (the
    // command line's, glued), 24.02 does not.
    for (profile, in_file) in [("24.02", false), ("6.4", true)] {
        let sim = Sim::new();
        std::fs::remove_file(sim.path("maxscale.cnf")).unwrap();
        let out = sim.start_with(&["--profile", profile]);
        assert_rc(&out, 1);
        let text = "Failed to open read access to configuration file: No such file or directory.";
        assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("alert  : {text}")));
        let log = std::fs::read_to_string(if in_file {
            glued(&sim, "var/log").join("maxscale.log")
        } else {
            sim.logfile()
        })
        .unwrap_or_default();
        assert_eq!(log.contains(text), in_file, "{profile}: {log}");
    }
    // A syntax error (sniff_configuration's print_alert): stderr only, on both.
    for profile in ["24.02", "6.4"] {
        let sim = Sim::new();
        sim.write_config_text("[maxscale]\nthis is not a key value pair\n");
        let out = sim.start_with(&["--profile", profile]);
        assert_rc(&out, 1);
        assert!(String::from_utf8_lossy(&out.stderr)
            .contains("alert  : Failed to read configuration file"));
        assert_eq!(sim.log(), "");
        assert!(!glued(&sim, "var/log").exists());
    }
}

#[test]
fn rest_differences_6_4_and_24_02() {
    for profile in ["6.4", "24.02"] {
        let old = profile == "6.4";
        let sim = Sim::new();
        assert_rc(&sim.start_with(&["--profile", profile]), 0);
        let a = sim.attributes("/v1/maxscale");
        assert_eq!(a.get("system").is_some(), !old, "{profile}: system");
        let params = a["parameters"].as_object().unwrap();
        for k in [
            "admin_ssl_ca_cert",
            "query_classifier",
            "query_classifier_args",
            "skip_permission_checks",
        ] {
            assert_eq!(params.contains_key(k), old, "{profile}: {k}");
        }
        for k in [
            "admin_ssl_ca",
            "admin_audit",
            "admin_jwt_key",
            "admin_jwt_max_age",
            "admin_oidc_url",
            "admin_verify_url",
            "admin_readonly_hosts",
            "admin_readwrite_hosts",
            "auto_tune",
            "key_manager",
            "max_read_amount",
            "persist_runtime_changes",
            "secretsdir",
            "threads_max",
        ] {
            assert_eq!(params.contains_key(k), !old, "{profile}: {k}");
        }
        assert!(params["passive"].is_boolean());
        assert_eq!(
            params["syslog"],
            json!(old),
            "syslog defaulted to true before 22.08"
        );
        let s = sim.attributes("/v1/servers/server1");
        let s = s.as_object().unwrap();
        assert_eq!(s.contains_key("state_details"), old, "{profile}");
        assert_eq!(s.contains_key("uptime"), !old, "{profile}");
        let svc = sim.attributes("/v1/services/RW-Split-Router");
        assert_eq!(svc.get("users_last_update").is_some(), !old);
        // An unknown parameter in a PATCH: 403 on 6.4, 400 on 24.02, "is unrecognized"; and
        // each version's own parameters are unknown to the other.
        let foreign = if old {
            "persist_runtime_changes"
        } else {
            "query_classifier"
        };
        for key in ["nosuchparam", foreign] {
            let body = format!(r#"{{"data":{{"attributes":{{"parameters":{{"{key}":1}}}}}}}}"#);
            let r = sim.req("PATCH", "/v1/maxscale", Some(&body));
            assert_eq!(r.status, if old { 403 } else { 400 }, "{profile} {key}");
            assert_eq!(
                r.json()["errors"][0]["detail"],
                format!("maxscale: The parameter '{key}' is unrecognized.")
            );
        }
        sim.stop();
    }
    // And in the configuration file: 6.4 does not know persist_runtime_changes.
    let sim = Sim::with(|s| s.global_extra = "persist_runtime_changes=false".into());
    assert_rc(&sim.start_with(&["--profile", "6.4"]), 1);
    assert_rc(&sim.start_with(&["--profile", "24.02"]), 0);
    sim.stop();
}

// --- passive across restarts (issue 9) ---------------------------------------------------------------

fn journaled(extra: &str) -> Sim {
    let extra = extra.to_string();
    Sim::with(move |s| s.global_extra = format!("sim_passive_journal=sim-passive.journal\n{extra}"))
}

fn events(sim: &Sim) -> Vec<String> {
    sim.journal().into_iter().map(|(_, e)| e).collect()
}

#[test]
fn passive_flag_holds_from_the_first_answer() {
    let sim = journaled("");
    assert_rc(&sim.start(), 0);
    assert!(!sim.passive());
    // true then false again: the persisted state is passive=false (no line, no file).
    assert_eq!(sim.patch_passive("true").status, 204);
    assert_eq!(sim.patch_passive("false").status, 204);
    assert!(!sim.persisted().exists());
    sim.stop();
    assert_rc(&sim.start_with(&["--passive"]), 0);
    assert!(sim.passive());
    sim.stop();
    let e = events(&sim);
    let second = e
        .iter()
        .rposition(|l| l == "ready passive=true")
        .expect("ready");
    // (The first instance's `gone` may come in between: its watcher writes it.)
    assert!(
        e[second..].contains(&"first-answer passive=true".to_string()),
        "{e:?}"
    );
    assert!(
        !e[second..].iter().any(|l| l.ends_with("passive=false")),
        "{e:?}"
    );

    // With a persisted passive=true (and the configuration's own non-default GUI keys): the
    // file holds what differs from MaxScale's defaults, as seen on 24.02.3.
    let sim = journaled("admin_gui=false\nadmin_secure_gui=false");
    assert_rc(&sim.start(), 0);
    let r = sim.patch_passive("true");
    assert!(r.header("Mxs-Warning").is_some());
    assert_eq!(
        std::fs::read_to_string(sim.persisted()).unwrap(),
        "[maxscale]\nadmin_gui=false\nadmin_secure_gui=false\npassive=true\n"
    );
    sim.stop();
    assert_rc(&sim.start(), 0);
    assert!(
        sim.passive(),
        "the persisted value overrides the configuration"
    );
    // Back to false: the line goes, and with nothing left that differs from the static
    // configuration, the file goes too.
    assert_eq!(sim.patch_passive("false").status, 204);
    assert!(!sim.persisted().exists());
    sim.stop();
    let e = events(&sim);
    assert!(e.contains(&"ready passive=true".to_string()), "{e:?}");
}

#[test]
fn a_patch_to_the_current_value_persists_nothing() {
    // issue 9: started with --passive, then PATCHed to true: nothing written, and a restart
    // without the flag is active.
    let sim = journaled("");
    assert_rc(&sim.start_with(&["--passive"]), 0);
    let r = sim.patch_passive("true");
    assert_eq!(r.status, 204);
    assert_eq!(r.header("Mxs-Warning"), None);
    assert!(!sim.persisted().exists());
    sim.stop();
    assert_rc(&sim.start(), 0);
    assert!(!sim.passive());
    sim.stop();
    assert!(
        !events(&sim).iter().any(|e| e.starts_with("change")),
        "no change recorded"
    );
}

#[test]
fn the_parent_can_exit_late() {
    let sim = Sim::with(|s| s.global_extra = "sim_parent_exit_delay_ms=3000".into());
    let t = Instant::now();
    let mut parent = sim
        .cmd()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_for(Duration::from_secs(10), || sim.api_answers()));
    let answered = t.elapsed();
    assert_eq!(
        parent.try_wait().unwrap(),
        None,
        "the parent is still there"
    );
    assert_eq!(parent.wait().unwrap().code(), Some(0));
    let exited = t.elapsed();
    assert!(
        exited >= answered + Duration::from_millis(1000) && exited >= Duration::from_millis(3000),
        "answered after {answered:?}, parent exited after {exited:?}"
    );
    sim.stop();
}

// --- the passive journal -----------------------------------------------------------------------------

#[test]
fn the_journal_records_every_change_and_a_sigkill() {
    let sim = journaled("sim_node_name=n7");
    let t = Instant::now();
    assert_rc(&sim.start(), 0);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "no pipe of ours held open"
    );
    let pid = sim.pid().unwrap();
    assert!(!sim.passive());
    assert_eq!(sim.patch_passive("true").status, 204);
    assert_eq!(sim.patch_passive("false").status, 204);
    let before_kill = maxscale_sim::journal::now_ns();
    kill(pid, Signal::SIGKILL);
    assert!(wait_for(Duration::from_secs(5), || events(&sim)
        .last()
        .is_some_and(|e| e == "gone")));
    let j = sim.journal();
    let e: Vec<&str> = j.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(
        e,
        [
            "ready passive=false",
            "first-answer passive=false",
            "change passive=true",
            "change passive=false",
            "gone"
        ]
    );
    assert!(j.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
    assert!(
        j.last().unwrap().0 >= before_kill,
        "gone is never before the death"
    );
    let line = std::fs::read_to_string(sim.journal_path()).unwrap();
    assert!(
        line.lines().all(|l| l.split(' ').nth(1) == Some("n7")
            && l.split(' ').nth(2) == Some(pid.to_string().as_str())),
        "{line}"
    );
    // The watcher holds nothing of the dead instance (pid file lock, ports): a new one starts
    // once the killed one is reaped (a zombie in the pid file blocks a start, as in MaxScale).
    let reaped = || !std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(wait_for(Duration::from_secs(20), reaped));
    assert_rc(&sim.start(), 0);
    sim.stop();
    // The watcher writes `gone` once it sees the end, a moment after it on a loaded machine.
    assert!(wait_for(Duration::from_secs(5), || events(&sim)
        .last()
        .is_some_and(|e| e == "gone")));
    let e = events(&sim);
    let n = e.len();
    assert_eq!(
        e[n - 4..],
        [
            "ready passive=false",
            "shutdown passive=false",
            "exit rc=0",
            "gone"
        ],
        "{e:?}"
    );
}

#[test]
fn the_journal_watcher_goes_with_its_maxscale() {
    let sim = journaled("");
    assert_rc(&sim.start(), 0);
    let pid = sim.pid().unwrap();
    let watchers = || -> Vec<i32> {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|p| {
                std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .is_ok_and(|c| c.trim() == "mxs-sim-journal")
                    && std::fs::read_to_string(format!("/proc/{p}/stat"))
                        .is_ok_and(|s| s.contains(&format!(" {pid} ")))
            })
            .collect()
    };
    // It names itself and closes what it inherited right after the fork: on a loaded
    // machine that can take a moment.
    assert!(
        wait_for(Duration::from_secs(5), || watchers().len() == 1),
        "one watcher, a child of the MaxScale: {:?}",
        watchers()
    );
    let w = watchers();
    let fds = || std::fs::read_dir(format!("/proc/{}/fd", w[0])).map_or(0, |d| d.count());
    assert!(
        wait_for(Duration::from_secs(5), || fds() <= 5),
        "stdio, its pipe and the journal only: {}",
        fds()
    );
    sim.stop();
    assert!(wait_for(Duration::from_secs(5), || !alive(w[0])));
}

// --- hostile peers (issue 9 §3) -----------------------------------------------------------------------

fn head_and_body(raw: &[u8]) -> (String, &[u8]) {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header end");
    (
        String::from_utf8_lossy(&raw[..split]).into_owned(),
        &raw[split + 4..],
    )
}

#[test]
fn fault_endless_body_with_and_without_length() {
    let sim = Sim::started();
    for (fault, length) in [("endless", None), ("endless-length", Some("1099511627776"))] {
        assert_eq!(sim.put_sim("/sim/fault", fault).status, 204);
        let raw = raw_exchange(
            sim.admin_port,
            &raw_get(sim.admin_port, "/v1/maxscale"),
            Duration::from_secs(20),
            20 << 20,
        );
        let (head, body) = head_and_body(&raw);
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        let cl = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "));
        assert_eq!(cl, length, "{head}");
        assert!(body.len() > 10 << 20, "{fault}: {} bytes", body.len());
        assert!(body.starts_with(b"{\"data\": [{\"id\": \"server1\""));
    }
    // Clearing the fault ends a body in progress: the simulator closes the connection.
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", sim.admin_port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(&raw_get(sim.admin_port, "/v1/maxscale"))
            .unwrap();
        let mut buf = vec![0u8; 256 * 1024];
        let mut got = 0;
        while got < 1 << 20 {
            got += s.read(&mut buf).unwrap();
        }
        assert_eq!(sim.put_sim("/sim/fault", "none").status, 204);
        let t = Instant::now();
        while s.read(&mut buf).unwrap() > 0 {
            assert!(t.elapsed() < Duration::from_secs(20), "the body goes on");
        }
    }
    assert_eq!(sim.get("/v1/maxscale").status, 200);
    sim.stop();
}

#[test]
fn fault_trickle_sends_the_body_a_byte_at_a_time() {
    let sim = Sim::started();
    assert_eq!(sim.put_sim("/sim/fault", "trickle:50").status, 204);
    assert_eq!(sim.get("/sim/fault").text().trim(), "trickle:50");
    let raw = raw_exchange(
        sim.admin_port,
        &raw_get(sim.admin_port, "/v1/maxscale"),
        Duration::from_millis(2000),
        usize::MAX,
    );
    let (head, body) = head_and_body(&raw);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let cl: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(cl > 1000, "the whole document is announced: {cl}");
    assert!(
        !body.is_empty() && body.len() <= 40,
        "about one byte per 50 ms: {}",
        body.len()
    );
    assert!(body.starts_with(b"{"));
    sim.stop();
}

#[test]
fn fault_hostile_error_details() {
    let sim = Sim::started();
    let patch = passive_body("true");
    for (kind, needle) in [
        ("esc", "\u{1b}[31m"),
        ("nul", "before NUL\u{0}after"),
        ("crlf", "line 1\r\nline 2\rline 3\nline 4"),
        ("marker", "\nocf-exit-reason:forged on a line of its own"),
    ] {
        for (fault, status) in [
            (format!("detail:{kind}"), 500),
            (format!("detail:{kind}:400"), 400),
        ] {
            assert_eq!(sim.put_sim("/sim/fault", &fault).status, 204);
            for (m, body) in [("GET", None), ("PATCH", Some(patch.as_str()))] {
                let r = sim.req(m, "/v1/maxscale", body);
                assert_eq!(r.status, status, "{fault} {m}");
                let detail = r.json()["errors"][0]["detail"]
                    .as_str()
                    .unwrap()
                    .to_string();
                assert!(detail.contains(needle), "{fault}: {detail:?}");
                // On the wire the control characters are JSON escapes, as jansson sends them.
                assert!(!r.body.contains(&0x1b) && !r.body.contains(&0));
            }
        }
    }
    assert_eq!(sim.put_sim("/sim/fault", "detail:1mb").status, 204);
    let r = sim.get("/v1/maxscale");
    assert_eq!(r.status, 500);
    let detail = r.json()["errors"][0]["detail"].as_str().unwrap().len();
    assert_eq!(detail, 1 << 20);
    assert_eq!(sim.put_sim("/sim/fault", "none").status, 204);
    assert!(
        !sim.passive(),
        "the PATCHes under the fault changed nothing"
    );
    sim.stop();
}

#[test]
fn a_tls_client_gets_no_answer_from_the_plain_http_api() {
    // The REST API is plain HTTP. A TLS ClientHello never completes a request head, so the
    // simulator keeps reading: the TLS client waits for a ServerHello that never comes.
    let sim = Sim::started();
    let hello = [
        0x16u8, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03, 0x00, 0x01, 0x02,
    ];
    let got = raw_exchange(sim.admin_port, &hello, Duration::from_millis(1500), 1024);
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(sim.get("/v1/maxscale").status, 200);
    sim.stop();
}
