//! maxscale-sim: a stand-in for MariaDB MaxScale in tests of the `ocf:mariadb:maxscale` agent:
//! 24.02.3 by default, other versions through their profiles (`profile.rs`).
//!
//! It reproduces what an agent can observe of a real MaxScale: the command line, the daemon
//! start-up handshake and exit codes, the flock()ed pid file, the log lines, the signal
//! handling and the REST API (status codes, headers and JSON:API documents, including the
//! persisted `passive` flag). It does not proxy SQL: each service listener answers a connection
//! with one text line naming the node, which is what failover tests need.
//!
//! Simulator-only additions are the `/sim/...` endpoints, the `sim_*` configuration keys, the
//! `--profile` option and the passive journal (README.md).
//!
//! Start-up order follows MaxScale's gateway.cc: options (`--user` switches user at once) →
//! root refusal → fork (the parent waits on a pipe) → config file → log → config checks →
//! directories → pid file and directory locks → REST API → listeners → "started" → report 0 to
//! the parent.

#![recursion_limit = "256"]

pub mod api;
pub mod cli;
pub mod client;
pub mod config;
pub mod docs;
pub mod http;
pub mod journal;
pub mod log;
pub mod net;
pub mod process;
pub mod profile;
pub mod state;
pub mod time;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{Action, LogTarget, Options};
use crate::process::{exit, StartupPipe};
use crate::profile::Profile;
use crate::state::{Dirs, ListenerState, ServiceState, Sim};

/// `strerror` text of an I/O error ("No such file or directory"), without Rust's suffix.
pub fn errno_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

