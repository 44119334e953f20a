//! JSON:API documents in MaxScale 24.02's shape (Resources-*.md), built from the runtime state; the
//! profile (`profile.rs`) drops or adds what other versions show differently.
//!
//! Only the fields an HA agent could plausibly read are realistic; the rest are fixed,
//! plausible defaults so that the documents look complete.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::config::{duration_ms, truth, MonitorModule};
use crate::state::{
    ListenerRt, MonitorRt, Runtime, ServerRt, ServiceRt, Sim, MASTER, RELAY, RUNNING, SLAVE, SYNCED,
};
use crate::time;

/// Convert a config-file string to the JSON type of its default (bool, integer, `NNNms`).
pub fn typed(default: Option<&Value>, raw: &str) -> Value {
    match default {
        Some(Value::Bool(_)) => truth(raw).map_or_else(|| json!(raw), Value::Bool),
        Some(Value::Number(_)) => raw.parse::<i64>().map_or_else(|_| json!(raw), |n| json!(n)),
        Some(Value::String(d)) if d.ends_with("ms") && d[..d.len() - 2].parse::<u64>().is_ok() => {
            duration_ms(raw).map_or_else(|| json!(raw), |ms| json!(format!("{ms}ms")))
        }
        _ => json!(raw),
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Merge config-file parameters over defaults, typed like the defaults. `sim_*` keys are
/// simulator-only and never shown; passwords are masked.
fn merge_params(defaults: Value, raw: &BTreeMap<String, String>, skip: &[&str]) -> Value {
    let mut m = obj(defaults);
    for (k, v) in raw {
        if k.starts_with("sim_") || skip.contains(&k.as_str()) {
            continue;
        }
        let val = if k.contains("password") {
            json!("*****")
        } else {
            typed(m.get(k), v)
        };
        m.insert(k.clone(), val);
    }
    Value::Object(m)
}

fn source(sim: &Sim) -> Value {
    json!({"file": sim.cfg.path.display().to_string(), "type": "static"})
}

fn relationship(base: &str, owner: &str, kind: &str, ids: &[String]) -> Option<Value> {
    if ids.is_empty() {
        return None;
    }
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "type": kind}))
        .collect();
    Some(json!({
        "data": data,
        "links": {
            "related": format!("{base}{kind}/"),
            "self": format!("{base}{owner}/relationships/{kind}/"),
        }
    }))
}

fn relationships(base: &str, owner: &str, rels: &[(&str, Vec<String>)]) -> Value {
    let mut m = Map::new();
    for (kind, ids) in rels {
        if let Some(r) = relationship(base, owner, kind, ids) {
            m.insert((*kind).to_string(), r);
        }
    }
    Value::Object(m)
}

/// `{"data": ..., "links": {"self": ...}}`
pub fn wrap(data: Value, self_link: String) -> Value {
    json!({"data": data, "links": {"self": self_link}})
}

/// A collection (`<base><path>/`) of the resources `data`.
fn collection(base: &str, path: &str, data: impl IntoIterator<Item = Value>) -> Value {
    wrap(data.into_iter().collect(), format!("{base}{path}/"))
}

/// One resource of a collection, linked as `<base><path>/<id>/`.
fn member(base: &str, path: &str, id: &str, resource: Value) -> Value {
    wrap(resource, format!("{base}{path}/{id}/"))
}

// ---------------------------------------------------------------------------------------------
// /maxscale

