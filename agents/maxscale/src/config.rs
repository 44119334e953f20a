//! The parameters as typed values (`Config::from_params`), cross-checked, and what follows from
//! them alone: the pid file, MaxScale's command line, where the REST API is. Nothing on this
//! node is looked at here (validate.rs does that), so every error is a configuration error (6).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use ocf::{ParamError, ParamSpec, ParamType, Params};

use crate::error::MaxScaleError;
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
/// option.
fn forbidden_option(word: &str) -> bool {
    is_option(word, FORBIDDEN_LONG, FORBIDDEN_SHORT)
}

/// Whether `word` is one of `long` (abbreviated to at least 3 letters, as MaxScale's
/// getopt_long accepts) or holds one of `short` in a cluster, before an option that takes an
/// argument ends the cluster.
fn is_option(word: &str, long: &[&str], short: &str) -> bool {
    if let Some(name) = word.strip_prefix("--") {
        let name = name.split('=').next().unwrap_or(name);
        return name.len() >= 3 && long.iter().any(|f| f.starts_with(name));
    }
    let Some(cluster) = word.strip_prefix('-') else {
        return false;
    };
    for c in cluster.chars() {
        if short.contains(c) {
            return true;
        }
        if SHORT_WITH_ARGUMENT.contains(c) {
            return false;
        }
    }
    false
}

/// MaxScale's directory options (long, and short in [`DIRECTORY_SHORT`]): the ones MXS-5009
/// glues together (launch.rs).
const DIRECTORY_LONG: &[&str] = &[
    "logdir",
    "datadir",
    "cachedir",
    "persistdir",
    "piddir",
    "basedir",
    "runtimedir",
    "libdir",
    "execdir",
    "sharedir",
    "configdir",
    "module_configdir",
    "language",
    "connector_plugindir",
];
const DIRECTORY_SHORT: &str = "LABCDEFJMNPRrH";

/// Whether one word of extra_options is a directory option. `--log` and `--config` are options
/// of their own (getopt_long takes an exact name over an abbreviation).
pub fn directory_option(word: &str) -> bool {
    let name = word
        .strip_prefix("--")
        .map(|n| n.split('=').next().unwrap_or(n));
    if matches!(name, Some("log" | "config")) {
        return false;
    }
    is_option(word, DIRECTORY_LONG, DIRECTORY_SHORT)
}

/// Whether a MaxScale command line (after the program name) has `--passive` / `-p`.
pub fn has_passive_option<S: AsRef<str>>(args: &[S]) -> bool {
    args.iter()
        .any(|a| is_option(a.as_ref(), &["passive"], "p"))
}

/// What the depth-20 check asks of MaxScale's servers (the parameters only monitor reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthRules {
    /// Servers that must be listed and Running; none named: at least one Running server.
    pub servers: Vec<String>,
    pub require_master: bool,
}

/// MaxScale's optional directories: the agent's parameters, or the settings of the
/// configuration's `[maxscale]` section (launch.rs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dirs {
    pub logdir: Option<PathBuf>,
    pub datadir: Option<PathBuf>,
    pub cachedir: Option<PathBuf>,
    pub persistdir: Option<PathBuf>,
}

impl Dirs {
    /// Each directory by its name, which is MaxScale's option and `[maxscale]` key, in the
    /// order they go on the command line.
    pub fn by_name(&self) -> [(&'static str, &Option<PathBuf>); 4] {
        [
            ("logdir", &self.logdir),
            ("datadir", &self.datadir),
            ("cachedir", &self.cachedir),
            ("persistdir", &self.persistdir),
        ]
    }

    /// The directory called `name`, when it is one of them.
    pub fn named_mut(&mut self, name: &str) -> Option<&mut Option<PathBuf>> {
        match name {
            "logdir" => Some(&mut self.logdir),
            "datadir" => Some(&mut self.datadir),
            "cachedir" => Some(&mut self.cachedir),
            "persistdir" => Some(&mut self.persistdir),
            _ => None,
        }
    }
}

/// Where and how the agent reaches MaxScale's REST API (the `admin_*` parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminApi {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password_file: Option<PathBuf>,
    pub tls: bool,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub binary: PathBuf,
    pub config: PathBuf,
    pub user: String,
    pub piddir: PathBuf,
    pub dirs: Dirs,
    pub extra_options: Vec<String>,
    pub manage_process: bool,
    pub admin: AdminApi,
    pub health: HealthRules,
}

