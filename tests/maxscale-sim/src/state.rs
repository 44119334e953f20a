//! The simulated MaxScale's runtime state: passive flag, servers, monitors, services, listeners
//! and the injected fault. Shared by the REST API threads and the listener threads.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde_json::Value;

use crate::config::{Config, Fault, ListenerCfg, MonitorCfg, MonitorModule, ServiceCfg};
use crate::time;

// Server status bits (MaxScale's SERVER_* flags, only those that show in the state string).
pub const MAINT: u32 = 1 << 0;
pub const DRAINING: u32 = 1 << 1;
pub const MASTER: u32 = 1 << 2;
pub const RELAY: u32 = 1 << 3;
pub const SLAVE: u32 = 1 << 4;
pub const BLR: u32 = 1 << 5;
pub const SYNCED: u32 = 1 << 6;
pub const AUTH_ERROR: u32 = 1 << 7;
pub const NEED_DNS: u32 = 1 << 8;
pub const RUNNING: u32 = 1 << 9;
/// Bits a monitor assigns; hidden while a monitored server is in maintenance.
pub const ROLE_BITS: u32 = MASTER | RELAY | SLAVE | BLR | SYNCED;

/// Render status bits the way `Target::status_to_string` (24.02) does: fixed order,
/// comma+space separated, ending in `Running` or `Down`.
pub fn render_state(flags: u32, connections: u64) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if flags & MAINT != 0 {
        parts.push("Maintenance");
    } else if flags & DRAINING != 0 {
        parts.push(if connections == 0 {
            "Drained"
        } else {
            "Draining"
        });
    }
    if flags & MASTER != 0 {
        parts.push("Master");
    } else if flags & RELAY != 0 {
        parts.push("Relay Master");
    } else if flags & SLAVE != 0 {
        parts.push("Slave");
    } else if flags & BLR != 0 {
        parts.push("Binlog Relay");
    }
    if flags & SYNCED != 0 {
        parts.push("Synced");
    }
    if flags & AUTH_ERROR != 0 {
        parts.push("Auth Error");
    }
    if flags & NEED_DNS != 0 {
        parts.push("Need DNS lookup");
    }
    parts.push(if flags & RUNNING != 0 {
        "Running"
    } else {
        "Down"
    });
    parts.join(", ")
}

/// Parse a state string such as `Master, Synced, Running` (case-insensitive tokens, any order).
pub fn parse_state(s: &str) -> Result<u32, String> {
    let mut flags = 0;
    let mut down = false;
    let mut any = false;
    for tok in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        any = true;
        flags |= match tok.to_ascii_lowercase().as_str() {
            "maintenance" => MAINT,
            "draining" | "drained" => DRAINING,
            "master" => MASTER,
            "relay master" => RELAY,
            "slave" => SLAVE,
            "binlog relay" => BLR,
            "synced" => SYNCED,
            "auth error" => AUTH_ERROR,
            "need dns lookup" => NEED_DNS,
            "running" => RUNNING,
            "down" => {
                down = true;
                0
            }
            _ => return Err(format!("unknown state flag '{tok}'")),
        };
    }
    if !any {
        return Err("empty state".into());
    }
    if down && flags & RUNNING != 0 {
        return Err("a server cannot be both 'Running' and 'Down'".into());
    }
    Ok(flags)
}

fn role(flags: u32) -> Option<&'static str> {
    if flags & MASTER != 0 {
        Some("master")
    } else if flags & (SLAVE | RELAY) != 0 {
        Some("slave")
    } else if flags & SYNCED != 0 {
        Some("synced")
    } else {
        None
    }
}