/// The `[maxscale]` parameters with their values before the configuration file: MaxScale's
/// defaults (`builtin`), or with the settings the simulator derives from its configuration
/// (admin host and port, GUI, auth, threads) filled in. Only those the version has.
fn global_defaults(sim: &Sim, builtin: bool) -> Value {
    let p = &sim.paths.dirs;
    let g = &sim.cfg.global;
    let d = crate::config::Global::default();
    let g_or_default = if builtin { &d } else { g };
    let profile = &g.profile;
    let all = json!({
        "admin_audit": false,
        "admin_audit_exclude_methods": [],
        "admin_audit_file": p.logdir.join("admin_audit.csv").display().to_string(),
        "admin_auth": g_or_default.admin_auth,
        "admin_enabled": true,
        "admin_gui": g_or_default.admin_gui,
        "admin_host": g_or_default.admin_host,
        "admin_jwt_algorithm": "auto",
        "admin_jwt_issuer": "maxscale",
        "admin_jwt_key": null,
        "admin_jwt_max_age": "86400000ms",
        "admin_log_auth_failures": true,
        "admin_oidc_url": null,
        "admin_pam_readonly_service": null,
        "admin_pam_readwrite_service": null,
        "admin_port": g_or_default.admin_port,
        "admin_readonly_hosts": "%",
        "admin_readwrite_hosts": "%",
        "admin_secure_gui": g_or_default.admin_secure_gui,
        "admin_ssl_ca": null,
        "admin_ssl_ca_cert": null,
        "admin_ssl_cert": null,
        "admin_ssl_key": null,
        "admin_ssl_version": "MAX",
        "admin_verify_url": null,
        "auth_connect_timeout": "10000ms",
        "auth_read_timeout": "10000ms",
        "auth_write_timeout": "10000ms",
        "auto_tune": [],
        "cachedir": p.cachedir.display().to_string(),
        "config_sync_cluster": null,
        "config_sync_db": "mysql",
        "config_sync_interval": "5000ms",
        "config_sync_password": null,
        "config_sync_timeout": "10000ms",
        "config_sync_user": null,
        "connector_plugindir": "/usr/lib/x86_64-linux-gnu/maxscale/plugin",
        "datadir": p.datadir.display().to_string(),
        "debug": null,
        "dump_last_statements": "never",
        "execdir": "/usr/bin",
        "key_manager": "none",
        "language": "/var/lib/maxscale",
        "libdir": "/usr/lib/x86_64-linux-gnu/maxscale",
        "load_persisted_configs": g_or_default.load_persisted_configs,
        "local_address": null,
        "log_debug": false,
        "log_info": false,
        "log_notice": true,
        "log_throttling": {"count": 10, "suppress": 10000, "window": 1000},
        "log_warn_super_user": false,
        "log_warning": true,
        "logdir": p.logdir.display().to_string(),
        "max_auth_errors_until_block": 10,
        "max_read_amount": 0,
        "maxlog": true,
        "module_configdir": "/etc/maxscale.modules.d",
        "ms_timestamp": false,
        "passive": false,
        "persist_runtime_changes": true,
        "persistdir": p.persistdir.display().to_string(),
        "piddir": p.piddir.display().to_string(),
        "query_classifier": "qc_sqlite",
        "query_classifier_args": null,
        "query_classifier_cache_size": 1_073_741_824u64,
        "query_retries": 1,
        "query_retry_timeout": "5000ms",
        "rebalance_period": "0ms",
        "rebalance_threshold": 20,
        "rebalance_window": 10,
        "retain_last_statements": 0,
        "secretsdir": p.datadir.display().to_string(),
        "session_trace": 0,
        "skip_name_resolve": false,
        "skip_permission_checks": false,
        "sql_mode": "default",
        "syslog": profile.syslog_default(),
        "threads": g.threads,
        "threads_max": 256,
        "users_refresh_interval": "0ms",
        "users_refresh_time": "30000ms",
        "writeq_high_water": 65536,
        "writeq_low_water": 1024,
    });
    let mut m = obj(all);
    m.retain(|k, _| profile.shows_param(k));
    Value::Object(m)
}

/// MaxScale's own default of each `[maxscale]` parameter of this version.
pub fn builtin_defaults(sim: &Sim) -> Map<String, Value> {
    obj(global_defaults(sim, true))
}

/// `[maxscale]` keys the simulator derives from its own run (paths, threads, port): never taken
/// from the file's text for the `parameters` echo, and never persisted.
pub const DERIVED_GLOBAL_PARAMS: &[&str] = &[
    "logdir",
    "piddir",
    "datadir",
    "cachedir",
    "persistdir",
    "threads",
    "admin_port",
];

/// The `[maxscale]` parameters as `GET /v1/maxscale` shows them.
pub fn global_parameters(sim: &Sim, rt: &Runtime) -> Value {
    parameters(sim, &rt.overrides, rt.passive)
}

