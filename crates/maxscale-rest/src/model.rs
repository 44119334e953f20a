//! Typed, version-tolerant views of MaxScale's JSON:API documents.
//!
//! Only what an HA agent needs is read; unknown fields are ignored, every field is optional
//! (missing in some version ⇒ `None`/empty), and fields whose JSON type changed between versions
//! (`passive`, `port`) are read leniently.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;

use crate::version::Version;

/// `GET /v1/maxscale`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaxScaleInfo {
    /// `data.attributes.version` as sent (`"24.02.3"`).
    pub version_text: Option<String>,
    /// The same, parsed; `None` when absent or unparsable.
    pub version: Option<Version>,
    pub commit: Option<String>,
    /// Seconds since start.
    pub uptime: Option<u64>,
    /// `parameters.passive`.
    pub passive: Option<bool>,
    /// `parameters.config_sync_cluster` (6.0+): the monitor whose servers store the synced
    /// configuration; `None` when sync is off.
    pub config_sync_cluster: Option<String>,
    /// Whether `config_sync` is a non-null object (6.0+): synchronisation is on, and a PATCH of
    /// `passive` would be pushed to every MaxScale of the cluster.
    pub config_sync: bool,
}

impl MaxScaleInfo {
    /// Configuration sync is on: `passive` is a cluster-wide value.
    pub fn config_sync_on(&self) -> bool {
        self.config_sync || self.config_sync_cluster.is_some()
    }
}

/// The flags of a server's `state` (`"Master, Running"`), a set; never compare the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerState {
    flags: BTreeSet<String>,
    text: String,
}

impl ServerState {
    pub fn parse(text: &str) -> ServerState {
        ServerState {
            flags: text
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect(),
            text: text.to_string(),
        }
    }
    pub fn has(&self, flag: &str) -> bool {
        self.flags.contains(flag)
    }
    pub fn flags(&self) -> impl Iterator<Item = &str> {
        self.flags.iter().map(String::as_str)
    }
    pub fn is_running(&self) -> bool {
        self.has("Running") && !self.has("Down")
    }
    pub fn is_master(&self) -> bool {
        self.has("Master")
    }
    pub fn in_maintenance(&self) -> bool {
        self.has("Maintenance")
    }
    /// The text as MaxScale sent it.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One entry of `GET /v1/servers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Server {
    pub name: String,
    pub state: ServerState,
    pub address: Option<String>,
    pub port: Option<u16>,
}

/// One entry of `GET /v1/monitors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Monitor {
    pub name: String,
    /// `mariadbmon`, `galeramon`, …
    pub module: Option<String>,
    /// `"Running"` / `"Stopped"`.
    pub state: Option<String>,
    /// `monitor_diagnostics.primary` (mariadbmon 2.5+): `Some(_)` when cooperative monitoring
    /// locks are on (true: this MaxScale holds the majority of locks), `None` when they are off.
    pub primary: Option<bool>,
    /// `monitor_diagnostics.master`: the server the monitor considers the primary.
    pub master: Option<String>,
    /// Names of the monitored servers (relationships).
    pub servers: Vec<String>,
}

impl Monitor {
    pub fn is_running(&self) -> bool {
        self.state.as_deref() == Some("Running")
    }
    /// Cooperative monitoring locks are on for this monitor.
    pub fn cooperative_locks(&self) -> bool {
        self.primary.is_some()
    }
}

/// One entry of `GET /v1/services`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    /// `"Started"`, `"Stopped"`, `"Failed"`, `"Allocated"`.
    pub state: Option<String>,
    pub router: Option<String>,
}

/// One entry of `GET /v1/listeners` (2.5+).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listener {
    pub name: String,
    /// `"Running"`, `"Stopped"`, `"Failed"`, …
    pub state: Option<String>,
    pub port: Option<u16>,
    pub service: Option<String>,
}

// ---- wire format -------------------------------------------------------------------------

#[derive(Deserialize)]
pub(crate) struct Document<T> {
    pub data: T,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "A: Deserialize<'de> + Default"))]
pub(crate) struct Resource<A> {
    #[serde(default)]
    pub id: String,
    #[serde(default = "default_of")]
    pub attributes: A,
    #[serde(default)]
    pub relationships: Relationships,
}

fn default_of<A: Default>() -> A {
    A::default()
}

#[derive(Deserialize, Default)]
pub(crate) struct Relationships {
    #[serde(default)]
    servers: Option<RelationshipList>,
    #[serde(default)]
    services: Option<RelationshipList>,
}

#[derive(Deserialize, Default)]
struct RelationshipList {
    #[serde(default, deserialize_with = "null_as_default")]
    data: Vec<RelationshipRef>,
}