/// The monitor event a state change produces (`master_down`, `new_master`, `lost_master`, ...).
pub fn event_for(old: u32, new: u32) -> Option<String> {
    let (was_up, is_up) = (old & RUNNING != 0, new & RUNNING != 0);
    match (was_up, is_up) {
        (false, true) => Some(format!("{}_up", role(new).unwrap_or("server"))),
        (true, false) => Some(format!("{}_down", role(old).unwrap_or("server"))),
        (true, true) => {
            let gained = new & !old;
            let lost = old & !new;
            if gained & MASTER != 0 {
                Some("new_master".into())
            } else if gained & (SLAVE | RELAY) != 0 {
                Some("new_slave".into())
            } else if gained & SYNCED != 0 {
                Some("new_synced".into())
            } else if lost & MASTER != 0 {
                Some("lost_master".into())
            } else if lost & (SLAVE | RELAY) != 0 {
                Some("lost_slave".into())
            } else if lost & SYNCED != 0 {
                Some("lost_synced".into())
            } else {
                None
            }
        }
        (false, false) => None,
    }
}

#[derive(Debug, Clone)]
pub struct ServerRt {
    pub name: String,
    pub address: Option<String>,
    pub socket: Option<String>,
    pub port: u16,
    /// What the monitor (or /sim) says.
    pub flags: u32,
    /// Maintenance/draining set through `PUT /v1/servers/:name/set`.
    pub admin: u32,
    pub last_event: String,
    pub triggered_at: i64,
    pub up_since: i64,
    pub version_string: String,
    pub server_id: i64,
    pub master_id: i64,
    pub monitor: Option<String>,
    pub params: BTreeMap<String, String>,
}

impl ServerRt {
    pub fn effective_flags(&self) -> u32 {
        let mut f = self.flags | self.admin;
        if self.admin & MAINT != 0 && self.monitor.is_some() {
            f &= !ROLE_BITS;
        }
        f
    }

    pub fn state_string(&self) -> String {
        render_state(self.effective_flags(), 0)
    }

    /// Change the monitor-visible flags and record the event, as a monitor tick would.
    pub fn set_flags(&mut self, new: u32) {
        let old = self.flags;
        if let Some(ev) = event_for(old, new) {
            self.last_event = ev;
            self.triggered_at = time::now();
        }
        if old & RUNNING == 0 && new & RUNNING != 0 {
            self.up_since = time::now();
        }
        self.flags = new;
    }
}

/// A configured monitor and its runtime state.
#[derive(Debug, Clone)]
pub struct MonitorRt {
    pub cfg: MonitorCfg,
    pub running: bool,
    /// Ticks accumulated while previously running.
    pub ticks_before: u64,
    pub running_since: Instant,
    /// `monitor_diagnostics.primary` when cooperative locks are on.
    pub primary: bool,
}

impl MonitorRt {
    pub fn ticks(&self) -> u64 {
        if self.running {
            let ms = u64::try_from(self.running_since.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.ticks_before + 1 + ms / self.cfg.interval_ms.max(1)
        } else {
            self.ticks_before
        }
    }

    pub fn stop(&mut self) {
        if self.running {
            self.ticks_before = self.ticks();
            self.running = false;
        }
    }

    pub fn start(&mut self) {
        if !self.running {
            self.running = true;
            self.running_since = Instant::now();
        }
    }

    pub fn locks_on(&self) -> bool {
        self.cfg.cooperative_locks != "none"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceState {
    Started,
    Stopped,
    Failed,
}

impl ServiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Started => "Started",
            ServiceState::Stopped => "Stopped",
            ServiceState::Failed => "Failed",
        }
    }
}

/// A configured service and its runtime state (only the state changes at runtime).
#[derive(Debug, Clone)]
pub struct ServiceRt {
    pub cfg: ServiceCfg,
    pub state: ServiceState,
    pub started_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerState {
    Running,
    Stopped,
    Failed,
}

impl ListenerState {
    pub fn as_str(self) -> &'static str {
        match self {
            ListenerState::Running => "Running",
            ListenerState::Stopped => "Stopped",
            ListenerState::Failed => "Failed",
        }
    }
}

/// A configured listener and its runtime state (only the state changes at runtime).
#[derive(Debug, Clone)]
pub struct ListenerRt {
    pub cfg: ListenerCfg,
    pub state: ListenerState,
}