/// What the parameters would be with these runtime values (`overrides`, `passive`).
pub fn parameters(sim: &Sim, overrides: &BTreeMap<String, Value>, passive: bool) -> Value {
    let profile = &sim.cfg.global.profile;
    let mut params = obj(merge_params(
        global_defaults(sim, false),
        &sim.cfg.global.raw,
        DERIVED_GLOBAL_PARAMS,
    ));
    // Keys the file may set but this version does not show (aliases, 6.x names on 24.02).
    params.retain(|k, _| profile.shows_param(k));
    for (k, v) in overrides {
        if profile.shows_param(k) {
            params.insert(k.clone(), v.clone());
        }
    }
    params.insert("passive".into(), Value::Bool(passive));
    if !profile.at_least(2, 5) {
        // 2.2-2.4 call it config_persistdir.
        if let Some(v) = params.remove("persistdir") {
            params.insert("config_persistdir".into(), v);
        }
    }
    Value::Object(params)
}

fn system_info(sim: &Sim) -> Value {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let cores = sim.cfg.global.threads.max(1);
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    json!({
        "machine": {
            "cores_available": cpus,
            "cores_physical": cpus,
            "cores_virtual": cpus as f64,
            "memory_available": 8_589_934_592u64,
            "memory_physical": 8_589_934_592u64,
        },
        "maxscale": {"query_classifier_cache_size": 1_073_741_824u64, "threads": cores},
        "os": {
            "machine": std::env::consts::ARCH,
            "nodename": sim.node_name,
            "release": read("/proc/sys/kernel/osrelease"),
            "sysname": "Linux",
            "version": read("/proc/sys/kernel/version"),
        }
    })
}

pub fn maxscale(sim: &Sim, rt: &Runtime, base: &str) -> Value {
    let profile = &sim.cfg.global.profile;
    let mut attrs = Map::new();
    attrs.insert("commit".into(), json!(profile.commit()));
    attrs.insert("parameters".into(), global_parameters(sim, rt));
    attrs.insert(
        "process_datadir".into(),
        json!(sim.paths.process_datadir.display().to_string()),
    );
    attrs.insert("started_at".into(), json!(time::http_date(sim.started_at)));
    attrs.insert("uptime".into(), json!(sim.started.elapsed().as_secs()));
    attrs.insert("version".into(), json!(profile.text()));
    if profile.has_activated_at() {
        attrs.insert(
            "activated_at".into(),
            json!(time::http_date(rt.activated_at)),
        );
    }
    if profile.has_config_sync() {
        attrs.insert("config_sync".into(), Value::Null);
    }
    if profile.has_system() {
        attrs.insert("system".into(), system_info(sim));
    }
    wrap(
        json!({"attributes": attrs, "id": "maxscale", "type": "maxscale"}),
        format!("{base}maxscale/"),
    )
}

fn thread(base: &str, id: usize) -> Value {
    json!({
        "attributes": {
            "stats": {
                "accepts": 0,
                "avg_event_queue_length": 1,
                "current_descriptors": 5,
                "errors": 0,
                "hangups": 0,
                "listening": true,
                "load": {"last_hour": 0, "last_minute": 0, "last_second": 0},
                "max_event_queue_length": 1,
                "max_exec_time": 0,
                "max_queue_time": 0,
                "memory": {"query_classifier": 0, "sessions": 0, "total": 0, "zombies": 0},
                "query_classifier_cache": {"evictions": 0, "hits": 0, "inserts": 0, "misses": 0, "size": 0},
                "reads": 20,
                "sessions": 0,
                "state": "Active",
                "total_descriptors": 5,
                "writes": 0,
                "zombies": 0
            }
        },
        "id": id.to_string(),
        "links": {"self": format!("{base}threads/{id}/")},
        "type": "threads"
    })
}

pub fn threads(sim: &Sim, base: &str) -> Value {
    let data = (0..sim.cfg.global.threads).map(|i| thread(base, i));
    collection(base, "maxscale/threads", data)
}

pub fn one_thread(base: &str, id: usize) -> Value {
    member(base, "maxscale/threads", &id.to_string(), thread(base, id))
}

// ---------------------------------------------------------------------------------------------
// /servers

fn monitor_of<'a>(rt: &'a Runtime, s: &ServerRt) -> Option<&'a MonitorRt> {
    s.monitor
        .as_ref()
        .and_then(|m| rt.monitors.iter().find(|x| &x.cfg.name == m))
}

