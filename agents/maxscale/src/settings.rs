//! The parameters, typed and syntax-checked, plus what is derived from them (pid file, command
//! line, REST client configuration).

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use maxscale_rest::{Secret, Tls};
use ocf::{OcfError, OcfResult, ParamSpec, ParamType, Params};

use crate::params::*;

/// Long options that would keep MaxScale from daemonizing and reporting its start-up result.
const FORBIDDEN_LONG: &[&str] = &[
    "nodaemon",
    "config-check",
    "export-config",
    "version",
    "version-full",
    "help",
];
/// Their short forms, and the short options that take an argument (the rest of a cluster).
const FORBIDDEN_SHORT: &str = "dcevV?";
const SHORT_WITH_ARGUMENT: &str = "eflLABCDEFJMNPRrUsSGHg";

/// Whether one word of extra_options is (or, in a cluster like `-dp`, holds) a forbidden
/// option. Long options may be abbreviated, as MaxScale's getopt_long accepts.
fn forbidden_option(word: &str) -> bool {
    if let Some(long) = word.strip_prefix("--") {
        let name = long.split('=').next().unwrap_or(long);
        return name.len() >= 3 && FORBIDDEN_LONG.iter().any(|f| f.starts_with(name));
    }
    let Some(cluster) = word.strip_prefix('-') else {
        return false;
    };
    for c in cluster.chars() {
        if FORBIDDEN_SHORT.contains(c) {
            return true;
        }
        if SHORT_WITH_ARGUMENT.contains(c) {
            return false;
        }
    }
    false
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub binary: PathBuf,
    pub config: PathBuf,
    pub user: String,
    pub piddir: PathBuf,
    pub logdir: Option<PathBuf>,
    pub datadir: Option<PathBuf>,
    pub cachedir: Option<PathBuf>,
    pub persistdir: Option<PathBuf>,
    pub extra_options: Vec<String>,
    pub manage_process: bool,
    pub admin_host: String,
    pub admin_port: u16,
    pub admin_user: String,
    pub admin_password_file: Option<PathBuf>,
    pub admin_tls: bool,
    pub admin_ca_file: Option<PathBuf>,
    pub servers: Vec<String>,
    pub require_master: bool,
}

impl Settings {
    /// Every parameter, syntax-checked: a malformed value is wrong on every node (6).
    pub fn from_params(p: &Params) -> OcfResult<Settings> {
        Settings::read(p, false)
    }

    /// For stop: a malformed value falls back to its default with a warning, because a stop
    /// that fails gets the node fenced, and stop must succeed whenever nothing can run.
    pub fn lenient(p: &Params) -> Settings {
        Settings::read(p, true).unwrap_or_else(|_| Settings::defaults())
    }

    fn defaults() -> Settings {
        Settings::read(&Params::from_env(&ocf::Env::default()), true)
            .unwrap_or_else(|e| unreachable!("the defaults parse: {e}"))
    }

    fn read(p: &Params, lenient: bool) -> OcfResult<Settings> {
        // Lenient (stop): a malformed value is replaced by its default, with a warning.
        fn value<T: ParamType>(p: &Params, spec: &ParamSpec<T>, lenient: bool) -> OcfResult<T> {
            match lenient.then(|| p.get_lenient(spec)).flatten() {
                Some(v) => Ok(v),
                None => Ok(p.get(spec)?),
            }
        }
        fn optional<T: ParamType>(
            p: &Params,
            spec: &ParamSpec<T>,
            lenient: bool,
        ) -> OcfResult<Option<T>> {
            if lenient {
                Ok(p.get_lenient(spec))
            } else {
                Ok(p.get_opt(spec)?)
            }
        }
        let extra_options: Vec<String> = p
            .text(&EXTRA_OPTIONS)
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !lenient {
            if let Some(bad) = extra_options.iter().find(|o| forbidden_option(o)) {
                return Err(OcfError::not_configured(format!(
                    "extra_options: '{bad}' would keep MaxScale from starting as a daemon"
                )));
            }
        }
        let servers = p
            .text(&SERVERS)
            .unwrap_or("")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Ok(Settings {
            binary: value(p, &BINARY, lenient)?,
            config: value(p, &CONFIG, lenient)?,
            user: value(p, &USER, lenient)?,
            piddir: value(p, &PIDDIR, lenient)?,
            logdir: optional(p, &LOGDIR, lenient)?,
            datadir: optional(p, &DATADIR, lenient)?,
            cachedir: optional(p, &CACHEDIR, lenient)?,
            persistdir: optional(p, &PERSISTDIR, lenient)?,
            extra_options,
            manage_process: value(p, &MANAGE_PROCESS, lenient)?,
            admin_host: value(p, &ADMIN_HOST, lenient)?,
            admin_port: value(p, &ADMIN_PORT, lenient)?.0,
            admin_user: value(p, &ADMIN_USER, lenient)?,
            admin_password_file: optional(p, &ADMIN_PASSWORD_FILE, lenient)?,
            admin_tls: value(p, &ADMIN_TLS, lenient)?,
            admin_ca_file: optional(p, &ADMIN_CA_FILE, lenient)?,
            servers,
            require_master: value(p, &REQUIRE_MASTER, lenient)?,
        })
    }

