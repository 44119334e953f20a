//! maxscale.cnf: INI parsing and the handful of checks a real MaxScale makes at start-up.
//!
//! Simulator-only knobs are prefixed `sim_` (see README.md); everything else follows MaxScale's
//! parameter names. Unknown `[maxscale]` parameters are an error (as in MaxScale); unknown
//! parameters of servers/monitors/services/listeners are accepted and echoed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::profile::Profile;

/// One `key=value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// One `[section]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub line: usize,
    pub entries: Vec<Entry>,
}

impl Section {
    /// Monitors and services need `user` and `password`; MaxScale names each one missing.
    fn require_credentials(&self, errors: &mut Vec<String>) {
        for required in ["user", "password"] {
            if self.get(required).is_none() {
                errors.push(format!(
                    "Mandatory parameter '{required}' is not defined for '{}'.",
                    self.name
                ));
            }
        }
    }

    /// The value of a parameter the section cannot do without; MaxScale's error when missing.
    fn required(&self, key: &str, errors: &mut Vec<String>) -> Option<&str> {
        let value = self.get(key);
        if value.is_none() {
            errors.push(format!(
                "'{}' is missing a required parameter: {key}",
                self.name
            ));
        }
        value
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }
}

/// Parse INI text. Comments start with `#` or `;`; a line starting with whitespace continues
/// the previous value (MaxScale allows multi-line values that way).
pub fn parse_ini(text: &str) -> Result<Vec<Section>, String> {
    let mut sections: Vec<Section> = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let n = idx + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            if let Some(e) = sections.last_mut().and_then(|s| s.entries.last_mut()) {
                e.value.push_str(trimmed);
                continue;
            }
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(format!("Invalid section header on line {n}: '{trimmed}'"));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(format!("Empty section name on line {n}"));
            }
            if sections.iter().any(|s| s.name == name) {
                return Err(format!(
                    "Section '{name}' defined more than once (line {n})"
                ));
            }
            sections.push(Section {
                name: name.to_string(),
                line: n,
                entries: Vec::new(),
            });
            continue;
        }
        let Some((k, v)) = trimmed.split_once('=') else {
            return Err(format!(
                "Invalid line {n}: '{trimmed}' is not a 'key=value' pair"
            ));
        };
        let key = k.trim();
        if key.is_empty() {
            return Err(format!("Invalid line {n}: empty parameter name"));
        }
        let Some(section) = sections.last_mut() else {
            return Err(format!(
                "Parameter '{key}' on line {n} is not inside a section"
            ));
        };
        if section.entries.iter().any(|e| e.key == key) {
            return Err(format!(
                "Parameter '{key}' of section '{}' is defined more than once (line {n})",
                section.name
            ));
        }
        section.entries.push(Entry {
            key: key.to_string(),
            value: v.trim().to_string(),
            line: n,
        });
    }
    Ok(sections)
}

/// MaxScale's `config_truth_value`.
pub fn truth(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A `major.minor.patch` MaxScale version (minor is zero-padded in real versions: 24.02.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub text: String,
    pub parts: (u32, u32, u32),
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let mut it = text.trim().split('.').map(|p| p.parse::<u32>().ok());
        let parts = (it.next()??, it.next()??, it.next().unwrap_or(Some(0))?);
        if it.next().is_some() {
            return None;
        }
        Some(Version {
            text: text.trim().to_string(),
            parts,
        })
    }

    /// True when this version is at least `major.minor`.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.parts.0, self.parts.1) >= (major, minor)
    }
}

pub const DEFAULT_VERSION: &str = "24.02.3";

/// A hostile `errors[].detail` text (fault `detail:<kind>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    /// 1 MiB of text.
    Huge,
    /// Terminal escape sequences (ESC, BEL).
    Esc,
    /// A NUL in the middle.
    Nul,
    /// CR, LF and CR LF line breaks.
    CrLf,
    /// A literal `ocf-exit-reason:`, inline and at the start of a line.
    Marker,
}