fn slave_connections(rt: &Runtime, s: &ServerRt) -> Value {
    let replica = s.flags & (SLAVE | RELAY) != 0 && s.flags & RUNNING != 0;
    let mon = monitor_of(rt, s);
    let Some(master) = mon
        .filter(|m| replica && m.cfg.module == MonitorModule::MariaDb)
        .and_then(|m| {
            m.cfg
                .servers
                .iter()
                .filter_map(|n| rt.server(n))
                .find(|x| x.flags & (MASTER | RUNNING) == MASTER | RUNNING)
        })
    else {
        return json!([]);
    };
    json!([{
        "connection_name": "",
        "gtid_io_pos": "0-3000-8",
        "last_io_error": "",
        "last_sql_error": "",
        "master_host": master.address.clone().unwrap_or_default(),
        "master_port": master.port,
        "master_server_id": master.server_id,
        "master_server_name": master.name,
        "seconds_behind_master": 0,
        "slave_io_running": "Yes",
        "slave_sql_running": "Yes",
        "using_gtid": "Slave_Pos"
    }])
}

fn server_resource(sim: &Sim, rt: &Runtime, s: &ServerRt, base: &str) -> Value {
    let running = s.flags & RUNNING != 0;
    let mon = monitor_of(rt, s);
    let lock_held = match mon {
        Some(m) if m.locks_on() && m.cfg.module == MonitorModule::MariaDb => {
            json!(running && m.primary)
        }
        _ => Value::Null,
    };
    let defaults = json!({
        "address": s.address,
        "disk_space_threshold": null,
        "extra_port": 0,
        "max_routing_connections": 0,
        "monitorpw": null,
        "monitoruser": null,
        "persistmaxtime": "0ms",
        "persistpoolmax": 0,
        "port": s.port,
        "priority": 0,
        "private_address": null,
        "proxy_protocol": false,
        "rank": "primary",
        "replication_custom_options": null,
        "socket": s.socket,
        "ssl": false,
        "ssl_ca": null,
        "ssl_cert": null,
        "ssl_cert_verify_depth": 9,
        "ssl_cipher": null,
        "ssl_key": null,
        "ssl_verify_peer_certificate": false,
        "ssl_verify_peer_host": false,
        "ssl_version": "MAX"
    });
    let params = merge_params(defaults, &s.params, &["type", "address", "port", "socket"]);
    let monitors: Vec<String> = s.monitor.iter().cloned().collect();
    let mut doc = json!({
        "attributes": {
            "gtid_binlog_pos": "0-3000-8",
            "gtid_current_pos": "0-3000-8",
            "last_event": s.last_event,
            "lock_held": lock_held,
            "master_group": null,
            "master_id": s.master_id,
            "name": s.name,
            "node_id": s.server_id,
            "parameters": params,
            "read_only": s.flags & (SLAVE | RELAY) != 0,
            "replication_lag": if running { 0 } else { -1 },
            "server_id": s.server_id,
            "slave_connections": slave_connections(rt, s),
            "source": source(sim),
            "state": s.state_string(),
            "statistics": {
                "active_operations": 0,
                "adaptive_avg_select_time": "0ns",
                "connection_pool_empty": 0,
                "connections": 0,
                "failed_auths": 0,
                "max_connections": 0,
                "max_pool_size": 0,
                "persistent_connections": 0,
                "reused_connections": 0,
                "routed_packets": 0,
                "total_connections": 0
            },
            "triggered_at": time::http_date(s.triggered_at),
            "version_string": s.version_string,
        },
        "id": s.name,
        "links": {"self": format!("{base}servers/{}/", s.name)},
        "relationships": relationships(base, &format!("servers/{}", s.name), &[
            ("monitors", monitors),
            ("services", rt.services_of_server(&s.name)),
        ]),
        "type": "servers"
    });
    // 6.4.15 has state_details and no uptime, 24.02.3 the reverse (issue 11).
    let (key, value) = if sim.cfg.global.profile.server_has_uptime() {
        let up = if running {
            (time::now() - s.up_since).max(0)
        } else {
            0
        };
        ("uptime", json!(up))
    } else {
        ("state_details", Value::Null)
    };
    if let Some(a) = doc["attributes"].as_object_mut() {
        a.insert(key.into(), value);
    }
    doc
}

