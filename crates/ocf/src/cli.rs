//! The agents' extra, non-OCF commands (`maxscale keepalived-check`, `galera-sync status`,
//! `galera-sync wsrep-notify`, …) share one way to take their parameters (`--params FILE`, the
//! agent's parameters as `key=value` lines, over the environment's `OCF_RESKEY_*`), one
//! timeout syntax (`--timeout 2`, `2s`, `500ms`: [`TimeSpan`]), one hard limit (the watchdog,
//! with the exit code the caller of that command expects), one panic hook, and one way to
//! report usage errors (2).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::action::Action;
use crate::agent::{AgentInfo, Context};
use crate::deadline::Deadline;
use crate::env::Env;
use crate::params::TimeSpan;
use crate::reason;

/// Exit code of a usage error (a bad option, an unreadable `--params` file).
pub const EXIT_USAGE: i32 = 2;

/// Options every extra command takes; `#[command(flatten)]` it into the command's arguments.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CommonArgs {
    /// A file of key=value lines with the agent's parameters (they win over OCF_RESKEY_*).
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
    /// Hard time limit: a number with an optional unit (ms, s, m, h; seconds without one).
    #[arg(long, value_name = "TIME", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
}

/// `--timeout`'s parser: a [`TimeSpan`] above zero and at most an hour.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    TimeSpan::parse_text(text)
        .filter(|d| !d.is_zero() && *d <= Duration::from_secs(3600))
        .ok_or_else(|| {
            format!(
                "'{}' is not a time from 1ms to 1h such as 2, 5s or 500ms",
                reason::excerpt(text, 40)
            )
        })
}

/// Largest `--params` file read: a page of parameters, not a log file by mistake.
const PARAMS_FILE_LIMIT: usize = 64 * 1024;

/// One extra command: its name in messages, how long it may take by default, and the exit code
/// when that time runs out (Keepalived's check wants 1, `wsrep_notify_cmd` must always get 0).
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// As users type it, e.g. `maxscale keepalived-check`.
    pub name: &'static str,
    pub default_timeout: Duration,
    pub timeout_exit: i32,
    /// What the command does in OCF terms (its [`Context`]'s action).
    pub action: Action,
}

impl Command {
    /// Parses the command's arguments (`--help` prints and answers 0, errors 2).
    pub fn parse<P: clap::Parser>(&self, args: &[OsString]) -> Result<P, i32> {
        let argv = std::iter::once(OsString::from(self.name)).chain(args.iter().cloned());
        P::try_parse_from(argv).map_err(|e| {
            let _ = e.print();
            if e.use_stderr() {
                EXIT_USAGE
            } else {
                0
            }
        })
    }

    /// Arms the hard limit (the watchdog ends the process with `timeout_exit` and a line on
    /// stderr) and a panic hook with the same exit code. Returns the limit.
    pub fn guard(&self, timeout: Option<Duration>) -> Duration {
        let limit = timeout.unwrap_or(self.default_timeout);
        let message = format!(
            "{}: no result within {:.1}s",
            self.name,
            limit.as_secs_f64()
        );
        crate::watchdog::arm(limit, self.timeout_exit, &message);
        let (name, code) = (self.name, self.timeout_exit);
        std::panic::set_hook(Box::new(move |info| {
            let what = reason::for_pacemaker(&format!("internal error: {info}"));
            let _ = writeln!(std::io::stderr(), "{name}: {what}");
            std::process::exit(code);
        }));
        limit
    }

    /// The environment plus `--params FILE`, as the context of one run within `limit`.
    pub fn context(
        &self,
        info: &'static AgentInfo,
        mut env: Env,
        params_file: Option<&Path>,
        limit: Duration,
    ) -> Result<Context, ParamsFileError> {
        if let Some(path) = params_file {
            merge_params_file(&mut env, path)?;
        }
        Ok(Context::new(
            info,
            self.action,
            env,
            Deadline::from_timeout(limit),
        ))
    }

    /// Prints a usage error (`name: message`) and returns [`EXIT_USAGE`].
    pub fn usage_error(&self, message: &dyn std::fmt::Display) -> i32 {
        let _ = writeln!(
            std::io::stderr(),
            "{}: {}",
            self.name,
            reason::clean(&message.to_string())
        );
        EXIT_USAGE
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ParamsFileError {
    #[error("parameters file: {0}")]
    Read(#[from] secret::SecretError),
    #[error("parameters file {path} line {line}: expected key=value")]
    Syntax { path: PathBuf, line: usize },
}

/// Reads a `--params FILE` (bounded, never blocking) into `env`.
pub fn merge_params_file(env: &mut Env, path: &Path) -> Result<(), ParamsFileError> {
    let text = secret::read_bounded(path, PARAMS_FILE_LIMIT)?;
    env.merge_params_text(&text)
        .map_err(|line| ParamsFileError::Syntax {
            path: path.to_path_buf(),
            line,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Demo {
        #[command(flatten)]
        common: CommonArgs,
        state: String,
    }

    const DEMO: Command = Command {
        name: "demo check",
        default_timeout: Duration::from_secs(2),
        timeout_exit: 1,
        action: Action::Monitor,
    };

    fn words(w: &[&str]) -> Vec<OsString> {
        w.iter().map(OsString::from).collect()
    }

    #[test]
    fn one_timeout_syntax() {
        for (text, ms) in [("2", 2000), ("2s", 2000), ("500ms", 500), ("0.5", 500)] {
            let d: Demo = DEMO.parse(&words(&["--timeout", text, "MASTER"])).unwrap();
            assert_eq!(d.common.timeout, Some(Duration::from_millis(ms)), "{text}");
        }
        for bad in ["0", "-1", "2h", "soon"] {
            assert_eq!(
                DEMO.parse::<Demo>(&words(&["--timeout", bad, "X"]))
                    .unwrap_err(),
                EXIT_USAGE,
                "{bad}"
            );
        }
        assert_eq!(DEMO.parse::<Demo>(&words(&[])).unwrap_err(), EXIT_USAGE);
    }

    #[test]
    fn params_files_are_bounded_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p");
        std::fs::write(&f, "# c\nadmin_port = 8989\nOCF_RESKEY_servers=\"a b\"\n").unwrap();
        let mut env = Env::default();
        merge_params_file(&mut env, &f).unwrap();
        assert_eq!(env.reskey("admin_port"), Some("8989"));
        assert_eq!(env.reskey("servers"), Some("a b"));
        std::fs::write(&f, "novalue\n").unwrap();
        let e = merge_params_file(&mut env, &f).unwrap_err();
        assert!(matches!(e, ParamsFileError::Syntax { line: 1, .. }), "{e}");
        let e = merge_params_file(&mut env, Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
}
