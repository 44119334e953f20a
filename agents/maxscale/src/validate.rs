//! validate-all, and the checks of this node's files that start makes first: 5 when something
//! is missing here, 2 for an unreadable password or CA file or a piddir that cannot hold the
//! pid file, 4 for a piddir this process may not search.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use daemon_process::Unusable;
use ocf::{Context, Status};

use crate::api;
use crate::config::Config;
use crate::error::MaxScaleError;
use crate::launch;

pub fn validate(ctx: &Context) -> Result<Status, MaxScaleError> {
    let c = Config::from_params(&ctx.params)?;
    check_node(&c)?;
    launch::plan(ctx, &c)?;
    Ok(Status::Success)
}

/// What start needs on this node (monitor and stop never look: a probe on a node without
/// MaxScale answers 7).
pub fn check_node(c: &Config) -> Result<(), MaxScaleError> {
    if c.manage_process {
        check_executable(&c.binary)?;
        check_config_file(&c.config)?;
        if nix::unistd::User::from_name(&c.user)
            .ok()
            .flatten()
            .is_none()
        {
            return Err(MaxScaleError::NoUser(c.user.clone()));
        }
        check_piddir(c)?;
    }
    api::password(&c.admin)?;
    if c.admin.tls {
        if let Some(ca) = &c.admin.ca_file {
            maxscale_rest::load_ca_file(ca).map_err(|why| MaxScaleError::CaFile { why })?;
        }
    } else if c.admin.ca_file.is_some() {
        tracing::warn!("admin_ca_file is set but admin_tls is false: it is not used");
    }
    Ok(())
}

/// piddir must be a directory (or not exist yet: start creates it) and maxscale.pid, if there,
/// a regular file: otherwise MaxScale cannot write its pid file and nothing the agent starts
/// could be found again. 2 (this node's state; config.rs rejects what is wrong everywhere).
fn check_piddir(c: &Config) -> Result<(), MaxScaleError> {
    let bad = |what: String| MaxScaleError::PidPath {
        piddir: c.piddir.clone(),
        what,
    };
    let unusable = |e: std::io::Error, of: &str| match Unusable::from_io(&e) {
        Some(Unusable::PermissionDenied) => MaxScaleError::PiddirDenied(c.piddir.clone()),
        Some(why @ (Unusable::NotADirectory | Unusable::SymlinkLoop | Unusable::NameTooLong)) => {
            bad(format!("{of}: {why}"))
        }
        _ => MaxScaleError::Piddir {
            dir: c.piddir.clone(),
            what: "cannot stat it".into(),
            source: e,
        },
    };
    match std::fs::metadata(&c.piddir) {
        Ok(m) if m.is_dir() => {}
        Ok(m) => {
            let what = match Unusable::from_type(m.file_type()) {
                Some(Unusable::NotRegular(what)) => what,
                _ => "a regular file",
            };
            return Err(bad(format!("piddir is {what}, not a directory")));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(unusable(e, "piddir")),
    }
    let pid_file = c.pid_file();
    match std::fs::metadata(pid_file.path()) {
        Ok(m) => match Unusable::from_type(m.file_type()) {
            Some(Unusable::NotRegular(what)) => Err(bad(format!(
                "maxscale.pid is {what}, not a pid file: remove it"
            ))),
            _ => Ok(()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(unusable(e, "maxscale.pid")),
    }
}

/// MaxScale's configuration must be a regular file it can read: opened non-blocking (a FIFO
/// must not hang validate-all), then looked at. A directory passes `open`, and MaxScale then
/// rejects it (exit 1 → 2 after a spawn): 5 at once instead, like a missing file.
fn check_config_file(path: &Path) -> Result<(), MaxScaleError> {
    let file = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|source| MaxScaleError::ConfigUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
    let meta = file
        .metadata()
        .map_err(|source| MaxScaleError::ConfigUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
    match Unusable::from_type(meta.file_type()) {
        Some(Unusable::NotRegular(what)) => Err(MaxScaleError::ConfigNotFile {
            path: path.to_path_buf(),
            what,
        }),
        _ => Ok(()),
    }
}

fn check_executable(binary: &Path) -> Result<(), MaxScaleError> {
    match std::fs::metadata(binary) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => Ok(()),
        Ok(_) => Err(MaxScaleError::NotExecutable(binary.to_path_buf())),
        Err(source) => Err(MaxScaleError::BinaryMissing {
            path: binary.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::{Failure, OcfRc};

    #[test]
    fn node_checks() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("maxscale.cnf");
        std::fs::write(&cfg, "[maxscale]\n").unwrap();
        let cfg = cfg.to_str().unwrap();
        check_node(
            &Config::from_pairs(&[("binary", "/bin/sh"), ("config", cfg), ("user", "root")])
                .unwrap(),
        )
        .unwrap();
        let rc = |pairs: &[(&str, &str)]| {
            check_node(&Config::from_pairs(pairs).unwrap())
                .unwrap_err()
                .rc()
        };
        assert_eq!(
            rc(&[("binary", "/nonexistent/maxscale")]),
            OcfRc::ErrInstalled
        );
        assert_eq!(
            rc(&[("binary", "/bin/sh"), ("config", "/nonexistent.cnf")]),
            OcfRc::ErrInstalled
        );
        assert_eq!(
            rc(&[
                ("binary", "/bin/sh"),
                ("config", cfg),
                ("user", "no-such-user-here")
            ]),
            OcfRc::ErrInstalled
        );
        let d = dir.path().to_str().unwrap();
        assert_eq!(
            rc(&[("binary", "/bin/sh"), ("config", d), ("user", "root")]),
            OcfRc::ErrInstalled,
            "a directory as config"
        );
        let pem = dir.path().join("ca.pem");
        std::fs::write(&pem, "no certificate here\n").unwrap();
        let e = check_node(
            &Config::from_pairs(&[
                ("manage_process", "false"),
                ("admin_tls", "true"),
                ("admin_ca_file", pem.to_str().unwrap()),
            ])
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrArgs, "{e}");
        assert!(e.to_string().contains("holds no PEM certificate"), "{e}");
        // Not managing the process: binary, config and user are not needed here.
        check_node(
            &Config::from_pairs(&[("manage_process", "false"), ("binary", "/nonexistent")])
                .unwrap(),
        )
        .unwrap();
    }
}
