//! The built binary, as Pacemaker, ocf-tester and mysqld run it, with a fake `attrd_updater`
//! first on PATH (it records its arguments and keeps the value in a file). Galera itself is
//! absent here (the socket does not exist), so the value is 0; the real-Galera scenarios are in
//! tests/galera-sync/galera.sh.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use ocf::Agent;
use ocf_test_support::{assert_meta_data_is_the_declaration, Run};

const BIN: &str = env!("CARGO_BIN_EXE_galera-sync");

/// A fake attrd: `-Q` prints the stored value, `-B/-U` store it, `-D` blanks it. `MODE` in its
/// directory can make it fail or hang.
const FAKE_ATTRD: &str = r#"#!/bin/sh
dir=$(dirname "$0")
echo "$*" >> "$dir/calls"
mode=$(cat "$dir/mode" 2>/dev/null)
[ "$mode" = fail ] && { echo "connection refused" >&2; exit 1; }
[ "$mode" = hang ] && exec sleep 30
name=""; value=""; op=""
while [ $# -gt 0 ]; do
  case $1 in
    -n) name=$2; shift ;;
    -B|-U) op=set; value=$2; shift ;;
    -d) shift ;;
    -D) op=del ;;
    -Q) op=query ;;
  esac
  shift
done
case $op in
  set) printf '%s' "$value" > "$dir/attr-$name" ;;
  del) : > "$dir/attr-$name" ;;
  query) [ -e "$dir/attr-$name" ] || { echo "not found" >&2; exit 6; }
         printf 'name="%s" host="node1" value="%s"\n' "$name" "$(cat "$dir/attr-$name")" ;;
esac
exit 0
"#;

struct Rig {
    dir: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("bin");
        std::fs::create_dir(&fake).unwrap();
        let attrd = fake.join("attrd_updater");
        std::fs::write(&attrd, FAKE_ATTRD).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&attrd, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(dir.path().join("rsctmp")).unwrap();
        Rig { dir }
    }
    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }
    fn rsctmp(&self) -> PathBuf {
        self.dir.path().join("rsctmp")
    }
    fn socket(&self) -> PathBuf {
        self.dir.path().join("no-mysqld.sock")
    }
    fn mode(&self, mode: &str) {
        std::fs::write(self.bin().join("mode"), mode).unwrap();
    }
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.bin().join("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
    fn clear_calls(&self) {
        let _ = std::fs::remove_file(self.bin().join("calls"));
    }
    fn attr(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.bin().join(format!("attr-{name}"))).ok()
    }
    fn set_attr(&self, name: &str, value: &str) {
        std::fs::write(self.bin().join(format!("attr-{name}")), value).unwrap();
    }
    fn state(&self, instance: &str) -> Option<String> {
        std::fs::read_to_string(self.rsctmp().join(format!("galera-sync-{instance}.state"))).ok()
    }

    /// The binary with a clean environment: PATH = fake bin + system dirs, HA_RSCTMP, the
    /// socket, and what the caller adds.
    fn cmd(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin().display()))
            .env("HA_RSCTMP", self.rsctmp())
            .env("OCF_ROOT", "/usr/lib/ocf")
            .env("OCF_RESOURCE_INSTANCE", "gs")
            .env("OCF_RESKEY_CRM_meta_timeout", "20000")
            .env("OCF_RESKEY_socket", self.socket());
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run::of(&mut self.cmd(args, env))
    }
    /// As an unprivileged user (root bypasses permissions): nobody must be able to reach the
    /// binary and the rig.
    fn run_as_nobody(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        use std::os::unix::process::CommandExt;
        let mut c = self.cmd(args, env);
        c.uid(NOBODY).gid(NOBODY);
        Run::of(&mut c)
    }
    fn rc(&self, action: &str, env: &[(&str, &str)]) -> i32 {
        self.run(&[action], env).rc
    }
}

const RECURRING: (&str, &str) = ("OCF_RESKEY_CRM_meta_interval", "2000");
const NOBODY: u32 = 65534;
const PROBE: (&str, &str) = ("OCF_RESKEY_CRM_meta_interval", "0");