fn prog_name(args: &[OsString]) -> String {
    args.first()
        .map(|a| {
            Path::new(a).file_name().map_or_else(
                || a.to_string_lossy().into_owned(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .unwrap_or_else(|| "maxscale".into())
}

/// Entry point: returns the process exit status.
pub fn run(args: Vec<OsString>) -> i32 {
    let prog = prog_name(&args);
    let rest = args.get(1..).unwrap_or_default();
    let opts = match cli::parse(rest) {
        Ok(Action::Run(o)) => o,
        Ok(Action::Version {
            full,
            config,
            profile,
        }) => {
            let from_file = || {
                config
                    .and_then(|c| config::read_sections(&c).ok())
                    .and_then(|s| config::profile_of(&s).ok().flatten())
            };
            let profile = match profile {
                Some(p) => match Profile::parse(&p) {
                    Some(p) => p,
                    None => return bad_profile(&prog, &p),
                },
                None => from_file().unwrap_or_default(),
            };
            if full {
                println!("MaxScale {} - {}", profile.text(), profile.commit());
            } else {
                println!("MaxScale {}", profile.text());
            }
            return exit::OK;
        }
        Ok(Action::Help) => {
            eprint!("{}", cli::usage(&prog));
            return exit::OK;
        }
        Err(cli::BadArgument(msg)) => {
            eprintln!("{prog}: {msg}");
            eprint!("{}", cli::usage(&prog));
            return exit::BAD_ARG;
        }
    };
    let cli_profile = match opts.profile.as_deref().map(|p| (p, Profile::parse(p))) {
        None => None,
        Some((_, Some(p))) => Some(p),
        Some((text, None)) => return bad_profile(&prog, text),
    };
    if let Some(user) = &opts.user {
        if let Err(msg) = process::set_user(user) {
            println!("{msg}");
            return exit::BAD_ARG;
        }
    }
    if let Err(msg) = process::user_is_acceptable(opts.user.as_deref()) {
        let profile = cli_profile.clone().unwrap_or_default();
        pre_log_error(&profile, &cli_dirs(&opts, &profile), &msg);
        return exit::BAD_CONFIG;
    }
    let mut opts = opts;
    if opts.config_check {
        opts.daemon = false;
        opts.log = LogTarget::Stdout;
    }

    // Block the handled signals before forking or starting any thread; a dedicated thread
    // sigwait()s for them once start-up is done.
    let sigset = process::handled_signals();
    let _ = sigset.thread_block();

    let mut pipe = if opts.daemon {
        match process::daemonize() {
            Ok(p) => p,
            Err(msg) => {
                log::alert(&msg);
                return exit::INTERNAL_ERROR;
            }
        }
    } else {
        StartupPipe::none()
    };
    let mut log_started = false;
    let rc = start(
        &opts,
        cli_profile.as_ref(),
        &mut pipe,
        sigset,
        &mut log_started,
    );
    pipe.report(rc);
    process::cleanup();
    if log_started {
        log::notice("MariaDB MaxScale is shut down.");
    }
    journal::record_text(&format!("exit rc={rc}"));
    rc
}

/// An error found before the log is open: stderr; 6.x (gateway.cc `log_startup_error`) also
/// opens the log file in the log directory known at that point to write it there, 24.02 does
/// not (its start-up log is stderr).
fn pre_log_error(profile: &Profile, dirs: &cli::CliDirs, msg: &str) {
    log::alert(msg);
    if profile.pre_log_errors_in_log_file() {
        let logdir = dirs
            .logdir
            .clone()
            .unwrap_or_else(|| PathBuf::from(cli::DEFAULT_LOGDIR));
        if std::fs::create_dir_all(&logdir).is_ok() {
            log::append_to(&logdir, log::Level::Alert, msg);
        }
    }
}

fn bad_profile(prog: &str, text: &str) -> i32 {
    eprintln!("{prog}: unknown --profile '{text}' (a MaxScale version such as 6.4 or 24.02.3)");
    exit::BAD_ARG
}

/// The directories the command line sets; with MXS-5009 as that version gets them wrong.
fn cli_dirs(opts: &Options, profile: &Profile) -> cli::CliDirs {
    if profile.mxs5009() {
        cli::mxs5009_dirs(&opts.dir_args)
    } else {
        opts.dirs.clone()
    }
}

fn resolve_dirs(cli: &cli::CliDirs, sniff: &config::Global) -> Dirs {
    let pick = |cli: &Option<PathBuf>, file: &Option<PathBuf>, default: &str| {
        cli.clone()
            .or_else(|| file.clone())
            .unwrap_or_else(|| PathBuf::from(default))
    };
    Dirs {
        logdir: pick(&cli.logdir, &sniff.logdir, cli::DEFAULT_LOGDIR),
        piddir: pick(&cli.piddir, &sniff.piddir, cli::DEFAULT_PIDDIR),
        datadir: pick(&cli.datadir, &sniff.datadir, cli::DEFAULT_DATADIR),
        cachedir: pick(&cli.cachedir, &sniff.cachedir, cli::DEFAULT_CACHEDIR),
        persistdir: pick(&cli.persistdir, &sniff.persistdir, cli::DEFAULT_PERSISTDIR),
    }
}

/// MaxScale's `check_dir_access`.
fn check_dir(dir: &Path, write: bool) -> bool {
    use nix::unistd::{access, AccessFlags};
    let msg = if access(dir, AccessFlags::F_OK).is_err() {
        Some(format!("Can't access '{}'.", dir.display()))
    } else if access(dir, AccessFlags::R_OK).is_err() {
        Some(format!(
            "MaxScale doesn't have read permission to '{}'.",
            dir.display()
        ))
    } else if write && access(dir, AccessFlags::W_OK).is_err() {
        Some(format!(
            "MaxScale doesn't have write permission to '{}'.",
            dir.display()
        ))
    } else {
        None
    };
    match msg {
        Some(m) => {
            log::alert(&m);
            false
        }
        None => true,
    }
}

/// Persisted `[maxscale]` values, typed like the REST API shows them.
fn typed_overrides(raw: BTreeMap<String, String>) -> BTreeMap<String, Value> {
    raw.into_iter()
        .filter(|(k, _)| config::GLOBAL_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| {
            let typed = if config::GLOBAL_BOOL_PARAMS.contains(&k.as_str()) {
                config::truth(&v).map_or(Value::String(v.clone()), Value::Bool)
            } else if config::GLOBAL_INT_PARAMS.contains(&k.as_str()) {
                v.parse::<i64>()
                    .map_or(Value::String(v.clone()), Value::from)
            } else {
                Value::String(v)
            };
            (k, typed)
        })
        .collect()
}

fn start(
    opts: &Options,
    cli_profile: Option<&Profile>,
    pipe: &mut StartupPipe,
    sigset: nix::sys::signal::SigSet,
    log_started: &mut bool,
) -> i32 {
    // Until the file is read, only --profile can tell the version.
    let early_profile = cli_profile.cloned().unwrap_or_default();
    let early_dirs = cli_dirs(opts, &early_profile);
    let cfg_path = opts.config.clone().unwrap_or_else(|| {
        early_dirs
            .configdir
            .clone()
            .unwrap_or_else(|| PathBuf::from(cli::DEFAULT_CONFIGDIR))
            .join("maxscale.cnf")
    });
    let cfg_path = std::fs::canonicalize(&cfg_path).unwrap_or(cfg_path);

    let sections = match config::read_sections(&cfg_path) {
        Ok(s) => s,
        Err(config::ReadError::Access(msg)) => {
            pre_log_error(&early_profile, &early_dirs, &msg);
            return exit::BAD_CONFIG;
        }
        // sniff_configuration reports a syntax error with print_alert: stderr only.
        Err(config::ReadError::Syntax(msg)) => {
            log::alert(&msg);
            return exit::BAD_CONFIG;
        }
    };
    let profile = match cli_profile {
        Some(p) => p.clone(),
        None => match config::profile_of(&sections) {
            Ok(p) => p.unwrap_or_default(),
            Err(msg) => {
                pre_log_error(&early_profile, &early_dirs, &msg);
                return exit::BAD_CONFIG;
            }
        },
    };
    let cli = cli_dirs(opts, &profile);
    let dirs = resolve_dirs(&cli, &config::sniff_dirs(&sections));

    match opts.log {
        LogTarget::Stdout => log::init_stdout(),
        LogTarget::File => {
            if let Err(e) = std::fs::create_dir_all(&dirs.logdir) {
                log::alert(&format!(
                    "Cannot create log directory '{}': {}.",
                    dirs.logdir.display(),
                    errno_text(&e)
                ));
                return exit::BAD_CONFIG;
            }
            if log::init_file(&dirs.logdir).is_err() {
                eprintln!("alert: Could not initialize the MaxScale log.");
                return exit::INTERNAL_ERROR;
            }
        }
    }
    *log_started = true;
    if opts.daemon {
        let file = log::file_path();
        if opts.log == LogTarget::File {
            process::redirect_stdio(file.as_deref());
        }
    }

    let cfg = match config::build(&cfg_path, &sections, Some(&profile)) {
        Ok(c) => c,
        Err(errs) => {
            for e in &errs {
                log::error(e);
                if !opts.daemon && opts.log == LogTarget::File {
                    eprintln!("error  : {e}");
                }
            }
            log::alert(&format!(
                "Failed to open, read or process the MaxScale configuration file {}.",
                cfg_path.display()
            ));
            return exit::BAD_CONFIG;
        }
    };
    log::notice("syslog logging is disabled.");
    log::notice("maxlog logging is enabled.");

    // MaxScale creates the persisted-config directory; the simulator also creates its data and
    // cache directories. The pid directory must already exist (the agent's job), except one
    // that MXS-5009 made up: 6.4.15 wrote its pid file into such a directory (issue 11).
    let _ = std::fs::create_dir_all(&dirs.persistdir);
    let _ = std::fs::create_dir_all(&dirs.datadir);
    let _ = std::fs::create_dir_all(&dirs.cachedir);
    if profile.mxs5009() && cli.piddir.is_some() && cli.piddir != opts.dirs.piddir {
        let _ = std::fs::create_dir_all(&dirs.piddir);
    }
    let dirs_ok = check_dir(&dirs.logdir, false)
        && check_dir(&dirs.cachedir, true)
        && check_dir(&dirs.datadir, false)
        && check_dir(&dirs.piddir, true)
        && check_dir(&dirs.persistdir, true);
    if !dirs_ok {
        return exit::BAD_CONFIG;
    }

    if !opts.config_check {
        if !process::claim_pid_file(&dirs.piddir) {
            return exit::ALREADY_RUNNING;
        }
        if !process::lock_directories(&[&dirs.cachedir, &dirs.datadir]) {
            return exit::ALREADY_RUNNING;
        }
    }

    let node_name = net::node_name(cfg.global.node_name.as_deref());
    if let Some(j) = &cfg.global.passive_journal {
        let path = dirs.logdir.join(j);
        if let Err(e) = journal::open(&path, &node_name) {
            log::alert(&format!(
                "[sim] Cannot open the passive journal '{}': {}",
                path.display(),
                errno_text(&e)
            ));
            return exit::BAD_CONFIG;
        }
    }
    let version = cfg.global.profile.text().to_string();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    log::notice(&format!(
        "Host: '{node_name}' OS: Linux@{}, {}, {} with {cpus} processor cores ({cpus}.00 available).",
        std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        std::fs::read_to_string("/proc/sys/kernel/version").unwrap_or_default().trim(),
        std::env::consts::ARCH
    ));
    log::notice(&format!(
        "MariaDB MaxScale {version} started (Commit: {})",
        cfg.global.profile.commit()
    ));
    log::notice(&format!(
        "MaxScale is running in process {}",
        std::process::id()
    ));
    log::notice(&format!("Configuration file: {}", cfg_path.display()));
    log::notice(&format!("Log directory: {}", dirs.logdir.display()));
    log::notice(&format!("Data directory: {}", dirs.datadir.display()));
    log::notice("Module directory: /usr/lib/x86_64-linux-gnu/maxscale");
    log::notice(&format!("Service cache: {}", dirs.cachedir.display()));
    if opts.daemon {
        if nix::unistd::chdir(&dirs.logdir).is_ok() {
            log::notice(&format!("Working directory: {}", dirs.logdir.display()));
        } else {
            let _ = nix::unistd::chdir("/");
            log::warning(&format!(
                "Using '/' instead of '{}' as the current working directory.",
                dirs.logdir.display()
            ));
        }
    }

    if opts.config_check {
        log::notice("Configuration was successfully verified.");
        return exit::OK;
    }
    let process_datadir = match process::create_process_datadir(&dirs.datadir) {
        Ok(d) => d,
        Err(msg) => {
            log::alert(&msg);
            return exit::BAD_CONFIG;
        }
    };

    let persisted = if cfg.global.load_persisted_configs {
        match config::read_persisted(&dirs.persistdir) {
            Ok(p) => p,
            Err(msg) => {
                log::alert(&msg);
                return exit::BAD_CONFIG;
            }
        }
    } else {
        BTreeMap::new()
    };
    let overrides = typed_overrides(persisted);
    let mut passive = cfg.global.passive;
    if let Some(Value::Bool(p)) = overrides.get("passive") {
        passive = *p;
    }
    if opts.passive {
        passive = true;
    }
    let rt = state::initial_runtime(&cfg, passive, overrides);
    let sim = Arc::new(Sim {
        paths: state::Paths {
            config: cfg_path.clone(),
            dirs,
            process_datadir,
        },
        pid: std::process::id(),
        node_name,
        started_at: time::now(),
        started: Instant::now(),
        shutting_down: AtomicBool::new(false),
        rt: Mutex::new(rt),
        cfg,
    });
    let g = &sim.cfg.global;
    if g.start_delay_ms > 0 {
        std::thread::sleep(Duration::from_millis(g.start_delay_ms));
    }

    let admin = match net::bind(&g.admin_host, g.admin_port) {
        Ok(l) => l,
        Err(e) => {
            log::error(&format!(
                "Failed to bind to port {}: {}",
                g.admin_port,
                errno_text(&e)
            ));
            log::alert("Failed to initialize REST API.");
            return exit::INTERNAL_ERROR;
        }
    };
    // From here on answers can carry `passive`.
    journal::record("ready", sim.lock().passive);
    let stop_admin = Arc::new(AtomicBool::new(false));
    let admin_thread = net::serve_admin(Arc::clone(&sim), admin, Arc::clone(&stop_admin));
    log::notice(&format!(
        "Started REST API on [{}]:{}",
        g.admin_host, g.admin_port
    ));

    let stop_listeners = Arc::new(AtomicBool::new(false));
    if !launch_services(&sim, &stop_listeners) {
        log::alert("Failed to start all MaxScale services.");
        stop_admin.store(true, Ordering::SeqCst);
        let _ = admin_thread.join();
        return exit::NO_SERVICES;
    }
    log::notice(&format!(
        "MaxScale started with {} worker threads.",
        g.threads
    ));

    let (tx, rx) = mpsc::channel();
    process::spawn_signal_thread(sigset, tx, !opts.daemon);
    pipe.report_with_delay(exit::OK, g.parent_exit_delay_ms);

    let sig = rx.recv().unwrap_or(nix::sys::signal::Signal::SIGTERM);
    {
        let rt = sim.lock();
        sim.shutting_down.store(true, Ordering::SeqCst);
        journal::record("shutdown", rt.passive);
    }
    log::notice("MaxScale is shutting down.");
    std::thread::sleep(Duration::from_millis(g.shutdown_delay_ms));
    stop_admin.store(true, Ordering::SeqCst);
    let _ = admin_thread.join();
    log::notice("Stopped MaxScale REST API");
    stop_listeners.store(true, Ordering::SeqCst);
    log::notice("All workers have shut down.");
    log::notice("MaxScale shutdown completed.");
    log::notice(&format!(
        "MaxScale received signal {}. Exiting.",
        sig.as_str()
    ));
    exit::OK
}

/// Bind every listener. A bind failure fails the service; with the default
/// `sim_listener_failure=fatal` that fails the start-up (exit 3), as in MaxScale 24.02.
fn launch_services(sim: &Arc<Sim>, stop: &Arc<AtomicBool>) -> bool {
    let g = &sim.cfg.global;
    let n = sim.cfg.services.len();
    if n > 0 {
        log::notice(&format!("Starting a total of {n} services..."));
    } else {
        log::notice("No services defined in any of the configuration files");
    }
    let mut ok = true;
    for (i, svc) in sim.cfg.services.iter().enumerate() {
        let mut svc_ok = true;
        for (idx, l) in sim
            .cfg
            .listeners
            .iter()
            .enumerate()
            .filter(|(_, l)| l.service == svc.name)
        {
            match net::bind(&l.address, l.port) {
                Ok(sock) => {
                    log::notice(&format!(
                        "({}) Listening for connections at [{}]:{}",
                        l.name, l.address, l.port
                    ));
                    net::serve_listener(Arc::clone(sim), idx, sock, Arc::clone(stop));
                }
                Err(e) => {
                    log::error(&format!(
                        "({}) Failed to listen on [{}]:{}: {}",
                        l.name,
                        l.address,
                        l.port,
                        errno_text(&e)
                    ));
                    sim.lock().listeners[idx].state = ListenerState::Failed;
                    svc_ok = false;
                }
            }
        }
        if svc_ok {
            log::notice(&format!("Service '{}' started ({}/{n})", svc.name, i + 1));
        } else {
            log::error(&format!("Failed to start service '{}'.", svc.name));
            sim.lock().services[i].state = ServiceState::Failed;
            if g.listener_failure_fatal {
                ok = false;
            }
        }
    }
    ok
}
