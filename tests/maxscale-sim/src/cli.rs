//! Command line, parsed the way MaxScale's `getopt_long` loop does it.
//!
//! Long options take `--opt=value` or `--opt value` and may be abbreviated to any unambiguous
//! prefix; short options take `-fFILE` or `-f FILE` and can be clustered (`-dp`). Options that only
//! matter to a real MaxScale (`--libdir`, `--syslog`, ...) are accepted and ignored.

use std::ffi::OsString;
use std::path::PathBuf;

/// Default configuration directory (`/etc`) and file name.
pub const DEFAULT_CONFIGDIR: &str = "/etc";
pub const DEFAULT_PIDDIR: &str = "/var/run/maxscale";
pub const DEFAULT_LOGDIR: &str = "/var/log/maxscale";
pub const DEFAULT_DATADIR: &str = "/var/lib/maxscale";
pub const DEFAULT_CACHEDIR: &str = "/var/cache/maxscale";
pub const DEFAULT_PERSISTDIR: &str = "/var/lib/maxscale/maxscale.cnf.d";

/// Where log messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    File,
    Stdout,
}

/// A command-line option that takes a directory. Their order matters to a version with MXS-5009.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirOpt {
    Log,
    Cache,
    Lib,
    Config,
    Data,
    Exec,
    Persist,
    Share,
    ModuleConfig,
    Language,
    Pid,
    ConnectorPlugin,
    /// `-R/--basedir`
    Base,
    /// `-r/--runtimedir`
    Runtime,
}

/// The directories a command line sets (None: not set there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliDirs {
    pub configdir: Option<PathBuf>,
    pub piddir: Option<PathBuf>,
    pub logdir: Option<PathBuf>,
    pub datadir: Option<PathBuf>,
    pub cachedir: Option<PathBuf>,
    pub persistdir: Option<PathBuf>,
}

/// Parsed options. Directory options are `None` when not given on the command line, so that
/// the `[maxscale]` section may still set them (command line wins, as in MaxScale).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub config: Option<PathBuf>,
    pub dirs: CliDirs,
    pub daemon: bool,
    pub user: Option<String>,
    pub passive: bool,
    pub log: LogTarget,
    pub config_check: bool,
    /// `--profile VERSION` (simulator-only): the MaxScale version to simulate.
    pub profile: Option<String>,
    /// Every directory option in command-line order, as given.
    pub dir_args: Vec<(DirOpt, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config: None,
            dirs: CliDirs::default(),
            daemon: true,
            user: None,
            passive: false,
            log: LogTarget::File,
            config_check: false,
            profile: None,
            dir_args: Vec::new(),
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Run(Options),
    /// `-v/--version` (`full` = `-V/--version-full`). `config` is the `-f` seen before it, if
    /// any, so that `sim_version=` can be honoured.
    Version {
        full: bool,
        config: Option<PathBuf>,
        profile: Option<String>,
    },
    Help,
}

/// A bad argument: the message to print before the usage text. Exit code 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadArgument(pub String);

#[derive(Clone, Copy)]
struct Spec {
    long: &'static str,
    short: char,
    arg: bool,
}

