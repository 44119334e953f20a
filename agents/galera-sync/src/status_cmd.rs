//! `galera-sync status [--params FILE] [--json] [--timeout TIME]`: the health and its reason,
//! for people (one line) and tools (`--json`). Exit 0 healthy, 1 unhealthy, 2 usage,
//! configuration or output error (one line on stderr). Parameters come from `OCF_RESKEY_*`
//! and/or `--params FILE`; `--timeout` (default 5s) is a hard limit (ocf::cli).

use std::ffi::OsString;
use std::io::Write;
use std::time::Instant;

use clap::Parser;
use galera_status::{classify, Health, Reason, WsrepStatus};
use ocf::action::Action;
use ocf::cli::{Command, CommonArgs};
use ocf::{AgentInfo, Env};
use serde::Serialize;

use crate::config::Config;
use crate::error::params_file_reason;
use crate::publish::QUERY_CAP;

pub const EXIT_HEALTHY: i32 = 0;
pub const EXIT_UNHEALTHY: i32 = 1;

/// A server that does not answer within the limit is unhealthy (also when the watchdog ends
/// it); by default it gets what a monitor gives one status query.
pub const STATUS: Command = Command {
    name: "galera-sync status",
    default_timeout: QUERY_CAP,
    timeout_exit: EXIT_UNHEALTHY,
    action: Action::Monitor,
};

#[derive(Debug, Parser)]
#[command(
    name = "galera-sync status",
    disable_version_flag = true,
    about = "Print the local Galera node's health and the reason (exit 0 healthy, 1 not)"
)]
pub struct StatusArgs {
    // --params FILE (the agent's parameters: socket, host, port, user, password_file,
    // donor_ok, connections_reserve) and --timeout TIME (how long to wait for the server).
    #[command(flatten)]
    pub common: CommonArgs,
    /// Print one JSON object instead of a line of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    healthy: bool,
    value: u8,
    target: String,
    reason: Option<&'a Reason>,
    reason_text: Option<String>,
    status: Option<&'a WsrepStatus>,
    elapsed_ms: u64,
}

pub fn run(info: &'static AgentInfo, args: &[OsString], env: Env) -> i32 {
    let args: StatusArgs = match STATUS.parse(args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let limit = STATUS.guard(args.common.timeout);
    let ctx = match STATUS.context(info, env, args.common.params.as_deref(), limit) {
        Ok(ctx) => ctx,
        Err(e) => return STATUS.usage_error(&params_file_reason(&e)),
    };
    let config = match Config::from_params(&ctx.params) {
        Ok(c) => c,
        Err(e) => return STATUS.usage_error(&e),
    };
    let client = match config.client() {
        Ok(c) => c,
        Err(e) => return STATUS.usage_error(&e),
    };
    let started = Instant::now();
    let fetched = client.fetch(ctx.deadline.at());
    let health = classify(&fetched, config.policy);
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let status = fetched.as_ref().ok();
    let text = if args.json {
        let report = Report {
            healthy: health.is_healthy(),
            value: health.value(),
            target: client.target().to_string(),
            reason: health.reason(),
            reason_text: health.reason().map(ToString::to_string),
            status,
            elapsed_ms,
        };
        match serde_json::to_string(&report) {
            Ok(text) => text,
            Err(e) => return STATUS.usage_error(&format!("cannot write JSON: {e}")),
        }
    } else {
        line(&health, status, &client.target().to_string())
    };
    // A closed pipe or a full disk: say so in one line (never a panic), and do not claim a
    // verdict nobody received.
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        return STATUS.usage_error(&format!("cannot write to stdout: {e}"));
    }
    if health.is_healthy() {
        EXIT_HEALTHY
    } else {
        EXIT_UNHEALTHY
    }
}

/// `healthy: Synced (4), Primary, ready, size 3, 2/20 connections [/run/mysqld/mysqld.sock]`
pub fn line(health: &Health, status: Option<&WsrepStatus>, target: &str) -> String {
    let mut text = health.to_string();
    if let Some(s) = status {
        if health.is_healthy() {
            text.push_str(&format!(": {}", s.summary()));
        } else {
            text.push_str(&format!(" ({})", s.summary()));
        }
    }
    text.push_str(&format!(" [{target}]"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::cli::EXIT_USAGE;
    use std::path::PathBuf;
    use std::time::Duration;

    fn parse(words: &[&str]) -> Result<StatusArgs, i32> {
        STATUS.parse(&words.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn arguments() {
        let a = parse(&[]).unwrap();
        assert!(!a.json);
        assert_eq!(a.common.timeout, None, "the default is STATUS's");
        assert_eq!(STATUS.default_timeout, Duration::from_secs(5));
        let a = parse(&["--json", "--params", "/etc/gs.conf", "--timeout", "300ms"]).unwrap();
        assert!(a.json);
        assert_eq!(a.common.params, Some(PathBuf::from("/etc/gs.conf")));
        assert_eq!(a.common.timeout, Some(Duration::from_millis(300)));
        let a = parse(&["--timeout", "2"]).unwrap();
        assert_eq!(a.common.timeout, Some(Duration::from_secs(2)), "seconds");
        assert_eq!(parse(&["--timeout", "0"]).unwrap_err(), EXIT_USAGE);
        assert_eq!(parse(&["--bogus"]).unwrap_err(), EXIT_USAGE);
    }

    #[test]
    fn lines() {
        let s = WsrepStatus::from_rows([
            ("wsrep_local_state", Some("2")),
            ("wsrep_cluster_status", Some("Primary")),
            ("wsrep_ready", Some("ON")),
        ]);
        assert_eq!(
            line(
                &Health::Unhealthy(Reason::DonorDesynced),
                Some(&s),
                "/run/mysqld/mysqld.sock"
            ),
            "unhealthy: Donor/Desynced (2) and donor_ok is off (Donor/Desynced (2), Primary, \
             ready) [/run/mysqld/mysqld.sock]"
        );
        assert_eq!(line(&Health::Healthy, None, "h:1"), "healthy [h:1]");
    }

    #[test]
    fn json_report() {
        let h = Health::Unhealthy(Reason::NotReady);
        let r = Report {
            healthy: false,
            value: 0,
            target: "t".into(),
            reason: h.reason(),
            reason_text: h.reason().map(ToString::to_string),
            status: None,
            elapsed_ms: 3,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"healthy":false,"value":0,"target":"t","reason":{"kind":"not_ready"},"reason_text":"wsrep_ready is OFF","status":null,"elapsed_ms":3}"#
        );
    }
}