pub fn servers(sim: &Sim, rt: &Runtime, base: &str) -> Value {
    let data = rt.servers.iter().map(|s| server_resource(sim, rt, s, base));
    collection(base, "servers", data)
}

pub fn server(sim: &Sim, rt: &Runtime, s: &ServerRt, base: &str) -> Value {
    member(base, "servers", &s.name, server_resource(sim, rt, s, base))
}

// ---------------------------------------------------------------------------------------------
// /monitors

fn monitor_defaults(m: &MonitorRt) -> Value {
    let mut d = obj(json!({
        "backend_connect_attempts": 1,
        "backend_connect_timeout": "3000ms",
        "backend_read_timeout": "3000ms",
        "backend_write_timeout": "3000ms",
        "disk_space_check_interval": "0ms",
        "disk_space_threshold": null,
        "events": "all,master_down,master_up,slave_down,slave_up,server_down,server_up,synced_down,synced_up,donor_down,donor_up,lost_master,lost_slave,lost_synced,lost_donor,new_master,new_slave,new_synced,new_donor",
        "journal_max_age": "28800000ms",
        "module": m.cfg.module.name(),
        "monitor_interval": format!("{}ms", m.cfg.interval_ms),
        "password": "*****",
        "script": null,
        "script_timeout": "90000ms",
        "type": "monitor",
        "user": ""
    }));
    let extra = match m.cfg.module {
        MonitorModule::MariaDb => json!({
            "assume_unique_hostnames": true,
            "auto_failover": false,
            "auto_rejoin": false,
            "cooperative_monitoring_locks": m.cfg.cooperative_locks,
            "demotion_sql_file": null,
            "enforce_read_only_slaves": false,
            "enforce_simple_topology": false,
            "enforce_writable_master": false,
            "failcount": 5,
            "failover_timeout": "90000ms",
            "handle_events": true,
            "maintenance_on_low_disk_space": true,
            "master_conditions": "primary_monitor_master",
            "master_failure_timeout": "10000ms",
            "promotion_sql_file": null,
            "replication_custom_options": null,
            "replication_master_ssl": false,
            "replication_password": "*****",
            "replication_user": null,
            "script_max_replication_lag": -1,
            "servers_no_promotion": null,
            "slave_conditions": "",
            "switchover_on_low_disk_space": false,
            "switchover_timeout": "90000ms",
            "verify_master_failure": true
        }),
        MonitorModule::Galera => json!({
            "available_when_donor": false,
            "disable_master_failback": false,
            "disable_master_role_setting": false,
            "root_node_as_master": false,
            "set_donor_nodes": false,
            "use_priority": false
        }),
    };
    d.extend(obj(extra));
    Value::Object(d)
}

fn monitor_diagnostics(rt: &Runtime, m: &MonitorRt) -> Value {
    let servers: Vec<&ServerRt> = m.cfg.servers.iter().filter_map(|n| rt.server(n)).collect();
    let master = servers
        .iter()
        .find(|s| s.flags & (MASTER | RUNNING) == MASTER | RUNNING)
        .map(|s| s.name.clone());
    match m.cfg.module {
        MonitorModule::MariaDb => {
            let info: Vec<Value> = servers
                .iter()
                .map(|s| {
                    let running = s.flags & RUNNING != 0;
                    json!({
                        "gtid_binlog_pos": "0-3000-8",
                        "gtid_current_pos": "0-3000-8",
                        "lock_held": if m.locks_on() { json!(running && m.primary) } else { Value::Null },
                        "master_group": null,
                        "name": s.name,
                        "read_only": s.flags & (SLAVE | RELAY) != 0,
                        "server_id": s.server_id,
                        "slave_connections": slave_connections(rt, s),
                        "state_details": null
                    })
                })
                .collect();
            json!({
                "master": master,
                "master_gtid_domain_id": 0,
                "primary": if m.locks_on() { json!(m.primary) } else { Value::Null },
                "server_info": info,
                "state": "Idle"
            })
        }
        MonitorModule::Galera => {
            let info: Vec<Value> = servers
                .iter()
                .map(|s| {
                    json!({
                        "gtid_binlog_pos": "0-3000-8",
                        "gtid_current_pos": "0-3000-8",
                        "master_id": -1,
                        "name": s.name,
                        "read_only": false,
                        "server_id": s.server_id
                    })
                })
                .collect();
            let size = servers
                .iter()
                .filter(|s| s.flags & (SYNCED | RUNNING) == SYNCED | RUNNING)
                .count();
            json!({
                "cluster_size": size,
                "cluster_uuid": "6a1c7a2e-8f1d-11ef-9a4c-5254001a2b3c",
                "disable_master_failback": false,
                "disable_master_role_setting": false,
                "root_node_as_master": false,
                "server_info": info,
                "set_donor_nodes": false,
                "use_priority": false
            })
        }
    }
}

