//! Keepalived modes of the same binary, so the seeds' `maxping.sh` and
//! `maxctrl alter maxscale passive …` scripts need no shell:
//!
//! ```text
//! vrrp_script chk_maxscale {
//!     script "/usr/lib/ocf/resource.d/mariadb/maxscale keepalived-check --params /etc/maxscale-ocf.conf"
//!     interval 2
//!     timeout 3
//! }
//! vrrp_instance VI_1 {
//!     ...
//!     notify "/usr/lib/ocf/resource.d/mariadb/maxscale keepalived-notify --params /etc/maxscale-ocf.conf"
//! }
//! ```
//!
//! `--params FILE` holds the agent's parameters as `key=value` lines (`admin_port=8989`,
//! `admin_password_file=/etc/maxscale-admin.pw`, `manage_process=false`, …).
//!
//! - `keepalived-check` exits 0 when MaxScale is healthy at depth 20, 1 otherwise (reason on
//!   stderr), and never outlives `--timeout` (default 2 s, as the MaxScale Keepalived tutorial's
//!   check): a watchdog exits 1 when it expires.
//! - `keepalived-notify TYPE NAME STATE [PRIORITY]` (Keepalived's generic notify arguments):
//!   MASTER → passive=false; BACKUP, FAULT, STOP, DELETED → passive=true; other states are
//!   ignored. It logs to syslog (facility daemon unless HA_LOGFACILITY says otherwise) and
//!   stderr, and exits 0 on success, 1 on failure (Keepalived ignores the status; it is for
//!   people and tests), 2 on bad usage. Bounded by `--timeout` (default 5 s).

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use ocf::action::Action;
use ocf::log::OcfLog;
use ocf::{AgentInfo, Context, Deadline, Env};

#[derive(Debug, Parser)]
#[command(
    name = "maxscale keepalived-check",
    about = "Keepalived vrrp_script check: exit 0 when MaxScale is healthy (depth 20)"
)]
struct CheckArgs {
    /// key=value lines with the agent's parameters.
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// Hard limit in seconds.
    #[arg(long, value_name = "SECS", default_value = "2")]
    timeout: f64,
}

#[derive(Debug, Parser)]
#[command(
    name = "maxscale keepalived-notify",
    about = "Keepalived notify script: MASTER -> passive=false; BACKUP/FAULT/STOP -> passive=true"
)]
struct NotifyArgs {
    /// key=value lines with the agent's parameters.
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// Hard limit in seconds.
    #[arg(long, value_name = "SECS", default_value = "5")]
    timeout: f64,
    /// GROUP or INSTANCE.
    #[arg(value_name = "TYPE")]
    kind: String,
    /// The VRRP instance or group name.
    name: String,
    /// MASTER, BACKUP, FAULT, STOP or DELETED.
    state: String,
    /// The instance's priority (Keepalived ≥ 1.3).
    priority: Option<String>,
}

fn parse<P: Parser>(prog: &str, args: &[OsString]) -> Result<P, i32> {
    let argv = std::iter::once(OsString::from(prog)).chain(args.iter().cloned());
    P::try_parse_from(argv).map_err(|e| {
        let _ = e.print();
        if e.use_stderr() {
            2
        } else {
            0
        }
    })
}

fn timeout_of(secs: f64) -> Result<Duration, i32> {
    if secs.is_finite() && secs > 0.0 && secs <= 3600.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "--timeout must be between 0 and 3600 seconds"
        );
        Err(2)
    }
}

/// The environment plus `--params FILE`.
fn context(
    info: &'static AgentInfo,
    mut env: Env,
    params: Option<&PathBuf>,
    timeout: Duration,
) -> Result<Context, i32> {
    if let Some(f) = params {
        if let Err(e) = ocf::cli::merge_params_file(&mut env, f) {
            let _ = writeln!(std::io::stderr(), "{e}");
            return Err(2);
        }
    }
    env.set("OCF_CHECK_LEVEL", "20");
    Ok(Context::new(
        info,
        Action::Monitor,
        env,
        Deadline::from_timeout(timeout),
    ))
}

