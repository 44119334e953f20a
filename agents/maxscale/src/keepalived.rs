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
//! `admin_password_file=/etc/maxscale-admin.pw`, `manage_process=false`, …); `--timeout` takes
//! the suite's one time syntax (`2`, `2s`, `500ms`).
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
use std::time::Duration;

use clap::Parser;
use ocf::action::Action;
use ocf::cli::{Command, CommonArgs};
use ocf::log::OcfLog;
use ocf::{AgentInfo, Context, Env};

use crate::config::Config;
use crate::promotion;
use crate::verdict;

pub const CHECK: Command = Command {
    name: "maxscale keepalived-check",
    default_timeout: Duration::from_secs(2),
    // Keepalived counts any non-zero exit as a failed check.
    timeout_exit: 1,
    action: Action::Monitor,
};

pub const NOTIFY: Command = Command {
    name: "maxscale keepalived-notify",
    default_timeout: Duration::from_secs(5),
    timeout_exit: 1,
    action: Action::Monitor,
};

#[derive(Debug, Parser)]
#[command(
    name = "maxscale keepalived-check",
    about = "Keepalived vrrp_script check: exit 0 when MaxScale is healthy (depth 20)"
)]
struct CheckArgs {
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Parser)]
#[command(
    name = "maxscale keepalived-notify",
    about = "Keepalived notify script: MASTER -> passive=false; BACKUP/FAULT/STOP -> passive=true"
)]
struct NotifyArgs {
    #[command(flatten)]
    common: CommonArgs,
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

/// Parses `cmd`'s arguments, arms its time limit and reads `--params` into the run's context;
/// `Err` is the exit code (help, a usage error).
fn begin<A: Parser>(
    cmd: &Command,
    info: &'static AgentInfo,
    args: &[OsString],
    env: Env,
    common: fn(&A) -> &CommonArgs,
) -> Result<(A, Context), i32> {
    let a: A = cmd.parse(args)?;
    let c = common(&a);
    let limit = cmd.guard(c.timeout);
    let ctx = cmd
        .context(info, env, c.params.as_deref(), limit)
        .map_err(|e| cmd.usage_error(&e))?;
    Ok((a, ctx))
}

pub fn check(info: &'static AgentInfo, args: &[OsString], env: Env) -> i32 {
    let ctx = match begin(&CHECK, info, args, env, |a: &CheckArgs| &a.common) {
        Ok((_, ctx)) => ctx,
        Err(code) => return code,
    };
    let verdict = Config::from_params(&ctx.params).and_then(|c| verdict::depth_20(&ctx, &c));
    match verdict {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "keepalived-check: {}",
                ocf::reason::clean(&e.to_string())
            );
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
    let (a, ctx) = match begin(&NOTIFY, info, args, env, |a: &NotifyArgs| &a.common) {
        Ok(r) => r,
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
    let what = ocf::reason::clean(&what);
    let Some(passive) = passive_for(&a.state) else {
        tracing::info!("{what}: nothing to do");
        return 0;
    };
    match promotion::set_passive_for_keepalived(&ctx, passive) {
        Ok(()) => {
            tracing::info!("{what}: MaxScale passive={passive}");
            let _ = writeln!(std::io::stderr(), "{what}: MaxScale passive={passive}");
            0
        }
        Err(e) => {
            let e = ocf::reason::clean(&e.to_string());
            tracing::error!("{what}: {e}");
            let _ = writeln!(std::io::stderr(), "{what}: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn words(w: &[&str]) -> Vec<OsString> {
        w.iter().map(OsString::from).collect()
    }

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
        let a: NotifyArgs = NOTIFY
            .parse(&words(&[
                "--params", "/etc/p", "INSTANCE", "VI_1", "MASTER", "100",
            ]))
            .unwrap();
        assert_eq!(a.common.params, Some(PathBuf::from("/etc/p")));
        assert_eq!(
            (a.kind.as_str(), a.name.as_str(), a.state.as_str()),
            ("INSTANCE", "VI_1", "MASTER")
        );
        assert_eq!(a.priority.as_deref(), Some("100"));
        assert_eq!(a.common.timeout, None, "the command's default applies");
        assert_eq!(
            NOTIFY
                .parse::<NotifyArgs>(&words(&["INSTANCE"]))
                .unwrap_err(),
            2
        );
        // One timeout syntax for both commands: seconds, or with a unit.
        for (text, ms) in [("2", 2000), ("5s", 5000), ("0.5", 500), ("500ms", 500)] {
            let c: CheckArgs = CHECK.parse(&words(&["--timeout", text])).unwrap();
            assert_eq!(c.common.timeout, Some(Duration::from_millis(ms)), "{text}");
            let n: NotifyArgs = NOTIFY
                .parse(&words(&["--timeout", text, "GROUP", "G", "BACKUP"]))
                .unwrap();
            assert_eq!(n.common.timeout, Some(Duration::from_millis(ms)), "{text}");
        }
        assert_eq!(
            CHECK
                .parse::<CheckArgs>(&words(&["--timeout", "-1"]))
                .unwrap_err(),
            2
        );
    }
}