fn monitor_resource(sim: &Sim, rt: &Runtime, m: &MonitorRt, base: &str) -> Value {
    let params = merge_params(monitor_defaults(m), &m.cfg.params, &["servers"]);
    let services: Vec<String> = rt
        .services
        .iter()
        .filter(|s| s.cfg.cluster.as_deref() == Some(m.cfg.name.as_str()))
        .map(|s| s.cfg.name.clone())
        .collect();
    json!({
        "attributes": {
            "module": m.cfg.module.name(),
            "monitor_diagnostics": monitor_diagnostics(rt, m),
            "parameters": params,
            "source": source(sim),
            "state": if m.running { "Running" } else { "Stopped" },
            "ticks": m.ticks()
        },
        "id": m.cfg.name,
        "links": {"self": format!("{base}monitors/{}/", m.cfg.name)},
        "relationships": relationships(base, &format!("monitors/{}", m.cfg.name), &[
            ("servers", m.cfg.servers.clone()),
            ("services", services),
        ]),
        "type": "monitors"
    })
}

pub fn monitors(sim: &Sim, rt: &Runtime, base: &str) -> Value {
    let data = rt
        .monitors
        .iter()
        .map(|m| monitor_resource(sim, rt, m, base));
    collection(base, "monitors", data)
}

pub fn monitor(sim: &Sim, rt: &Runtime, m: &MonitorRt, base: &str) -> Value {
    member(
        base,
        "monitors",
        &m.cfg.name,
        monitor_resource(sim, rt, m, base),
    )
}

// ---------------------------------------------------------------------------------------------
// /listeners

fn listener_resource(sim: &Sim, l: &ListenerRt, base: &str) -> Value {
    let defaults = json!({
        "MariaDBProtocol": {"allow_replication": true},
        "address": l.cfg.address,
        "authenticator": null,
        "authenticator_options": null,
        "connection_init_sql_file": null,
        "connection_metadata": [
            "character_set_client=auto",
            "character_set_connection=auto",
            "character_set_results=auto",
            "max_allowed_packet=auto",
            "system_time_zone=auto",
            "time_zone=auto",
            "tx_isolation=auto",
            "maxscale=auto"
        ],
        "port": l.cfg.port,
        "protocol": l.cfg.protocol,
        "proxy_protocol_networks": null,
        "service": l.cfg.service,
        "socket": null,
        "sql_mode": "default",
        "ssl": false,
        "ssl_ca": null,
        "ssl_cert": null,
        "ssl_cert_verify_depth": 9,
        "ssl_cipher": null,
        "ssl_crl": null,
        "ssl_key": null,
        "ssl_verify_peer_certificate": false,
        "ssl_verify_peer_host": false,
        "ssl_version": "MAX",
        "type": "listener",
        "user_mapping_file": null
    });
    let params = merge_params(
        defaults,
        &l.cfg.params,
        &["address", "port", "protocol", "service"],
    );
    json!({
        "attributes": {
            "parameters": params,
            "source": source(sim),
            "state": l.state.as_str()
        },
        "id": l.cfg.name,
        "relationships": relationships(base, &format!("listeners/{}", l.cfg.name), &[
            ("services", vec![l.cfg.service.clone()]),
        ]),
        "type": "listeners"
    })
}

pub fn listeners(sim: &Sim, rt: &Runtime, base: &str, service: Option<&str>) -> Value {
    let data = rt
        .listeners
        .iter()
        .filter(|l| service.is_none_or(|s| l.cfg.service == s))
        .map(|l| listener_resource(sim, l, base));
    let path = match service {
        Some(s) => format!("services/{s}/listeners"),
        None => "listeners".to_string(),
    };
    collection(base, &path, data)
}

pub fn listener(sim: &Sim, l: &ListenerRt, base: &str, link: String) -> Value {
    wrap(listener_resource(sim, l, base), link)
}