/// Mutable state behind one mutex.
#[derive(Debug)]
pub struct Runtime {
    pub passive: bool,
    pub activated_at: i64,
    /// `[maxscale]` parameters changed at runtime (PATCH) or loaded from the persisted file.
    pub overrides: BTreeMap<String, Value>,
    pub servers: Vec<ServerRt>,
    pub monitors: Vec<MonitorRt>,
    pub services: Vec<ServiceRt>,
    pub listeners: Vec<ListenerRt>,
    pub fault: Fault,
    /// Bumped on every modification (ETag).
    pub generation: u64,
    pub last_modified: i64,
}

impl Runtime {
    pub fn touch(&mut self) {
        self.generation += 1;
        self.last_modified = time::now();
    }

    pub fn server(&self, name: &str) -> Option<&ServerRt> {
        self.servers.iter().find(|s| s.name == name)
    }

    pub fn server_mut(&mut self, name: &str) -> Option<&mut ServerRt> {
        self.servers.iter_mut().find(|s| s.name == name)
    }

    pub fn monitor_mut(&mut self, name: &str) -> Option<&mut MonitorRt> {
        self.monitors.iter_mut().find(|m| m.cfg.name == name)
    }

    /// Services whose `servers=` (or `cluster=` monitor) include this server.
    pub fn services_of_server(&self, server: &str) -> Vec<String> {
        self.services
            .iter()
            .filter(|svc| {
                svc.cfg.servers.iter().any(|s| s == server)
                    || svc.cfg.cluster.as_ref().is_some_and(|c| {
                        self.monitors
                            .iter()
                            .any(|m| &m.cfg.name == c && m.cfg.servers.iter().any(|s| s == server))
                    })
            })
            .map(|svc| svc.cfg.name.clone())
            .collect()
    }

    /// Recompute `master_id` of monitored replicas after a state change.
    pub fn refresh_topology(&mut self) {
        for mi in 0..self.monitors.len() {
            let names = self.monitors[mi].cfg.servers.clone();
            let master_id = names
                .iter()
                .filter_map(|n| self.server(n))
                .find(|s| s.flags & (MASTER | RUNNING) == MASTER | RUNNING)
                .map(|s| s.server_id);
            for n in &names {
                if let Some(s) = self.server_mut(n) {
                    let replica = s.flags & (SLAVE | RELAY) != 0;
                    s.master_id = if replica { master_id.unwrap_or(-1) } else { -1 };
                }
            }
        }
    }
}

/// MaxScale's directories: the command line's, else the `[maxscale]` section's, else the
/// defaults.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub logdir: PathBuf,
    pub piddir: PathBuf,
    pub datadir: PathBuf,
    pub cachedir: PathBuf,
    pub persistdir: PathBuf,
}

/// Directories the process uses (after command line/config resolution).
#[derive(Debug, Clone)]
pub struct Paths {
    pub config: PathBuf,
    pub dirs: Dirs,
    pub process_datadir: PathBuf,
}

/// Everything the threads share.
pub struct Sim {
    pub cfg: Config,
    pub paths: Paths,
    pub pid: u32,
    pub node_name: String,
    pub started_at: i64,
    pub started: Instant,
    pub shutting_down: AtomicBool,
    pub rt: Mutex<Runtime>,
}

