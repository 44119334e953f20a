//! The entry point every agent's `main` calls: argv[1] → action → exit code. This is the one
//! place where a result becomes an exit code and an `ocf-exit-reason:` line.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use crate::action::Action;
use crate::agent::{Agent, AgentInfo, Context, Status};
use crate::deadline::{Deadline, DEFAULT_TIMEOUT};
use crate::env::Env;
use crate::error::OcfError;
use crate::log::{OcfLog, EXIT_REASON_TARGET};
use crate::metadata;
use crate::rc::OcfRc;
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
    let info = agent.info();
    let Some(word) = args.get(1).map(|a| a.to_string_lossy().into_owned()) else {
        let _ = write!(std::io::stderr(), "{}", usage(info));
        return OcfRc::ErrArgs.code().into();
    };
    // Non-OCF commands first: they have their own arguments and exit codes.
    if let Some(code) = agent.command(&word, &args[2..], env.clone()) {
        return code;
    }
    if word == "--version" || word == "version" {
        println!("{} {}", info.name, info.version);
        return 0;
    }
    // The man page comes from the same declaration as the meta-data (packaging/man/).
    if word == "--man" {
        print!("{}", crate::manpage::render(info));
        return 0;
    }
    let action = match word.parse::<Action>() {
        Ok(a) => a,
        Err(e) => {
            let _ = write!(std::io::stderr(), "{}: {e}\n{}", info.name, usage(info));
            return OcfRc::ErrArgs.code().into();
        }
    };
    match action {
        // meta-data must work for any user (ocf-tester runs it as `nobody`) and print only XML.
        Action::MetaData => {
            print!("{}", metadata::render(info));
            return 0;
        }
        Action::Usage => {
            print!("{}", usage(info));
            return 0;
        }
        Action::Methods => {
            print!("{}", methods(info));
            return 0;
        }
        _ => {}
    }

    if mode == Mode::Process {
        OcfLog::from_env(info.name, &env).install();
    }
    let deadline = Deadline::from_timeout(env.timeout().unwrap_or(DEFAULT_TIMEOUT));
    if mode == Mode::Process {
        start_watchdog(action, deadline, env.exit_reason_prefix());
    }
    let prefix = env.exit_reason_prefix().to_string();
    let ctx = Context::new(info, action, env, deadline);
    let result = dispatch(agent, &ctx);
    let code = finish(&ctx, result, &prefix);
    tracing::debug!(
        "{action} finished with {code} after {:?}",
        ctx.deadline.elapsed()
    );
    code
}

fn dispatch<A: Agent>(agent: &A, ctx: &Context) -> Result<Status, OcfError> {
    match ctx.action {
        Action::Start => agent.start(ctx),
        Action::Stop => agent.stop(ctx),
        Action::Monitor => agent.monitor(ctx),
        Action::ValidateAll => agent.validate(ctx),
        Action::Promote => agent.promote(ctx),
        Action::Demote => agent.demote(ctx),
        Action::Notify => agent.notify(ctx),
        Action::Reload => agent.reload(ctx),
        other => Err(OcfError::unimplemented(format!(
            "{} does not implement '{other}'",
            ctx.info.name
        ))),
    }
}

/// The one mapping from an action's result to the exit code and the exit reason.
fn finish(ctx: &Context, result: Result<Status, OcfError>, prefix: &str) -> i32 {
    match result {
        Ok(status) => status.rc().code().into(),
        Err(e) => {
            let rc = e.rc();
            // Probes must never ban a resource cluster-wide: a probe that finds a configuration
            // error on a node where nothing can run answers "not running" (ocf-facts §A9).
            let rc = if ctx.is_probe() && rc == OcfRc::ErrConfigured {
                OcfRc::NotRunning
            } else {
                rc
            };
            let reason = e.reason();
            if !reason.is_empty() {
                let _ = writeln!(std::io::stderr(), "{prefix}{reason}");
                tracing::error!(target: EXIT_REASON_TARGET, "{reason}");
            }
            rc.code().into()
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
        let _ = writeln!(std::io::stderr(), "{prefix}{agent}: internal error: {info}");
        std::process::exit(OcfRc::ErrGeneric.code().into());
    }));
}

