//! Request handling: the MaxScale REST API (`/v1/...`, prefix optional) and the simulator's
//! own steering endpoints (`/sim/...`).
//!
//! The order of checks follows MaxScale's `Client::handle`: shutting down (503) → GUI files
//! (served without authentication) → authentication (401) → malformed JSON body (400) →
//! write access (403) → resource routing (unknown path or method: empty 404).

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use crate::config::{self, Fault, MonitorModule};
use crate::docs;
use crate::http::{Request, Response};
use crate::log;
use crate::profile::Profile;
use crate::state::{
    self, ListenerState, Runtime, ServiceState, Sim, DRAINING, MAINT, MASTER, RUNNING, SLAVE,
    SYNCED,
};
use crate::time;

/// What the connection handler should do.
pub enum Outcome {
    Respond(Response),
    /// Fault `hang`: keep the connection open and never answer.
    Hang,
    /// Fault `endless`/`endless-length`: a 200 whose body never ends.
    Endless {
        content_length: bool,
    },
    /// Fault `trickle:<ms>`: this answer, its body a byte every `ms` milliseconds.
    Trickle(Response, u64),
}

// Fixed bodies that MaxScale queues directly on libmicrohttpd (compact, no Content-Type).
const SHUTTING_DOWN: &str = r#"{"errors": [ { "detail": "MaxScale is shutting down" } ] }"#;
const ACCESS_DENIED: &str = r#"{"errors": [ { "detail": "Access denied" } ] }"#;
const NOT_ADMIN: &str = r#"{"errors": [ { "detail": "Administrative access required" } ] }"#;

const GUI_NOT_SECURE: &str = "\n<!DOCTYPE html>\n<html>\n  <head>\n    <meta charset=\"UTF-8\">\n    \
<title>Connection Not Secure</title>\n  </head>\n  <body>\n    <p>\n      The MaxScale GUI requires HTTPS \
to work, please enable it by configuring the admin_ssl_key and admin_ssl_cert parameters.\n      To allow \
insecure use of the GUI, add <code>admin_secure_gui=false</code> under the <code>[maxscale]</code> \
section.\n      To disable the GUI completely, add  <code>admin_gui=false</code> under the \
<code>[maxscale]</code> section.\n    </p>\n  </body>\n</html>\n";

const GUI_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>MaxScale GUI</title></head>\
<body><p>maxscale-sim: the MaxScale GUI is not simulated.</p></body></html>\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Account {
    Admin,
    Basic,
}

fn maxscale_headers(r: Response) -> Response {
    r.header("X-Frame-Options", "Deny")
        .header("X-XSS-Protection", "1")
        .header("Referrer-Policy", "same-origin")
        .header("Cache-Control", "no-cache")
}

fn empty(status: u16) -> Response {
    maxscale_headers(Response::new(status))
}

fn json_response(status: u16, v: &Value, pretty: bool) -> Response {
    maxscale_headers(
        Response::new(status).with_body(docs::render(v, pretty), Some("application/json")),
    )
}

fn error(status: u16, details: &[String]) -> Response {
    json_response(status, &docs::errors(details), true)
}

fn text(status: u16, body: impl Into<String>) -> Response {
    let mut b: String = body.into();
    if !b.is_empty() && !b.ends_with('\n') {
        b.push('\n');
    }
    Response::new(status).with_body(b, Some("text/plain"))
}

fn unauthorized(req: &Request) -> Response {
    let r = Response::new(401).with_body(ACCESS_DENIED, None).mhd();
    let xhr = req
        .header("X-Requested-With")
        .is_some_and(|v| v.eq_ignore_ascii_case("XMLHttpRequest"));
    if xhr {
        r
    } else {
        r.header("WWW-Authenticate", "Basic realm=\"maxscale\"")
    }
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.trim().bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap_or(0));
        }
    }
    Some(out)
}

