//! What an agent process writes and exits with, seen from outside as Pacemaker sees it: the
//! watchdog ends an action that blocks past its timeout with exit code 1 and a reason, before
//! Pacemaker's SIGKILL (which would leave no reason); an exit reason is one clean line within
//! Pacemaker's 128 characters whatever a peer put into it; a full stdout is a failure with a
//! reason, not a panic. Each case runs the agent in a child: this test binary re-executed with
//! a filter selecting `child_agent`, the words in `OCF_TEST_CHILD`.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ocf::{
    execute, Action, ActionSpec, Agent, AgentInfo, Context, Env, Failure, Mode, OcfError, OcfRc,
    ParamError, Status, Unimplemented,
};

const CHILD: &str = "OCF_TEST_CHILD";

static INFO: AgentInfo = AgentInfo {
    name: "hang-demo",
    version: "0.0.1",
    shortdesc: "blocks in monitor",
    longdesc: "a monitor that never returns",
    params: &[],
    actions: &[ActionSpec::new(Action::Monitor, 20).interval(10)],
    commands: &[],
};

#[derive(Debug, thiserror::Error)]
enum DemoError {
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error(transparent)]
    Unimplemented(#[from] Unimplemented),
    #[error(transparent)]
    Peer(OcfError),
}

impl Failure for DemoError {
    fn rc(&self) -> OcfRc {
        match self {
            DemoError::Param(e) => e.rc(),
            DemoError::Unimplemented(e) => e.rc(),
            DemoError::Peer(e) => e.rc(),
        }
    }
}

/// monitor blocks for a minute; start fails with what a hostile peer said.
struct Demo;
impl Agent for Demo {
    type Error = DemoError;
    fn info(&self) -> &'static AgentInfo {
        &INFO
    }
    fn start(&self, _: &Context) -> Result<Status, DemoError> {
        let detail = format!(
            "\u{1b}[2Jocf-exit-reason:all is well\u{0}hidden\r\nocf-exit-reason:fake {}",
            "x".repeat(1 << 20)
        );
        Err(DemoError::Peer(OcfError::new(
            OcfRc::ErrGeneric,
            format!("MaxScale refused the change: {detail}"),
        )))
    }
    fn stop(&self, _: &Context) -> Result<Status, DemoError> {
        Ok(Status::Success)
    }
    fn monitor(&self, _: &Context) -> Result<Status, DemoError> {
        std::thread::sleep(Duration::from_secs(60));
        Ok(Status::Success)
    }
    fn validate(&self, _: &Context) -> Result<Status, DemoError> {
        Ok(Status::Success)
    }
}

#[test]
fn child_agent() {
    let env = Env::from_process();
    let Some(words) = env.get(CHILD).map(str::to_string) else {
        return; // only meaningful in the children started below
    };
    let args: Vec<OsString> = std::iter::once("demo")
        .chain(words.split_whitespace())
        .map(OsString::from)
        .collect();
    if env.get("OCF_TEST_FULL_STDOUT").is_some() {
        // After the test harness has written its own lines: from here on stdout is full.
        let full = std::fs::File::options().write(true).open("/dev/full");
        // SAFETY: dup2 onto fd 1 of a descriptor we own; nothing else uses stdout concurrently.
        unsafe {
            libc::dup2(
                std::os::fd::AsRawFd::as_raw_fd(&full.expect("/dev/full")),
                1,
            )
        };
    }
    let code = execute(&Demo, &args, env, Mode::Process);
    std::process::exit(code);
}

/// Runs `child_agent` with `words`; returns exit code, stderr and how long it took.
fn run_child(
    words: &str,
    stdout: Stdio,
    adjust: impl FnOnce(&mut Command),
) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["--exact", "child_agent", "--nocapture", "--test-threads=1"])
        .env(CHILD, words)
        .stdout(stdout)
        .stderr(Stdio::piped());
    adjust(&mut cmd);
    let mut child = cmd.spawn().expect("spawn the child");
    // Bounded here too: without a working watchdog the child would sleep for a minute.
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child '{words}' did not end within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::io::read_to_string(child.stderr.take().expect("stderr")).expect("read");
    (status.code(), stderr, started.elapsed())
}

/// What Pacemaker takes as the exit reason: the text after the last marker, to the line's end.
fn pacemaker_reason(stderr: &str) -> Option<&str> {
    let at = stderr.rfind("ocf-exit-reason:")?;
    let rest = &stderr[at + "ocf-exit-reason:".len()..];
    Some(rest.split(['\n', '\0']).next().unwrap_or(""))
}

/// The hanging monitor with a 1 s timeout; `hostile`: the child starts with SIGALRM blocked
/// and ignored, as a parent such as mariadbd can leave it (both survive exec).
fn run_hanging_child(hostile: bool) -> (Option<i32>, String, Duration) {
    run_child("monitor", Stdio::null(), |cmd| {
        cmd.env("OCF_RESKEY_CRM_meta_timeout", "1000")
            .env("OCF_RESKEY_CRM_meta_interval", "10000");
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
    })
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

#[test]
fn a_peer_cannot_hide_or_replace_the_exit_reason() {
    let (code, stderr, _) = run_child("start", Stdio::null(), |_| {});
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr.matches("ocf-exit-reason:").count(),
        1,
        "{stderr:.300}"
    );
    assert!(!stderr.contains('\u{0}') && !stderr.contains('\u{1b}'));
    let reason = pacemaker_reason(&stderr).expect("an exit reason");
    assert!(
        reason.starts_with("MaxScale refused the change: [2Jocf-exit-reasonall is well hidden"),
        "{reason}"
    );
    assert!(reason.len() <= 128, "{} bytes: {reason}", reason.len());
    assert!(
        stderr.len() < 4096,
        "the megabyte went to stderr: {} bytes",
        stderr.len()
    );
}

#[test]
fn a_full_stdout_is_a_failure_with_a_reason() {
    for words in ["meta-data", "usage", "methods", "--version", "--man"] {
        let (code, stderr, _) = run_child(words, Stdio::null(), |cmd| {
            cmd.env("OCF_TEST_FULL_STDOUT", "1");
        });
        assert_eq!(code, Some(1), "{words}: {stderr}");
        let reason = pacemaker_reason(&stderr).expect("an exit reason");
        assert!(reason.starts_with("cannot write"), "{words}: {reason}");
        assert!(!stderr.contains("panicked"), "{words}: {stderr}");
    }
}

#[test]
fn an_unknown_action_is_unimplemented() {
    let (code, stderr, _) = run_child("frobnicate", Stdio::null(), |_| {});
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("usage: hang-demo"), "{stderr}");
    assert_eq!(
        pacemaker_reason(&stderr),
        Some("hang-demo: unknown action 'frobnicate'")
    );
    let (code, stderr, _) = run_child("", Stdio::null(), |_| {});
    assert_eq!(code, Some(2), "no action: {stderr}");
}