#[test]
fn meta_data_prints_the_declaration() {
    // That metadata/galera-sync.xml is current and valid for ocf-tester is tested for every
    // agent in packaging/tests/generated.rs.
    assert_meta_data_is_the_declaration(BIN, galera_sync::GaleraSyncAgent.info());
}

#[test]
fn lifecycle_without_galera_publishes_0_and_never_fails() {
    let rig = Rig::new();
    assert_eq!(rig.rc("monitor", &[PROBE]), 7, "probe before start");
    assert_eq!(
        rig.rc("validate-all", &[]),
        0,
        "a missing socket is only a warning"
    );
    assert!(rig.calls().is_empty(), "{:?}", rig.calls());

    assert_eq!(rig.rc("start", &[]), 0);
    assert_eq!(rig.calls(), ["-n galera-sync -B 0 -d 0ms"]);
    assert_eq!(rig.attr("galera-sync").as_deref(), Some("0"));
    let state = rig.state("gs").unwrap();
    assert!(state.starts_with("started\nvalue=0\npublished="), "{state}");
    assert_eq!(rig.rc("start", &[]), 0, "start is idempotent");

    // 0 is re-published at every monitor (a wsrep-notify 1 must not stick).
    rig.clear_calls();
    assert_eq!(rig.rc("monitor", &[RECURRING]), 0);
    assert_eq!(rig.calls(), ["-n galera-sync -B 0 -d 0ms"]);

    assert_eq!(rig.rc("stop", &[]), 0);
    assert_eq!(rig.calls().last().unwrap(), "-n galera-sync -D");
    assert_eq!(rig.attr("galera-sync").as_deref(), Some(""));
    assert!(rig.state("gs").is_none());
    assert_eq!(rig.rc("monitor", &[RECURRING]), 7);
    assert_eq!(rig.rc("stop", &[]), 0, "stop is idempotent");
    assert_eq!(
        std::fs::read_dir(rig.rsctmp()).unwrap().count(),
        0,
        "nothing left in HA_RSCTMP"
    );
}

#[test]
fn parameters_reach_attrd() {
    let rig = Rig::new();
    let env = [
        ("OCF_RESKEY_attribute", "gs-g2"),
        ("OCF_RESKEY_dampen", "3s"),
        ("OCF_RESOURCE_INSTANCE", "gs2"),
    ];
    assert_eq!(rig.rc("start", &env), 0);
    assert_eq!(rig.calls(), ["-n gs-g2 -B 0 -d 3000ms"]);
    assert!(rig.state("gs2").is_some());
    assert_eq!(rig.rc("stop", &env), 0);
}

#[test]
fn without_attrd_start_and_monitor_still_succeed_and_retry() {
    let rig = Rig::new();
    rig.mode("fail");
    let out = rig.run(&["start"], &[]);
    assert_eq!(out.rc, 0);
    assert!(
        out.stderr.contains("WARNING: cannot publish galera-sync=0"),
        "{}",
        out.stderr
    );
    assert_eq!(
        rig.state("gs").as_deref(),
        Some("started\n"),
        "nothing recorded"
    );
    assert_eq!(rig.rc("monitor", &[RECURRING]), 0);
    assert_eq!(rig.calls().len(), 2, "retried at the monitor");
    rig.mode("ok");
    assert_eq!(rig.rc("monitor", &[RECURRING]), 0);
    assert_eq!(rig.attr("galera-sync").as_deref(), Some("0"));
    rig.mode("fail");
    assert_eq!(rig.rc("stop", &[]), 0, "stop succeeds without attrd");
    assert!(rig.state("gs").is_none());
}

#[test]
fn a_hanging_attrd_does_not_hang_the_monitor() {
    let rig = Rig::new();
    assert_eq!(rig.rc("start", &[]), 0);
    rig.mode("hang");
    let t = Instant::now();
    let rc = rig.rc(
        "monitor",
        &[RECURRING, ("OCF_RESKEY_CRM_meta_timeout", "4000")],
    );
    assert_eq!(rc, 0);
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}

