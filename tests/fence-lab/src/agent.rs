//! `fence_lab`, the fence agent, per the fence-agent API (ClusterLabs/fence-agents
//! doc/FenceAgentAPI.md) as Pacemaker 2.1.5's fencer uses it: no argv, one `name=value` per
//! line on stdin (`#` lines skipped, the last value of a key wins, unknown keys ignored);
//! `-o ACTION` style arguments too (pcs runs `fence_lab -o metadata`).
//!
//! Exit codes: on/off/reboot 0 done, 1 failed; status 0 on, 2 off, 1 unknown (switch
//! unreachable); monitor 0 reachable, 1 not; list 0 (names on stdout), 1; metadata 0;
//! validate-all 0 valid, 1 not; an unknown action 1 with "unsupported action" on stderr
//! (what the fencer reads as "not supported").

use std::path::PathBuf;
use std::time::Duration;

use crate::proto::{self, Reply};
use crate::valid_node_name;

pub const DEFAULT_SOCKET: &str = "/var/lib/fence_lab/switch.sock";
pub const DEFAULT_POWER_TIMEOUT: u64 = 20;
pub const ACTIONS: &[&str] = &[
    "on",
    "off",
    "reboot",
    "status",
    "list",
    "monitor",
    "metadata",
    "validate-all",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub action: String,
    /// `plug`, or `port` (what Pacemaker 2.1.5 sends), or `nodename` when neither is given.
    pub plug: Option<String>,
    pub socket: String,
    /// Raw `power_timeout` value (checked by `validate`).
    pub power_timeout: String,
    pub help: bool,
    /// Argument errors (argv mode only; unknown stdin keys are ignored by the API).
    pub errors: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            action: "reboot".into(),
            plug: None,
            socket: DEFAULT_SOCKET.into(),
            power_timeout: DEFAULT_POWER_TIMEOUT.to_string(),
            help: false,
            errors: Vec::new(),
        }
    }
}