fn credentials(req: &Request) -> Option<(String, String)> {
    let h = req.header("Authorization")?;
    let (scheme, rest) = h.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = String::from_utf8(decode_base64(rest)?).ok()?;
    let (u, p) = raw.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn authenticate(sim: &Sim, req: &Request) -> Result<Account, Response> {
    let g = &sim.cfg.global;
    if !g.admin_auth {
        return Ok(Account::Admin);
    }
    let creds = credentials(req);
    if let Some((u, p)) = &creds {
        if *u == g.admin_user && *p == g.admin_password {
            return Ok(Account::Admin);
        }
        if let Some((bu, bp)) = &g.basic_user {
            if u == bu && p == bp {
                return Ok(Account::Basic);
            }
        }
    }
    let user = creds.map(|(u, _)| u).unwrap_or_default();
    log::warning(&format!(
        "Authentication failed for '{user}', using password. Request: {} {}",
        req.method,
        req.path()
    ));
    Err(unauthorized(req))
}

fn modifies(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// Jansson-like wording for a JSON parse error.
fn json_error_text(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "unexpected token near end of file".to_string(),
        _ => format!("invalid token near line {} column {}", e.line(), e.column()),
    }
}

/// Handle one request.
pub fn handle(sim: &Sim, req: &Request) -> Outcome {
    if sim.shutting_down.load(Ordering::SeqCst) {
        return Outcome::Respond(Response::new(503).with_body(SHUTTING_DOWN, None).mhd());
    }
    if req.segments.first().map(String::as_str) == Some("sim") {
        return Outcome::Respond(match authenticate(sim, req) {
            Ok(Account::Admin) => sim_route(sim, req),
            Ok(Account::Basic) if req.method == "GET" => sim_route(sim, req),
            Ok(Account::Basic) => text(403, "administrative access required"),
            Err(r) => r,
        });
    }
    let fault = sim.lock().fault.clone();
    match fault {
        Fault::None => {}
        Fault::Hang => return Outcome::Hang,
        Fault::Slow(ms) => std::thread::sleep(Duration::from_millis(ms)),
        Fault::Status(code) => {
            let detail = format!("Simulated fault: HTTP {code}");
            return Outcome::Respond(error(code, &[detail]));
        }
        Fault::Garbage => {
            return Outcome::Respond(maxscale_headers(Response::new(200).with_body(
                "<html><body>502 garbage \x01\x02 not json",
                Some("application/json"),
            )))
        }
        Fault::BadJson => {
            return Outcome::Respond(json_response(200, &serde_json::json!({"data": []}), true))
        }
        Fault::RefuseAuth => return Outcome::Respond(unauthorized(req)),
        Fault::Endless { content_length } => return Outcome::Endless { content_length },
        Fault::Trickle(ms) => return Outcome::Trickle(api(sim, req), ms),
        Fault::Detail(kind, code) => return Outcome::Respond(error(code, &[kind.text()])),
    }
    Outcome::Respond(api(sim, req))
}

fn api(sim: &Sim, req: &Request) -> Response {
    let g = &sim.cfg.global;
    // GUI: `GET /` is answered from the GUI files before any authentication.
    if g.admin_gui && req.segments.is_empty() && matches!(req.method.as_str(), "GET" | "HEAD") {
        let page = if g.admin_secure_gui {
            GUI_NOT_SECURE
        } else {
            GUI_PAGE
        };
        return Response::new(200)
            .with_body(page, Some("text/html"))
            .header("Cache-Control", "public, no-cache")
            .header("X-Frame-Options", "Deny")
            .header("X-XSS-Protection", "1")
            .header("Referrer-Policy", "same-origin");
    }
    let account = match authenticate(sim, req) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let json_body = if req.body.is_empty() {
        None
    } else {
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(v) => Some(v),
            Err(e) => {
                let msg = format!(
                    "{{\"errors\": [ {{ \"detail\": \"Invalid JSON in request: {}\" }} ] }}",
                    json_error_text(&e)
                );
                return Response::new(400).with_body(msg, None).mhd();
            }
        }
    };
    if modifies(&req.method) && account == Account::Basic {
        return if g.profile.read_only_write_status() == 403 {
            Response::new(403).with_body(NOT_ADMIN, None).mhd()
        } else {
            unauthorized(req)
        };
    }
    route(sim, req, json_body.as_ref())
}

