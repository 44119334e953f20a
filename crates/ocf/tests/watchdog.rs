//! The watchdog ends an action that blocks past its timeout with exit code 1 and a reason,
//! before Pacemaker's SIGKILL (which would leave no reason). It exits the process, so the agent
//! runs in a child: this test binary re-executed with a filter selecting `hanging_agent`.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ocf::{execute, Action, ActionSpec, Agent, AgentInfo, Context, Env, Mode, OcfResult, Status};

const CHILD: &str = "OCF_TEST_WATCHDOG_CHILD";

static INFO: AgentInfo = AgentInfo {
    name: "hang-demo",
    version: "0.0.1",
    shortdesc: "blocks in monitor",
    longdesc: "a monitor that never returns",
    params: &[],
    actions: &[ActionSpec::new(Action::Monitor, 20).interval(10)],
    commands: &[],
};

struct Hang;
impl Agent for Hang {
    fn info(&self) -> &'static AgentInfo {
        &INFO
    }
    fn start(&self, _: &Context) -> OcfResult<Status> {
        Ok(Status::Success)
    }
    fn stop(&self, _: &Context) -> OcfResult<Status> {
        Ok(Status::Success)
    }
    fn monitor(&self, _: &Context) -> OcfResult<Status> {
        std::thread::sleep(Duration::from_secs(60));
        Ok(Status::Success)
    }
    fn validate(&self, _: &Context) -> OcfResult<Status> {
        Ok(Status::Success)
    }
}

#[test]
fn hanging_agent() {
    let env = Env::from_process();
    if env.get(CHILD).is_none() {
        return; // only meaningful in the child started below
    }
    let args: Vec<OsString> = ["hang-demo", "monitor"].map(OsString::from).to_vec();
    let code = execute(&Hang, &args, env, Mode::Process);
    panic!("the hanging monitor returned {code} instead of being ended by the watchdog");
}

/// Runs `hanging_agent` in a child with a 1 s timeout; `hostile`: the child starts with SIGALRM
/// blocked and ignored, as a parent such as mariadbd can leave it (both survive exec).
fn run_hanging_child(hostile: bool) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        "--exact",
        "hanging_agent",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, "1")
    .env("OCF_RESKEY_CRM_meta_timeout", "1000")
    .env("OCF_RESKEY_CRM_meta_interval", "10000")
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    if hostile {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, libc::SIGALRM);
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                libc::signal(libc::SIGALRM, libc::SIG_IGN);
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().expect("spawn the child");
    // Bounded here too: without a working watchdog the child would sleep for a minute.
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the watchdog did not end the action within 10 s (hostile parent: {hostile})");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::io::read_to_string(child.stderr.take().expect("stderr")).expect("read");
    (status.code(), stderr, started.elapsed())
}

#[test]
fn a_blocked_action_exits_1_with_a_reason_before_its_timeout() {
    for hostile in [false, true] {
        let (code, stderr, elapsed) = run_hanging_child(hostile);
        assert_eq!(
            code,
            Some(1),
            "exit code (hostile: {hostile}); stderr: {stderr}"
        );
        assert!(
            stderr.contains("ocf-exit-reason:monitor did not finish within its 1.0s timeout"),
            "no exit reason (hostile: {hostile}) in: {stderr}"
        );
        // 1 s timeout, 100 ms margin: the timer fires at 950 ms; the bound leaves room for a
        // slow start of the child, and still fails a watchdog that waits for the 60 s sleep.
        assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    }
}