impl Options {
    /// Options from stdin: `name=value` lines.
    pub fn from_stdin(text: &str) -> Options {
        let mut o = Options::default();
        let (mut plug, mut nodename) = (None, None);
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().to_string();
            match k.trim() {
                "action" | "option" => o.action = v,
                "plug" | "port" => plug = Some(v),
                "nodename" => nodename = Some(v),
                "socket" => o.socket = v,
                "power_timeout" => o.power_timeout = v,
                _ => {}
            }
        }
        o.plug = plug.or(nodename).filter(|p| !p.is_empty());
        o
    }

    /// Options from argv (without the program name).
    pub fn from_args(args: &[String]) -> Options {
        let mut o = Options::default();
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (a, None),
            };
            let takes_value = matches!(
                name,
                "-o" | "--action"
                    | "-n"
                    | "--plug"
                    | "--port"
                    | "-s"
                    | "--socket"
                    | "--power-timeout"
            );
            let value = if takes_value {
                match inline {
                    Some(v) => Some(v),
                    None => {
                        i += 1;
                        match args.get(i) {
                            Some(v) => Some(v.clone()),
                            None => {
                                o.errors.push(format!("{name} needs a value"));
                                None
                            }
                        }
                    }
                }
            } else {
                None
            };
            match (name, value) {
                ("-o" | "--action", Some(v)) => o.action = v,
                ("-n" | "--plug" | "--port", Some(v)) => o.plug = Some(v),
                ("-s" | "--socket", Some(v)) => o.socket = v,
                ("--power-timeout", Some(v)) => o.power_timeout = v,
                ("-h" | "--help", _) => o.help = true,
                (_, None) if takes_value => {}
                _ => o.errors.push(format!("unknown argument {a:?}")),
            }
            i += 1;
        }
        o
    }

    /// What is wrong with these options (empty: valid). Syntax only: validate-all runs where
    /// the switch may not be reachable (`stonith_admin --validate` runs the agent locally).
    pub fn problems(&self) -> Vec<String> {
        let mut p = self.errors.clone();
        if !ACTIONS.contains(&self.action.as_str()) {
            p.push(format!("unsupported action {:?}", self.action));
        }
        if let Some(plug) = &self.plug {
            if !valid_node_name(plug) {
                p.push(format!(
                    "plug {plug:?} is not a node name (A-Z a-z 0-9 _ - .)"
                ));
            }
        }
        if !self.socket.starts_with('/') || self.socket.len() > 107 {
            p.push(format!(
                "socket {:?} must be an absolute path of at most 107 bytes",
                self.socket
            ));
        }
        match self.power_timeout.parse::<u64>() {
            Ok(1..=3600) => {}
            _ => p.push(format!(
                "power_timeout {:?} must be whole seconds, 1 to 3600",
                self.power_timeout
            )),
        }
        p
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(
            self.power_timeout
                .parse::<u64>()
                .unwrap_or(DEFAULT_POWER_TIMEOUT)
                .clamp(1, 3600),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    fn new(rc: i32, stdout: impl Into<String>, stderr: impl Into<String>) -> Outcome {
        Outcome {
            rc,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }
}

/// Runs the action. `call(request, timeout)` talks to the switch (a socket in the lab, a
/// stub in tests); `host` is the name of the node whose fencer runs us (the journal's `by`).
pub fn run(
    o: &Options,
    host: &str,
    call: &mut dyn FnMut(&str, Duration) -> Result<Reply, String>,
) -> Outcome {
    if o.help {
        return Outcome::new(0, usage(), "");
    }
    match o.action.as_str() {
        "metadata" => return Outcome::new(0, metadata(), ""),
        "validate-all" => {
            let p = o.problems();
            return if p.is_empty() {
                Outcome::new(0, "", "")
            } else {
                Outcome::new(1, "", format!("fence_lab: {}\n", p.join("; ")))
            };
        }
        a if !ACTIONS.contains(&a) => {
            return Outcome::new(
                1,
                "",
                format!("fence_lab: unsupported action {:.40}\n", o.action),
            )
        }
        _ => {}
    }
    let p = o.problems();
    if !p.is_empty() {
        return Outcome::new(1, "", format!("fence_lab: {}\n", p.join("; ")));
    }
    let host = if valid_node_name(host) {
        host
    } else {
        "unknown"
    };
    let targeted = matches!(o.action.as_str(), "on" | "off" | "reboot" | "status");
    let request = if targeted {
        let Some(plug) = &o.plug else {
            return Outcome::new(
                1,
                "",
                format!(
                    "fence_lab: {} needs a target (plug, port or nodename)\n",
                    o.action
                ),
            );
        };
        format!("{} {plug} by={host} via=fence_lab", o.action)
    } else {
        format!("{} by={host} via=fence_lab", o.action)
    };
    let reply = match call(&request, o.timeout()) {
        Ok(r) => r,
        Err(e) => return Outcome::new(1, "", format!("fence_lab: {e}\n")),
    };
    match (o.action.as_str(), reply) {
        ("status", Reply::Ok(t)) if t.split_whitespace().next() == Some("on") => {
            Outcome::new(0, "Status: ON\n", "")
        }
        ("status", Reply::Ok(t)) if t.split_whitespace().next() == Some("off") => {
            Outcome::new(2, "Status: OFF\n", "")
        }
        ("status", Reply::Ok(t)) => Outcome::new(
            1,
            "",
            format!("fence_lab: the switch gave no power state: {t:.80}\n"),
        ),
        ("list", Reply::Ok(t)) => {
            let names: Vec<&str> = t
                .split_whitespace()
                .filter(|n| valid_node_name(n))
                .collect();
            let mut out = names.join("\n");
            if !out.is_empty() {
                out.push('\n');
            }
            Outcome::new(0, out, "")
        }
        (_, Reply::Ok(t)) => Outcome::new(
            0,
            "",
            if t.is_empty() {
                String::new()
            } else {
                format!("fence_lab: {t}\n")
            },
        ),
        (_, Reply::Err(t)) => Outcome::new(1, "", format!("fence_lab: {} failed: {t}\n", o.action)),
    }
}

/// The agent's entry point: argv (without the program name), stdin, the node's host name.
pub fn main_with(args: &[String], stdin: &str, host: &str) -> Outcome {
    let o = if args.is_empty() {
        Options::from_stdin(stdin)
    } else {
        Options::from_args(args)
    };
    let socket = PathBuf::from(&o.socket);
    let mut call = |req: &str, t: Duration| proto::call(&socket, req, t);
    run(&o, host, &mut call)
}

pub fn usage() -> String {
    "usage: fence_lab [-o ACTION] [-n NODE] [-s SOCKET] [--power-timeout SECONDS]\n\
     (or name=value lines on stdin: action, plug|port|nodename, socket, power_timeout)\n\
     actions: on off reboot status list monitor metadata validate-all\n"
        .to_string()
}

/// The meta-data, in the shape of fence-agents' lib/metadata.rng.
pub fn metadata() -> String {
    let param = |name: &str, required: u8, extra: &str, getopt: &str, content: &str, desc: &str| {
        format!(
            "\t<parameter name=\"{name}\" unique=\"0\" required=\"{required}\"{extra}>\n\
             \t\t<getopt mixed=\"{getopt}\" />\n\
             \t\t<content {content} />\n\
             \t\t<shortdesc lang=\"en\">{desc}</shortdesc>\n\
             \t</parameter>\n"
        )
    };
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" ?>\n");
    s.push_str(
        "<resource-agent name=\"fence_lab\" shortdesc=\"Power switch of the ocf:mariadb \
         namespace lab\" >\n",
    );
    s.push_str(
        "<longdesc>fence_lab powers a node of the ocf:mariadb namespace lab (tests/lab) off \
         and on through the lab's host-side power switch (lab-switch), reached over a unix \
         socket. Off kills every process of the node at once (cgroup freezer, SIGKILL, thaw), \
         takes its switch ports down and answers only after checking that nothing of the node \
         is left; on brings the ports up and boots the node. Lab tooling: it can fence nothing \
         outside the lab.</longdesc>\n",
    );
    s.push_str("<vendor-url>https://github.com/mariadb-ha/ocf-mariadb</vendor-url>\n");
    s.push_str("<parameters>\n");
    s.push_str(&param(
        "action",
        1,
        "",
        "-o, --action=[action]",
        "type=\"string\" default=\"reboot\"",
        "Fencing action",
    ));
    s.push_str(&param(
        "plug",
        1,
        " obsoletes=\"port\"",
        "-n, --plug=[node]",
        "type=\"string\"",
        "Lab node to act on (n1, n2, ...)",
    ));
    s.push_str(&param(
        "port",
        1,
        " deprecated=\"1\"",
        "-n, --plug=[node]",
        "type=\"string\"",
        "Lab node to act on (n1, n2, ...)",
    ));
    s.push_str(&param(
        "socket",
        0,
        "",
        "-s, --socket=[path]",
        &format!("type=\"string\" default=\"{DEFAULT_SOCKET}\""),
        "Unix socket of the lab's power switch, as seen inside the nodes",
    ));
    s.push_str(&param(
        "power_timeout",
        0,
        "",
        "--power-timeout=[seconds]",
        &format!("type=\"second\" default=\"{DEFAULT_POWER_TIMEOUT}\""),
        "Seconds to wait for the switch's answer",
    ));
    s.push_str("</parameters>\n<actions>\n");
    for a in ACTIONS {
        s.push_str(&format!("\t<action name=\"{a}\" />\n"));
    }
    s.push_str("</actions>\n</resource-agent>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stdin_as_the_fencer_sends_it() {
        // what Pacemaker 2.1.5's make_args sends for a reboot of n2 (port, not plug: 2.1.5
        // sends port even when the agent declares plug), plus a device attribute
        let o = Options::from_stdin(
            "action=reboot\nnodename=n2\nport=n2\nsocket=/var/lib/fence_lab/switch.sock\n",
        );
        assert_eq!(o.action, "reboot");
        assert_eq!(o.plug.as_deref(), Some("n2"));
        assert!(o.problems().is_empty(), "{:?}", o.problems());
    }

    #[test]
    fn stdin_rules_of_the_api() {
        let o = Options::from_stdin(
            "# a comment\n\naction=off\naction=on\nplug=n1\nport=n3\nunknown_key=1\n\
             pcmk_host_list=n1 n2 n3\nnot a pair\n power_timeout = 5 \n",
        );
        assert_eq!(o.action, "on", "the last value wins");
        assert_eq!(o.plug.as_deref(), Some("n3"), "plug and port are one key");
        assert_eq!(o.power_timeout, "5");
        assert!(o.errors.is_empty(), "unknown keys are ignored");
        // nodename only when neither plug nor port is given
        let o = Options::from_stdin("action=off\nnodename=n2\n");
        assert_eq!(o.plug.as_deref(), Some("n2"));
        let o = Options::from_stdin("nodename=n2\nplug=n1\n");
        assert_eq!(o.plug.as_deref(), Some("n1"));
        assert_eq!(o.action, "reboot", "the default action");
        // the older key for the action
        assert_eq!(Options::from_stdin("option=status\n").action, "status");
    }

    #[test]
    fn argv_forms() {
        assert_eq!(
            Options::from_args(&args(&["-o", "metadata"])).action,
            "metadata"
        );
        let o = Options::from_args(&args(&["--action=off", "--plug", "n2", "-s", "/x.sock"]));
        assert_eq!((o.action.as_str(), o.plug.as_deref()), ("off", Some("n2")));
        assert_eq!(o.socket, "/x.sock");
        assert!(Options::from_args(&args(&["-h"])).help);
        let o = Options::from_args(&args(&["-o"]));
        assert_eq!(o.errors, vec!["-o needs a value"]);
        let o = Options::from_args(&args(&["--bogus"]));
        assert_eq!(o.errors.len(), 1);
        assert!(!o.problems().is_empty());
    }

    #[test]
    fn validation() {
        let ok = Options::from_stdin("action=validate-all\nplug=n1\n");
        assert!(ok.problems().is_empty());
        for bad in [
            "action=explode\n",
            "plug=n1;reboot\n",
            "socket=relative.sock\n",
            "power_timeout=2min\n",
            "power_timeout=0\n",
        ] {
            let o = Options::from_stdin(bad);
            assert_eq!(o.problems().len(), 1, "{bad}: {:?}", o.problems());
        }
        let mut never = |_: &str, _: Duration| -> Result<Reply, String> {
            panic!("validate-all must not contact the switch")
        };
        let r = run(
            &Options::from_stdin("action=validate-all\npower_timeout=2min\n"),
            "n1",
            &mut never,
        );
        assert_eq!(r.rc, 1);
        assert!(r.stderr.contains("power_timeout"), "{}", r.stderr);
        let r = run(
            &Options::from_stdin("action=validate-all\n"),
            "n1",
            &mut never,
        );
        assert_eq!(r.rc, 0);
    }

    #[test]
    fn metadata_is_what_the_fencer_reads() {
        let m = metadata();
        assert!(m.starts_with("<?xml"));
        assert!(m.contains("<resource-agent name=\"fence_lab\""));
        // every action of the API, none on_target (on must not run on the target: it is off)
        for a in ACTIONS {
            assert!(m.contains(&format!("<action name=\"{a}\" />")), "{a}");
        }
        assert!(!m.contains("on_target"));
        assert!(!m.contains("automatic"), "no unfencing");
        // plug declared (port as its deprecated alias), no nodeid (not needed)
        assert!(
            m.contains("<parameter name=\"plug\" unique=\"0\" required=\"1\" obsoletes=\"port\">")
        );
        assert!(
            m.contains("<parameter name=\"port\" unique=\"0\" required=\"1\" deprecated=\"1\">")
        );
        assert!(!m.contains("nodeid"));
        assert!(m.contains("type=\"second\" default=\"20\""));
        // well formed enough: tags balance
        assert_eq!(
            m.matches("<parameter ").count(),
            m.matches("</parameter>").count()
        );
        assert_eq!(
            m.matches("<shortdesc").count(),
            m.matches("</shortdesc>").count()
        );
        let mut no = |_: &str, _: Duration| -> Result<Reply, String> { panic!("no switch call") };
        let r = run(
            &Options::from_args(&args(&["-o", "metadata"])),
            "n1",
            &mut no,
        );
        assert_eq!((r.rc, r.stdout), (0, m));
    }

    struct Stub {
        reply: Result<Reply, String>,
        seen: Vec<String>,
    }

    fn with(reply: Result<Reply, String>, stdin: &str) -> (Outcome, Vec<String>) {
        let mut s = Stub {
            reply,
            seen: Vec::new(),
        };
        let mut call = |req: &str, _: Duration| {
            s.seen.push(req.to_string());
            s.reply.clone()
        };
        let r = run(&Options::from_stdin(stdin), "n1", &mut call);
        (r, s.seen)
    }

    #[test]
    fn exit_codes() {
        let ok = |t: &str| Ok(Reply::Ok(t.into()));
        let (r, seen) = with(ok(""), "action=reboot\nport=n2\n");
        assert_eq!(r.rc, 0);
        assert_eq!(seen, vec!["reboot n2 by=n1 via=fence_lab"]);
        assert_eq!(
            with(Ok(Reply::Err("x".into())), "action=off\nport=n2\n")
                .0
                .rc,
            1
        );
        assert_eq!(
            with(Err("unreachable".into()), "action=off\nport=n2\n")
                .0
                .rc,
            1
        );
        assert_eq!(with(ok("on"), "action=status\nport=n2\n").0.rc, 0);
        assert_eq!(with(ok("off"), "action=status\nport=n2\n").0.rc, 2);
        assert_eq!(with(ok("maybe"), "action=status\nport=n2\n").0.rc, 1);
        assert_eq!(with(Err("down".into()), "action=status\nport=n2\n").0.rc, 1);
        assert_eq!(with(ok(""), "action=monitor\n").0.rc, 0);
        assert_eq!(with(Err("down".into()), "action=monitor\n").0.rc, 1);
        let (r, seen) = with(ok("n1 n2 n3"), "action=list\n");
        assert_eq!((r.rc, r.stdout.as_str()), (0, "n1\nn2\nn3\n"));
        assert_eq!(seen, vec!["list by=n1 via=fence_lab"]);
        // a target is needed, and the switch is not asked without one
        let (r, seen) = with(ok(""), "action=off\n");
        assert_eq!(r.rc, 1);
        assert!(seen.is_empty());
        // unknown action: the words the fencer maps to "not supported"
        let (r, seen) = with(ok(""), "action=list-status\n");
        assert_eq!(r.rc, 1);
        assert!(r.stderr.contains("unsupported action"), "{}", r.stderr);
        assert!(seen.is_empty());
        // a timeout says so (the fencer maps "timed out" to a timeout)
        let (r, _) = with(
            Err("the lab switch timed out".into()),
            "action=off\nport=n2\n",
        );
        assert!(r.stderr.contains("timed out"));
    }
}