fn not_a(name: &str, what: &str) -> Response {
    error(404, &[format!("{name} is not a {what}")])
}

fn base_url(sim: &Sim, req: &Request, v1: bool) -> String {
    let host = req.header("Host").map(str::to_string).unwrap_or_else(|| {
        format!(
            "{}:{}",
            sim.cfg.global.admin_host, sim.cfg.global.admin_port
        )
    });
    format!("http://{host}/{}", if v1 { "v1/" } else { "" })
}

fn fieldsets(req: &Request) -> Vec<(String, Vec<String>)> {
    req.query
        .iter()
        .filter_map(|(k, v)| {
            let ty = k.strip_prefix("fields[")?.strip_suffix(']')?;
            Some((ty.to_string(), v.split(',').map(str::to_string).collect()))
        })
        .collect()
}

fn pretty(req: &Request) -> bool {
    !req.query_value("pretty")
        .is_some_and(|v| matches!(v, "false" | "no" | "0" | "off"))
}

/// A GET answer: sparse fieldsets, pretty/compact, ETag and Last-Modified, `If-None-Match`.
fn get_doc(req: &Request, rt: &Runtime, mut doc: Value) -> Response {
    docs::apply_fieldsets(&mut doc, &fieldsets(req));
    let etag = format!("\"{}\"", rt.generation);
    if req.header("If-None-Match") == Some(etag.as_str()) {
        return empty(304).header("ETag", etag);
    }
    json_response(200, &doc, pretty(req))
        .header("ETag", etag)
        .header("Last-Modified", time::http_date(rt.last_modified))
}