#[derive(Deserialize, Default)]
struct RelationshipRef {
    #[serde(default)]
    id: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct MaxScaleAttributes {
    #[serde(default, deserialize_with = "lenient_string")]
    version: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    commit: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    uptime: Option<u64>,
    #[serde(default, deserialize_with = "null_as_default")]
    parameters: MaxScaleParameters,
    #[serde(default)]
    config_sync: Option<Value>,
}

#[derive(Deserialize, Default)]
struct MaxScaleParameters {
    #[serde(default, deserialize_with = "lenient_bool")]
    passive: Option<bool>,
    #[serde(default, deserialize_with = "lenient_string")]
    config_sync_cluster: Option<String>,
}

impl From<Resource<MaxScaleAttributes>> for MaxScaleInfo {
    fn from(r: Resource<MaxScaleAttributes>) -> Self {
        let a = r.attributes;
        MaxScaleInfo {
            version: a.version.as_deref().and_then(|v| v.parse().ok()),
            version_text: a.version,
            commit: a.commit,
            uptime: a.uptime,
            passive: a.parameters.passive,
            config_sync_cluster: a.parameters.config_sync_cluster.filter(|c| !c.is_empty()),
            config_sync: matches!(a.config_sync, Some(Value::Object(_))),
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ServerAttributes {
    #[serde(default, deserialize_with = "lenient_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    parameters: AddressParameters,
}

#[derive(Deserialize, Default)]
struct AddressParameters {
    #[serde(default, deserialize_with = "lenient_string")]
    address: Option<String>,
    #[serde(default, deserialize_with = "lenient_port")]
    port: Option<u16>,
    #[serde(default, deserialize_with = "lenient_string")]
    service: Option<String>,
}

impl From<Resource<ServerAttributes>> for Server {
    fn from(r: Resource<ServerAttributes>) -> Self {
        Server {
            name: r.id,
            state: ServerState::parse(r.attributes.state.as_deref().unwrap_or("")),
            address: r.attributes.parameters.address,
            port: r.attributes.parameters.port,
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct MonitorAttributes {
    #[serde(default, deserialize_with = "lenient_string")]
    module: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    monitor_diagnostics: MonitorDiagnostics,
}

#[derive(Deserialize, Default)]
struct MonitorDiagnostics {
    #[serde(default, deserialize_with = "lenient_bool")]
    primary: Option<bool>,
    #[serde(default, deserialize_with = "lenient_string")]
    master: Option<String>,
}

impl From<Resource<MonitorAttributes>> for Monitor {
    fn from(r: Resource<MonitorAttributes>) -> Self {
        Monitor {
            name: r.id,
            module: r.attributes.module,
            state: r.attributes.state,
            primary: r.attributes.monitor_diagnostics.primary,
            master: r.attributes.monitor_diagnostics.master,
            servers: r
                .relationships
                .servers
                .map(|l| l.data.into_iter().map(|s| s.id).collect())
                .unwrap_or_default(),
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ServiceAttributes {
    #[serde(default, deserialize_with = "lenient_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    router: Option<String>,
}

impl From<Resource<ServiceAttributes>> for Service {
    fn from(r: Resource<ServiceAttributes>) -> Self {
        Service {
            name: r.id,
            state: r.attributes.state,
            router: r.attributes.router,
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ListenerAttributes {
    #[serde(default, deserialize_with = "lenient_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    parameters: AddressParameters,
}

impl From<Resource<ListenerAttributes>> for Listener {
    fn from(r: Resource<ListenerAttributes>) -> Self {
        let service = r.attributes.parameters.service.or_else(|| {
            r.relationships
                .services
                .and_then(|l| l.data.into_iter().next().map(|s| s.id))
        });
        Listener {
            name: r.id,
            state: r.attributes.state,
            port: r.attributes.parameters.port,
            service,
        }
    }
}

/// `{"errors":[{"detail":"…"}]}`: the details joined with "; ", if any.
pub(crate) fn error_detail(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<ErrorEntry>,
        // API.md's own example uses a singular object; accept it too.
        #[serde(default)]
        error: Option<ErrorEntry>,
    }
    #[derive(Deserialize)]
    struct ErrorEntry {
        #[serde(default, deserialize_with = "lenient_string")]
        detail: Option<String>,
    }
    let e: Errors = serde_json::from_slice(body).ok()?;
    let details: Vec<String> = e
        .errors
        .into_iter()
        .chain(e.error)
        .filter_map(|d| d.detail)
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .collect();
    (!details.is_empty()).then(|| cut(details.join("; "), DETAIL_MAX))
}

/// The most of MaxScale's `errors[].detail` kept: its messages are a line or two; a peer that
/// sends a megabyte must not put it into every log line and reason.
pub const DETAIL_MAX: usize = 1024;

/// At most `max` bytes, cut at a character boundary, "..." when cut.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max - 3;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

/// Why a body could not be read as the expected document.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// Not JSON at all.
    NotJson(String),
    /// JSON, but not the expected shape.
    Shape(String),
}

/// What `data` must be: JSON:API single resources are objects with `attributes`, collections
/// arrays of objects. Checked before serde, which would accept an array for a struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Single,
    Collection,
}

pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], shape: Shape) -> Result<T, DecodeError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let excerpt: String = String::from_utf8_lossy(body)
            .chars()
            .take(60)
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        DecodeError::NotJson(format!("{e} (body starts {excerpt:?})"))
    })?;
    check_shape(&value, shape)?;
    serde_json::from_value(value).map_err(|e| DecodeError::Shape(e.to_string()))
}

fn check_shape(value: &Value, shape: Shape) -> Result<(), DecodeError> {
    let bad = |m: &str| Err(DecodeError::Shape(m.to_string()));
    let Some(data) = value.get("data") else {
        return bad("no 'data' member");
    };
    match shape {
        Shape::Single => match data.get("attributes") {
            Some(Value::Object(_)) => Ok(()),
            _ => bad("'data' is not a resource object with attributes"),
        },
        Shape::Collection => match data {
            Value::Array(items)
                if items
                    .iter()
                    .all(|i| i.get("id").is_some_and(Value::is_string)) =>
            {
                Ok(())
            }
            Value::Array(_) => bad("a member of 'data' is not a resource object with an id"),
            _ => bad("'data' is not an array"),
        },
    }
}

// ---- lenient field readers -----------------------------------------------------------------

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some(true),
            "false" | "no" | "off" | "0" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_u64().map(|n| n != 0),
        _ => None,
    })
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    Ok(lenient_u64(d)?.and_then(|p| u16::try_from(p).ok()))
}

#[cfg(test)]
mod tests;