#[test]
fn probe_and_invalid_configuration() {
    let rig = Rig::new();
    let bad = [("OCF_RESKEY_connections_reserve", "-3")];
    assert_eq!(rig.rc("validate-all", &bad), 6);
    assert_eq!(rig.rc("start", &bad), 6);
    assert_eq!(rig.rc("monitor", &[PROBE, bad[0]]), 7);
    assert_eq!(rig.rc("stop", &bad), 0);
    let out = rig.run(&["start"], &bad);
    assert!(
        out.stderr
            .contains("ocf-exit-reason:parameter 'connections_reserve' must be 0 or more"),
        "{}",
        out.stderr
    );
}

#[test]
fn password_never_leaks() {
    let rig = Rig::new();
    let pw = rig.dir.path().join("pw");
    std::fs::write(&pw, "Sup3r-Secret-Pw\n").unwrap();
    let env = [
        ("OCF_RESKEY_password_file", pw.to_str().unwrap()),
        ("OCF_RESKEY_user", "monitor"),
        ("HA_debug", "1"),
    ];
    for action in ["validate-all", "start", "monitor", "stop"] {
        let out = rig.run(&[action], &env);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(!all.contains("Sup3r"), "{action}: {all}");
    }
    let out = rig.run(&["status", "--json"], &env);
    assert!(!out.stdout.contains("Sup3r"));
}

#[test]
fn status_command() {
    let rig = Rig::new();
    let out = rig.run(&["status"], &[]);
    assert_eq!(out.rc, 1);
    let text = &out.stdout;
    assert!(
        text.starts_with("unhealthy: unreachable: socket ") && text.contains("does not exist"),
        "{text}"
    );
    let out = rig.run(&["status", "--json"], &[]);
    assert_eq!(out.rc, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["healthy"], false);
    assert_eq!(v["value"], 0);
    assert_eq!(v["reason"]["kind"], "unreachable");
    assert_eq!(v["reason"]["error"]["kind"], "no_socket");
    // --params FILE wins over the environment.
    let params = rig.dir.path().join("gs.conf");
    std::fs::write(&params, "# test\nhost=127.0.0.1\nport=1\n").unwrap();
    let out = rig.run(
        &["status", "--json", "--params", params.to_str().unwrap()],
        &[],
    );
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["target"], "127.0.0.1:1");
    assert_eq!(v["reason"]["error"]["kind"], "refused");
    // Usage and configuration errors are 2.
    assert_eq!(rig.run(&["status", "--bogus"], &[]).rc, 2);
    let out = rig.run(
        &["status"],
        &[("OCF_RESKEY_port", "x"), ("OCF_RESKEY_host", "h")],
    );
    assert_eq!(out.rc, 2);
    let out = rig.run(&["status", "--params", "/nonexistent/file"], &[]);
    assert_eq!(out.rc, 2);
    assert_eq!(rig.run(&["status", "--help"], &[]).rc, 0);
    assert!(rig.calls().is_empty(), "status never touches attrd");
}

fn notify(rig: &Rig, args: &[&str]) -> Run {
    // As mysqld runs it: no OCF environment at all.
    Run::of(
        Command::new(BIN)
            .arg("wsrep-notify")
            .args(args)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", rig.bin().display())),
    )
}