fn route(sim: &Sim, req: &Request, body: Option<&Value>) -> Response {
    let profile = &sim.cfg.global.profile;
    let (v1, segs) = match req.segments.first().map(String::as_str) {
        Some("v1") => (true, &req.segments[1..]),
        _ => (false, &req.segments[..]),
    };
    if !v1 && !profile.v1_optional() {
        return empty(404);
    }
    let base = base_url(sim, req, v1);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = if req.method == "HEAD" {
        "GET"
    } else {
        req.method.as_str()
    };
    let mut rt = sim.lock();
    let rt = &mut *rt;

    match (method, segs.as_slice()) {
        ("GET", []) => empty(200),
        ("GET", ["maxscale"]) => get_doc(req, rt, docs::maxscale(sim, rt, &base)),
        ("PATCH", ["maxscale"]) => patch_maxscale(sim, rt, body),
        ("GET", ["maxscale", "threads"]) => get_doc(req, rt, docs::threads(sim, &base)),
        ("GET", ["maxscale", "threads", id]) => match id.parse::<usize>() {
            Ok(i) if i < sim.cfg.global.threads => get_doc(req, rt, docs::one_thread(&base, i)),
            _ => not_a(id, "thread"),
        },

        ("GET", ["servers"]) => get_doc(req, rt, docs::servers(sim, rt, &base)),
        ("GET", ["servers", name]) => match rt.server(name) {
            Some(s) => get_doc(req, rt, docs::server(sim, rt, s, &base)),
            None => not_a(name, "server"),
        },
        ("PUT", ["servers", name, op @ ("set" | "clear")]) => {
            set_server_state(rt, name, *op == "set", req.query_value("state"))
        }

        ("GET", ["monitors"]) => get_doc(req, rt, docs::monitors(sim, rt, &base)),
        ("GET", ["monitors", name]) => match rt.monitors.iter().find(|m| m.cfg.name == *name) {
            Some(m) => get_doc(req, rt, docs::monitor(sim, rt, m, &base)),
            None => not_a(name, "monitor"),
        },
        ("PUT", ["monitors", name, op @ ("start" | "stop")]) => match rt.monitor_mut(name) {
            Some(m) => {
                if *op == "start" {
                    m.start();
                } else {
                    m.stop();
                }
                rt.touch();
                empty(204)
            }
            None => not_a(name, "monitor"),
        },

        ("GET", ["services"]) => get_doc(req, rt, docs::services(sim, rt, &base)),
        ("GET", ["services", name]) => match rt.services.iter().find(|s| s.cfg.name == *name) {
            Some(s) => get_doc(req, rt, docs::service(sim, rt, s, &base)),
            None => not_a(name, "service"),
        },
        ("GET", ["services", name, "listeners"]) => {
            if rt.services.iter().any(|s| s.cfg.name == *name) {
                get_doc(req, rt, docs::listeners(sim, rt, &base, Some(name)))
            } else {
                not_a(name, "service")
            }
        }
        ("GET", ["services", name, "listeners", l]) => {
            if !rt.services.iter().any(|s| s.cfg.name == *name) {
                not_a(name, "service")
            } else if let Some(lr) = rt
                .listeners
                .iter()
                .find(|x| x.cfg.name == *l && x.cfg.service == *name)
            {
                let link = format!("{base}services/{name}/listeners/{l}/");
                get_doc(req, rt, docs::listener(sim, lr, &base, link))
            } else {
                empty(404)
            }
        }
        ("PUT", ["services", name, op @ ("start" | "stop")]) => {
            let start = *op == "start";
            let Some(svc) = rt.services.iter_mut().find(|s| s.cfg.name == *name) else {
                return not_a(name, "service");
            };
            if svc.state != ServiceState::Failed {
                svc.state = if start {
                    ServiceState::Started
                } else {
                    ServiceState::Stopped
                };
            }
            for l in rt.listeners.iter_mut().filter(|l| l.cfg.service == *name) {
                if l.state != ListenerState::Failed {
                    l.state = if start {
                        ListenerState::Running
                    } else {
                        ListenerState::Stopped
                    };
                }
            }
            rt.touch();
            empty(204)
        }

        ("GET", ["listeners"]) if profile.has_listeners_endpoint() => {
            get_doc(req, rt, docs::listeners(sim, rt, &base, None))
        }
        ("GET", ["listeners", name]) if profile.has_listeners_endpoint() => {
            match rt.listeners.iter().find(|l| l.cfg.name == *name) {
                Some(l) => {
                    let link = format!("{base}listeners/{name}/");
                    get_doc(req, rt, docs::listener(sim, l, &base, link))
                }
                None => not_a(name, "listener"),
            }
        }
        ("PUT", ["listeners", name, op @ ("start" | "stop")])
            if profile.has_listeners_endpoint() =>
        {
            let Some(l) = rt.listeners.iter_mut().find(|l| l.cfg.name == *name) else {
                return not_a(name, "listener");
            };
            if l.state != ListenerState::Failed {
                l.state = if *op == "start" {
                    ListenerState::Running
                } else {
                    ListenerState::Stopped
                };
            }
            rt.touch();
            empty(204)
        }

        ("GET", ["filters"]) => get_doc(req, rt, docs::filters(sim, &base)),
        ("GET", ["filters", name]) => match sim.cfg.filters.iter().find(|f| f.name == *name) {
            Some(f) => get_doc(req, rt, docs::filter(&f.name, &f.module, &base)),
            None => not_a(name, "filter"),
        },
        ("GET", ["sessions"]) => get_doc(req, rt, docs::sessions(&base)),

        _ => empty(404),
    }
}