const SPECS: &[Spec] = &[
    Spec {
        long: "config-check",
        short: 'c',
        arg: false,
    },
    Spec {
        long: "export-config",
        short: 'e',
        arg: true,
    },
    Spec {
        long: "daemon",
        short: 'n',
        arg: false,
    },
    Spec {
        long: "nodaemon",
        short: 'd',
        arg: false,
    },
    Spec {
        long: "config",
        short: 'f',
        arg: true,
    },
    Spec {
        long: "log",
        short: 'l',
        arg: true,
    },
    Spec {
        long: "logdir",
        short: 'L',
        arg: true,
    },
    Spec {
        long: "cachedir",
        short: 'A',
        arg: true,
    },
    Spec {
        long: "libdir",
        short: 'B',
        arg: true,
    },
    Spec {
        long: "configdir",
        short: 'C',
        arg: true,
    },
    Spec {
        long: "datadir",
        short: 'D',
        arg: true,
    },
    Spec {
        long: "execdir",
        short: 'E',
        arg: true,
    },
    Spec {
        long: "persistdir",
        short: 'F',
        arg: true,
    },
    Spec {
        long: "sharedir",
        short: 'J',
        arg: true,
    },
    Spec {
        long: "module_configdir",
        short: 'M',
        arg: true,
    },
    Spec {
        long: "language",
        short: 'N',
        arg: true,
    },
    Spec {
        long: "piddir",
        short: 'P',
        arg: true,
    },
    Spec {
        long: "basedir",
        short: 'R',
        arg: true,
    },
    Spec {
        long: "runtimedir",
        short: 'r',
        arg: true,
    },
    Spec {
        long: "user",
        short: 'U',
        arg: true,
    },
    Spec {
        long: "syslog",
        short: 's',
        arg: true,
    },
    Spec {
        long: "maxlog",
        short: 'S',
        arg: true,
    },
    Spec {
        long: "log_augmentation",
        short: 'G',
        arg: true,
    },
    Spec {
        long: "version",
        short: 'v',
        arg: false,
    },
    Spec {
        long: "version-full",
        short: 'V',
        arg: false,
    },
    Spec {
        long: "help",
        short: '?',
        arg: false,
    },
    Spec {
        long: "connector_plugindir",
        short: 'H',
        arg: true,
    },
    Spec {
        long: "passive",
        short: 'p',
        arg: false,
    },
    Spec {
        long: "debug",
        short: 'g',
        arg: true,
    },
    // Simulator-only; MaxScale has no such option (and no short form is taken).
    Spec {
        long: "profile",
        short: '\u{1}',
        arg: true,
    },
];

fn find_long(name: &str) -> Result<Spec, BadArgument> {
    if let Some(s) = SPECS.iter().find(|s| s.long == name) {
        return Ok(*s);
    }
    let matches: Vec<&Spec> = SPECS.iter().filter(|s| s.long.starts_with(name)).collect();
    match matches.as_slice() {
        [one] if !name.is_empty() => Ok(**one),
        [] | [_] => Err(BadArgument(format!("unrecognized option '--{name}'"))),
        _ => Err(BadArgument(format!("option '--{name}' is ambiguous"))),
    }
}

fn path_arg(v: &str) -> PathBuf {
    // MaxScale appends a '/' to path arguments; trailing slashes are dropped here so that
    // joined paths print cleanly.
    let trimmed = v.trim_end_matches('/');
    PathBuf::from(if trimmed.is_empty() { "/" } else { trimmed })
}

/// The sub-paths `set_runtime_dirs` (gateway.cc, 6.x) derives from a base, in its order; only
/// the directories the simulator uses are named.
const RUNTIME_SUBDIRS: &[(Option<DirOpt>, &str)] = &[
    (Some(DirOpt::Share), "share/maxscale"),
    (Some(DirOpt::Log), "var/log/maxscale"),
    (Some(DirOpt::Cache), "var/cache/maxscale"),
    (Some(DirOpt::Config), "etc"),
    (Some(DirOpt::ModuleConfig), "etc/maxscale.modules.d"),
    (Some(DirOpt::Data), "var/lib/maxscale"),
    (Some(DirOpt::Language), "var/lib/maxscale"),
    (Some(DirOpt::Pid), "var/run/maxscale"),
    (Some(DirOpt::Persist), "var/lib/maxscale/maxscale.cnf.d"),
    (None, "lib/plugin"),
];

/// `handle_path_arg` with MXS-5009: the output is not cleared, so the new path is appended to
/// what the variable already holds, followed by `/` (and `sub`, when given).
fn glue(acc: &mut String, path: &str, sub: Option<&str>) {
    acc.push_str(path);
    if !acc.ends_with('/') {
        acc.push('/');
    }
    if let Some(s) = sub {
        acc.push_str(s);
    }
}

/// `set_runtime_dirs` without MXS-5009: every directory the simulator uses under `base`.
fn runtime_dirs(base: &str) -> CliDirs {
    let b = path_arg(base);
    let mut d = CliDirs::default();
    for (opt, sub) in RUNTIME_SUBDIRS {
        if let Some(o) = opt {
            set_dir(&mut d, *o, b.join(sub));
        }
    }
    d
}

