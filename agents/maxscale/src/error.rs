//! Every way an action of this agent can fail, and the one mapping of them to OCF codes
//! ([`ocf::Failure::rc`]). The reason Pacemaker shows is the variant's text: essentials first.
//!
//! - Configuration wrong everywhere (malformed parameters, a forbidden option): 6; probes
//!   answer 7 (the OCF core does that).
//! - Something missing on this node (binary, config, user): 5, from start and validate-all only;
//!   monitor and stop never look at them, so a probe on a node without MaxScale answers 7.
//! - Credentials rejected (401; 403 "Administrative access required"), TLS failures, an
//!   unreadable password or CA file: 2. They are configuration of *this* node: 6 would ban the
//!   resource on every node, even from a probe (e.g. while a password is being rotated), and 1
//!   would make Pacemaker restart MaxScale, which cannot fix them.
//! - Everything else the REST API or the process can do (refused, timeout, 503, garbage, a
//!   hung or frozen MaxScale, a passive value that did not stick): 1, a soft error; Pacemaker
//!   restarts or moves MaxScale, which is the right cure.
//! - MaxScale's own start-up exit codes: see [`start_exit_rc`].

use std::io;
use std::path::PathBuf;

use daemon_process::ProcessState;
use maxscale_rest::ErrorKind;
use ocf::{Failure, OcfRc, ParamError, SecretError, Unimplemented};

#[derive(Debug, thiserror::Error)]
pub enum MaxScaleError {
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error(transparent)]
    Unimplemented(#[from] Unimplemented),
    #[error("extra_options: '{0}' would keep MaxScale from starting as a daemon")]
    ForbiddenOption(String),

    /// MXS-5009 (launch.rs): this node's MaxScale would glue the directory options.
    #[error(
        "MaxScale {version} has MXS-5009: set {name}={} in [maxscale] of the config, or unset {name}",
        value.display()
    )]
    Mxs5009Dir {
        version: String,
        name: &'static str,
        value: PathBuf,
    },
    #[error(
        "MaxScale {version} has MXS-5009: extra_options '{option}': set it in [maxscale] of the config"
    )]
    Mxs5009Option { version: String, option: String },

    #[error("binary {} not found on this node: {source}", path.display())]
    BinaryMissing { path: PathBuf, source: io::Error },
    #[error("binary {} is not an executable file", .0.display())]
    NotExecutable(PathBuf),
    #[error("config {} cannot be read on this node: {source}", path.display())]
    ConfigUnreadable { path: PathBuf, source: io::Error },
    #[error("user '{0}' does not exist on this node")]
    NoUser(String),
    #[error("admin_password_file {0}")]
    PasswordFile(SecretError),
    #[error("admin_ca_file: {why}")]
    CaFile { why: String },
    #[error("config {} is {what}, not a file, on this node", path.display())]
    ConfigNotFile { path: PathBuf, what: &'static str },
    /// The pid file cannot live where piddir says, on this node (another node may be fine).
    #[error("{what} (piddir {})", excerpt_path(piddir))]
    PidPath { piddir: PathBuf, what: String },
    #[error("piddir cannot be searched: permission denied (piddir {})", excerpt_path(.0))]
    PiddirDenied(PathBuf),
    #[error("piddir {}: {what}: {source}", dir.display())]
    Piddir {
        dir: PathBuf,
        what: String,
        source: io::Error,
    },

    /// A REST request failed; `what` says what the agent was doing.
    #[error("{what}: {}", rest_text(source))]
    Rest {
        what: String,
        source: maxscale_rest::Error,
    },
    #[error("{what}: {source}")]
    Process {
        what: &'static str,
        source: daemon_process::Error,
    },

    #[error("MaxScale (pid {pid}) is stopped ({state:?}, e.g. by SIGSTOP) and cannot answer")]
    Frozen { pid: i32, state: ProcessState },
    #[error(
        "no MaxScale process through {}, but something accepts connections on {host}:{port} \
         (a MaxScale started outside this resource?)",
        pid_file.display()
    )]
    Foreign {
        pid_file: PathBuf,
        host: String,
        port: u16,
    },
    /// The depth-20 verdict: what is wrong with the servers and monitors.
    #[error("MaxScale answers, but {0}")]
    Unhealthy(String),
    #[error("MaxScale does not report parameters.passive in /v1/maxscale")]
    NoPassive,
    /// Not running where running was needed to answer (keepalived-check).
    #[error("MaxScale is not running")]
    NotRunning,
    /// An action that needs a running MaxScale (promote).
    #[error("{0}: MaxScale is not running")]
    NotRunningFor(&'static str),

    #[error("{}", start_exit_text(*code, message))]
    StartExit { code: i32, message: String },
    #[error(
        "MaxScale was killed by signal {signal} while starting{}",
        suffix(message)
    )]
    StartSignaled { signal: i32, message: String },
    #[error(
        "MaxScale (pid {pid}) did not finish starting within the start timeout ({timeout_s:.0}s); \
         raise the start timeout if its monitors need long to reach their servers"
    )]
    StartTimeout { pid: u32, timeout_s: f64 },
    #[error("MaxScale exited during start-up (see {}); last API error: {}", log.display(), rest_text(last))]
    ExitedDuringStart {
        log: PathBuf,
        last: maxscale_rest::Error,
    },
    #[error("start: MaxScale's REST API did not answer within the start timeout: {}", rest_text(.0))]
    NotReady(maxscale_rest::Error),
    #[error("MaxScale (pid {pid}) is still there after SIGKILL (state {state:?})")]
    Unkillable {
        pid: i32,
        state: Option<ProcessState>,
    },
}