fn set_server_state(rt: &mut Runtime, name: &str, set: bool, state: Option<&str>) -> Response {
    let Some(idx) = rt.servers.iter().position(|s| s.name == name) else {
        return not_a(name, "server");
    };
    let bit = match state {
        Some("maintenance") => MAINT,
        Some("drain") => DRAINING,
        Some("master") => MASTER,
        Some("slave") => SLAVE,
        Some("running") => RUNNING,
        Some("synced") => SYNCED,
        _ => {
            return error(
                400,
                &["Invalid or missing value for the `state` parameter".to_string()],
            )
        }
    };
    let monitor_module = rt.servers[idx]
        .monitor
        .as_ref()
        .and_then(|m| rt.monitors.iter().find(|x| &x.cfg.name == m))
        .map(|m| m.cfg.module);
    let s = &mut rt.servers[idx];
    if bit & (MAINT | DRAINING) != 0 {
        if set {
            let primary = s.flags & (MASTER | RUNNING) == MASTER | RUNNING;
            if monitor_module == Some(MonitorModule::MariaDb) && primary {
                return error(
                    400,
                    &["The server is primary, so it cannot be set in maintenance or draining mode. \
                       First perform a switchover and then retry the operation."
                        .to_string()],
                );
            }
            s.admin |= bit;
        } else {
            s.admin &= !bit;
            s.flags &= !bit;
        }
    } else {
        if monitor_module.is_some() {
            let verb = if set { "set" } else { "clear" };
            return error(
                400,
                &[format!(
                    "Cannot {verb} server '{name}' state: The server is monitored, so only the \
                     maintenance and drain status can be set manually. Status was not modified."
                )],
            );
        }
        let new = if set { s.flags | bit } else { s.flags & !bit };
        s.set_flags(new);
    }
    rt.touch();
    empty(204)
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "a json object",
        Value::Array(_) => "a json array",
        Value::String(_) => "a json string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "a json integer",
        Value::Number(_) => "a json real",
        Value::Bool(_) => "a json boolean",
        Value::Null => "a json null",
    }
}

/// Value a PATCH of `key` would store, or the error text.
fn patched_value(profile: &Profile, key: &str, v: &Value) -> Result<Value, String> {
    if !config::GLOBAL_PARAMS.contains(&key) || key.starts_with("sim_") || !profile.shows_param(key)
    {
        return Err(format!("maxscale: The parameter '{key}' is unrecognized."));
    }
    if config::GLOBAL_STATIC_PARAMS.contains(&key) {
        return Err(format!(
            "maxscale: The parameter '{key}' cannot be modified at runtime."
        ));
    }
    if config::GLOBAL_BOOL_PARAMS.contains(&key) {
        return match v {
            Value::Bool(_) => Ok(v.clone()),
            // 2.2-2.4 went through strings, so "true" and "yes" were accepted.
            Value::String(s) if !profile.passive_needs_bool() => config::truth(s)
                .map(Value::Bool)
                .ok_or_else(|| format!("Invalid value for '{key}': {s}")),
            _ => Err(format!(
                "{key}: Expected a json boolean, but got {}.",
                json_type_name(v)
            )),
        };
    }
    if config::GLOBAL_INT_PARAMS.contains(&key) {
        return match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
            _ => Err(format!(
                "{key}: Expected a json integer, but got {}.",
                json_type_name(v)
            )),
        };
    }
    match v {
        Value::String(_) | Value::Number(_) | Value::Array(_) | Value::Object(_) => Ok(v.clone()),
        _ => Err(format!(
            "{key}: Expected a json string, but got {}.",
            json_type_name(v)
        )),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// The text of `<persistdir>/maxscale.cnf` for these parameters: `[maxscale]` and a line for
/// each parameter whose value differs from MaxScale's default (what was seen on 24.02.3:
/// `admin_gui=false`, `admin_secure_gui=false`, `passive=true` from a configuration that set
/// the two GUI keys). Values the simulator derives from its run (paths, threads, port) and
/// masked passwords are left out.
fn persisted_text(
    params: &serde_json::Map<String, Value>,
    defaults: &serde_json::Map<String, Value>,
) -> String {
    let mut text = String::from("[maxscale]\n");
    for (k, v) in params {
        let derived = docs::DERIVED_GLOBAL_PARAMS.contains(&k.as_str());
        if derived || v == &Value::String("*****".into()) || defaults.get(k) == Some(v) {
            continue;
        }
        if v.is_null() {
            continue;
        }
        text.push_str(&format!("{k}={}\n", value_text(v)));
    }
    text
}

/// Whether this PATCH would be saved: `persist_runtime_changes` (22.08+; before, always) and
/// no configuration synchronization (config_runtime.cc `should_save`).
fn persisting(sim: &Sim, params: &serde_json::Map<String, Value>) -> bool {
    let sync = params
        .get("config_sync_cluster")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.is_empty());
    let persist = !sim.cfg.global.profile.has_persist_runtime_changes()
        || params
            .get("persist_runtime_changes")
            .and_then(Value::as_bool)
            .unwrap_or(true);
    persist && !sync
}