pub fn usage(info: &AgentInfo) -> String {
    let mut actions: Vec<&str> = info.actions.iter().map(|a| a.action.as_str()).collect();
    actions.dedup();
    for extra in ["meta-data", "validate-all", "methods", "usage"] {
        if !actions.contains(&extra) {
            actions.push(extra);
        }
    }
    let mut text = format!("usage: {} {{{}}}\n", info.name, actions.join("|"));
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
    let mut names: Vec<&str> = info.actions.iter().map(|a| a.action.as_str()).collect();
    names.extend(["meta-data", "validate-all", "methods", "usage"]);
    let mut seen = Vec::new();
    for n in names {
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    seen.iter().map(|n| format!("{n}\n")).collect()
}

/// A deadline for non-OCF commands that get no timeout from Pacemaker.
pub fn command_deadline(timeout: Duration) -> Deadline {
    Deadline::from_timeout(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::ActionSpec;
    use crate::error::OcfResult;
    use crate::params::ParamSpec;

    static INFO: AgentInfo = AgentInfo {
        name: "probe-demo",
        version: "0.0.1",
        shortdesc: "demo",
        longdesc: "demo agent",
        params: &[ParamSpec::string("ip").required()],
        actions: &[
            ActionSpec::new(Action::Start, 20),
            ActionSpec::new(Action::Monitor, 20).interval(10),
        ],
        commands: &[("hello", "says hello")],
    };

    struct Demo;
    impl Agent for Demo {
        fn info(&self) -> &'static AgentInfo {
            &INFO
        }
        fn start(&self, _: &Context) -> OcfResult<Status> {
            Ok(Status::Success)
        }
        fn stop(&self, _: &Context) -> OcfResult<Status> {
            Ok(Status::Success)
        }
        fn monitor(&self, ctx: &Context) -> OcfResult<Status> {
            ctx.params.check_declared()?;
            Ok(Status::NotRunning)
        }
        fn validate(&self, ctx: &Context) -> OcfResult<Status> {
            ctx.params.check_declared().map(|_| Status::Success)
        }
        fn command(&self, name: &str, args: &[OsString], _: Env) -> Option<i32> {
            (name == "hello").then_some(40 + i32::try_from(args.len()).unwrap_or(0))
        }
    }

    fn exec(args: &[&str], env: &[(&str, &str)]) -> i32 {
        let args: Vec<OsString> = std::iter::once("agent")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        execute(
            &Demo,
            &args,
            Env::from_pairs(env.iter().copied()),
            Mode::Embedded,
        )
    }

    #[test]
    fn codes_for_actions() {
        assert_eq!(exec(&[], &[]), 2, "no action");
        assert_eq!(exec(&["frobnicate"], &[]), 2, "unknown action");
        assert_eq!(exec(&["meta-data"], &[]), 0);
        assert_eq!(exec(&["usage"], &[]), 0);
        assert_eq!(exec(&["methods"], &[]), 0);
        assert_eq!(exec(&["--version"], &[]), 0);
        assert_eq!(exec(&["promote"], &[]), 3);
        assert_eq!(exec(&["notify"], &[]), 3);
        assert_eq!(exec(&["migrate_to"], &[]), 3);
        assert_eq!(exec(&["reload-agent"], &[]), 3);
        assert_eq!(exec(&["start"], &[]), 0);
        assert_eq!(exec(&["validate-all"], &[]), 6, "required ip missing");
        assert_eq!(
            exec(
                &["validate-all", "extra", "args"],
                &[("OCF_RESKEY_ip", "x")]
            ),
            0
        );
        assert_eq!(
            exec(&["hello", "a", "b"], &[]),
            42,
            "extra commands get their args"
        );
    }

    #[test]
    fn probes_never_answer_not_configured() {
        let probe = [("OCF_RESKEY_CRM_meta_interval", "0")];
        assert_eq!(exec(&["monitor"], &probe), 7);
        let recurring = [("OCF_RESKEY_CRM_meta_interval", "10000")];
        assert_eq!(exec(&["monitor"], &recurring), 6);
    }

    #[test]
    fn usage_lists_actions_and_commands() {
        let u = usage(&INFO);
        assert!(
            u.starts_with("usage: probe-demo {start|monitor|meta-data|validate-all|methods|usage}"),
            "{u}"
        );
        assert!(u.contains("probe-demo hello"));
        assert_eq!(
            methods(&INFO),
            "start\nmonitor\nmeta-data\nvalidate-all\nmethods\nusage\n"
        );
    }
}