/// How values are read: strictly (every action but stop), or leniently for stop, which must
/// succeed whenever nothing can run — a malformed value falls back to its default, with a
/// warning, because a stop that fails gets the node fenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Strict,
    Lenient,
}

impl Config {
    /// The configuration from instance parameters by name, for the unit tests.
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Result<Config, MaxScaleError> {
        Config::from_params(&Params::of(pairs))
    }

    /// Every parameter, checked: a malformed value is wrong on every node (6).
    pub fn from_params(p: &Params) -> Result<Config, MaxScaleError> {
        Config::read(p, Mode::Strict)
    }

    /// For stop: never fails (see [`Mode`]).
    pub fn for_stop(p: &Params) -> Config {
        Config::read(p, Mode::Lenient).unwrap_or_else(|e| {
            tracing::warn!("{e}; stop uses the defaults");
            Config::read(&Params::from_env(&ocf::Env::default()), Mode::Lenient)
                .unwrap_or_else(|e| unreachable!("the declared defaults parse: {e}"))
        })
    }

    fn read(p: &Params, mode: Mode) -> Result<Config, MaxScaleError> {
        fn value<T: ParamType>(
            p: &Params,
            spec: &ParamSpec<T>,
            mode: Mode,
        ) -> Result<T, MaxScaleError> {
            match (mode == Mode::Lenient)
                .then(|| p.get_lenient(spec))
                .flatten()
            {
                Some(v) => Ok(v),
                None => Ok(p.get(spec)?),
            }
        }
        fn optional<T: ParamType>(
            p: &Params,
            spec: &ParamSpec<T>,
            mode: Mode,
        ) -> Result<Option<T>, MaxScaleError> {
            match mode {
                Mode::Lenient => Ok(p.get_lenient(spec)),
                Mode::Strict => Ok(p.get_opt(spec)?),
            }
        }
        let extra_options: Vec<String> = optional(p, &EXTRA_OPTIONS, mode)?
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if mode == Mode::Strict {
            if let Some(bad) = extra_options.iter().find(|o| forbidden_option(o)) {
                return Err(MaxScaleError::ForbiddenOption(bad.clone()));
            }
        }
        let piddir: PathBuf = value(p, &PIDDIR, mode)?;
        // Stop checks this itself: nothing can have been started through such a piddir.
        if let (Err(expected), Mode::Strict) = (pid_path_syntax(&piddir), mode) {
            let text = p.text(&PIDDIR).unwrap_or_default();
            return Err(ParamError::invalid(&PIDDIR, text, expected).into());
        }
        let admin_host: String = value(p, &ADMIN_HOST, mode)?;
        let admin_port = value(p, &ADMIN_PORT, mode)?.0;
        let admin_tls = value(p, &ADMIN_TLS, mode)?;
        if let (Err(why), Mode::Strict) = (
            maxscale_rest::base_url(&admin_host, admin_port, admin_tls),
            mode,
        ) {
            return Err(ParamError::invalid(&ADMIN_HOST, &admin_host, why_host(&why)).into());
        }
        let servers = optional(p, &SERVERS, mode)?
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Ok(Config {
            binary: value(p, &BINARY, mode)?,
            config: value(p, &CONFIG, mode)?,
            user: value(p, &USER, mode)?,
            piddir,
            dirs: Dirs {
                logdir: optional(p, &LOGDIR, mode)?,
                datadir: optional(p, &DATADIR, mode)?,
                cachedir: optional(p, &CACHEDIR, mode)?,
                persistdir: optional(p, &PERSISTDIR, mode)?,
            },
            extra_options,
            manage_process: value(p, &MANAGE_PROCESS, mode)?,
            admin: AdminApi {
                host: admin_host,
                port: admin_port,
                user: value(p, &ADMIN_USER, mode)?,
                password_file: optional(p, &ADMIN_PASSWORD_FILE, mode)?,
                tls: admin_tls,
                ca_file: optional(p, &ADMIN_CA_FILE, mode)?,
            },
            health: HealthRules {
                servers,
                require_master: value(p, &REQUIRE_MASTER, mode)?,
            },
        })
    }