    pub fn pid_file(&self) -> daemon_process::PidFile {
        daemon_process::PidFile::new(self.piddir.join("maxscale.pid"))
    }

    /// The name the process is recognised by.
    pub fn program(&self) -> String {
        self.binary.to_string_lossy().into_owned()
    }

    /// `maxscale.log`, where MaxScale explains a failed start when it printed nothing.
    pub fn log_file(&self) -> PathBuf {
        self.logdir
            .clone()
            .unwrap_or_else(|| PathBuf::from("/var/log/maxscale"))
            .join("maxscale.log")
    }

    /// The daemon's arguments (after the program name).
    pub fn arguments(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            join("--config=", &self.config),
            format!("--user={}", self.user).into(),
            join("--piddir=", &self.piddir),
        ];
        for (flag, dir) in [
            ("--logdir=", &self.logdir),
            ("--datadir=", &self.datadir),
            ("--cachedir=", &self.cachedir),
            ("--persistdir=", &self.persistdir),
        ] {
            if let Some(d) = dir {
                args.push(join(flag, d));
            }
        }
        args.extend(self.extra_options.iter().map(OsString::from));
        args
    }

    /// The REST client's configuration. Reading the password file can fail only on this node
    /// (2). `connect` bounds connection set-up.
    pub fn rest_config(&self, connect: Duration) -> OcfResult<maxscale_rest::Config> {
        let password = match &self.admin_password_file {
            None => Secret::new(maxscale_rest::DEFAULT_PASSWORD),
            Some(f) => read_password(f)?,
        };
        Ok(maxscale_rest::Config {
            host: self.admin_host.clone(),
            port: self.admin_port,
            user: self.admin_user.clone(),
            password,
            tls: self.admin_tls.then(|| Tls {
                ca_file: self.admin_ca_file.clone(),
            }),
            connect_timeout: connect,
        })
    }

    /// Checks of this node's files (start, validate-all): 5 when something is missing here,
    /// 2 for an unreadable password or CA file.
    pub fn check_local(&self) -> OcfResult<()> {
        if self.manage_process {
            check_executable(&self.binary)?;
            if let Err(e) = std::fs::File::open(&self.config) {
                return Err(OcfError::not_installed(format!(
                    "config {} cannot be read on this node: {e}",
                    self.config.display()
                )));
            }
            if nix::unistd::User::from_name(&self.user)
                .ok()
                .flatten()
                .is_none()
            {
                return Err(OcfError::not_installed(format!(
                    "user '{}' does not exist on this node",
                    self.user
                )));
            }
        }
        if let Some(f) = &self.admin_password_file {
            read_password(f)?;
        }
        if self.admin_tls {
            if let Some(ca) = &self.admin_ca_file {
                if let Err(e) = std::fs::read(ca) {
                    return Err(OcfError::args(format!(
                        "admin_ca_file {} cannot be read: {e}",
                        ca.display()
                    )));
                }
            }
        } else if self.admin_ca_file.is_some() {
            tracing::warn!("admin_ca_file is set but admin_tls is false: it is not used");
        }
        Ok(())
    }
}

fn join(flag: &str, path: &Path) -> OsString {
    let mut s = OsString::from(flag);
    s.push(path.as_os_str());
    s
}

fn check_executable(binary: &Path) -> OcfResult<()> {
    match std::fs::metadata(binary) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => Ok(()),
        Ok(_) => Err(OcfError::not_installed(format!(
            "binary {} is not an executable file",
            binary.display()
        ))),
        Err(e) => Err(OcfError::not_installed(format!(
            "binary {} not found on this node: {e}",
            binary.display()
        ))),
    }
}