fn set_dir(d: &mut CliDirs, opt: DirOpt, value: PathBuf) {
    match opt {
        DirOpt::Log => d.logdir = Some(value),
        DirOpt::Cache => d.cachedir = Some(value),
        DirOpt::Config => d.configdir = Some(value),
        DirOpt::Data => d.datadir = Some(value),
        DirOpt::Persist => d.persistdir = Some(value),
        DirOpt::Pid => d.piddir = Some(value),
        _ => {}
    }
}

/// The directories a MaxScale with MXS-5009 ends up with. Every directory option goes through one
/// `tmp_path` that is never cleared, so each gets the ones before it glued in front and only the
/// first is right (issue 11: `--logdir=D/log --datadir=D/data` gives datadir `D/log/D/data`).
/// `--basedir`/`--runtimedir` glue the same way, and `set_runtime_dirs` then reuses one
/// variable for all the paths it derives (that part is a model of the code, not observed).
pub fn mxs5009_dirs(args: &[(DirOpt, String)]) -> CliDirs {
    let mut d = CliDirs::default();
    let mut tmp_path = String::new();
    for (opt, value) in args {
        glue(&mut tmp_path, value, None);
        match opt {
            DirOpt::Base | DirOpt::Runtime => {
                let base = tmp_path.clone();
                let mut path = String::new();
                for (sub_opt, sub) in RUNTIME_SUBDIRS {
                    glue(&mut path, &base, Some(sub));
                    if let Some(o) = sub_opt {
                        set_dir(&mut d, *o, PathBuf::from(&path));
                    }
                }
            }
            other => set_dir(&mut d, *other, PathBuf::from(&tmp_path)),
        }
    }
    d
}

fn dir_opt(short: char) -> Option<DirOpt> {
    Some(match short {
        'L' => DirOpt::Log,
        'A' => DirOpt::Cache,
        'B' => DirOpt::Lib,
        'C' => DirOpt::Config,
        'D' => DirOpt::Data,
        'E' => DirOpt::Exec,
        'F' => DirOpt::Persist,
        'J' => DirOpt::Share,
        'M' => DirOpt::ModuleConfig,
        'N' => DirOpt::Language,
        'P' => DirOpt::Pid,
        'H' => DirOpt::ConnectorPlugin,
        'R' => DirOpt::Base,
        'r' => DirOpt::Runtime,
        _ => return None,
    })
}

fn apply(o: &mut Options, spec: Spec, val: Option<String>) -> Result<Option<Action>, BadArgument> {
    let v = val.unwrap_or_default();
    if let Some(d) = dir_opt(spec.short) {
        o.dir_args.push((d, v.clone()));
        match d {
            DirOpt::Base | DirOpt::Runtime => o.dirs = runtime_dirs(&v),
            other => set_dir(&mut o.dirs, other, path_arg(&v)),
        }
    }
    match spec.short {
        'c' => o.config_check = true,
        'e' => o.config_check = true,
        'n' => o.daemon = true,
        'd' => o.daemon = false,
        'f' => {
            if v.is_empty() || v.starts_with('-') {
                return Err(BadArgument(
                    "Configuration file argument identifier '-f' was specified but the argument \
                     didn't specify a valid configuration file or the argument was missing."
                        .into(),
                ));
            }
            o.config = Some(PathBuf::from(v));
        }
        'l' => {
            o.log = if v.eq_ignore_ascii_case("file") {
                LogTarget::File
            } else if v.eq_ignore_ascii_case("stdout") {
                LogTarget::Stdout
            } else {
                return Err(BadArgument(
                    "Configuration file argument identifier '-l' was specified but the argument \
                     didn't specify a valid configuration file or the argument was missing."
                        .into(),
                ));
            }
        }
        'U' => o.user = Some(v),
        'p' => o.passive = true,
        '\u{1}' => o.profile = Some(v),
        'v' | 'V' => {
            return Ok(Some(Action::Version {
                full: spec.short == 'V',
                config: o.config.clone(),
                profile: o.profile.clone(),
            }))
        }
        '?' => return Ok(Some(Action::Help)),
        // The directory options are set above; libdir, execdir, sharedir, module_configdir,
        // language, syslog, maxlog, log_augmentation, connector_plugindir, debug: accepted,
        // nothing to simulate.
        _ => {}
    }
    Ok(None)
}

