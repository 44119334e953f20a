//! The entry point every agent's `main` calls: argv[1] → action → exit code. This is the one
//! place where a result becomes an exit code and an `ocf-exit-reason:` line.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use crate::action::Action;
use crate::agent::{Agent, AgentInfo, Context, Status};
use crate::deadline::{Deadline, DEFAULT_TIMEOUT};
use crate::env::Env;
use crate::error::Failure;
use crate::log::{OcfLog, EXIT_REASON_TARGET};
use crate::metadata;
use crate::rc::OcfRc;
use crate::reason;
use crate::watchdog;

/// Runs the agent for this process: reads argv and the environment, installs logging, a panic
/// hook and the timeout watchdog, and returns the OCF exit code.
pub fn run<A: Agent>(agent: A) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let env = Env::from_process();
    let info = agent.info();
    install_panic_hook(info.name, env.exit_reason_prefix().to_string());
    let code = execute(&agent, &args, env, Mode::Process);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Whether `execute` owns the process (logging, watchdog) or runs inside a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Process,
    Embedded,
}

/// Dispatches one invocation and returns its exit code. `args[0]` is the program name.
pub fn execute<A: Agent>(agent: &A, args: &[OsString], env: Env, mode: Mode) -> i32 {
    let mut io = Io {
        out: &mut std::io::stdout(),
        err: &mut std::io::stderr(),
    };
    execute_with(agent, args, env, mode, &mut io)
}

/// Where `execute` writes what it answers and its exit reasons: the process's stdout and stderr,
/// or buffers in this crate's tests (libtest cannot capture writes to the real descriptors).
/// The watchdog and the panic hook write to the real stderr whatever this says.
struct Io<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
}

fn execute_with<A: Agent>(agent: &A, args: &[OsString], env: Env, mode: Mode, io: &mut Io) -> i32 {
    let info = agent.info();
    let prefix = env.exit_reason_prefix().to_string();
    let Some(word) = args.get(1).map(|a| a.to_string_lossy().into_owned()) else {
        let _ = write!(io.err, "{}", usage(info));
        exit_reason(io, &prefix, &format!("{}: no action given", info.name));
        return OcfRc::ErrArgs.code().into();
    };
    // Non-OCF commands first: they have their own arguments and exit codes.
    if let Some(code) = agent.command(&word, &args[2..], env.clone()) {
        return code;
    }
    let text = match word.as_str() {
        "--version" | "version" => Some(format!("{} {}\n", info.name, info.version)),
        // The man page comes from the same declaration as the meta-data (packaging/man/).
        "--man" => Some(crate::manpage::render(info)),
        _ => None,
    };
    if let Some(text) = text {
        return print_stdout(io, &text, &word, &prefix);
    }
    let action = match word.parse::<Action>() {
        Ok(a) => a,
        Err(e) => {
            // IPaddr2 and OCF: an action the agent does not know is "unimplemented".
            let _ = write!(io.err, "{}", usage(info));
            exit_reason(io, &prefix, &format!("{}: {e}", info.name));
            return OcfRc::ErrUnimplemented.code().into();
        }
    };
    // meta-data must work for any user (ocf-tester runs it as `nobody`) and print only XML.
    let text = match action {
        Action::MetaData => Some(metadata::render(info)),
        Action::Usage => Some(usage(info)),
        Action::Methods => Some(methods(info)),
        _ => None,
    };
    if let Some(text) = text {
        return print_stdout(io, &text, action.as_str(), &prefix);
    }

    if mode == Mode::Process {
        OcfLog::from_env(info.name, &env).install();
    }
    let deadline = Deadline::from_timeout(env.timeout().unwrap_or(DEFAULT_TIMEOUT));
    if mode == Mode::Process {
        start_watchdog(action, deadline, &prefix);
    }
    let ctx = Context::new(info, action, env, deadline);
    let code = match dispatch(agent, &ctx) {
        Ok(status) => status.rc().code().into(),
        Err(e) => finish_failure(io, &ctx, &e, &prefix),
    };
    tracing::debug!(
        "{action} finished with {code} after {:?}",
        ctx.deadline.elapsed()
    );
    code
}

