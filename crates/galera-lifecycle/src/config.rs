//! How this node's mariadbd is run: binary, option file, datadir, socket, pid file, user.
//! Every mariadbd this crate starts (a recovery run, a join, a bootstrap) gets the same base,
//! so `--wsrep-recover` reads the same datadir with the same engine options as the server.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

pub const DEFAULT_BINARY: &str = "/usr/sbin/mariadbd";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// mariadbd itself (not mysqld_safe: the wrappers run their own `--wsrep-recover` and
    /// override the error log, resource-agents #1094).
    pub binary: PathBuf,
    /// `--defaults-file=`: the node's option file; `None` lets mariadbd search its defaults.
    pub defaults_file: Option<PathBuf>,
    pub datadir: PathBuf,
    pub socket: PathBuf,
    pub pid_file: PathBuf,
    /// The system user mariadbd switches to (`--user=`).
    pub user: String,
    /// `--log-error=` for the server (recovery runs always log to their own file).
    pub log_error: Option<PathBuf>,
    /// `--wsrep-cluster-address=` for a join; `None` keeps the option file's.
    pub cluster_address: Option<String>,
    /// More options, placed before the ones this crate sets (which therefore win).
    pub additional: Vec<OsString>,
    /// Lock files outside the datadir that prove a running server (an `ibdata1` under
    /// `innodb_data_home_dir`).
    pub extra_lock_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{what} must be an absolute path, got {path:?}")]
    NotAbsolute { what: &'static str, path: PathBuf },
    #[error("additional parameter {0:?} is set by the agent itself; remove it")]
    Reserved(String),
    #[error("wsrep_cluster_address {0:?} lists no node: such a node bootstraps a new cluster on every start")]
    EmptyClusterAddress(String),
    #[error("user must not be empty")]
    NoUser,
}

/// Options the crate decides per start; a user-supplied one would defeat the election or the
/// start-position rule. The option-file switches must come first on the command line.
const RESERVED: [&str; 12] = [
    "--defaults-file",
    "--defaults-extra-file",
    "--no-defaults",
    "--wsrep-new-cluster",
    "--wsrep_new_cluster",
    "--wsrep-recover",
    "--wsrep_recover",
    "--wsrep-start-position",
    "--wsrep_start_position",
    "--tc-heuristic-recover",
    "--tc_heuristic_recover",
    "--datadir",
];

impl ServerConfig {
    /// A configuration with Debian's binary and the given paths; the rest empty.
    pub fn new(
        datadir: impl Into<PathBuf>,
        socket: impl Into<PathBuf>,
        pid_file: impl Into<PathBuf>,
    ) -> ServerConfig {
        ServerConfig {
            binary: PathBuf::from(DEFAULT_BINARY),
            defaults_file: None,
            datadir: datadir.into(),
            socket: socket.into(),
            pid_file: pid_file.into(),
            user: "mysql".into(),
            log_error: None,
            cluster_address: None,
            additional: Vec::new(),
            extra_lock_files: Vec::new(),
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let abs = |what, p: &Path| {
            if p.is_absolute() {
                Ok(())
            } else {
                Err(ConfigError::NotAbsolute {
                    what,
                    path: p.to_path_buf(),
                })
            }
        };
        abs("binary", &self.binary)?;
        abs("datadir", &self.datadir)?;
        abs("socket", &self.socket)?;
        abs("pid", &self.pid_file)?;
        if let Some(f) = &self.defaults_file {
            abs("config", f)?;
        }
        if let Some(f) = &self.log_error {
            abs("log", f)?;
        }
        if self.user.is_empty() {
            return Err(ConfigError::NoUser);
        }
        for a in &self.additional {
            let a = a.to_string_lossy();
            let name = a.split('=').next().unwrap_or_default();
            if RESERVED.contains(&name) {
                return Err(ConfigError::Reserved(name.to_string()));
            }
            if name == "--wsrep-cluster-address" || name == "--wsrep_cluster_address" {
                return Err(ConfigError::Reserved(name.to_string()));
            }
        }
        if let Some(addr) = &self.cluster_address {
            let nodes = addr.trim().strip_prefix("gcomm://").unwrap_or(addr.trim());
            let nodes = nodes.split('?').next().unwrap_or_default();
            if nodes.split(',').all(|n| n.trim().is_empty()) {
                return Err(ConfigError::EmptyClusterAddress(addr.clone()));
            }
        }
        Ok(())
    }

    /// The command line every run starts with: the option file first (mariadbd requires it
    /// there), the additional options, then the paths this crate relies on.
    pub(crate) fn base_args(&self) -> Vec<OsString> {
        let mut v = Vec::new();
        if let Some(f) = &self.defaults_file {
            v.push(opt("--defaults-file=", f.as_os_str()));
        }
        v.extend(self.additional.iter().cloned());
        v.push(opt("--datadir=", self.datadir.as_os_str()));
        v.push(opt("--user=", OsStr::new(&self.user)));
        v
    }
}

pub(crate) fn opt(name: &str, value: &OsStr) -> OsString {
    let mut s = OsString::from(name);
    s.push(value);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ServerConfig {
        ServerConfig::new(
            "/var/lib/mysql",
            "/run/mysqld/mysqld.sock",
            "/run/mysqld/mysqld.pid",
        )
    }

    #[test]
    fn validation() {
        assert_eq!(cfg().validate(), Ok(()));
        let mut c = cfg();
        c.datadir = "var/lib/mysql".into();
        assert!(matches!(
            c.validate(),
            Err(ConfigError::NotAbsolute {
                what: "datadir",
                ..
            })
        ));
        for bad in [
            "--wsrep-new-cluster",
            "--wsrep_start_position=x:1",
            "--defaults-file=/x",
            "--wsrep_cluster_address=gcomm://",
        ] {
            let mut c = cfg();
            c.additional = vec![bad.into()];
            assert!(
                matches!(c.validate(), Err(ConfigError::Reserved(_))),
                "{bad}"
            );
        }
        let mut c = cfg();
        c.additional = vec!["--innodb-buffer-pool-size=64M".into()];
        assert_eq!(c.validate(), Ok(()));
        for bad in ["gcomm://", "gcomm://?pc.wait_prim=no", "gcomm://,"] {
            let mut c = cfg();
            c.cluster_address = Some(bad.into());
            assert!(
                matches!(c.validate(), Err(ConfigError::EmptyClusterAddress(_))),
                "{bad}"
            );
        }
        let mut c = cfg();
        c.cluster_address = Some("gcomm://db1,db2,db3".into());
        assert_eq!(c.validate(), Ok(()));
        c.user.clear();
        assert_eq!(c.validate(), Err(ConfigError::NoUser));
    }

    #[test]
    fn option_file_comes_first() {
        let mut c = cfg();
        c.defaults_file = Some("/etc/mysql/my.cnf".into());
        c.additional = vec!["--port=3307".into()];
        let a = c.base_args();
        assert_eq!(a[0], OsString::from("--defaults-file=/etc/mysql/my.cnf"));
        assert_eq!(a[1], OsString::from("--port=3307"));
        assert!(a.contains(&OsString::from("--datadir=/var/lib/mysql")));
        assert!(a.contains(&OsString::from("--user=mysql")));
    }
}