// ---------------------------------------------------------------------------------------------
// /services

fn service_resource(sim: &Sim, rt: &Runtime, s: &ServiceRt, base: &str) -> Value {
    let defaults = json!({
        "auth_all_servers": false,
        "connection_keepalive": "300000ms",
        "disable_sescmd_history": false,
        "enable_root_user": false,
        "force_connection_keepalive": false,
        "idle_session_pool_time": "-1ms",
        "localhost_match_wildcard_host": true,
        "log_auth_warnings": true,
        "log_debug": false,
        "log_info": false,
        "log_notice": false,
        "log_warning": false,
        "max_connections": 0,
        "max_sescmd_history": 50,
        "multiplex_timeout": "60000ms",
        "net_write_timeout": "0ms",
        "password": "*****",
        "prune_sescmd_history": true,
        "rank": "primary",
        "retain_last_statements": -1,
        "router": s.cfg.router,
        "session_trace": false,
        "strip_db_esc": true,
        "type": "service",
        "user": "",
        "user_accounts_file": null,
        "user_accounts_file_usage": "add_when_load_ok",
        "version_string": null,
        "wait_timeout": "0ms"
    });
    let params = merge_params(defaults, &s.cfg.params, &["servers", "targets", "cluster"]);
    let embedded: Vec<Value> = rt
        .listeners
        .iter()
        .filter(|l| l.cfg.service == s.cfg.name)
        .map(|l| listener_resource(sim, l, base))
        .collect();
    let listener_ids: Vec<String> = rt
        .listeners
        .iter()
        .filter(|l| l.cfg.service == s.cfg.name)
        .map(|l| l.cfg.name.clone())
        .collect();
    let owner = format!("services/{}", s.cfg.name);
    let mut doc = json!({
        "attributes": {
            "connections": 0,
            "listeners": embedded,
            "parameters": params,
            "router": s.cfg.router,
            "router_diagnostics": {"queries": 0, "server_query_statistics": []},
            "source": source(sim),
            "started": time::http_date(s.started_at),
            "state": s.state.as_str(),
            "statistics": {
                "active_operations": 0,
                "avg_sescmd_history_length": 0.0,
                "avg_session_lifetime": 0.0,
                "connections": 0,
                "failed_auths": 0,
                "max_connections": 0,
                "max_sescmd_history_length": 0,
                "max_session_lifetime": 0,
                "routed_packets": 0,
                "total_connections": 0
            },
            "total_connections": 0,
            "users": []
        },
        "id": s.cfg.name,
        "links": {"self": format!("{base}services/{}/", s.cfg.name)},
        "relationships": relationships(base, &owner, &[
            ("listeners", listener_ids),
            ("monitors", s.cfg.cluster.iter().cloned().collect()),
            ("servers", s.cfg.servers.clone()),
        ]),
        "type": "services"
    });
    if sim.cfg.global.profile.service_has_users_last_update() {
        if let Some(a) = doc["attributes"].as_object_mut() {
            a.insert(
                "users_last_update".into(),
                json!(time::http_date(s.started_at)),
            );
        }
    }
    doc
}

pub fn services(sim: &Sim, rt: &Runtime, base: &str) -> Value {
    let data = rt
        .services
        .iter()
        .map(|s| service_resource(sim, rt, s, base));
    collection(base, "services", data)
}

pub fn service(sim: &Sim, rt: &Runtime, s: &ServiceRt, base: &str) -> Value {
    member(
        base,
        "services",
        &s.cfg.name,
        service_resource(sim, rt, s, base),
    )
}

// ---------------------------------------------------------------------------------------------
// /filters, /sessions

fn filter_resource(name: &str, module: &str, base: &str) -> Value {
    json!({
        "attributes": {"module": module, "parameters": {}},
        "id": name,
        "links": {"self": format!("{base}filters/{name}/")},
        "type": "filters"
    })
}

pub fn filters(sim: &Sim, base: &str) -> Value {
    let filters = &sim.cfg.filters;
    let data = filters
        .iter()
        .map(|f| filter_resource(&f.name, &f.module, base));
    collection(base, "filters", data)
}

pub fn filter(name: &str, module: &str, base: &str) -> Value {
    member(base, "filters", name, filter_resource(name, module, base))
}