fn dispatch<A: Agent>(agent: &A, ctx: &Context) -> Result<Status, A::Error> {
    match ctx.action {
        Action::Start => agent.start(ctx),
        Action::Stop => agent.stop(ctx),
        Action::Monitor => agent.monitor(ctx),
        Action::ValidateAll => agent.validate(ctx),
        Action::Promote => agent.promote(ctx),
        Action::Demote => agent.demote(ctx),
        Action::Notify => agent.notify(ctx),
        Action::ReloadAgent => agent.reload_agent(ctx),
        _ => Err(ctx.unimplemented().into()),
    }
}

/// The one mapping from a failure to the exit code and the exit reason.
fn finish_failure(io: &mut Io, ctx: &Context, e: &dyn Failure, prefix: &str) -> i32 {
    let rc = e.rc();
    // Probes must never ban a resource cluster-wide: a probe that finds a configuration error on
    // a node where nothing can run answers "not running" (OCF: a probe on a node without the
    // software answers 7 or 5, never 6).
    let rc = if ctx.is_probe() && rc == OcfRc::ErrConfigured {
        OcfRc::NotRunning
    } else {
        rc
    };
    exit_reason(io, prefix, &e.to_string());
    rc.code().into()
}

/// Writes the exit reason (cleaned, within Pacemaker's limit) to stderr, the whole text to the
/// log.
fn exit_reason(io: &mut Io, prefix: &str, text: &str) {
    let full = reason::clean(text);
    if full.is_empty() {
        return;
    }
    let _ = writeln!(io.err, "{prefix}{}", reason::for_pacemaker(&full));
    tracing::error!(target: EXIT_REASON_TARGET, "{full}");
}

/// Prints what an informational action answers; a closed or full stdout is a failure with a
/// one-line reason, never a panic.
fn print_stdout(io: &mut Io, text: &str, what: &str, prefix: &str) -> i32 {
    match io
        .out
        .write_all(text.as_bytes())
        .and_then(|()| io.out.flush())
    {
        Ok(()) => 0,
        Err(e) => {
            exit_reason(io, prefix, &format!("cannot write {what} to stdout: {e}"));
            OcfRc::ErrGeneric.code().into()
        }
    }
}

fn start_watchdog(action: Action, deadline: Deadline, prefix: &str) {
    let after = deadline
        .hard_limit()
        .saturating_duration_since(std::time::Instant::now());
    let message = format!(
        "{prefix}{action} did not finish within its {:.1}s timeout",
        deadline.timeout().as_secs_f64()
    );
    watchdog::arm(after, OcfRc::ErrGeneric.code().into(), &message);
}

fn install_panic_hook(agent: &'static str, prefix: String) {
    std::panic::set_hook(Box::new(move |info| {
        let what = reason::for_pacemaker(&format!("{agent}: internal error: {info}"));
        let _ = writeln!(std::io::stderr(), "{prefix}{what}");
        std::process::exit(OcfRc::ErrGeneric.code().into());
    }));
}

pub fn usage(info: &AgentInfo) -> String {
    let mut text = format!(
        "usage: {} {{{}}}\n",
        info.name,
        info.answered_actions().join("|")
    );
    for (synopsis, _) in info.commands {
        text.push_str(&format!("       {} {synopsis}\n", info.name));
    }
    text.push_str(&format!(
        "\n{}: {}\nOCF resource agent; instance parameters come from OCF_RESKEY_<name>.\n",
        info.name, info.shortdesc
    ));
    text
}