impl MaxScaleError {
    /// A REST failure while doing `what`.
    pub fn rest(what: impl Into<String>, source: maxscale_rest::Error) -> MaxScaleError {
        MaxScaleError::Rest {
            what: what.into(),
            source,
        }
    }

    pub fn process(what: &'static str, source: daemon_process::Error) -> MaxScaleError {
        MaxScaleError::Process { what, source }
    }
}

impl Failure for MaxScaleError {
    fn rc(&self) -> OcfRc {
        use MaxScaleError as E;
        match self {
            E::Param(e) => e.rc(),
            E::Unimplemented(e) => e.rc(),
            E::ForbiddenOption(_) => OcfRc::ErrConfigured,
            E::BinaryMissing { .. }
            | E::NotExecutable(_)
            | E::ConfigUnreadable { .. }
            | E::ConfigNotFile { .. } => OcfRc::ErrInstalled,
            E::NoUser(_) => OcfRc::ErrInstalled,
            E::PasswordFile(_) | E::CaFile { .. } => OcfRc::ErrArgs,
            // A stray file or directory on one node must not ban the resource everywhere (6):
            // the same piddir is right on the other nodes.
            E::PidPath { .. } => OcfRc::ErrArgs,
            // This node's MaxScale version: another node may run a fixed one (6 would ban the
            // resource everywhere).
            E::Mxs5009Dir { .. } | E::Mxs5009Option { .. } => OcfRc::ErrArgs,
            E::PiddirDenied(_) => OcfRc::ErrPerm,
            E::Rest { source, .. } => rest_rc(&source.kind),
            E::NotReady(source) => rest_rc(&source.kind),
            E::Process {
                source: daemon_process::Error::NotFound { .. },
                ..
            } => OcfRc::ErrInstalled,
            E::NotRunning => OcfRc::NotRunning,
            E::StartExit { code, .. } => start_exit_rc(*code),
            E::Piddir { .. }
            | E::Process { .. }
            | E::Frozen { .. }
            | E::Foreign { .. }
            | E::Unhealthy(_)
            | E::NoPassive
            | E::NotRunningFor(_)
            | E::StartSignaled { .. }
            | E::StartTimeout { .. }
            | E::ExitedDuringStart { .. }
            | E::Unkillable { .. } => OcfRc::ErrGeneric,
        }
    }
}

/// Rejected credentials and TLS are this node's configuration (2); the rest is soft (1).
fn rest_rc(kind: &ErrorKind) -> OcfRc {
    if rest_is_local_configuration(kind) {
        OcfRc::ErrArgs
    } else {
        OcfRc::ErrGeneric
    }
}

/// Whether retrying cannot help: the credentials or the certificate are wrong here.
pub fn rest_is_local_configuration(kind: &ErrorKind) -> bool {
    match kind {
        // config.rs rejects such an address with 6 first; 2 if it ever gets this far.
        ErrorKind::BadAddress(_) => true,
        ErrorKind::Unauthorized(_) | ErrorKind::Tls(_) => true,
        ErrorKind::Forbidden(Some(d)) => d.contains("Administrative access"),
        _ => false,
    }
}

/// A REST failure as a reason: what happened first, MaxScale's own words quoted short (they are
/// a peer's text), the advice, and the request last (Pacemaker keeps 128 characters; the log
/// gets all of it).
fn rest_text(e: &maxscale_rest::Error) -> String {
    let what = match e.kind.detail() {
        Some(d) => format!("{}: '{}'", e.kind.summary(), ocf::reason::excerpt(d, 60)),
        None => ocf::reason::excerpt(&e.kind.summary(), 100),
    };
    format!("{what}{} [{}]", rest_advice(&e.kind), e.request)
}

fn rest_advice(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Unauthorized(_) => " (check admin_user and admin_password_file)",
        ErrorKind::Forbidden(Some(d)) if d.contains("Administrative access") => {
            " (admin_user needs an admin account)"
        }
        ErrorKind::Tls(_) => " (check admin_tls, admin_ca_file and MaxScale's admin certificate)",
        _ => "",
    }
}