impl DetailKind {
    const ALL: [(&'static str, DetailKind); 5] = [
        ("1mb", DetailKind::Huge),
        ("esc", DetailKind::Esc),
        ("nul", DetailKind::Nul),
        ("crlf", DetailKind::CrLf),
        ("marker", DetailKind::Marker),
    ];

    pub fn name(self) -> &'static str {
        DetailKind::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(n, _)| n)
    }

    /// The detail text (it travels JSON-escaped, as MaxScale's jansson would send it).
    pub fn text(self) -> String {
        match self {
            DetailKind::Huge => {
                let mut t = String::from("Simulated fault: a 1 MiB detail. ");
                t.extend(std::iter::repeat_n('A', (1 << 20) - t.len()));
                t
            }
            DetailKind::Esc => {
                "Simulated fault: \u{1b}[31mred\u{1b}[0m and \u{1b}]0;a title\u{7} end".into()
            }
            DetailKind::Nul => "Simulated fault: before NUL\u{0}after NUL".into(),
            DetailKind::CrLf => "Simulated fault: line 1\r\nline 2\rline 3\nline 4".into(),
            DetailKind::Marker => "Simulated fault: ocf-exit-reason:forged inline\n\
                                   ocf-exit-reason:forged on a line of its own"
                .into(),
        }
    }
}

/// Fault injected into the REST API (everything except `/sim/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    None,
    Hang,
    Slow(u64),
    Status(u16),
    Garbage,
    BadJson,
    RefuseAuth,
    /// 200 and a body that never ends, sent as fast as the client reads it; with a (huge)
    /// Content-Length or, without one, delimited by the close that never comes.
    Endless {
        content_length: bool,
    },
    /// The real answer, its body one byte every N ms after the headers.
    Trickle(u64),
    /// An error with a hostile `detail`, with this status.
    Detail(DetailKind, u16),
}

/// The Content-Length the `endless-length` fault announces (1 TiB).
pub const ENDLESS_LENGTH: u64 = 1 << 40;

fn status_code(text: &str) -> Option<u16> {
    let code: u16 = text.trim().parse().ok()?;
    (100..=599).contains(&code).then_some(code)
}