fn methods(info: &AgentInfo) -> String {
    info.answered_actions()
        .iter()
        .map(|n| format!("{n}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{INFO, IP};
    use crate::error::{OcfError, Unimplemented};
    use crate::params::ParamError;

    #[derive(Debug, thiserror::Error)]
    enum DemoError {
        #[error(transparent)]
        Param(#[from] ParamError),
        #[error(transparent)]
        Unimplemented(#[from] Unimplemented),
        #[error(transparent)]
        Other(OcfError),
    }

    impl Failure for DemoError {
        fn rc(&self) -> OcfRc {
            match self {
                DemoError::Param(e) => e.rc(),
                DemoError::Unimplemented(e) => e.rc(),
                DemoError::Other(e) => e.rc(),
            }
        }
    }

    struct Demo;
    impl Agent for Demo {
        type Error = DemoError;
        fn info(&self) -> &'static AgentInfo {
            &INFO
        }
        fn start(&self, ctx: &Context) -> Result<Status, DemoError> {
            match ctx.params.text(&IP) {
                Some("hostile") => Err(DemoError::Other(OcfError::new(
                    OcfRc::ErrGeneric,
                    format!(
                        "peer said: x\u{0}y ocf-exit-reason:fake {}",
                        "z".repeat(300)
                    ),
                ))),
                _ => Ok(Status::Success),
            }
        }
        fn stop(&self, _: &Context) -> Result<Status, DemoError> {
            Ok(Status::Success)
        }
        fn monitor(&self, ctx: &Context) -> Result<Status, DemoError> {
            ctx.params.check_all(INFO.params)?;
            Ok(Status::NotRunning)
        }
        fn validate(&self, ctx: &Context) -> Result<Status, DemoError> {
            ctx.params.check_all(INFO.params)?;
            Ok(Status::Success)
        }
        fn command(&self, name: &str, args: &[OsString], _: Env) -> Option<i32> {
            (name == "hello").then_some(40 + i32::try_from(args.len()).unwrap_or(0))
        }
    }

    /// What one invocation answered: its exit code, stdout and stderr.
    struct Ran {
        code: i32,
        out: String,
        err: String,
    }

    impl Ran {
        /// The `ocf-exit-reason:` lines it wrote, marker removed.
        fn reasons(&self) -> Vec<&str> {
            self.err
                .lines()
                .filter_map(|l| l.strip_prefix("ocf-exit-reason:"))
                .collect()
        }
    }

    fn exec(args: &[&str], env: &[(&str, &str)]) -> Ran {
        let args: Vec<OsString> = std::iter::once("agent")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = execute_with(
            &Demo,
            &args,
            Env::of(env),
            Mode::Embedded,
            &mut Io {
                out: &mut out,
                err: &mut err,
            },
        );
        let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8 output");
        Ran {
            code,
            out: text(out),
            err: text(err),
        }
    }

    #[test]
    fn codes_for_actions() {
        assert_eq!(exec(&[], &[]).code, 2, "no action");
        assert_eq!(
            exec(&["frobnicate"], &[]).code,
            3,
            "unknown action: unimplemented"
        );
        assert_eq!(exec(&["meta-data"], &[]).code, 0);
        assert_eq!(exec(&["usage"], &[]).code, 0);
        assert_eq!(exec(&["methods"], &[]).code, 0);
        assert_eq!(exec(&["--version"], &[]).code, 0);
        assert_eq!(exec(&["promote"], &[]).code, 3);
        assert_eq!(exec(&["notify"], &[]).code, 3);
        assert_eq!(exec(&["migrate_to"], &[]).code, 3);
        assert_eq!(exec(&["reload-agent"], &[]).code, 3);
        assert_eq!(exec(&["reload"], &[]).code, 3);
        assert_eq!(exec(&["start"], &[]).code, 0);
        assert_eq!(exec(&["validate-all"], &[]).code, 6, "required ip missing");
        assert_eq!(
            exec(
                &["validate-all", "extra", "args"],
                &[("OCF_RESKEY_ip", "x")]
            )
            .code,
            0
        );
        assert_eq!(exec(&["start"], &[("OCF_RESKEY_ip", "hostile")]).code, 1);
        assert_eq!(
            exec(&["hello", "a", "b"], &[]).code,
            42,
            "extra commands get their args"
        );
    }

    #[test]
    fn what_each_action_writes() {
        // Failures: the usage where the action word is wrong, then one exit reason.
        for (args, reason) in [
            (&[][..], "demo-agent: no action given"),
            (
                &["frobnicate"][..],
                "demo-agent: unknown action 'frobnicate'",
            ),
        ] {
            let ran = exec(args, &[]);
            assert!(ran.err.starts_with("usage: demo-agent {"), "{}", ran.err);
            assert_eq!(ran.reasons(), [reason], "{args:?}");
            assert_eq!(ran.out, "", "{args:?}");
        }
        for action in ["promote", "notify", "migrate_to", "reload-agent", "reload"] {
            let ran = exec(&[action], &[]);
            let reason = format!("demo-agent does not implement '{action}'");
            assert_eq!(ran.reasons(), [reason.as_str()], "{action}");
            assert_eq!((ran.out.as_str(), ran.err.lines().count()), ("", 1));
        }
        let ran = exec(&["validate-all"], &[]);
        assert_eq!(ran.reasons(), ["required parameter 'ip' is not set"]);
        // A peer's text cannot add a marker, a NUL or more than Pacemaker keeps.
        let ran = exec(&["start"], &[("OCF_RESKEY_ip", "hostile")]);
        let [reason] = ran.reasons()[..] else {
            panic!("not one exit reason: {}", ran.err);
        };
        assert!(
            reason.starts_with("peer said: x y ocf-exit-reasonfake zzz"),
            "{reason}"
        );
        assert!(reason.len() <= 128 && !reason.contains('\u{0}'), "{reason}");
        assert_eq!(ran.err.matches("ocf-exit-reason:").count(), 1);
        // Successes write no reason; informational actions answer on stdout only.
        for action in ["start", "hello"] {
            let ran = exec(&[action], &[]);
            assert_eq!((ran.out.as_str(), ran.err.as_str()), ("", ""), "{action}");
        }
        for (action, answer) in [
            ("meta-data", metadata::render(&INFO)),
            ("usage", usage(&INFO)),
            ("methods", methods(&INFO)),
            ("--version", "demo-agent 1.2.3\n".to_string()),
        ] {
            let ran = exec(&[action], &[]);
            assert_eq!((ran.out, ran.err.as_str()), (answer, ""), "{action}");
        }
        assert!(exec(&["meta-data"], &[]).out.starts_with("<?xml"));
    }

    #[test]
    fn probes_never_answer_not_configured() {
        let probe = [("OCF_RESKEY_CRM_meta_interval", "0")];
        let ran = exec(&["monitor"], &probe);
        assert_eq!(ran.code, 7);
        // The configuration error is still said, only the code is a probe's.
        assert_eq!(ran.reasons(), ["required parameter 'ip' is not set"]);
        let recurring = [("OCF_RESKEY_CRM_meta_interval", "10000")];
        let ran = exec(&["monitor"], &recurring);
        assert_eq!(ran.code, 6);
        assert_eq!(ran.reasons(), ["required parameter 'ip' is not set"]);
    }

    #[test]
    fn usage_lists_actions_and_commands() {
        let usage_text = "usage: demo-agent {start|monitor|meta-data|validate-all|methods|usage}
       demo-agent hello

demo-agent: Demo <agent>
OCF resource agent; instance parameters come from OCF_RESKEY_<name>.
";
        assert_eq!(usage(&INFO), usage_text);
        let answered = "start\nmonitor\nmeta-data\nvalidate-all\nmethods\nusage\n";
        assert_eq!(methods(&INFO), answered);
    }
}