    pub fn pid_file(&self) -> daemon_process::PidFile {
        daemon_process::PidFile::new(self.piddir.join("maxscale.pid"))
    }

    /// The name the process is recognised by.
    pub fn program(&self) -> String {
        self.binary.to_string_lossy().into_owned()
    }

    /// The daemon's arguments (after the program name); `passive` adds `--passive` (MaxScale
    /// then answers passive=true from its first request on, whatever it persisted). Without
    /// `dirs` only `--piddir` of the directories is given (MXS-5009, launch.rs).
    pub fn arguments(&self, passive: bool, dirs: bool) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            join("--config=", &self.config),
            format!("--user={}", self.user).into(),
            join("--piddir=", &self.piddir),
        ];
        for (name, dir) in self.dirs.by_name() {
            if let Some(d) = dir.as_ref().filter(|_| dirs) {
                args.push(join(&format!("--{name}="), d));
            }
        }
        if passive {
            args.push("--passive".into());
        }
        args.extend(self.extra_options.iter().map(OsString::from));
        args
    }
}

/// What admin_host must be, after maxscale_rest's reason (which quotes the value: the
/// parameter error quotes it already).
fn why_host(why: &str) -> String {
    let reason = why.rsplit_once("URL: ").map_or(why, |(_, r)| r);
    format!("a host name or address that can form a URL ({reason})")
}

/// Longest path (PATH_MAX, with its NUL) and file name (NAME_MAX) Linux accepts.
const PATH_MAX: usize = 4096;
const NAME_MAX: usize = 255;

/// piddir must be absolute (MaxScale and the agent run in different directories) and short
/// enough to hold `maxscale.pid`: both are wrong on every node, so 6.
pub fn pid_path_syntax(piddir: &Path) -> Result<(), &'static str> {
    if !piddir.is_absolute() {
        return Err("an absolute path");
    }
    let too_long = piddir.join("maxscale.pid").as_os_str().len() >= PATH_MAX
        || piddir.iter().any(|name| name.len() > NAME_MAX);
    if too_long {
        return Err("a path short enough for maxscale.pid (PATH_MAX, NAME_MAX)");
    }
    Ok(())
}