/// Parse `argv` (without the program name).
pub fn parse(args: &[OsString]) -> Result<Action, BadArgument> {
    let mut o = Options::default();
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let spec = find_long(name)?;
            let val = if spec.arg {
                match inline {
                    Some(v) => Some(v),
                    None if i < args.len() => {
                        i += 1;
                        Some(args[i - 1].clone())
                    }
                    None => {
                        return Err(BadArgument(format!(
                            "option '--{}' requires an argument",
                            spec.long
                        )))
                    }
                }
            } else if inline.is_some() {
                return Err(BadArgument(format!(
                    "option '--{}' doesn't allow an argument",
                    spec.long
                )));
            } else {
                None
            };
            if let Some(action) = apply(&mut o, spec, val)? {
                return Ok(action);
            }
        } else if a.len() > 1 && a.starts_with('-') {
            let chars: Vec<char> = a[1..].chars().collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                j += 1;
                let spec = SPECS
                    .iter()
                    .find(|s| s.short == c && c.is_ascii_graphic())
                    .copied()
                    .ok_or_else(|| BadArgument(format!("invalid option -- '{c}'")))?;
                let val = if spec.arg {
                    let rest: String = chars[j..].iter().collect();
                    j = chars.len();
                    if !rest.is_empty() {
                        Some(rest)
                    } else if i < args.len() {
                        i += 1;
                        Some(args[i - 1].clone())
                    } else {
                        return Err(BadArgument(format!("option requires an argument -- '{c}'")));
                    }
                } else {
                    None
                };
                if let Some(action) = apply(&mut o, spec, val)? {
                    return Ok(action);
                }
            }
        }
        // Non-option arguments are ignored, as getopt leaves them to the caller and MaxScale
        // never looks at them.
    }
    Ok(Action::Run(o))
}