#[test]
fn wsrep_notify_pushes_only_a_defined_attribute() {
    let rig = Rig::new();
    // Not defined here (resource not running): nothing is created.
    let r = notify(&rig, &["--status", "synced"]);
    assert_eq!(r.rc, 0);
    assert_eq!(rig.calls(), ["-n galera-sync -Q"]);
    assert_eq!(rig.attr("galera-sync"), None);

    rig.set_attr("galera-sync", "1");
    rig.clear_calls();
    let r = notify(&rig, &["--status", "donor"]);
    assert_eq!(r.rc, 0);
    assert!(r.elapsed < Duration::from_secs(1), "{:?}", r.elapsed);
    assert_eq!(rig.attr("galera-sync").as_deref(), Some("0"));
    assert_eq!(
        rig.calls(),
        ["-n galera-sync -Q", "-n galera-sync -B 0 -d 0ms"]
    );

    // The same value is sent again: attrd's own read-back may be stale (its update returns
    // through corosync first), so skipping could lose a change.
    rig.clear_calls();
    notify(&rig, &["--status", "joined"]);
    assert_eq!(
        rig.calls(),
        ["-n galera-sync -Q", "-n galera-sync -B 0 -d 0ms"]
    );

    // The server's full argument list, with a params file naming the attribute.
    let params = rig.dir.path().join("gs.conf");
    std::fs::write(&params, "attribute=gs-node1\ndampen=1s\ndonor_ok=true\n").unwrap();
    rig.set_attr("gs-node1", "0");
    let p = params.to_str().unwrap();
    let full = format!(
        "--params {p} --status donor --uuid abc --primary yes --index 0 \
         --members a/g1/127.0.0.1:3311,b/g2/127.0.0.1:3312"
    );
    let r = notify(&rig, &full.split_whitespace().collect::<Vec<_>>());
    assert_eq!(r.rc, 0);
    assert_eq!(
        rig.attr("gs-node1").as_deref(),
        Some("1"),
        "donor_ok from the file"
    );
    assert!(rig
        .calls()
        .contains(&"-n gs-node1 -B 1 -d 1000ms".to_string()));
    // --attribute on the command line wins over nothing; the file's donor_ok still applies.
    notify(
        &rig,
        &["--params", p, "--status", "synced", "--primary", "no"],
    );
    assert_eq!(rig.attr("gs-node1").as_deref(), Some("0"));
    // A params file that cannot be read: nothing is touched.
    rig.clear_calls();
    let r = notify(&rig, &["--params", "/nonexistent", "--status", "synced"]);
    assert_eq!(r.rc, 0);
    assert!(rig.calls().is_empty());
    assert!(
        r.stderr.contains("not updating any attribute"),
        "{}",
        r.stderr
    );
}

#[test]
fn wsrep_notify_survives_hostile_input_and_a_hanging_attrd() {
    let rig = Rig::new();
    rig.set_attr("galera-sync", "1");
    let r = notify(
        &rig,
        &[
            "--status",
            "donor",
            "--unknown",
            "x",
            "--members",
            "id/$(touch /tmp/pwned)\u{1b}[31m/addr",
            "--status",
            "synced",
            "--attribute",
            "victim",
        ],
    );
    assert_eq!(r.rc, 0);
    assert_eq!(
        rig.attr("galera-sync").as_deref(),
        Some("0"),
        "first --status wins"
    );
    assert_eq!(rig.attr("victim"), None);
    assert!(!r.stderr.contains('\u{1b}'), "{:?}", r.stderr);
    let r = notify(&rig, &[]);
    assert_eq!(r.rc, 0, "no arguments at all");
    let r = notify(&rig, &["--status"]);
    assert_eq!(r.rc, 0);
    let r = notify(&rig, &["--attribute", "bad name", "--status", "synced"]);
    assert_eq!(r.rc, 0);

    rig.mode("hang");
    let r = notify(&rig, &["--status", "synced"]);
    assert_eq!(r.rc, 0);
    assert!(r.elapsed < Duration::from_millis(1600), "{:?}", r.elapsed);
    rig.mode("fail");
    let r = notify(&rig, &["--status", "synced"]);
    assert_eq!(r.rc, 0);
    assert!(r.elapsed < Duration::from_secs(1), "{:?}", r.elapsed);
}

#[test]
fn unknown_and_unimplemented_actions() {
    let rig = Rig::new();
    for a in [
        "notify",
        "promote",
        "demote",
        "reload",
        "migrate_to",
        "migrate_from",
    ] {
        assert_eq!(rig.rc(a, &[]), 3, "{a}");
    }
    assert_eq!(rig.rc("frobnicate", &[]), 3);
    let methods = rig.run(&["methods"], &[]);
    assert_eq!(
        methods.stdout,
        "start\nstop\nmonitor\nreload-agent\nmeta-data\nvalidate-all\nmethods\nusage\n"
    );
}