/// Exits 1 when `timeout` passes, whatever is blocking: Keepalived waits for its scripts.
fn watchdog(timeout: Duration, what: &str) {
    let message = format!("{what}: no result within {:.1}s", timeout.as_secs_f64());
    ocf::watchdog::arm(timeout, 1, &message);
}

pub fn check(info: &'static AgentInfo, args: &[OsString], env: Env) -> i32 {
    let a: CheckArgs = match parse("maxscale keepalived-check", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let timeout = match timeout_of(a.timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    watchdog(timeout, "keepalived-check");
    let ctx = match context(info, env, a.params.as_ref(), timeout) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match crate::healthy_at_depth_20(&ctx) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "keepalived-check: {}", e.reason());
            1
        }
    }
}

/// What a Keepalived state asks of passive; `None` for states that need nothing.
pub fn passive_for(state: &str) -> Option<bool> {
    match state {
        "MASTER" => Some(false),
        "BACKUP" | "FAULT" | "STOP" | "DELETED" => Some(true),
        _ => None,
    }
}

pub fn notify(info: &'static AgentInfo, args: &[OsString], env: Env) -> i32 {
    let a: NotifyArgs = match parse("maxscale keepalived-notify", args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let timeout = match timeout_of(a.timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    watchdog(timeout, "keepalived-notify");
    let ctx = match context(info, env, a.params.as_ref(), timeout) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut log_env = ctx.env.clone();
    if log_env.log_facility().is_none() {
        log_env.set("HA_LOGFACILITY", "daemon");
    }
    OcfLog::from_env(info.name, &log_env).install();
    let what = format!(
        "keepalived {} {} is {}{}",
        a.kind,
        a.name,
        a.state,
        a.priority
            .as_deref()
            .map(|p| format!(" (priority {p})"))
            .unwrap_or_default()
    );
    let Some(passive) = passive_for(&a.state) else {
        tracing::info!("{what}: nothing to do");
        return 0;
    };
    match crate::keepalived_set_passive(&ctx, passive) {
        Ok(()) => {
            tracing::info!("{what}: MaxScale passive={passive}");
            let _ = writeln!(std::io::stderr(), "{what}: MaxScale passive={passive}");
            0
        }
        Err(e) => {
            tracing::error!("{what}: {}", e.reason());
            let _ = writeln!(std::io::stderr(), "{what}: {}", e.reason());
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states() {
        assert_eq!(passive_for("MASTER"), Some(false));
        for s in ["BACKUP", "FAULT", "STOP", "DELETED"] {
            assert_eq!(passive_for(s), Some(true));
        }
        assert_eq!(passive_for("master"), None);
        assert_eq!(passive_for("MASTER_RX_LOWER_PRI"), None);
    }

    #[test]
    fn arguments() {
        let args: Vec<OsString> = ["--params", "/etc/p", "INSTANCE", "VI_1", "MASTER", "100"]
            .iter()
            .map(OsString::from)
            .collect();
        let a: NotifyArgs = parse("x", &args).unwrap();
        assert_eq!(a.params, Some(PathBuf::from("/etc/p")));
        assert_eq!(
            (a.kind.as_str(), a.name.as_str(), a.state.as_str()),
            ("INSTANCE", "VI_1", "MASTER")
        );
        assert_eq!(a.priority.as_deref(), Some("100"));
        assert_eq!(a.timeout, 5.0);
        let bad: Vec<OsString> = vec!["INSTANCE".into()];
        assert_eq!(parse::<NotifyArgs>("x", &bad).unwrap_err(), 2);
        let c: CheckArgs = parse("x", &["--timeout".into(), "0.5".into()]).unwrap();
        assert_eq!(timeout_of(c.timeout).unwrap(), Duration::from_millis(500));
        assert_eq!(timeout_of(-1.0).unwrap_err(), 2);
    }
}
