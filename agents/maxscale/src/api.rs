//! Reaching MaxScale's REST API: the client for this configuration (the password read from its
//! file, the one bounded reader of `ocf::secret`) and each request's share of the action's time.

use std::path::Path;
use std::time::{Duration, Instant};

use maxscale_rest::{Client, Secret, Tls};
use ocf::Context;

use crate::config::{AdminApi, Config};
use crate::error::MaxScaleError;

/// Connection set-up never takes longer than this.
const CONNECT_CAP: Duration = Duration::from_secs(2);

/// One request's deadline: a third of the timeout, at least 5 s, never past the action's.
pub fn request_deadline(ctx: &Context) -> Instant {
    let cap = (ctx.deadline.timeout() / 3).max(Duration::from_secs(5));
    ctx.deadline.capped(cap).at()
}

/// The REST client. Reading the password file can fail only on this node (2).
pub fn client(ctx: &Context, c: &Config) -> Result<Client, MaxScaleError> {
    let a = &c.admin;
    let config = maxscale_rest::Config {
        host: a.host.clone(),
        port: a.port,
        user: a.user.clone(),
        password: password(a)?,
        tls: a.tls.then(|| Tls {
            ca_file: a.ca_file.clone(),
        }),
        connect_timeout: ctx.deadline.budget(CONNECT_CAP),
    };
    Client::new(&config).map_err(|e| MaxScaleError::rest("REST API client", e))
}

/// The admin password: from admin_password_file, MaxScale's default without one. Reading the
/// file can fail only on this node (2).
pub fn password(a: &AdminApi) -> Result<Secret, MaxScaleError> {
    match &a.password_file {
        None => Ok(Secret::new(maxscale_rest::DEFAULT_PASSWORD)),
        Some(f) => read_password(f),
    }
}

/// The password; the error names the file, never its content.
pub fn read_password(path: &Path) -> Result<Secret, MaxScaleError> {
    ocf::secret::read_file(path).map_err(MaxScaleError::PasswordFile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::{Action, Deadline, Env, Failure, OcfRc};

    fn ctx() -> Context {
        Context::new(
            &crate::INFO,
            Action::Monitor,
            Env::default(),
            Deadline::from_timeout(Duration::from_secs(5)),
        )
    }

    #[test]
    fn passwords_come_from_a_file_and_never_show() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "s3cr3t\n").unwrap();
        let c = Config::from_pairs(&[("admin_password_file", f.to_str().unwrap())]).unwrap();
        let made = client(&ctx(), &c).unwrap();
        assert!(!format!("{made:?}").contains("s3cr3t"));
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(read_password(&f).unwrap().expose(), "s3cr3t");
        std::fs::write(&f, "a b\r\n").unwrap();
        assert_eq!(read_password(&f).unwrap().expose(), "a b");
        let missing = Config::from_pairs(&[("admin_password_file", "/nonexistent/pw")]).unwrap();
        let e = client(&ctx(), &missing).unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrArgs);
        assert!(e.to_string().contains("/nonexistent/pw"), "{e}");
    }
}