fn join(flag: &str, path: &Path) -> OsString {
    let mut s = OsString::from(flag);
    s.push(path.as_os_str());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::{Failure, OcfRc};

    #[test]
    fn the_defaults_are_the_declarations() {
        let c = Config::from_pairs(&[]).unwrap();
        let d = |spec: &ParamSpec<PathBuf>| spec.default_value().unwrap();
        assert_eq!(c.binary, d(&BINARY));
        assert_eq!(c.config, d(&CONFIG));
        assert_eq!(c.piddir, d(&PIDDIR));
        assert_eq!(c.pid_file().path(), d(&PIDDIR).join("maxscale.pid"));
        assert_eq!(Some(c.user.clone()), USER.default_value());
        assert_eq!(Some(c.manage_process), MANAGE_PROCESS.default_value());
        assert_eq!(Some(c.admin.host.clone()), ADMIN_HOST.default_value());
        assert_eq!(c.admin.port, maxscale_rest::DEFAULT_PORT);
        assert_eq!(c.admin.user, maxscale_rest::DEFAULT_USER);
        assert!(!c.admin.tls && c.health == HealthRules::default());
        assert_eq!(
            c.arguments(false, true),
            [
                "--config=/etc/maxscale.cnf",
                "--user=maxscale",
                "--piddir=/run/maxscale"
            ]
        );
    }

    #[test]
    fn command_line_and_lists() {
        let c = Config::from_pairs(&[
            ("logdir", "/l"),
            ("persistdir", "/p"),
            ("extra_options", " --threads=2  -s no "),
            ("servers", "server1, server2 server3"),
        ])
        .unwrap();
        assert_eq!(
            c.arguments(true, true),
            [
                "--config=/etc/maxscale.cnf",
                "--user=maxscale",
                "--piddir=/run/maxscale",
                "--logdir=/l",
                "--persistdir=/p",
                "--passive",
                "--threads=2",
                "-s",
                "no"
            ]
        );
        assert_eq!(c.health.servers, ["server1", "server2", "server3"]);
        // MXS-5009: of the directories only --piddir.
        assert_eq!(
            c.arguments(false, false),
            [
                "--config=/etc/maxscale.cnf",
                "--user=maxscale",
                "--piddir=/run/maxscale",
                "--threads=2",
                "-s",
                "no"
            ]
        );
    }

    #[test]
    fn directory_options() {
        for dir in [
            "--logdir=/x",
            "--logd=/x",
            "--datadir",
            "--cachedir=/c",
            "--persistdir=/p",
            "--piddir=/r",
            "--basedir=/b",
            "--runtimedir=/r",
            "--configdir=/e",
            "-L/x",
            "-D",
            "-A/c",
            "-F/p",
            "-R/b",
        ] {
            assert!(directory_option(dir), "{dir}");
        }
        for other in [
            "--log=syslog",
            "--config=/c.cnf",
            "--threads=2",
            "-s",
            "-p",
            "-lfile",
        ] {
            assert!(!directory_option(other), "{other}");
        }
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
            let e = Config::from_pairs(&[bad]).unwrap_err();
            assert_eq!(e.rc(), OcfRc::ErrConfigured, "{bad:?}: {e}");
        }
        for piddir in [
            "run/maxscale",
            "./run",
            "",
            &format!("/{}", "d".repeat(300)),
            &format!("/{}", "d/".repeat(2100)),
        ] {
            let e = Config::from_pairs(&[("piddir", piddir)]);
            if piddir.is_empty() {
                assert!(e.is_ok(), "empty is unset: the default");
                continue;
            }
            let e = e.unwrap_err();
            assert_eq!(e.rc(), OcfRc::ErrConfigured, "{piddir}: {e}");
            assert!(
                e.to_string().starts_with("parameter 'piddir' must be"),
                "{e}"
            );
            assert!(e.to_string().len() < 200, "{e}");
        }
        for host in ["a b", "host/x", "user@host", "", "::1"] {
            let c = Config::from_pairs(&[("admin_host", host)]);
            if host.is_empty() || host == "::1" {
                assert!(c.is_ok(), "{host:?}");
                continue;
            }
            let e = c.unwrap_err();
            assert_eq!(e.rc(), OcfRc::ErrConfigured, "{host}: {e}");
            assert!(
                e.to_string()
                    .starts_with("parameter 'admin_host' must be a host name"),
                "{e}"
            );
        }
        assert!(has_passive_option(&["--config=x", "-dp"]));
        assert!(has_passive_option(&["--pass"]));
        assert!(!has_passive_option(&["-Up", "--piddir=/p", "-lp"]));
        // -p (passive), -l file and -Ufoo are fine.
        assert!(Config::from_pairs(&[("extra_options", "-p -lfile -s no")]).is_ok());
        let c = Config::for_stop(&Params::of(&[
            ("admin_port", "x"),
            ("manage_process", "?"),
            ("extra_options", "--nodaemon"),
        ]));
        assert_eq!(c.admin.port, maxscale_rest::DEFAULT_PORT);
        assert!(c.manage_process);
    }
}
