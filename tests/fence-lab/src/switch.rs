//! `lab-switch`: the lab's power switch, run on the host (outside every node), serving one
//! request at a time on a unix socket, as a power distribution unit would.
//!
//! Per node it keeps the power state and the faults typed by the user (`lab cut`: both
//! ports, `lab partition`: the ring port). A port is up exactly when the node is powered on
//! and the port is not faulted, so a fenced node that was partitioned boots partitioned,
//! and `lab heal` of a powered-off node leaves its ports down.
//!
//! Off: power state off, ports down, every process of the node killed at once (see
//! [`crate::plant::kill_everything`]), its addresses forgotten (kernel memory does not survive
//! a power cycle), then verified: the node's cgroups and network namespace
//! hold no process and its ports are down; only then `ok`. On: ports up, the boot command
//! started (detached, in its own session; it places itself in the node's cgroups), `ok`.
//! Reboot: off, then on; `ok` when off succeeded (the fence-agent API's rule).
//! Every power and fault operation is one line in the journal.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::plant::{self, NodeHw};
use crate::proto::{Reply, Request, MAX_LINE};
use crate::{now_stamp, valid_node_name};

#[derive(Debug, Clone)]
pub struct NodeConf {
    pub name: String,
    pub hw: NodeHw,
    pub client_port: String,
    pub ring_port: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub socket: PathBuf,
    pub journal: PathBuf,
    pub state: PathBuf,
    pub ip: String,
    pub switch_netns: String,
    /// Command that boots a node (the node's name is appended).
    pub boot: Vec<String>,
    /// Where the boot command's output goes; `{node}` is replaced by the node's name.
    pub boot_log: String,
    pub nodes: Vec<NodeConf>,
    /// How long an off may take to empty the node before it is reported failed.
    pub kill_timeout: Duration,
}

impl Config {
    /// Parses the file `lab up` writes: `key value...` lines, one `node NAME k=v...` per node.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut c = Config {
            socket: PathBuf::new(),
            journal: PathBuf::new(),
            state: PathBuf::new(),
            ip: "ip".into(),
            switch_netns: String::new(),
            boot: Vec::new(),
            boot_log: "/dev/null".into(),
            nodes: Vec::new(),
            kill_timeout: Duration::from_secs(10),
        };
        for (no, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut w = line.split_whitespace();
            let key = w.next().unwrap_or_default();
            let rest: Vec<&str> = w.collect();
            let one = || -> Result<String, String> {
                match rest.as_slice() {
                    [v] => Ok(v.to_string()),
                    _ => Err(format!("line {}: {key} takes one value", no + 1)),
                }
            };
            match key {
                "socket" => c.socket = one()?.into(),
                "journal" => c.journal = one()?.into(),
                "state" => c.state = one()?.into(),
                "ip" => c.ip = one()?,
                "switch-netns" => c.switch_netns = one()?,
                "boot-log" => c.boot_log = one()?,
                "kill-timeout" => {
                    c.kill_timeout = Duration::from_secs(
                        one()?
                            .parse()
                            .map_err(|_| format!("line {}: kill-timeout in seconds", no + 1))?,
                    )
                }
                "boot" => c.boot = rest.iter().map(|s| s.to_string()).collect(),
                "node" => c
                    .nodes
                    .push(parse_node(&rest).map_err(|e| format!("line {}: {e}", no + 1))?),
                _ => return Err(format!("line {}: unknown key {key:?}", no + 1)),
            }
        }
        if c.socket.as_os_str().is_empty() || c.journal.as_os_str().is_empty() {
            return Err("socket and journal are required".into());
        }
        if c.state.as_os_str().is_empty() {
            return Err("state is required".into());
        }
        if c.switch_netns.is_empty() {
            return Err("switch-netns is required".into());
        }
        if c.nodes.is_empty() {
            return Err("no node".into());
        }
        Ok(c)
    }

    pub fn node(&self, name: &str) -> Option<&NodeConf> {
        self.nodes.iter().find(|n| n.name == name)
    }
}

