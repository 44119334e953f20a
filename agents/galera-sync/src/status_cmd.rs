//! `galera-sync status [--params FILE] [--json] [--timeout TIME]`: the health and its reason,
//! for people (one line) and tools (`--json`). Exit 0 healthy, 1 unhealthy, 2 usage or
//! configuration error. Parameters come from `OCF_RESKEY_*` and/or `--params FILE`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use galera_status::{classify, Health, Reason, WsrepStatus};
use ocf::{Env, Params};
use serde::Serialize;

use crate::config::Config;

pub const EXIT_HEALTHY: i32 = 0;
pub const EXIT_UNHEALTHY: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "galera-sync status",
    no_binary_name = true,
    disable_version_flag = true,
    about = "Print the local Galera node's health and the reason (exit 0 healthy, 1 not)"
)]
pub struct StatusArgs {
    /// A file of key=value lines with the agent's parameters (socket, host, port, user,
    /// password_file, donor_ok, connections_reserve); they win over OCF_RESKEY_* variables.
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
    /// Print one JSON object instead of a line of text.
    #[arg(long)]
    pub json: bool,
    /// How long to wait for the server (e.g. 5s, 500ms).
    #[arg(long, value_name = "TIME", default_value = "5s", value_parser = parse_timeout)]
    pub timeout: Duration,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    ocf::cli::parse_timeout(text)
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

pub fn run(args: &[OsString], mut env: Env) -> i32 {
    let args = match StatusArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    if let Some(path) = &args.params {
        if let Err(e) = ocf::cli::merge_params_file(&mut env, path) {
            eprintln!("galera-sync status: {e}");
            return EXIT_USAGE;
        }
    }
    let config = match Config::from_params(&Params::from_env(&env)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("galera-sync status: {e}");
            return EXIT_USAGE;
        }
    };
    let client = match config.client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("galera-sync status: {e}");
            return EXIT_USAGE;
        }
    };
    let started = Instant::now();
    let fetched = client.fetch(args.timeout);
    let health = classify(&fetched, config.policy);
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let status = fetched.as_ref().ok();
    if args.json {
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
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("galera-sync status: cannot write JSON: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        println!("{}", line(&health, status, &client.target().to_string()));
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

    fn parse(words: &[&str]) -> Result<StatusArgs, clap::Error> {
        StatusArgs::try_parse_from(words.iter().map(OsString::from))
    }

    #[test]
    fn arguments() {
        let a = parse(&[]).unwrap();
        assert!(!a.json);
        assert_eq!(a.timeout, Duration::from_secs(5));
        let a = parse(&["--json", "--params", "/etc/gs.conf", "--timeout", "300ms"]).unwrap();
        assert!(a.json);
        assert_eq!(a.params, Some(PathBuf::from("/etc/gs.conf")));
        assert_eq!(a.timeout, Duration::from_millis(300));
        assert!(parse(&["--timeout", "0"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
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