enum Saved {
    /// The file was written; true when it did not exist before.
    Written { created: bool },
    /// The runtime state equals the static configuration again: the file was removed.
    Removed,
}

/// Save the runtime `[maxscale]` values after a PATCH that changed something: the persisted file
/// is rewritten, or removed when nothing differs from the static configuration any more.
fn persist(sim: &Sim, rt: &Runtime) -> Result<Saved, String> {
    let path = sim.paths.dirs.persistdir.join("maxscale.cnf");
    let now = docs::parameters(sim, &rt.overrides, rt.passive);
    let static_cfg = docs::parameters(sim, &Default::default(), sim.cfg.global.passive);
    let existed = path.exists();
    if now == static_cfg {
        if existed {
            std::fs::remove_file(&path).map_err(|e| {
                format!(
                    "Failed to remove '{}': {}",
                    path.display(),
                    crate::errno_text(&e)
                )
            })?;
        }
        return Ok(Saved::Removed);
    }
    let Value::Object(now) = now else {
        return Err("parameters are not an object".into());
    };
    let text = persisted_text(&now, &docs::builtin_defaults(sim));
    let tmp = sim.paths.dirs.persistdir.join(".maxscale.cnf.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| {
            format!(
                "Failed to save config: {}: {}",
                path.display(),
                crate::errno_text(&e)
            )
        })?;
    Ok(Saved::Written { created: !existed })
}

fn patch_maxscale(sim: &Sim, rt: &mut Runtime, body: Option<&Value>) -> Response {
    let profile = &sim.cfg.global.profile;
    let fail_status = profile.patch_failure_status();
    let Some(body) = body else {
        return error(400, &["Missing request body".to_string()]);
    };
    let Some(data) = body.get("data").filter(|d| d.is_object()) else {
        return error(
            fail_status,
            &["The '/data' field is not an object".to_string()],
        );
    };
    let params = match data.get("attributes") {
        None | Some(Value::Null) => None,
        Some(Value::Object(a)) => match a.get("parameters") {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => Some(p.clone()),
            Some(_) => {
                return error(
                    fail_status,
                    &["The '/data/attributes/parameters' field is not an object".to_string()],
                )
            }
        },
        Some(_) => {
            return error(
                fail_status,
                &["The '/data/attributes' field is not an object".to_string()],
            )
        }
    };
    let mut changes = Vec::new();
    let mut errs = Vec::new();
    for (k, v) in params.iter().flatten() {
        if v.is_null() {
            continue; // null parameters are dropped before processing, as in MaxScale
        }
        match patched_value(profile, k, v) {
            Ok(val) => changes.push((k.clone(), val)),
            Err(e) => errs.push(e),
        }
    }
    if !errs.is_empty() {
        return error(fail_status, &errs);
    }
    let Value::Object(before) = docs::global_parameters(sim, rt) else {
        return error(500, &["parameters are not an object".to_string()]);
    };
    // A PATCH to the values the instance already has changes nothing and saves nothing.
    let changed = changes.iter().any(|(k, v)| before.get(k) != Some(v));
    let mut resp = empty(204);
    if !changed {
        return resp;
    }
    for (k, v) in &changes {
        if k == "passive" {
            let new = v.as_bool().unwrap_or(false);
            if rt.passive && !new {
                rt.activated_at = time::now();
            }
            if rt.passive != new {
                rt.passive = new;
                crate::journal::record("change", new);
            }
        } else {
            rt.overrides.insert(k.clone(), v.clone());
        }
    }
    rt.touch();
    let Value::Object(after) = docs::global_parameters(sim, rt) else {
        return resp;
    };
    if persisting(sim, &after) {
        match persist(sim, rt) {
            Ok(Saved::Written { created }) => {
                let msg = format!(
                    "Saving runtime modifications to 'maxscale' in '{}'. The modified values \
                     will override the values found in the static configuration files.",
                    sim.paths.dirs.persistdir.join("maxscale.cnf").display()
                );
                // runtime_save_config: the warning goes with every save, the log line only
                // when the file is new.
                if created {
                    log::warning(&msg);
                }
                resp = resp.header("Mxs-Warning", msg);
            }
            Ok(Saved::Removed) => {}
            Err(e) => log::error(&e),
        }
    }
    resp
}