fn parse_node(w: &[&str]) -> Result<NodeConf, String> {
    let (name, kv) = w.split_first().ok_or("node needs a name")?;
    if !valid_node_name(name) {
        return Err(format!("bad node name {name:?}"));
    }
    let mut n = NodeConf {
        name: name.to_string(),
        hw: NodeHw {
            cgroups: Vec::new(),
            freezer: None,
            netns: None,
        },
        client_port: String::new(),
        ring_port: None,
    };
    for item in kv {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} is not key=value"))?;
        match k {
            "netns" => n.hw.netns = Some(v.into()),
            "client-port" => n.client_port = v.into(),
            "ring-port" => n.ring_port = Some(v.into()),
            "cgroups" => {
                n.hw.cgroups = v
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from)
                    .collect()
            }
            "freezer" => n.hw.freezer = Some(v.into()),
            _ => return Err(format!("unknown node key {k:?}")),
        }
    }
    if n.client_port.is_empty() {
        return Err(format!("node {name}: client-port is required"));
    }
    if n.hw.cgroups.is_empty() && n.hw.netns.is_none() {
        return Err(format!(
            "node {name}: nothing to power off (no cgroups, no netns)"
        ));
    }
    Ok(n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeState {
    pub on: bool,
    pub client_cut: bool,
    pub ring_cut: bool,
}

impl Default for NodeState {
    fn default() -> Self {
        NodeState {
            on: true,
            client_cut: false,
            ring_cut: false,
        }
    }
}

/// The switch's state, saved after every change (a restarted switch keeps it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub nodes: BTreeMap<String, NodeState>,
    pub device_failed: bool,
}

impl State {
    pub fn parse(text: &str) -> State {
        let mut s = State::default();
        for line in text.lines() {
            let mut w = line.split_whitespace();
            match w.next() {
                Some("device") => s.device_failed = w.next() == Some("failed"),
                Some("node") => {
                    let Some(name) = w.next() else { continue };
                    let mut n = NodeState::default();
                    for kv in w {
                        match kv {
                            "power=on" => n.on = true,
                            "power=off" => n.on = false,
                            "client=cut" => n.client_cut = true,
                            "ring=cut" => n.ring_cut = true,
                            _ => {}
                        }
                    }
                    s.nodes.insert(name.to_string(), n);
                }
                _ => {}
            }
        }
        s
    }

    pub fn render(&self) -> String {
        let mut out = format!(
            "device {}\n",
            if self.device_failed { "failed" } else { "ok" }
        );
        for (name, n) in &self.nodes {
            out.push_str(&format!(
                "node {name} power={} client={} ring={}\n",
                if n.on { "on" } else { "off" },
                if n.client_cut { "cut" } else { "ok" },
                if n.ring_cut { "cut" } else { "ok" }
            ));
        }
        out
    }
}