/// The password (the one bounded reader of `ocf::secret`). The error names the file, never
/// its content: 2, since the file is per node.
fn read_password(path: &Path) -> OcfResult<Secret> {
    ocf::secret::read_file(path).map_err(|e| OcfError::args(format!("admin_password_file {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::{Env, OcfRc};

    fn settings(pairs: &[(&str, &str)]) -> OcfResult<Settings> {
        let env = Env::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())),
        );
        Settings::from_params(&Params::from_env(&env))
    }

    #[test]
    fn defaults_match_the_issue() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.binary, PathBuf::from("/usr/bin/maxscale"));
        assert_eq!(s.config, PathBuf::from("/etc/maxscale.cnf"));
        assert_eq!(s.user, "maxscale");
        assert_eq!(s.pid_file().path(), Path::new("/run/maxscale/maxscale.pid"));
        assert!(s.manage_process);
        assert_eq!((s.admin_host.as_str(), s.admin_port), ("127.0.0.1", 8989));
        assert_eq!(s.admin_user, "admin");
        assert!(!s.admin_tls && !s.require_master && s.servers.is_empty());
        assert_eq!(
            s.arguments(),
            [
                "--config=/etc/maxscale.cnf",
                "--user=maxscale",
                "--piddir=/run/maxscale"
            ]
        );
        assert_eq!(
            s.log_file(),
            PathBuf::from("/var/log/maxscale/maxscale.log")
        );
    }

    #[test]
    fn command_line_and_lists() {
        let s = settings(&[
            ("logdir", "/l"),
            ("persistdir", "/p"),
            ("extra_options", " --threads=2  -s no "),
            ("servers", "server1, server2 server3"),
        ])
        .unwrap();
        assert_eq!(
            s.arguments(),
            [
                "--config=/etc/maxscale.cnf",
                "--user=maxscale",
                "--piddir=/run/maxscale",
                "--logdir=/l",
                "--persistdir=/p",
                "--threads=2",
                "-s",
                "no"
            ]
        );
        assert_eq!(s.servers, ["server1", "server2", "server3"]);
    }

    #[test]
    fn malformed_values_are_configuration_errors() {
        for bad in [
            ("admin_port", "http"),
            ("admin_port", "0"),
            ("admin_port", "70000"),
            ("manage_process", "perhaps"),
            ("extra_options", "--nodaemon"),
            ("extra_options", "-d"),
            ("extra_options", "-dp"),
            ("extra_options", "--config-check"),
            ("extra_options", "--nodaem"),
            ("extra_options", "-pd"),
        ] {
            let e = settings(&[bad]).unwrap_err();
            assert_eq!(e.rc(), OcfRc::ErrConfigured, "{bad:?}: {e}");
        }
        // -p (passive), -l file and -Ufoo are fine.
        assert!(settings(&[("extra_options", "-p -lfile -s no")]).is_ok());
        let env = Env::from_pairs([
            ("OCF_RESKEY_admin_port", "x"),
            ("OCF_RESKEY_manage_process", "?"),
        ]);
        let s = Settings::lenient(&Params::from_env(&env));
        assert_eq!(s.admin_port, 8989);
        assert!(s.manage_process);
    }

    #[test]
    fn passwords_come_from_a_file_and_never_show() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "s3cr3t\n").unwrap();
        let s = settings(&[("admin_password_file", f.to_str().unwrap())]).unwrap();
        let c = s.rest_config(Duration::from_secs(1)).unwrap();
        assert_eq!(c.password.expose(), "s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(!format!("{s:?}").contains("s3cr3t"));
        let missing = settings(&[("admin_password_file", "/nonexistent/pw")]).unwrap();
        let e = missing.rest_config(Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrArgs);
        assert!(e.reason().contains("/nonexistent/pw"));
        let none = settings(&[]).unwrap();
        assert_eq!(
            none.rest_config(Duration::from_secs(1))
                .unwrap()
                .password
                .expose(),
            "mariadb"
        );
        assert_eq!(read_password(&f).unwrap().expose(), "s3cr3t");
        std::fs::write(&f, "a b\r\n").unwrap();
        assert_eq!(read_password(&f).unwrap().expose(), "a b");
    }

    #[test]
    fn local_checks() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("maxscale.cnf");
        std::fs::write(&cfg, "[maxscale]\n").unwrap();
        let ok = settings(&[
            ("binary", "/bin/sh"),
            ("config", cfg.to_str().unwrap()),
            ("user", "root"),
        ])
        .unwrap();
        ok.check_local().unwrap();
        let e = settings(&[("binary", "/nonexistent/maxscale")])
            .unwrap()
            .check_local()
            .unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrInstalled);
        let e = settings(&[("binary", "/bin/sh"), ("config", "/nonexistent.cnf")])
            .unwrap()
            .check_local()
            .unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrInstalled);
        let e = settings(&[
            ("binary", "/bin/sh"),
            ("config", cfg.to_str().unwrap()),
            ("user", "no-such-user-here"),
        ])
        .unwrap()
        .check_local()
        .unwrap_err();
        assert_eq!(e.rc(), OcfRc::ErrInstalled);
        // Not managing the process: binary, config and user are not needed here.
        settings(&[("manage_process", "false"), ("binary", "/nonexistent")])
            .unwrap()
            .check_local()
            .unwrap();
    }
}