// ---------------------------------------------------------------------------------------------
// /sim

fn body_text(req: &Request) -> String {
    String::from_utf8_lossy(&req.body).trim().to_string()
}

fn sim_route(sim: &Sim, req: &Request) -> Response {
    let segs: Vec<&str> = req.segments[1..].iter().map(String::as_str).collect();
    let mut rt = sim.lock();
    let rt = &mut *rt;
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["fault"]) => text(200, rt.fault.describe()),
        ("PUT", ["fault"]) => match Fault::parse(&body_text(req)) {
            Some(f) => {
                log::notice(&format!("[sim] fault set to '{}'", f.describe()));
                rt.fault = f;
                Response::new(204)
            }
            None => text(
                400,
                "fault must be one of: none, hang, slow:<ms>, status:<code>, garbage, badjson, \
                 refuse-auth, endless, endless-length, trickle:<ms>, \
                 detail:<1mb|esc|nul|crlf|marker>[:<code>]",
            ),
        },
        ("GET", ["servers", name, "state"]) => match rt.server(name) {
            Some(s) => text(200, s.state_string()),
            None => text(404, format!("{name} is not a server")),
        },
        ("PUT", ["servers", name, "state"]) => {
            let flags = match state::parse_state(&body_text(req)) {
                Ok(f) => f,
                Err(e) => return text(400, e),
            };
            let Some(s) = rt.server_mut(name) else {
                return text(404, format!("{name} is not a server"));
            };
            s.admin = 0;
            s.set_flags(flags);
            log::notice(&format!(
                "[sim] server '{name}' state set to '{}'",
                s.state_string()
            ));
            rt.refresh_topology();
            rt.touch();
            Response::new(204)
        }
        ("PUT", ["monitors", name, "state"]) => {
            let want = body_text(req);
            let Some(m) = rt.monitor_mut(name) else {
                return text(404, format!("{name} is not a monitor"));
            };
            match want.as_str() {
                "Running" | "running" => m.start(),
                "Stopped" | "stopped" => m.stop(),
                _ => return text(400, "monitor state must be Running or Stopped"),
            }
            rt.touch();
            Response::new(204)
        }
        ("PUT", ["monitors", name, "primary"]) => {
            let Some(v) = config::truth(&body_text(req)) else {
                return text(400, "primary must be true or false");
            };
            let Some(m) = rt.monitor_mut(name) else {
                return text(404, format!("{name} is not a monitor"));
            };
            m.primary = v;
            rt.touch();
            Response::new(204)
        }
        ("GET", ["passive"]) => text(200, rt.passive.to_string()),
        _ => text(404, "unknown /sim endpoint"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(
            decode_base64("YWRtaW46bWFyaWFkYg==").unwrap(),
            b"admin:mariadb"
        );
        assert_eq!(decode_base64("YQ").unwrap(), b"a");
        assert!(decode_base64("**").is_none());
    }

    #[test]
    fn fixed_bodies() {
        // The observed 401 body is exactly 46 bytes.
        assert_eq!(ACCESS_DENIED.len(), 46);
    }

    #[test]
    fn patch_values() {
        let v = Profile::parse("24.02.3").unwrap();
        assert_eq!(
            patched_value(&v, "passive", &serde_json::json!("yes")).unwrap_err(),
            "passive: Expected a json boolean, but got a json string."
        );
        assert_eq!(
            patched_value(&v, "nosuchparam", &serde_json::json!(1)).unwrap_err(),
            "maxscale: The parameter 'nosuchparam' is unrecognized."
        );
        assert_eq!(
            patched_value(&v, "threads_max", &serde_json::json!(1)).unwrap_err(),
            "maxscale: The parameter 'threads_max' cannot be modified at runtime."
        );
        let old = Profile::parse("2.4.19").unwrap();
        assert_eq!(
            patched_value(&old, "passive", &serde_json::json!("true")).unwrap(),
            Value::Bool(true)
        );
    }
}