/// Journal fields of a power operation, on success and on failure.
type Fields = Vec<(&'static str, String)>;
type OpResult = Result<Fields, Fields>;

pub struct Switch {
    pub conf: Config,
    pub state: State,
}

/// One journal line: `ISO t=EPOCH op=... node=... k=v...` (values without spaces; a reason
/// is quoted).
fn journal_line(t: (f64, String), fields: &[(&str, String)]) -> String {
    let mut s = format!("{} t={:.6}", t.1, t.0);
    for (k, v) in fields {
        if v.is_empty() {
            continue;
        }
        if v.contains(char::is_whitespace) || v.contains('"') {
            s.push_str(&format!(" {k}=\"{}\"", v.replace('"', "'")));
        } else {
            s.push_str(&format!(" {k}={v}"));
        }
    }
    s.push('\n');
    s
}

impl Switch {
    pub fn new(conf: Config) -> Switch {
        let mut state = fs::read_to_string(&conf.state)
            .map(|t| State::parse(&t))
            .unwrap_or_default();
        for n in &conf.nodes {
            state.nodes.entry(n.name.clone()).or_default();
        }
        state.nodes.retain(|k, _| conf.node(k).is_some());
        Switch { conf, state }
    }

    fn save(&self) -> Result<(), String> {
        let tmp = self.conf.state.with_extension("tmp");
        fs::write(&tmp, self.state.render())
            .and_then(|_| fs::rename(&tmp, &self.conf.state))
            .map_err(|e| format!("saving {}: {e}", self.conf.state.display()))
    }

    fn journal(&self, t: (f64, String), fields: &[(&str, String)]) {
        let line = journal_line(t, fields);
        let r = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.conf.journal)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = r {
            eprintln!("lab-switch: journal {}: {e}", self.conf.journal.display());
        }
    }

    fn node_state(&self, n: &str) -> NodeState {
        self.state.nodes.get(n).copied().unwrap_or_default()
    }

    /// Sets the node's ports to what power and faults say; returns the ports it set.
    fn apply_ports(&self, n: &NodeConf) -> Result<String, String> {
        let st = self.node_state(&n.name);
        let mut done = Vec::new();
        let client_up = st.on && !st.client_cut;
        plant::link_set(
            &self.conf.ip,
            &self.conf.switch_netns,
            &n.client_port,
            client_up,
        )?;
        done.push(format!(
            "{}={}",
            n.client_port,
            if client_up { "up" } else { "down" }
        ));
        if let Some(r) = &n.ring_port {
            let ring_up = st.on && !st.ring_cut;
            plant::link_set(&self.conf.ip, &self.conf.switch_netns, r, ring_up)?;
            done.push(format!("{r}={}", if ring_up { "up" } else { "down" }));
        }
        Ok(done.join(","))
    }

    fn ports_down(&self, n: &NodeConf) -> Result<bool, String> {
        let mut ports = vec![n.client_port.as_str()];
        ports.extend(n.ring_port.as_deref());
        for p in ports {
            if plant::link_is_up(&self.conf.ip, &self.conf.switch_netns, p)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Power off and verify. Returns journal fields.
    fn power_off(&mut self, n: &NodeConf) -> OpResult {
        let start = Instant::now();
        let was = if self.node_state(&n.name).on {
            "on"
        } else {
            "off"
        };
        self.state.nodes.entry(n.name.clone()).or_default().on = false;
        let mut f: Vec<(&'static str, String)> = vec![("was", was.into())];
        if let Err(e) = self.save() {
            f.push(("reason", e));
            return Err(f);
        }
        // ports first: from this instant its addresses stop answering
        if let Err(e) = self.apply_ports(n) {
            f.push(("reason", e));
            return Err(f);
        }
        let report = plant::kill_everything(&n.hw, Instant::now() + self.conf.kill_timeout);
        match report {
            Ok(r) => {
                f.push(("killed", r.killed.to_string()));
                f.push(("frozen", if r.frozen { "1" } else { "0" }.into()));
            }
            Err(e) => {
                f.push(("reason", e));
                return Err(f);
            }
        }
        if let Some(ns) =
            n.hw.netns
                .as_ref()
                .and_then(|p| p.file_name())
                .and_then(|f| f.to_str())
        {
            if let Err(e) = plant::forget_addresses(&self.conf.ip, ns) {
                f.push(("reason", e));
                return Err(f);
            }
        }
        // verify: nothing of the node left, ports down
        match (plant::node_procs(&n.hw), self.ports_down(n)) {
            (Ok(p), Ok(true)) if p.is_empty() => {}
            (Ok(p), Ok(down)) => {
                f.push((
                    "reason",
                    format!(
                        "not off: {} processes left, ports {}",
                        p.len(),
                        if down { "down" } else { "UP" }
                    ),
                ));
                return Err(f);
            }
            (Err(e), _) | (_, Err(e)) => {
                f.push(("reason", format!("cannot verify: {e}")));
                return Err(f);
            }
        }
        f.push(("dead", format!("{:.6}", now_stamp().0)));
        f.push(("off_ms", start.elapsed().as_millis().to_string()));
        Ok(f)
    }

    fn power_on(&mut self, n: &NodeConf) -> OpResult {
        let st = self.node_state(&n.name);
        if st.on {
            return Ok(vec![
                ("was", "on".into()),
                ("boot", "none (already on)".into()),
            ]);
        }
        let mut f: Vec<(&'static str, String)> = vec![("was", "off".into())];
        self.state.nodes.entry(n.name.clone()).or_default().on = true;
        if let Err(e) = self.save() {
            f.push(("reason", e));
            return Err(f);
        }
        match self.apply_ports(n) {
            Ok(p) => f.push(("ports", p)),
            Err(e) => {
                f.push(("reason", e));
                return Err(f);
            }
        }
        match self.spawn_boot(&n.name) {
            Ok(pid) => f.push(("boot_pid", pid.to_string())),
            Err(e) => {
                f.push(("reason", e));
                return Err(f);
            }
        }
        Ok(f)
    }

    fn spawn_boot(&self, node: &str) -> Result<u32, String> {
        let (prog, args) = self
            .conf
            .boot
            .split_first()
            .ok_or("no boot command configured")?;
        let log = self.conf.boot_log.replace("{node}", node);
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| format!("boot log {log}: {e}"))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(prog);
        cmd.args(args)
            .arg(node)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        // SAFETY: setsid(2) is async-signal-safe; the boot leaves our session so nothing of
        // ours (a terminal, a process group signal) reaches the node's daemons.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| format!("starting {prog}: {e}"))?;
        let pid = child.id();
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        Ok(pid)
    }

    /// Handles one request; every power and fault operation is journalled.
    pub fn handle(&mut self, req: &Request) -> Reply {
        let t = now_stamp();
        let by = req.opt("by").unwrap_or("?").to_string();
        let via = req.opt("via").unwrap_or("?").to_string();
        let from_agent = via == "fence_lab";
        let node_arg = req.args.first().cloned();
        let node = |name: &Option<String>| -> Result<NodeConf, Reply> {
            match name {
                None => Err(Reply::Err(format!("{} needs a node", req.verb))),
                Some(n) => self
                    .conf
                    .node(n)
                    .cloned()
                    .ok_or_else(|| Reply::Err(format!("no such node {n:.64}"))),
            }
        };
        match req.verb.as_str() {
            "off" | "on" | "reboot" | "crash" => {
                let n = match node(&node_arg) {
                    Ok(n) => n,
                    Err(r) => return r,
                };
                let op = req.verb.as_str();
                let mut fields: Vec<(&str, String)> = vec![
                    ("op", op.into()),
                    ("node", n.name.clone()),
                    ("by", by),
                    ("via", via),
                ];
                if from_agent && self.state.device_failed && op != "crash" {
                    fields.push(("result", "failed".into()));
                    fields.push(("reason", "device failure (lab fence-device fail)".into()));
                    self.journal(t, &fields);
                    return Reply::Err(
                        "power control failed: the device is broken (lab fence-device fail)".into(),
                    );
                }
                let res = match op {
                    "on" => self.power_on(&n),
                    "off" | "crash" => self.power_off(&n),
                    _ => match self.power_off(&n) {
                        Ok(mut f) => {
                            match self.power_on(&n) {
                                Ok(g) => f.extend(g.into_iter().filter(|(k, _)| *k != "was")),
                                // the API: a reboot succeeded when its off did
                                Err(g) => f.extend(g.into_iter().filter(|(k, _)| *k != "was").map(
                                    |(k, v)| {
                                        if k == "reason" {
                                            ("on_failed", v)
                                        } else {
                                            (k, v)
                                        }
                                    },
                                )),
                            }
                            Ok(f)
                        }
                        Err(f) => Err(f),
                    },
                };
                let ms = ((now_stamp().0 - t.0) * 1000.0).round() as i64;
                match res {
                    Ok(f) => {
                        fields.push(("result", "ok".into()));
                        fields.extend(f);
                        fields.push(("ms", ms.to_string()));
                        self.journal(t, &fields);
                        let summary = fields
                            .iter()
                            .filter(|(k, _)| matches!(*k, "killed" | "was" | "boot_pid" | "ms"))
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" ");
                        Reply::Ok(format!("{op} {}: {summary}", n.name))
                    }
                    Err(f) => {
                        fields.push(("result", "failed".into()));
                        let reason = f
                            .iter()
                            .find(|(k, _)| *k == "reason")
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default();
                        fields.extend(f);
                        fields.push(("ms", ms.to_string()));
                        self.journal(t, &fields);
                        Reply::Err(format!("{op} {} failed: {reason}", n.name))
                    }
                }
            }
            "status" => {
                let n = match node(&node_arg) {
                    Ok(n) => n,
                    Err(r) => return r,
                };
                if self.node_state(&n.name).on {
                    Reply::Ok("on".into())
                } else {
                    match (plant::node_procs(&n.hw), self.ports_down(&n)) {
                        (Ok(p), Ok(true)) if p.is_empty() => Reply::Ok("off".into()),
                        (Ok(p), Ok(_)) => Reply::Err(format!(
                            "powered off but not empty: {} processes, ports checked",
                            p.len()
                        )),
                        (Err(e), _) | (_, Err(e)) => Reply::Err(e),
                    }
                }
            }
            "list" => Reply::Ok(
                self.conf
                    .nodes
                    .iter()
                    .map(|n| n.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "monitor" => Reply::Ok(format!("{} ports, device ok", self.conf.nodes.len())),
            "cut" | "heal" => {
                let n = match node(&node_arg) {
                    Ok(n) => n,
                    Err(r) => return r,
                };
                let which = req.args.get(1).map(String::as_str).unwrap_or("all");
                let cut = req.verb == "cut";
                {
                    let st = self.state.nodes.entry(n.name.clone()).or_default();
                    match which {
                        "all" => {
                            st.client_cut = cut;
                            st.ring_cut = cut;
                        }
                        "client" => st.client_cut = cut,
                        "ring" => st.ring_cut = cut,
                        _ => return Reply::Err(format!("{which:.20}: all, client or ring")),
                    }
                }
                let mut fields: Vec<(&str, String)> = vec![
                    ("op", format!("{}-{which}", req.verb)),
                    ("node", n.name.clone()),
                    ("by", by),
                    ("via", via),
                ];
                let r = self.save().and_then(|_| self.apply_ports(&n));
                match r {
                    Ok(p) => {
                        let power = if self.node_state(&n.name).on {
                            "on"
                        } else {
                            "off"
                        };
                        fields.push(("result", "ok".into()));
                        fields.push(("ports", p.clone()));
                        fields.push(("power", power.into()));
                        self.journal(t, &fields);
                        Reply::Ok(format!("{} power={power} {p}", n.name))
                    }
                    Err(e) => {
                        fields.push(("result", "failed".into()));
                        fields.push(("reason", e.clone()));
                        self.journal(t, &fields);
                        Reply::Err(e)
                    }
                }
            }
            "device" => {
                let what = req.args.first().map(String::as_str).unwrap_or("status");
                match what {
                    "fail" | "repair" => {
                        self.state.device_failed = what == "fail";
                        if let Err(e) = self.save() {
                            return Reply::Err(e);
                        }
                        self.journal(
                            t,
                            &[
                                ("op", format!("device-{what}")),
                                ("by", by),
                                ("result", "ok".into()),
                            ],
                        );
                        Reply::Ok(format!(
                            "device {}",
                            if self.state.device_failed {
                                "failed"
                            } else {
                                "ok"
                            }
                        ))
                    }
                    "status" => Reply::Ok(format!(
                        "device {}",
                        if self.state.device_failed {
                            "failed"
                        } else {
                            "ok"
                        }
                    )),
                    _ => Reply::Err("device fail|repair|status".into()),
                }
            }
            "state" => Reply::Ok(self.state.render().trim_end().replace('\n', "; ")),
            v => Reply::Err(format!("unsupported action {v:.20}")),
        }
    }

    /// Serves until killed. One request at a time: a power switch does one thing at a time.
    pub fn serve(&mut self) -> Result<(), String> {
        let _ = fs::remove_file(&self.conf.socket);
        let l = UnixListener::bind(&self.conf.socket)
            .map_err(|e| format!("binding {}: {e}", self.conf.socket.display()))?;
        fs::set_permissions(&self.conf.socket, fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("chmod {}: {e}", self.conf.socket.display()))?;
        self.save()?;
        eprintln!(
            "lab-switch: serving {} for {}",
            self.conf.socket.display(),
            self.conf
                .nodes
                .iter()
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
        for conn in l.incoming() {
            match conn {
                Ok(s) => self.serve_one(s),
                Err(e) => eprintln!("lab-switch: accept: {e}"),
            }
        }
        Ok(())
    }

    fn serve_one(&mut self, s: UnixStream) {
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
        let mut line = String::new();
        let Ok(reader) = s.try_clone() else { return };
        let mut r = BufReader::new(reader).take(MAX_LINE as u64);
        let reply = match r.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) => match Request::parse(&line) {
                Ok(req) => self.handle(&req),
                Err(e) => Reply::Err(e),
            },
            Err(e) => Reply::Err(format!("reading the request: {e}")),
        };
        let mut s = s;
        let _ = s.write_all(reply.to_line().as_bytes());
    }
}

/// `lab-switch serve CONFIG` | `lab-switch ctl SOCKET REQUEST...` (prints the reply text;
/// exit 0 for ok, 1 for err or no answer; `ctl ... status N` exits 2 for off).
pub fn main_with(args: &[String]) -> i32 {
    match args.first().map(String::as_str) {
        Some("serve") if args.len() == 2 => {
            let conf = match fs::read_to_string(&args[1])
                .map_err(|e| format!("{}: {e}", args[1]))
                .and_then(|t| Config::parse(&t))
            {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("lab-switch: {e}");
                    return 1;
                }
            };
            let mut sw = Switch::new(conf);
            match sw.serve() {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("lab-switch: {e}");
                    1
                }
            }
        }
        Some("ctl") if args.len() >= 3 => {
            let req = args[2..].join(" ");
            match crate::proto::call(Path::new(&args[1]), &req, Duration::from_secs(30)) {
                Ok(Reply::Ok(t)) => {
                    println!("{t}");
                    if args[2] == "status" && t == "off" {
                        2
                    } else {
                        0
                    }
                }
                Ok(Reply::Err(t)) => {
                    eprintln!("{t}");
                    1
                }
                Err(e) => {
                    eprintln!("{e}");
                    1
                }
            }
        }
        _ => {
            eprintln!("usage: lab-switch serve CONFIG | lab-switch ctl SOCKET REQUEST...");
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "# written by tests/lab/lab\n\
        socket /tmp/x/switch.sock\njournal /tmp/x/journal\nstate /tmp/x/state\n\
        switch-netns lab-sw\nboot /t/lab _os-boot\nboot-log /tmp/x/{node}/boot.out\n\
        node n1 netns=/run/netns/lab-n1 client-port=p1 ring-port=r1 \
        cgroups=/sys/fs/cgroup/pids/a-n1,/sys/fs/cgroup/freezer/a-n1 freezer=/sys/fs/cgroup/freezer/a-n1\n\
        node n2 netns=/run/netns/lab-n2 client-port=p2\n";

    #[test]
    fn config() {
        let c = Config::parse(CONF).unwrap();
        assert_eq!(c.nodes.len(), 2);
        assert_eq!(c.boot, vec!["/t/lab", "_os-boot"]);
        let n1 = c.node("n1").unwrap();
        assert_eq!(n1.ring_port.as_deref(), Some("r1"));
        assert_eq!(n1.hw.cgroups.len(), 2);
        assert!(c.node("n2").unwrap().ring_port.is_none());
        assert!(c.node("n3").is_none());
        assert!(Config::parse("socket /s\n").is_err());
        assert!(Config::parse(&format!("{CONF}bogus 1\n")).is_err());
        assert!(Config::parse(&format!("{CONF}node n3 client-port=p3\n")).is_err());
        assert!(Config::parse(&format!("{CONF}node n;3 client-port=p3 netns=/x\n")).is_err());
    }

    #[test]
    fn state_round_trip() {
        let mut s = State::default();
        s.nodes.insert(
            "n2".into(),
            NodeState {
                on: false,
                client_cut: false,
                ring_cut: true,
            },
        );
        s.nodes.insert("n1".into(), NodeState::default());
        s.device_failed = true;
        assert_eq!(State::parse(&s.render()), s);
    }

    #[test]
    fn journal_lines() {
        let l = journal_line(
            (1.5, "1970-01-01T00:00:01.500000Z".into()),
            &[
                ("op", "reboot".into()),
                ("node", "n2".into()),
                ("empty", String::new()),
                ("reason", "a \"b\" c".into()),
            ],
        );
        assert_eq!(
            l,
            "1970-01-01T00:00:01.500000Z t=1.500000 op=reboot node=n2 reason=\"a 'b' c\"\n"
        );
    }

    fn switch_in(dir: &Path) -> Switch {
        let conf = format!(
            "socket {d}/s.sock\njournal {d}/journal\nstate {d}/state\nswitch-netns none\n\
             ip /bin/false\nnode n1 client-port=p1 cgroups={d}/cg\n",
            d = dir.display()
        );
        Switch::new(Config::parse(&conf).unwrap())
    }

    /// The reply's text of a request the switch must accept.
    fn ok(sw: &mut Switch, line: &str) -> String {
        match sw.handle(&Request::parse(line).unwrap()) {
            Reply::Ok(text) => text,
            r => panic!("{line}: {r:?}"),
        }
    }

    /// The reason of a request the switch must refuse.
    fn refused(sw: &mut Switch, line: &str) -> String {
        match sw.handle(&Request::parse(line).unwrap()) {
            Reply::Err(reason) => reason,
            r => panic!("{line}: {r:?}"),
        }
    }

    #[test]
    fn requests_without_hardware() {
        let d = tempfile::tempdir().unwrap();
        let mut sw = switch_in(d.path());
        assert_eq!(ok(&mut sw, "list by=n1 via=fence_lab"), "n1");
        ok(&mut sw, "monitor");
        assert_eq!(ok(&mut sw, "status n1"), "on");
        refused(&mut sw, "status n9");
        refused(&mut sw, "off");
        let e = refused(&mut sw, "explode n1");
        assert!(e.contains("unsupported action"), "{e}");
        // a broken device refuses the fencer's power operations, journalled; the lab's own
        // crash still works (it is not the device acting)
        ok(&mut sw, "device fail by=lab");
        let e = refused(&mut sw, "reboot n1 by=n2 via=fence_lab");
        assert!(e.contains("broken"), "{e}");
        ok(&mut sw, "monitor by=n2 via=fence_lab");
        let j = fs::read_to_string(d.path().join("journal")).unwrap();
        assert!(j.contains("op=device-fail"), "{j}");
        assert!(
            j.contains(
                "op=reboot node=n1 by=n2 via=fence_lab result=failed reason=\"device failure"
            ),
            "{j}"
        );
        ok(&mut sw, "device repair by=lab");
        // with `ip` failing, an off cannot take the ports down: it fails, and says so
        let e = refused(&mut sw, "off n1 by=n2 via=fence_lab");
        assert!(e.contains("off n1 failed"), "{e}");
        let st = State::parse(&fs::read_to_string(d.path().join("state")).unwrap());
        assert!(!st.nodes["n1"].on, "the switch records the outlet as off");
        assert!(!st.device_failed);
    }
}