pub fn sessions(base: &str) -> Value {
    collection(base, "sessions", [])
}

// ---------------------------------------------------------------------------------------------
// Output

/// Copy `keys` into a new object recursively sorted (jansson's `JSON_SORT_KEYS`), whatever
/// map type serde_json was built with.
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Serialise like MaxScale: sorted keys, 4-space indent (or compact), no trailing newline.
pub fn render(v: &Value, pretty: bool) -> Vec<u8> {
    let v = sorted(v);
    if !pretty {
        return serde_json::to_vec(&v).unwrap_or_default();
    }
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    if serde::Serialize::serialize(&v, &mut ser).is_err() {
        return Vec::new();
    }
    out
}

/// `{"errors":[{"detail":...}, ...]}`
pub fn errors(details: &[String]) -> Value {
    let list: Vec<Value> = details.iter().map(|d| json!({"detail": d})).collect();
    json!({"errors": list})
}

/// Sparse fieldsets: `fields[<type>]=a/b,c` keeps only those attribute paths (and the named
/// relationships) of resources of that type.
pub fn apply_fieldsets(doc: &mut Value, fieldsets: &[(String, Vec<String>)]) {
    if fieldsets.is_empty() {
        return;
    }
    let apply = |res: &mut Value| {
        let Some(ty) = res.get("type").and_then(Value::as_str).map(str::to_string) else {
            return;
        };
        let Some((_, fields)) = fieldsets.iter().find(|(t, _)| *t == ty) else {
            return;
        };
        if let Some(attrs) = res.get("attributes").cloned() {
            let mut kept = Value::Object(Map::new());
            for f in fields {
                let path: Vec<&str> = f.split('/').filter(|p| !p.is_empty()).collect();
                let mut src = &attrs;
                let mut found = true;
                for p in &path {
                    match src.get(p) {
                        Some(v) => src = v,
                        None => {
                            found = false;
                            break;
                        }
                    }
                }
                if !found || path.is_empty() {
                    continue;
                }
                let mut dst = &mut kept;
                for (i, p) in path.iter().enumerate() {
                    let Some(m) = dst.as_object_mut() else { break };
                    if i + 1 == path.len() {
                        m.insert((*p).to_string(), src.clone());
                        break;
                    }
                    dst = m
                        .entry((*p).to_string())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
            }
            res["attributes"] = kept;
        }
        if let Some(rels) = res.get_mut("relationships").and_then(Value::as_object_mut) {
            rels.retain(|k, _| fields.iter().any(|f| f == k));
            if rels.is_empty() {
                if let Some(m) = res.as_object_mut() {
                    m.remove("relationships");
                }
            }
        }
    };
    match doc.get_mut("data") {
        Some(Value::Array(items)) => items.iter_mut().for_each(apply),
        Some(item @ Value::Object(_)) => apply(item),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_is_sorted_and_indented() {
        let v = json!({"b": 1, "a": {"d": [], "c": {}}});
        let s = String::from_utf8(render(&v, true)).unwrap();
        assert_eq!(
            s,
            "{\n    \"a\": {\n        \"c\": {},\n        \"d\": []\n    },\n    \"b\": 1\n}"
        );
        assert_eq!(
            String::from_utf8(render(&v, false)).unwrap(),
            r#"{"a":{"c":{},"d":[]},"b":1}"#
        );
    }

    #[test]
    fn fieldsets() {
        let mut doc = json!({"data": {"type": "maxscale", "id": "maxscale",
            "attributes": {"version": "x", "parameters": {"passive": false, "threads": 2}}},
            "links": {"self": "s"}});
        apply_fieldsets(
            &mut doc,
            &[("maxscale".into(), vec!["parameters/passive".into()])],
        );
        assert_eq!(
            doc,
            json!({"data": {"type": "maxscale", "id": "maxscale",
                "attributes": {"parameters": {"passive": false}}}, "links": {"self": "s"}})
        );
    }

    #[test]
    fn typed_values() {
        assert_eq!(typed(Some(&json!(false)), "yes"), json!(true));
        assert_eq!(typed(Some(&json!(1)), "5"), json!(5));
        assert_eq!(typed(Some(&json!("3000ms")), "5s"), json!("5000ms"));
        assert_eq!(typed(None, "x"), json!("x"));
    }
}