/// The usage text (MaxScale prints it on stderr for `--help` and after a bad argument).
pub fn usage(prog: &str) -> String {
    format!(
        "\nUsage : {prog} [OPTION]...\n\n\
  -c, --config-check          validate configuration file and exit\n\
  -d, --nodaemon              enable running in terminal process\n\
  -f, --config=FILE           relative or absolute pathname of config file\n\
  -l, --log=[file|stdout]     log to file or stdout\n\
                              (default: file)\n\
  -L, --logdir=PATH           path to log file directory\n\
  -A, --cachedir=PATH         path to cache directory\n\
  -C, --configdir=PATH        path to configuration file directory\n\
  -D, --datadir=PATH          path to data directory,\n\
                              stores internal MaxScale data\n\
  -F, --persistdir=PATH       path to persisted configuration directory\n\
  -P, --piddir=PATH           path to PID file directory\n\
  -R, --basedir=PATH          base path for all other paths\n\
  -r  --runtimedir=PATH       base path for all other paths expect binaries\n\
  -U, --user=USER             user ID and group ID of specified user are used to\n\
                              run MaxScale\n\
  -p, --passive               start MaxScale as a passive standby\n\
  -v, --version               print version info and exit\n\
  -V, --version-full          print full version info and exit\n\
  -?, --help                  show this help\n\
\n\
(maxscale-sim: a MaxScale simulator for tests; the other MaxScale options are accepted\n\
and ignored. Simulator-only: --profile=VERSION, the MaxScale version to simulate, e.g. 6.4\n\
or 24.02.3.)\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Result<Action, BadArgument> {
        parse(&v.iter().map(OsString::from).collect::<Vec<_>>())
    }

    fn run(v: &[&str]) -> Options {
        match p(v) {
            Ok(Action::Run(o)) => o,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn both_forms() {
        let o = run(&[
            "--config=/a.cnf",
            "--piddir",
            "/run/x/",
            "-dU",
            "nobody",
            "-L/l",
            "-p",
        ]);
        assert_eq!(o.config, Some(PathBuf::from("/a.cnf")));
        assert_eq!(o.dirs.piddir, Some(PathBuf::from("/run/x")));
        assert!(!o.daemon);
        assert!(o.passive);
        assert_eq!(o.user.as_deref(), Some("nobody"));
        assert_eq!(o.dirs.logdir, Some(PathBuf::from("/l")));
        let o = run(&["-f", "/b.cnf", "--nodaemon", "--log=stdout", "--pers=/p"]);
        assert_eq!(o.config, Some(PathBuf::from("/b.cnf")));
        assert_eq!(o.log, LogTarget::Stdout);
        assert_eq!(o.dirs.persistdir, Some(PathBuf::from("/p")));
        // --basedir sets every directory below it (without MXS-5009).
        let b = |sub: &str| Some(PathBuf::from("/b").join(sub));
        assert_eq!(
            run(&["--logdir=/l", "--basedir=/b/"]).dirs,
            CliDirs {
                configdir: b("etc"),
                piddir: b("var/run/maxscale"),
                logdir: b("var/log/maxscale"),
                datadir: b("var/lib/maxscale"),
                cachedir: b("var/cache/maxscale"),
                persistdir: b("var/lib/maxscale/maxscale.cnf.d"),
            }
        );
    }

    #[test]
    fn bad_ones() {
        assert!(p(&["--nosuch"]).is_err());
        assert!(p(&["-x"]).is_err());
        assert!(p(&["--config"]).is_err());
        assert!(p(&["--log=syslog"]).is_err());
        assert!(p(&["--nodaemon=1"]).is_err());
        // "--log" is exact even though "--logdir" shares the prefix; "--lo" is ambiguous.
        assert!(p(&["--lo=file"]).is_err());
    }

    #[test]
    fn version_and_help() {
        assert_eq!(
            p(&["--version"]),
            Ok(Action::Version {
                full: false,
                config: None,
                profile: None
            })
        );
        assert_eq!(
            p(&["-f", "/c", "-V"]),
            Ok(Action::Version {
                full: true,
                config: Some(PathBuf::from("/c")),
                profile: None
            })
        );
        assert_eq!(p(&["--help"]), Ok(Action::Help));
        assert_eq!(
            p(&["--profile", "6.4", "-v"]),
            Ok(Action::Version {
                full: false,
                config: None,
                profile: Some("6.4".into())
            })
        );
        assert_eq!(run(&["--pro=6.4"]).profile.as_deref(), Some("6.4"));
    }

    #[test]
    fn mxs5009_glues_each_directory_onto_the_previous_ones() {
        // issue 11's observation, with D = d
        let o = run(&[
            "--logdir=d/log",
            "--datadir=d/data",
            "--cachedir=d/cache",
            "--piddir=d/run",
            "--persistdir=d/persist",
        ]);
        let g = mxs5009_dirs(&o.dir_args);
        assert_eq!(g.logdir, Some(PathBuf::from("d/log/")));
        assert_eq!(g.datadir, Some(PathBuf::from("d/log/d/data/")));
        assert_eq!(g.cachedir, Some(PathBuf::from("d/log/d/data/d/cache/")));
        assert_eq!(
            g.piddir.map(|p| p.join("maxscale.pid")),
            Some(PathBuf::from("d/log/d/data/d/cache/d/run/maxscale.pid"))
        );
        // one directory option alone is right
        let g = mxs5009_dirs(&run(&["-f", "/x.cnf", "--piddir=/run/m"]).dir_args);
        assert_eq!(g.piddir, Some(PathBuf::from("/run/m/")));
        // --basedir: each derived path glued onto the one before
        let g = mxs5009_dirs(&run(&["--basedir=/b"]).dir_args);
        assert_eq!(
            g.logdir,
            Some(PathBuf::from("/b/share/maxscale/b/var/log/maxscale"))
        );
    }
}