impl Fault {
    pub fn parse(s: &str) -> Option<Fault> {
        let s = s.trim();
        Some(match s {
            "" | "none" => Fault::None,
            "hang" => Fault::Hang,
            "garbage" => Fault::Garbage,
            "badjson" => Fault::BadJson,
            "refuse-auth" => Fault::RefuseAuth,
            "endless" => Fault::Endless {
                content_length: false,
            },
            "endless-length" => Fault::Endless {
                content_length: true,
            },
            _ => {
                if let Some(ms) = s.strip_prefix("slow:") {
                    Fault::Slow(ms.trim().parse().ok()?)
                } else if let Some(code) = s.strip_prefix("status:") {
                    Fault::Status(status_code(code)?)
                } else if let Some(ms) = s.strip_prefix("trickle:") {
                    Fault::Trickle(ms.trim().parse().ok().filter(|ms| *ms > 0)?)
                } else if let Some(rest) = s.strip_prefix("detail:") {
                    let (kind, status) = match rest.split_once(':') {
                        Some((k, c)) => (k, status_code(c)?),
                        None => (rest, 500),
                    };
                    let kind = DetailKind::ALL.iter().find(|(n, _)| *n == kind)?.1;
                    Fault::Detail(kind, status)
                } else {
                    return None;
                }
            }
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Fault::None => "none".into(),
            Fault::Hang => "hang".into(),
            Fault::Slow(ms) => format!("slow:{ms}"),
            Fault::Status(c) => format!("status:{c}"),
            Fault::Garbage => "garbage".into(),
            Fault::BadJson => "badjson".into(),
            Fault::RefuseAuth => "refuse-auth".into(),
            Fault::Endless {
                content_length: false,
            } => "endless".into(),
            Fault::Endless {
                content_length: true,
            } => "endless-length".into(),
            Fault::Trickle(ms) => format!("trickle:{ms}"),
            Fault::Detail(k, c) => format!("detail:{}:{c}", k.name()),
        }
    }
}

/// `[maxscale]` parameters the simulated versions know (the keys of `GET /v1/maxscale`
/// `parameters` plus a few start-up-only ones); which of them a version has is the profile's
/// `shows_param`.
pub const GLOBAL_PARAMS: &[&str] = &[
    "admin_audit",
    "admin_audit_exclude_methods",
    "admin_audit_file",
    "admin_auth",
    "admin_enabled",
    "admin_gui",
    "admin_host",
    "admin_jwt_algorithm",
    "admin_jwt_issuer",
    "admin_jwt_key",
    "admin_jwt_max_age",
    "admin_log_auth_failures",
    "admin_oidc_url",
    "admin_pam_readonly_service",
    "admin_pam_readwrite_service",
    "admin_port",
    "admin_readonly_hosts",
    "admin_readwrite_hosts",
    "admin_secure_gui",
    "admin_ssl_ca",
    "admin_ssl_ca_cert",
    "admin_ssl_cert",
    "admin_ssl_key",
    "admin_ssl_version",
    "admin_verify_url",
    "auth_connect_timeout",
    "auth_read_timeout",
    "auth_write_timeout",
    "auto_tune",
    "cachedir",
    "config_sync_cluster",
    "config_sync_db",
    "config_sync_interval",
    "config_sync_password",
    "config_sync_timeout",
    "config_sync_user",
    "connector_plugindir",
    "datadir",
    "debug",
    "dump_last_statements",
    "execdir",
    "key_manager",
    "language",
    "libdir",
    "load_persisted_configs",
    "local_address",
    "log_debug",
    "log_info",
    "log_notice",
    "log_throttling",
    "log_warn_super_user",
    "log_warning",
    "logdir",
    "max_auth_errors_until_block",
    "max_read_amount",
    "maxlog",
    "module_configdir",
    "ms_timestamp",
    "passive",
    "persist_runtime_changes",
    "persistdir",
    "piddir",
    "query_classifier",
    "query_classifier_args",
    "query_classifier_cache_size",
    "query_retries",
    "query_retry_timeout",
    "rebalance_period",
    "rebalance_threshold",
    "rebalance_window",
    "retain_last_statements",
    "secretsdir",
    "session_trace",
    "skip_name_resolve",
    "skip_permission_checks",
    "sql_mode",
    "substitute_variables",
    "syslog",
    "threads",
    "threads_max",
    "users_refresh_interval",
    "users_refresh_time",
    "writeq_high_water",
    "writeq_low_water",
];

/// `[maxscale]` parameters that hold a boolean.
pub const GLOBAL_BOOL_PARAMS: &[&str] = &[
    "admin_audit",
    "admin_auth",
    "admin_enabled",
    "admin_gui",
    "admin_log_auth_failures",
    "admin_secure_gui",
    "load_persisted_configs",
    "log_debug",
    "log_info",
    "log_notice",
    "log_warn_super_user",
    "log_warning",
    "maxlog",
    "ms_timestamp",
    "passive",
    "persist_runtime_changes",
    "skip_name_resolve",
    "skip_permission_checks",
    "substitute_variables",
    "syslog",
];

/// `[maxscale]` parameters that hold an integer.
pub const GLOBAL_INT_PARAMS: &[&str] = &[
    "admin_port",
    "max_auth_errors_until_block",
    "max_read_amount",
    "query_retries",
    "rebalance_threshold",
    "rebalance_window",
    "retain_last_statements",
    "session_trace",
    "threads_max",
];

/// `[maxscale]` parameters that PATCH /v1/maxscale refuses ("cannot be modified at runtime").
pub const GLOBAL_STATIC_PARAMS: &[&str] = &[
    "admin_enabled",
    "admin_gui",
    "admin_host",
    "admin_port",
    "admin_secure_gui",
    "admin_ssl_version",
    "cachedir",
    "connector_plugindir",
    "datadir",
    "debug",
    "execdir",
    "language",
    "libdir",
    "load_persisted_configs",
    "local_address",
    "logdir",
    "module_configdir",
    "persist_runtime_changes",
    "persistdir",
    "piddir",
    "query_classifier",
    "query_classifier_args",
    "secretsdir",
    "sql_mode",
    "substitute_variables",
    "threads_max",
];

/// Simulator-only `[maxscale]` parameters.
pub const SIM_GLOBAL_PARAMS: &[&str] = &[
    "sim_admin_user",
    "sim_admin_password",
    "sim_basic_user",
    "sim_fault",
    "sim_listener_failure",
    "sim_node_name",
    "sim_parent_exit_delay_ms",
    "sim_passive_journal",
    "sim_profile",
    "sim_shutdown_delay_ms",
    "sim_start_delay_ms",
    "sim_version",
];

/// The `[maxscale]` section, interpreted.
#[derive(Debug, Clone)]
pub struct Global {
    pub admin_host: String,
    pub admin_port: u16,
    pub admin_auth: bool,
    pub admin_gui: bool,
    pub admin_secure_gui: bool,
    pub passive: bool,
    /// Worker threads (`threads=auto` = number of CPUs).
    pub threads: usize,
    /// The simulated version (`sim_profile` / `sim_version`, or `--profile`).
    pub profile: Profile,
    pub admin_user: String,
    pub admin_password: String,
    /// A read-only ("basic") REST API account: `sim_basic_user=name:password`.
    pub basic_user: Option<(String, String)>,
    pub fault: Fault,
    pub node_name: Option<String>,
    /// `sim_listener_failure=ignore` keeps running when a listener cannot bind (service
    /// "Failed"); the default `fatal` exits 3 like MaxScale 24.02.
    pub listener_failure_fatal: bool,
    pub shutdown_delay_ms: u64,
    pub start_delay_ms: u64,
    /// How long the daemonizing parent waits, after the child reported a successful start (the
    /// REST API answers by then), before it exits.
    pub parent_exit_delay_ms: u64,
    /// `sim_passive_journal=PATH`: where the passive journal goes (relative: to the logdir).
    pub passive_journal: Option<PathBuf>,
    pub load_persisted_configs: bool,
    /// Every `[maxscale]` key as written (for the `parameters` echo), without `sim_*`.
    pub raw: BTreeMap<String, String>,
    /// Directory settings from the file (the command line overrides them).
    pub logdir: Option<PathBuf>,
    pub piddir: Option<PathBuf>,
    pub datadir: Option<PathBuf>,
    pub cachedir: Option<PathBuf>,
    pub persistdir: Option<PathBuf>,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            admin_host: "127.0.0.1".into(),
            admin_port: 8989,
            admin_auth: true,
            admin_gui: true,
            admin_secure_gui: true,
            passive: false,
            threads: default_threads(),
            profile: Profile::default(),
            admin_user: "admin".into(),
            admin_password: "mariadb".into(),
            basic_user: None,
            fault: Fault::None,
            node_name: None,
            listener_failure_fatal: true,
            shutdown_delay_ms: 100,
            start_delay_ms: 0,
            parent_exit_delay_ms: 0,
            passive_journal: None,
            load_persisted_configs: true,
            raw: BTreeMap::new(),
            logdir: None,
            piddir: None,
            datadir: None,
            cachedir: None,
            persistdir: None,
        }
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

#[derive(Debug, Clone)]
pub struct ServerCfg {
    pub name: String,
    pub address: Option<String>,
    pub socket: Option<String>,
    pub port: u16,
    /// `sim_state=Master, Running`: initial state instead of the monitor-derived one.
    pub sim_state: Option<String>,
    pub version_string: String,
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorModule {
    MariaDb,
    Galera,
}

impl MonitorModule {
    pub fn name(self) -> &'static str {
        match self {
            MonitorModule::MariaDb => "mariadbmon",
            MonitorModule::Galera => "galeramon",
        }
    }
}

#[derive(Debug, Clone)]
pub struct MonitorCfg {
    pub name: String,
    pub module: MonitorModule,
    pub servers: Vec<String>,
    pub user: String,
    pub interval_ms: u64,
    /// `cooperative_monitoring_locks` (none, majority_of_all, majority_of_running).
    pub cooperative_locks: String,
    /// `sim_primary=false`: initial `monitor_diagnostics.primary` when locks are on.
    pub sim_primary: bool,
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct ServiceCfg {
    pub name: String,
    pub router: String,
    pub servers: Vec<String>,
    pub cluster: Option<String>,
    pub user: String,
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct ListenerCfg {
    pub name: String,
    pub service: String,
    pub address: String,
    pub port: u16,
    pub protocol: String,
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct FilterCfg {
    pub name: String,
    pub module: String,
}

/// The whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub path: PathBuf,
    pub global: Global,
    pub servers: Vec<ServerCfg>,
    pub monitors: Vec<MonitorCfg>,
    pub services: Vec<ServiceCfg>,
    pub listeners: Vec<ListenerCfg>,
    pub filters: Vec<FilterCfg>,
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn params(s: &Section) -> BTreeMap<String, String> {
    s.entries
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect()
}

fn parse_port(obj: &str, v: &str) -> Result<u16, String> {
    v.trim()
        .parse::<u16>()
        .map_err(|_| format!("Invalid value for parameter 'port' of '{obj}': {v}"))
}

/// Parse a duration like MaxScale does: `2000ms`, `2s`, `1m`, `1h`, or a plain number (which
/// MaxScale treats as milliseconds for `monitor_interval`).
pub fn duration_ms(v: &str) -> Option<u64> {
    let v = v.trim();
    let (num, mult) = if let Some(n) = v.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = v.strip_suffix('h') {
        (n, 3_600_000)
    } else {
        (v, 1)
    };
    num.trim().parse::<u64>().ok().map(|n| n * mult)
}

fn apply_global_key(g: &mut Global, key: &str, value: &str) -> Result<(), String> {
    let bool_of = |v: &str| {
        truth(v)
            .ok_or_else(|| format!("Invalid value for parameter '{key}': '{v}' is not a boolean"))
    };
    match key {
        "admin_host" => g.admin_host = value.to_string(),
        "admin_port" => {
            g.admin_port = value
                .parse()
                .map_err(|_| format!("Invalid value for parameter 'admin_port': {value}"))?
        }
        "admin_auth" => g.admin_auth = bool_of(value)?,
        "admin_gui" => g.admin_gui = bool_of(value)?,
        "admin_secure_gui" => g.admin_secure_gui = bool_of(value)?,
        "passive" => g.passive = bool_of(value)?,
        "load_persisted_configs" => g.load_persisted_configs = bool_of(value)?,
        "threads" => {
            g.threads = if value.eq_ignore_ascii_case("auto") {
                default_threads()
            } else {
                match value.parse::<usize>() {
                    Ok(n) if n > 0 => n,
                    _ => return Err(format!("Invalid value for parameter 'threads': {value}")),
                }
            }
        }
        "logdir" => g.logdir = Some(PathBuf::from(value)),
        "piddir" => g.piddir = Some(PathBuf::from(value)),
        "datadir" => g.datadir = Some(PathBuf::from(value)),
        "cachedir" => g.cachedir = Some(PathBuf::from(value)),
        "persistdir" => g.persistdir = Some(PathBuf::from(value)),
        // The profile is chosen before the keys are applied (`profile_of`).
        "sim_version" | "sim_profile" => {}
        "sim_admin_user" => g.admin_user = value.to_string(),
        "sim_admin_password" => g.admin_password = value.to_string(),
        "sim_basic_user" => {
            let (u, p) = value
                .split_once(':')
                .ok_or_else(|| "sim_basic_user must be 'name:password'".to_string())?;
            g.basic_user = Some((u.to_string(), p.to_string()));
        }
        "sim_fault" => {
            g.fault = Fault::parse(value)
                .ok_or_else(|| format!("Invalid value for parameter 'sim_fault': {value}"))?
        }
        "sim_node_name" => g.node_name = Some(value.to_string()),
        "sim_listener_failure" => {
            g.listener_failure_fatal = match value {
                "fatal" => true,
                "ignore" => false,
                _ => {
                    return Err(format!(
                        "Invalid value for parameter 'sim_listener_failure': {value}"
                    ))
                }
            }
        }
        "sim_shutdown_delay_ms" => {
            g.shutdown_delay_ms = value.parse().map_err(|_| {
                format!("Invalid value for parameter 'sim_shutdown_delay_ms': {value}")
            })?
        }
        "sim_start_delay_ms" => {
            g.start_delay_ms = value
                .parse()
                .map_err(|_| format!("Invalid value for parameter 'sim_start_delay_ms': {value}"))?
        }
        "sim_parent_exit_delay_ms" => {
            g.parent_exit_delay_ms = value.parse().map_err(|_| {
                format!("Invalid value for parameter 'sim_parent_exit_delay_ms': {value}")
            })?
        }
        "sim_passive_journal" => {
            if value.is_empty() {
                return Err("Invalid value for parameter 'sim_passive_journal': empty".into());
            }
            g.passive_journal = Some(PathBuf::from(value));
        }
        _ if !key.starts_with("sim_") && !g.profile.accepts_config_param(key) => {
            return Err(format!("maxscale: The parameter '{key}' is unrecognized."));
        }
        _ => {
            if GLOBAL_BOOL_PARAMS.contains(&key) {
                bool_of(value)?;
            } else if GLOBAL_INT_PARAMS.contains(&key) && value.parse::<i64>().is_err() {
                return Err(format!("Invalid value for parameter '{key}': {value}"));
            } else if !GLOBAL_PARAMS.contains(&key) {
                return Err(format!("maxscale: The parameter '{key}' is unrecognized."));
            }
        }
    }
    if !key.starts_with("sim_") {
        g.raw.insert(key.to_string(), value.to_string());
    }
    Ok(())
}

/// Why the configuration file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Missing or unreadable (MaxScale: `log_startup_error`).
    Access(String),
    /// Not valid INI (MaxScale: `print_alert` in `sniff_configuration`).
    Syntax(String),
}

impl ReadError {
    pub fn text(&self) -> &str {
        match self {
            ReadError::Access(t) | ReadError::Syntax(t) => t,
        }
    }
}

/// Read and parse the file (syntax only). The texts follow MaxScale's alerts.
pub fn read_sections(path: &Path) -> Result<Vec<Section>, ReadError> {
    let text = std::fs::read(path).map_err(|e| {
        ReadError::Access(format!(
            "Failed to open read access to configuration file: {}.",
            crate::errno_text(&e)
        ))
    })?;
    let text = String::from_utf8_lossy(&text);
    parse_ini(&text).map_err(|e| {
        ReadError::Syntax(format!(
            "Failed to read configuration file '{}': {e}",
            path.display()
        ))
    })
}

/// The profile a configuration asks for (`sim_profile`, or its older name `sim_version`), if any.
pub fn profile_of(sections: &[Section]) -> Result<Option<Profile>, String> {
    let Some(m) = sections.iter().find(|s| s.name == "maxscale") else {
        return Ok(None);
    };
    let mut found = None;
    for e in m
        .entries
        .iter()
        .filter(|e| matches!(e.key.as_str(), "sim_profile" | "sim_version"))
    {
        found = Some(
            Profile::parse(&e.value)
                .ok_or_else(|| format!("Invalid value for parameter '{}': {}", e.key, e.value))?,
        );
    }
    Ok(found)
}

/// Only the directory settings of `[maxscale]` (MaxScale "sniffs" them before opening the log).
pub fn sniff_dirs(sections: &[Section]) -> Global {
    let mut g = Global::default();
    if let Some(s) = sections.iter().find(|s| s.name == "maxscale") {
        for e in &s.entries {
            if matches!(
                e.key.as_str(),
                "logdir" | "piddir" | "datadir" | "cachedir" | "persistdir"
            ) {
                let _ = apply_global_key(&mut g, &e.key, &e.value);
            }
        }
    }
    g
}

/// Interpret and check the sections. Returns every problem found (MaxScale logs each one as
/// an error, then gives up with an alert).
/// `profile` is the command line's `--profile`, which wins over the file's `sim_profile`.
pub fn build(
    path: &Path,
    sections: &[Section],
    profile: Option<&Profile>,
) -> Result<Config, Vec<String>> {
    let mut errors = Vec::new();
    let mut cfg = Config {
        path: path.to_path_buf(),
        ..Config::default()
    };
    match profile {
        Some(p) => cfg.global.profile = p.clone(),
        None => match profile_of(sections) {
            Ok(Some(p)) => cfg.global.profile = p,
            Ok(None) => {}
            Err(e) => errors.push(e),
        },
    }

    for s in sections {
        if s.name == "maxscale" {
            for e in &s.entries {
                if let Err(msg) = apply_global_key(&mut cfg.global, &e.key, &e.value) {
                    errors.push(msg);
                }
            }
            continue;
        }
        let Some(ty) = s.get("type") else {
            errors.push(format!("Object '{}' has no type.", s.name));
            continue;
        };
        match ty {
            "server" => {
                let port = match s.get("port").map(|p| parse_port(&s.name, p)).transpose() {
                    Ok(p) => p.unwrap_or(3306),
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                let address = s.get("address").map(str::to_string);
                let socket = s.get("socket").map(str::to_string);
                if address.is_none() && socket.is_none() {
                    errors.push(format!(
                        "Server '{}' is missing a required parameter: either 'address' or 'socket' must be defined.",
                        s.name
                    ));
                    continue;
                }
                if let Some(st) = s.get("sim_state") {
                    if let Err(e) = crate::state::parse_state(st) {
                        errors.push(format!("Invalid sim_state for server '{}': {e}", s.name));
                    }
                }
                cfg.servers.push(ServerCfg {
                    name: s.name.clone(),
                    address,
                    socket,
                    port,
                    sim_state: s.get("sim_state").map(str::to_string),
                    version_string: s
                        .get("sim_version_string")
                        .unwrap_or("10.11.19-MariaDB-0+deb12u1-log")
                        .to_string(),
                    params: params(s),
                });
            }
            "monitor" => {
                let module = match s.required("module", &mut errors) {
                    Some("mariadbmon") => MonitorModule::MariaDb,
                    Some("galeramon") => MonitorModule::Galera,
                    Some(other) => {
                        errors.push(format!(
                            "Unable to find library for module: {other}. Module dir: /usr/lib/x86_64-linux-gnu/maxscale"
                        ));
                        continue;
                    }
                    None => continue,
                };
                s.require_credentials(&mut errors);
                let interval = s.get("monitor_interval").unwrap_or("2000ms");
                let Some(interval_ms) = duration_ms(interval).filter(|ms| *ms > 0) else {
                    errors.push(format!(
                        "Invalid value for parameter 'monitor_interval' of '{}': {interval}",
                        s.name
                    ));
                    continue;
                };
                let locks = s
                    .get("cooperative_monitoring_locks")
                    .unwrap_or("none")
                    .to_string();
                if !matches!(
                    locks.as_str(),
                    "none" | "majority_of_all" | "majority_of_running"
                ) {
                    errors.push(format!(
                        "Invalid value for parameter 'cooperative_monitoring_locks' of '{}': {locks}",
                        s.name
                    ));
                }
                let sim_primary = match s.get("sim_primary").map(|v| (v, truth(v))) {
                    None => true,
                    Some((_, Some(b))) => b,
                    Some((v, None)) => {
                        errors.push(format!("Invalid value for parameter 'sim_primary': {v}"));
                        true
                    }
                };
                cfg.monitors.push(MonitorCfg {
                    name: s.name.clone(),
                    module,
                    servers: s.get("servers").map(list).unwrap_or_default(),
                    user: s.get("user").unwrap_or_default().to_string(),
                    interval_ms,
                    cooperative_locks: locks,
                    sim_primary,
                    params: params(s),
                });
            }
            "service" => {
                let Some(router) = s.required("router", &mut errors) else {
                    continue;
                };
                s.require_credentials(&mut errors);
                let mut servers = s.get("servers").map(list).unwrap_or_default();
                servers.extend(s.get("targets").map(list).unwrap_or_default());
                cfg.services.push(ServiceCfg {
                    name: s.name.clone(),
                    router: router.to_string(),
                    servers,
                    cluster: s.get("cluster").map(str::to_string),
                    user: s.get("user").unwrap_or_default().to_string(),
                    params: params(s),
                });
            }
            "listener" => {
                let Some(service) = s.required("service", &mut errors) else {
                    continue;
                };
                let Some(port) = s.get("port") else {
                    errors.push(format!(
                        "Listener '{}' is missing a required parameter: either 'port' or 'socket' must be defined.",
                        s.name
                    ));
                    continue;
                };
                let port = match parse_port(&s.name, port) {
                    Ok(p) => p,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                cfg.listeners.push(ListenerCfg {
                    name: s.name.clone(),
                    service: service.to_string(),
                    address: s.get("address").unwrap_or("::").to_string(),
                    port,
                    protocol: s.get("protocol").unwrap_or("MariaDBProtocol").to_string(),
                    params: params(s),
                });
            }
            "filter" => cfg.filters.push(FilterCfg {
                name: s.name.clone(),
                module: s.get("module").unwrap_or_default().to_string(),
            }),
            other => errors.push(format!(
                "Invalid object type '{other}' for object '{}'.",
                s.name
            )),
        }
    }

    cross_check(&cfg, &mut errors);
    if errors.is_empty() {
        Ok(cfg)
    } else {
        Err(errors)
    }
}

fn cross_check(cfg: &Config, errors: &mut Vec<String>) {
    let server_exists = |n: &str| cfg.servers.iter().any(|s| s.name == n);
    let not_a_server = |s: &str, owner: &str| {
        format!("'{s}', listed in the 'servers' parameter of '{owner}', is not a server.")
    };
    let mut monitored_by: BTreeMap<&str, &str> = BTreeMap::new();
    for m in &cfg.monitors {
        for s in &m.servers {
            if !server_exists(s) {
                errors.push(not_a_server(s, &m.name));
            } else if let Some(other) = monitored_by.insert(s, &m.name) {
                errors.push(format!(
                    "Server '{s}' is already monitored by '{other}', cannot add it to '{}'.",
                    m.name
                ));
            }
        }
    }
    for svc in &cfg.services {
        for s in &svc.servers {
            if !server_exists(s) {
                errors.push(not_a_server(s, &svc.name));
            }
        }
        if let Some(c) = &svc.cluster {
            if !cfg.monitors.iter().any(|m| &m.name == c) {
                errors.push(format!(
                    "The value of 'cluster' for '{}' is not a monitor: {c}",
                    svc.name
                ));
            }
        }
    }
    for l in &cfg.listeners {
        if !cfg.services.iter().any(|s| s.name == l.service) {
            errors.push(format!(
                "The value of 'service' for listener '{}' is not a service: {}",
                l.name, l.service
            ));
        }
    }
}

/// Runtime changes persisted in `<persistdir>/maxscale.cnf` (only `[maxscale]` is simulated).
pub fn read_persisted(persistdir: &Path) -> Result<BTreeMap<String, String>, String> {
    let path = persistdir.join("maxscale.cnf");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(format!(
                "Failed to read '{}': {}",
                path.display(),
                crate::errno_text(&e)
            ))
        }
    };
    let sections = parse_ini(&text).map_err(|e| {
        format!(
            "Failed to read configuration file '{}': {e}",
            path.display()
        )
    })?;
    Ok(sections
        .iter()
        .find(|s| s.name == "maxscale")
        .map(params)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "type")
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_basics() {
        let s = parse_ini(
            "# c\n[maxscale]\nthreads=2\n; x\n[s1]\ntype=server\naddress=1.2.3.4\n  ,x\n",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].get("address"), Some("1.2.3.4,x"));
        assert!(parse_ini("foo=bar\n").is_err());
        assert!(parse_ini("[a]\nnovalue\n").is_err());
        assert!(parse_ini("[a\n").is_err());
        assert!(parse_ini("[a]\n[a]\n").is_err());
    }

    #[test]
    fn build_checks() {
        let ok = "[maxscale]\nthreads=1\n[server1]\ntype=server\naddress=127.0.0.1\nport=3306\n\
                  [Mon]\ntype=monitor\nmodule=mariadbmon\nservers=server1\nuser=u\npassword=p\n\
                  [Svc]\ntype=service\nrouter=readwritesplit\nservers=server1\nuser=u\npassword=p\n\
                  [L]\ntype=listener\nservice=Svc\nport=4006\n";
        let cfg = build(Path::new("/x"), &parse_ini(ok).unwrap(), None).unwrap();
        assert_eq!(cfg.listeners[0].address, "::");
        assert_eq!(cfg.monitors[0].interval_ms, 2000);
        for bad in [
            "[x]\nfoo=bar\n",
            "[x]\ntype=gadget\n",
            "[maxscale]\nnosuchparam=1\n",
            "[maxscale]\npassive=maybe\n",
            "[L]\ntype=listener\nservice=nope\nport=1\n",
            "[M]\ntype=monitor\nmodule=mariadbmon\nservers=nope\nuser=u\npassword=p\n",
        ] {
            assert!(
                build(Path::new("/x"), &parse_ini(bad).unwrap(), None).is_err(),
                "{bad}"
            );
        }
    }

    /// MaxScale's words for a missing required parameter and for a listed server that is not
    /// one, for each kind of section.
    #[test]
    fn build_errors_name_the_section() {
        for (text, error) in [
            (
                "[M]\ntype=monitor\nuser=u\npassword=p\n",
                "'M' is missing a required parameter: module",
            ),
            (
                "[S]\ntype=service\nuser=u\npassword=p\n",
                "'S' is missing a required parameter: router",
            ),
            (
                "[L]\ntype=listener\nport=1\n",
                "'L' is missing a required parameter: service",
            ),
            (
                "[M]\ntype=monitor\nmodule=mariadbmon\nservers=nope\nuser=u\npassword=p\n",
                "'nope', listed in the 'servers' parameter of 'M', is not a server.",
            ),
            (
                "[S]\ntype=service\nrouter=readconnroute\nservers=nope\nuser=u\npassword=p\n",
                "'nope', listed in the 'servers' parameter of 'S', is not a server.",
            ),
        ] {
            let errors = build(Path::new("/x"), &parse_ini(text).unwrap(), None).unwrap_err();
            assert!(errors.iter().any(|e| e == error), "{text}: {errors:?}");
        }
    }

    #[test]
    fn versions_and_faults() {
        assert!(Version::parse("24.02.3").unwrap().at_least(2, 5));
        assert!(!Version::parse("2.4.19").unwrap().at_least(2, 5));
        assert_eq!(Fault::parse("slow:250"), Some(Fault::Slow(250)));
        assert_eq!(Fault::parse("status:503"), Some(Fault::Status(503)));
        assert_eq!(Fault::parse("status:999"), None);
        assert_eq!(Fault::parse("bogus"), None);
        for f in [
            "endless",
            "endless-length",
            "trickle:50",
            "detail:1mb:500",
            "detail:esc:400",
            "detail:nul:500",
            "detail:crlf:503",
            "detail:marker:500",
        ] {
            assert_eq!(Fault::parse(f).map(|f| f.describe()).as_deref(), Some(f));
        }
        assert_eq!(
            Fault::parse("detail:nul"),
            Some(Fault::Detail(DetailKind::Nul, 500))
        );
        assert_eq!(Fault::parse("trickle:0"), None);
        assert_eq!(Fault::parse("detail:other"), None);
        assert_eq!(DetailKind::Huge.text().len(), 1 << 20);
        assert_eq!(duration_ms("2s"), Some(2000));
        assert_eq!(duration_ms("1500"), Some(1500));
    }
}