/// MaxScale's exit codes (gateway.cc) as OCF codes:
/// 1 (bad configuration, also "cannot be run as root") → 2: the configuration file is per
///   node and may be wrong only here, so ban this node, not the resource everywhere (6);
/// 2 (a library is missing) → 5; 5 (bad argument: extra_options or a MaxScale version
///   without an option) → 2; 3 (no services could start), 4 (another MaxScale holds the pid
///   file or the data/cache directory locks), 6 (internal error, e.g. the REST port is in
///   use) and anything else → 1: a soft error, the cause may be transient.
pub fn start_exit_rc(code: i32) -> OcfRc {
    match code {
        1 | 5 => OcfRc::ErrArgs,
        2 => OcfRc::ErrInstalled,
        _ => OcfRc::ErrGeneric,
    }
}

fn start_exit_text(code: i32, message: &str) -> String {
    let m = suffix(message);
    match code {
        1 => format!("MaxScale rejected its configuration (exit 1){m}"),
        2 => format!("MaxScale could not load a library (exit 2){m}"),
        3 => format!("MaxScale could not start any service (exit 3){m}"),
        4 => format!(
            "another MaxScale is already running with this piddir, datadir or cachedir (exit 4){m}"
        ),
        5 => format!("MaxScale rejected its command line (exit 5; check extra_options){m}"),
        6 => format!("MaxScale failed to start (exit 6, internal error){m}"),
        other => format!("MaxScale failed to start (exit {other}){m}"),
    }
}

/// A path as quoted in a reason: configured paths can be long.
fn excerpt_path(p: &std::path::Path) -> String {
    ocf::reason::excerpt(&p.to_string_lossy(), 64)
}

fn suffix(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {m}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maxscale_rest::Error;
    use std::time::Duration;

    fn rest(kind: ErrorKind) -> OcfRc {
        MaxScaleError::rest(
            "monitor",
            Error {
                request: "GET x".into(),
                kind,
            },
        )
        .rc()
    }

    #[test]
    fn rest_codes() {
        assert_eq!(rest(ErrorKind::Unauthorized(None)), OcfRc::ErrArgs);
        assert_eq!(
            rest(ErrorKind::Forbidden(Some(
                "Administrative access required".into()
            ))),
            OcfRc::ErrArgs
        );
        assert_eq!(
            rest(ErrorKind::Forbidden(Some("config sync failed".into()))),
            OcfRc::ErrGeneric
        );
        assert_eq!(rest(ErrorKind::Tls("bad cert".into())), OcfRc::ErrArgs);
        for k in [
            ErrorKind::Refused,
            ErrorKind::Timeout(Duration::from_secs(1)),
            ErrorKind::ShuttingDown(None),
            ErrorKind::NotFound(None),
            ErrorKind::BadJson("x".into()),
            ErrorKind::UnexpectedJson("x".into()),
            ErrorKind::Status(500, None),
            ErrorKind::NotApplied {
                wanted: true,
                got: Some(false),
            },
            ErrorKind::Other("x".into()),
        ] {
            assert_eq!(rest(k), OcfRc::ErrGeneric);
        }
        let e = MaxScaleError::process(
            "start",
            daemon_process::Error::NotFound {
                program: "/x".into(),
            },
        );
        assert_eq!(e.rc(), OcfRc::ErrInstalled);
    }

    #[test]
    fn rest_reasons_put_the_essentials_first() {
        let e = MaxScaleError::rest(
            "MaxScale's REST API failed",
            Error {
                request: "GET http://127.0.0.1:8989/v1/maxscale".into(),
                kind: ErrorKind::Status(
                    500,
                    Some(format!(
                        "\u{1b}[2Jocf-exit-reason:fake\u{0}{}",
                        "x".repeat(5000)
                    )),
                ),
            },
        );
        let text = e.to_string();
        assert!(
            text.starts_with("MaxScale's REST API failed: HTTP 500: '[2Jocf-exit-reasonfake x"),
            "{text}"
        );
        assert!(
            text.ends_with("...' [GET http://127.0.0.1:8989/v1/maxscale]"),
            "{text}"
        );
        assert!(text.len() < 200, "{}", text.len());
        let e = MaxScaleError::rest(
            "monitor",
            Error {
                request: "GET x".into(),
                kind: ErrorKind::Unauthorized(Some("Access denied".into())),
            },
        );
        assert_eq!(
            e.to_string(),
            "monitor: 401 Unauthorized: 'Access denied' (check admin_user and \
             admin_password_file) [GET x]"
        );
    }

    #[test]
    fn start_exit_codes() {
        let e = |code: i32, m: &str| MaxScaleError::StartExit {
            code,
            message: m.into(),
        };
        assert_eq!(e(1, "x").rc(), OcfRc::ErrArgs);
        assert_eq!(e(2, "").rc(), OcfRc::ErrInstalled);
        assert_eq!(e(4, "").rc(), OcfRc::ErrGeneric);
        assert_eq!(e(5, "").rc(), OcfRc::ErrArgs);
        assert_eq!(e(6, "").rc(), OcfRc::ErrGeneric);
        assert_eq!(e(42, "").rc(), OcfRc::ErrGeneric);
        assert!(e(1, "bad key").to_string().ends_with("(exit 1): bad key"));
        assert!(e(3, "").to_string().ends_with("(exit 3)"));
    }
}