impl Sim {
    pub fn lock(&self) -> MutexGuard<'_, Runtime> {
        self.rt.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Build the initial runtime from the configuration: the first server of each monitor is the
/// primary (`Master, Running`; Galera `Master, Synced, Running`), the others replicas; servers
/// outside any monitor are just `Running`. `sim_state=` overrides this per server.
pub fn initial_runtime(cfg: &Config, passive: bool, overrides: BTreeMap<String, Value>) -> Runtime {
    let now = time::now();
    let mut servers: Vec<ServerRt> = cfg
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| ServerRt {
            name: s.name.clone(),
            address: s.address.clone(),
            socket: s.socket.clone(),
            port: s.port,
            flags: RUNNING,
            admin: 0,
            last_event: "server_up".into(),
            triggered_at: now,
            up_since: now,
            version_string: s.version_string.clone(),
            server_id: 3000 + i64::try_from(i).unwrap_or(0),
            master_id: -1,
            monitor: None,
            params: s.params.clone(),
        })
        .collect();
    for m in &cfg.monitors {
        for (pos, name) in m.servers.iter().enumerate() {
            if let Some(s) = servers.iter_mut().find(|s| &s.name == name) {
                s.monitor = Some(m.name.clone());
                s.flags = match (m.module, pos) {
                    (MonitorModule::MariaDb, 0) => MASTER | RUNNING,
                    (MonitorModule::MariaDb, _) => SLAVE | RUNNING,
                    (MonitorModule::Galera, 0) => MASTER | SYNCED | RUNNING,
                    (MonitorModule::Galera, _) => SLAVE | SYNCED | RUNNING,
                };
            }
        }
    }
    for (s, c) in servers.iter_mut().zip(&cfg.servers) {
        if let Some(st) = &c.sim_state {
            if let Ok(f) = parse_state(st) {
                s.flags = f;
            }
        }
        s.last_event = match role(s.flags) {
            _ if s.flags & RUNNING == 0 => "server_down".into(),
            Some(r) => format!("{r}_up"),
            None => "server_up".into(),
        };
    }
    let monitors = cfg
        .monitors
        .iter()
        .map(|m| MonitorRt {
            cfg: m.clone(),
            running: true,
            ticks_before: 0,
            running_since: Instant::now(),
            primary: m.sim_primary,
        })
        .collect();
    let services = cfg
        .services
        .iter()
        .map(|s| ServiceRt {
            cfg: s.clone(),
            state: ServiceState::Started,
            started_at: now,
        })
        .collect();
    let listeners = cfg
        .listeners
        .iter()
        .map(|l| ListenerRt {
            cfg: l.clone(),
            state: ListenerState::Running,
        })
        .collect();
    let mut rt = Runtime {
        passive,
        activated_at: now,
        overrides,
        servers,
        monitors,
        services,
        listeners,
        fault: cfg.global.fault.clone(),
        generation: 0,
        last_modified: now,
    };
    rt.refresh_topology();
    rt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_order() {
        assert_eq!(render_state(MASTER | RUNNING, 0), "Master, Running");
        assert_eq!(
            render_state(SYNCED | MASTER | RUNNING, 0),
            "Master, Synced, Running"
        );
        assert_eq!(render_state(MAINT, 0), "Maintenance, Down");
        assert_eq!(
            render_state(DRAINING | SLAVE | RUNNING, 3),
            "Draining, Slave, Running"
        );
        assert_eq!(
            render_state(DRAINING | SLAVE | RUNNING, 0),
            "Drained, Slave, Running"
        );
        assert_eq!(render_state(0, 0), "Down");
    }

    #[test]
    fn parse_round_trip() {
        for s in [
            "Master, Synced, Running",
            "Down",
            "Maintenance, Slave, Running",
            "Synced, Running",
        ] {
            assert_eq!(render_state(parse_state(s).unwrap(), 0), s);
        }
        assert_eq!(parse_state("running, master").unwrap(), MASTER | RUNNING);
        assert!(parse_state("Running, Down").is_err());
        assert!(parse_state("Leader").is_err());
        assert!(parse_state("").is_err());
    }

    #[test]
    fn events() {
        assert_eq!(
            event_for(MASTER | RUNNING, 0).as_deref(),
            Some("master_down")
        );
        assert_eq!(event_for(0, MASTER | RUNNING).as_deref(), Some("master_up"));
        assert_eq!(
            event_for(MASTER | SYNCED | RUNNING, RUNNING).as_deref(),
            Some("lost_master")
        );
        assert_eq!(
            event_for(RUNNING, MASTER | SYNCED | RUNNING).as_deref(),
            Some("new_master")
        );
        assert_eq!(event_for(RUNNING, RUNNING), None);
    }
}