#[test]
fn invalid_configuration_never_fails_stop_or_probe() {
    let rig = Rig::new();
    // Invalid on purpose: a probe never says "not configured", and stop still works.
    let bad = [("OCF_RESKEY_attribute", "bad name")];
    assert_eq!(rig.rc("monitor", &[PROBE, bad[0]]), 7);
    assert_eq!(rig.rc("stop", &bad), 0);
    assert_eq!(rig.rc("stop", &bad), 0);
    assert_eq!(rig.rc("validate-all", &bad), 6);
    let out = rig.run(&["start"], &bad);
    out.assert_rc(6, "start")
        .assert_reason("parameter 'attribute' must be 1-128 letters");
    assert_eq!(
        std::fs::read_dir(rig.rsctmp()).unwrap().count(),
        0,
        "no state left"
    );
    let pw = rig.dir.path().join("nope");
    let env = [("OCF_RESKEY_password_file", pw.to_str().unwrap())];
    rig.run(&["validate-all"], &env)
        .assert_rc(2, "validate")
        .assert_reason("password_file ");
    assert_eq!(rig.rc("start", &env), 2);
    assert_eq!(rig.rc("stop", &env), 0);
}

/// issue 9 §2: HA_RSCTMP that cannot hold a state file, or a resource id too long for a file
/// name. Nothing can have been started through it: stop 0, monitor 7; start fails with a
/// reason.
#[test]
fn an_unusable_state_directory_never_fails_stop() {
    let rig = Rig::new();
    let file = rig.dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let long = format!("{}/{}", rig.rsctmp().display(), "n".repeat(5000));
    let long_id = "r".repeat(300);
    let cases: [(&str, String, &str, i32, &str); 4] = [
        (
            "a regular file",
            file.display().to_string(),
            "gs",
            5,
            "HA_RSCTMP ",
        ),
        (
            "through a file",
            format!("{}/below", file.display()),
            "gs",
            5,
            "HA_RSCTMP ",
        ),
        ("too long", long, "gs", 5, "HA_RSCTMP "),
        (
            "a long id",
            rig.rsctmp().display().to_string(),
            &long_id,
            6,
            "resource id too long",
        ),
    ];
    for (what, rsctmp, id, start_rc, reason) in &cases {
        let env = [
            ("HA_RSCTMP", rsctmp.as_str()),
            ("OCF_RESOURCE_INSTANCE", *id),
        ];
        let stop = rig.run(&["stop"], &env);
        stop.assert_rc(0, &format!("stop, HA_RSCTMP {what}"));
        assert_eq!(
            rig.rc("monitor", &[env[0], env[1], PROBE]),
            7,
            "probe, {what}"
        );
        assert_eq!(
            rig.rc("monitor", &[env[0], env[1], RECURRING]),
            7,
            "monitor, {what}"
        );
        rig.run(&["start"], &env)
            .assert_rc(*start_rc, &format!("start, {what}"))
            .assert_reason(reason);
        assert_eq!(
            rig.rc("stop", &env),
            0,
            "stop after the failed start, {what}"
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x", "left alone");
}

#[test]
fn odd_things_at_the_state_file_path() {
    let rig = Rig::new();
    let state = rig.rsctmp().join("galera-sync-gs.state");
    // A FIFO: a monitor that opened it for reading would block until its timeout.
    nix::unistd::mkfifo(&state, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let t = Instant::now();
    assert_eq!(rig.rc("monitor", &[RECURRING]), 7);
    assert_eq!(rig.rc("monitor", &[PROBE]), 7);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(rig.rc("stop", &[]), 0);
    // start replaces what it never made.
    assert_eq!(rig.rc("start", &[]), 0);
    assert!(rig.state("gs").unwrap().starts_with("started\n"));
    assert_eq!(rig.rc("stop", &[]), 0);
    // A directory: left alone, not started; start cannot replace it.
    std::fs::create_dir(&state).unwrap();
    assert_eq!(rig.rc("monitor", &[RECURRING]), 7);
    assert_eq!(rig.rc("stop", &[]), 0);
    rig.run(&["start"], &[])
        .assert_rc(5, "start over a directory")
        .assert_reason("state file ");
    assert!(state.is_dir());
}

#[test]
fn a_state_directory_nobody_may_enter() {
    let rig = Rig::new();
    use std::os::unix::fs::PermissionsExt;
    let open = |p: &std::path::Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    open(rig.dir.path(), 0o755);
    open(&rig.bin(), 0o777);
    open(&rig.rsctmp(), 0o000);
    let probe = rig.run_as_nobody(&["monitor"], &[PROBE]);
    probe.assert_rc(7, "probe");
    rig.run_as_nobody(&["stop"], &[]).assert_rc(0, "stop");
    rig.run_as_nobody(&["start"], &[])
        .assert_rc(4, "start")
        .assert_reason("HA_RSCTMP ");
    // Root may: the same resource starts.
    assert_eq!(rig.rc("start", &[]), 0);
    assert!(rig.state("gs").is_some());
}

/// issue 9 §4: a full or closed stdout is an error with a one-line reason, not a panic.
#[test]
fn status_to_a_closed_or_full_stdout() {
    let rig = Rig::new();
    // A socket whose other end is closed: writes fail with EPIPE (SIGPIPE is ignored).
    let closed = || {
        let (kept, peer) = std::os::unix::net::UnixStream::pair().unwrap();
        drop(peer);
        std::process::Stdio::from(std::os::fd::OwnedFd::from(kept))
    };
    let full = || {
        let f = std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap();
        std::process::Stdio::from(f)
    };
    let outs: [(&str, &dyn Fn() -> std::process::Stdio); 2] =
        [("closed", &closed), ("full", &full)];
    for (what, out) in outs {
        for json in [false, true] {
            let mut args = vec!["status"];
            if json {
                args.push("--json");
            }
            let mut cmd = rig.cmd(&args, &[]);
            cmd.stdout(out());
            let r = Run::of(&mut cmd);
            assert_eq!(r.rc, 2, "{what}: {}", r.stderr);
            let lines: Vec<&str> = r.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{what}: {:?}", r.stderr);
            assert!(
                lines[0].starts_with("galera-sync status: cannot write to stdout: "),
                "{what}: {}",
                lines[0]
            );
            assert!(!r.stderr.contains("panic"), "{}", r.stderr);
        }
    }
}

/// A server that accepts and never answers takes the query's whole time; the verdict 0 must
/// still reach attrd before the action's timeout, also a short one.
#[test]
fn a_hung_server_is_published_as_0_within_a_short_timeout() {
    let rig = Rig::new();
    let sock = rig.dir.path().join("silent.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let env = [
        ("OCF_RESKEY_socket", sock.to_str().unwrap()),
        ("OCF_RESKEY_CRM_meta_timeout", "3000"),
    ];
    assert_eq!(rig.rc("start", &env), 0);
    rig.set_attr("galera-sync", "1");
    rig.clear_calls();
    let out = rig.run(&["monitor"], &[env[0], env[1], RECURRING]);
    out.assert_rc(0, "monitor");
    assert!(out.elapsed < Duration::from_secs(3), "{:?}", out.elapsed);
    assert_eq!(
        rig.calls(),
        ["-n galera-sync -B 0 -d 0ms"],
        "{}",
        out.stderr
    );
    assert_eq!(rig.attr("galera-sync").as_deref(), Some("0"));
}

#[test]
fn reload_agent_applies_monitor_parameters_at_once() {
    let rig = Rig::new();
    let xml = rig.run(&["meta-data"], &[]).stdout;
    assert!(
        xml.contains("<action name=\"reload-agent\" timeout=\"20s\"/>"),
        "{xml}"
    );
    assert!(xml.contains("<parameter name=\"connections_reserve\" reloadable=\"1\">"));
    assert!(
        xml.contains("<parameter name=\"attribute\">"),
        "not reloadable"
    );
    // Not started: nothing to apply, nothing published.
    assert_eq!(rig.rc("reload-agent", &[]), 0);
    assert!(rig.calls().is_empty(), "{:?}", rig.calls());
    assert_eq!(rig.rc("start", &[]), 0);
    rig.clear_calls();
    // The new dampening reaches attrd with the reload, not at some later change.
    let env = [
        ("OCF_RESKEY_dampen", "4s"),
        ("OCF_RESKEY_connections_reserve", "0"),
    ];
    assert_eq!(rig.rc("reload-agent", &env), 0);
    assert_eq!(rig.calls(), ["-n galera-sync -B 0 -d 4000ms"]);
    // Checked like validate-all.
    rig.run(&["reload-agent"], &[("OCF_RESKEY_dampen", "soon")])
        .assert_rc(6, "invalid")
        .assert_reason("parameter 'dampen'");
    assert!(rig.state("gs").is_some(), "still started");
}
