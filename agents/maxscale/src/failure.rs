//! The one place where a library error becomes an OCF exit code.
//!
//! - Credentials rejected (401; 403 "Administrative access required") and TLS failures: 2.
//!   They are configuration of *this* node (password file, CA file, certificate): 6 would ban
//!   the resource on every node, even from a probe (e.g. while a password is being rotated),
//!   and 1 would make Pacemaker restart MaxScale, which cannot fix them.
//! - Everything else the REST API can do (refused, timeout, 503, 404, garbage, unexpected JSON,
//!   another status, a passive value that did not stick): 1, a soft error; Pacemaker restarts
//!   or moves MaxScale, which is the right cure for a hung or broken one.
//! - Process handling: a missing executable 5; anything else 1.

use ocf::OcfError;

/// A library error, whichever library it came from.
#[derive(Debug)]
pub enum Failure {
    Rest(maxscale_rest::Error),
    Process(daemon_process::Error),
}

impl From<maxscale_rest::Error> for Failure {
    fn from(e: maxscale_rest::Error) -> Self {
        Failure::Rest(e)
    }
}

impl From<daemon_process::Error> for Failure {
    fn from(e: daemon_process::Error) -> Self {
        Failure::Process(e)
    }
}

/// The exit code and reason for a library error; `what` says what the agent was doing.
pub fn to_ocf(e: impl Into<Failure>, what: &str) -> OcfError {
    use maxscale_rest::ErrorKind as K;
    match e.into() {
        Failure::Rest(e) => {
            let reason = format!("{what}: {e}");
            match &e.kind {
                K::Unauthorized(_) => OcfError::args(format!(
                    "{reason} (check admin_user and admin_password_file)"
                )),
                K::Forbidden(Some(d)) if d.contains("Administrative access") => {
                    OcfError::args(format!("{reason} (admin_user needs an admin account)"))
                }
                K::Tls(_) => OcfError::args(format!(
                    "{reason} (check admin_tls, admin_ca_file and MaxScale's admin certificate)"
                )),
                _ => OcfError::generic(reason),
            }
        }
        Failure::Process(e) => match e {
            daemon_process::Error::NotFound { .. } => {
                OcfError::not_installed(format!("{what}: {e}"))
            }
            _ => OcfError::generic(format!("{what}: {e}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maxscale_rest::{Error, ErrorKind};
    use ocf::OcfRc;
    use std::time::Duration;

    fn rest(kind: ErrorKind) -> OcfRc {
        to_ocf(
            Error {
                request: "GET x".into(),
                kind,
            },
            "monitor",
        )
        .rc()
    }

    #[test]
    fn codes() {
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
        let e = to_ocf(
            daemon_process::Error::NotFound {
                program: "/x".into(),
            },
            "start",
        );
        assert_eq!(e.rc(), OcfRc::ErrInstalled);
    }
}
