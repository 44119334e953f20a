//! `galera-sync wsrep-notify`: the server's `wsrep_notify_cmd`.
//!
//! MariaDB runs `<wsrep_notify_cmd> --status S [--uuid U --primary yes|no --index I --members
//! id/name/addr,...]` through `sh -c` at every state change and view change, and **waits** for
//! it. So this command
//! - never fails the server: it always exits 0, quickly (attrd_updater is bounded to well under
//!   a second, and a watchdog ends the process at [`HARD_LIMIT`]);
//! - accepts any argument list: unknown options are skipped, a missing value is ignored, the
//!   first occurrence of an option wins (the server's come before anything a member name can
//!   inject), and everything after `--members` is member text, never options;
//! - treats `--members` (the other nodes' names and addresses) as untrusted: it is only logged,
//!   after sanitising;
//! - needs no OCF environment: the attribute name, dampening and donor_ok come from
//!   `--params FILE` (the agent's `key=value` parameters), `--attribute`, `--dampen`,
//!   `--donor-ok`, or the defaults.
//!
//! The value: `synced` → 1 (0 when the same call says `--primary no`); `donor` → 1 with
//! donor_ok, else 0; every other state (joiner, joined, initializing, initialized, connected,
//! disconnecting, disconnected, and the pre-10.4 names) → 0; a view change without a state →
//! 0 if non-Primary, otherwise nothing to say. It is pushed only while the attribute is
//! defined on this node, i.e. while the galera-sync resource runs here: a stopped resource's
//! attribute is not brought back by the server.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use ocf::action::Action;
use ocf::cli::Command;
use ocf::log::OcfLog;
use ocf::{AgentInfo, Deadline, Env, Params};

use crate::config::Publishing;
use crate::error::params_file_reason;
use crate::publish::attribute;

/// The budget for querying and updating attrd.
pub const BUDGET: Duration = Duration::from_millis(900);
/// Whatever happens, the process is gone after this long.
pub const HARD_LIMIT: Duration = Duration::from_millis(1500);

/// The server waits for us and must never be held up: the limit is fixed (no `--timeout`), and
/// its expiry, like every other end, exits 0.
pub const NOTIFY: Command = Command {
    name: "galera-sync wsrep-notify",
    default_timeout: HARD_LIMIT,
    timeout_exit: 0,
    action: Action::Notify,
};
/// Longest member text that is logged.
const MEMBERS_LOG_MAX: usize = 512;

/// What the command line said. Values are raw text; only `members` is ever shown, sanitised.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NotifyArgs {
    pub status: Option<String>,
    pub uuid: Option<String>,
    pub primary: Option<String>,
    pub index: Option<String>,
    /// Everything after `--members`, untrusted.
    pub members: Option<String>,
    pub params: Option<PathBuf>,
    pub attribute: Option<String>,
    pub dampen: Option<String>,
    pub donor_ok: Option<String>,
    /// Options and words that were skipped (sanitised), for the log.
    pub ignored: Vec<String>,
}

const BOOL_WORDS: [&str; 10] = [
    "1", "0", "yes", "no", "true", "false", "on", "off", "y", "n",
];

impl NotifyArgs {
    pub fn parse(args: &[OsString]) -> NotifyArgs {
        let words: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let mut out = NotifyArgs::default();
        let mut i = 0;
        while i < words.len() {
            let word = &words[i];
            i += 1;
            let Some(opt) = word.strip_prefix("--") else {
                out.ignored.push(sanitize(word, 40));
                continue;
            };
            let (name, inline) = match opt.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (opt, None),
            };
            if name == "members" {
                // The rest of the line, whatever it looks like.
                let mut rest: Vec<&str> = Vec::new();
                if let Some(v) = inline.as_deref() {
                    rest.push(v);
                }
                rest.extend(words[i..].iter().map(String::as_str));
                if out.members.is_none() {
                    out.members = Some(rest.join(" "));
                }
                break;
            }
            let slot = match name {
                "status" => Some(&mut out.status),
                "uuid" => Some(&mut out.uuid),
                "primary" => Some(&mut out.primary),
                "index" => Some(&mut out.index),
                "params" => None,
                "attribute" => Some(&mut out.attribute),
                "dampen" => Some(&mut out.dampen),
                "donor-ok" | "donor_ok" => {
                    let value = match inline {
                        Some(v) => v,
                        None => match words.get(i) {
                            Some(next)
                                if BOOL_WORDS.contains(&next.to_ascii_lowercase().as_str()) =>
                            {
                                i += 1;
                                next.clone()
                            }
                            _ => "true".to_string(),
                        },
                    };
                    out.donor_ok.get_or_insert(value);
                    continue;
                }
                _ => {
                    // Unknown: skip it, and its value if it has one.
                    out.ignored.push(format!("--{}", sanitize(name, 40)));
                    if inline.is_none() && words.get(i).is_some_and(|n| !n.starts_with("--")) {
                        i += 1;
                    }
                    continue;
                }
            };
            let value = match inline {
                Some(v) => Some(v),
                None => match words.get(i) {
                    Some(next) if !next.starts_with("--") => {
                        i += 1;
                        Some(next.clone())
                    }
                    _ => None,
                },
            };
            let Some(value) = value else {
                out.ignored.push(format!("--{name} (no value)"));
                continue;
            };
            match slot {
                Some(slot) => {
                    slot.get_or_insert(value);
                }
                None => {
                    out.params.get_or_insert(PathBuf::from(value));
                }
            }
        }
        out
    }

    /// The member list for the log: `id/name/address` entries, sanitised and shortened.
    pub fn members_for_log(&self) -> Option<String> {
        self.members
            .as_deref()
            .map(|m| sanitize(m.trim(), MEMBERS_LOG_MAX))
    }
}

/// Replaces every character outside a conservative set (letters, digits, `. _ - : / , @ [ ]`)
/// with `?`, and shortens the text to `max` characters. For logging untrusted text: no control
/// characters, no quotes, no shell or XML meta-characters survive.
pub fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n >= max {
            out.push_str("...");
            break;
        }
        let keep = c.is_ascii_alphanumeric()
            || matches!(c, '.' | '_' | '-' | ':' | '/' | ',' | '@' | '[' | ']');
        out.push(if keep { c } else { '?' });
    }
    out
}

/// What to do with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Push(u8),
    Skip(&'static str),
}

pub fn decide(args: &NotifyArgs, donor_ok: bool) -> Decision {
    let primary = args.primary.as_deref().map(str::to_ascii_lowercase);
    if primary.as_deref() == Some("no") {
        return Decision::Push(0);
    }
    let Some(status) = args.status.as_deref().map(str::to_ascii_lowercase) else {
        return Decision::Skip("no --status (a view change alone says nothing about this node)");
    };
    match status.as_str() {
        "synced" => Decision::Push(1),
        "donor" => Decision::Push(u8::from(donor_ok)),
        // MariaDB >= 10.4 (wsrep-lib) and the older names (Undefined, Joiner, Error).
        "joiner" | "joining" | "joined" | "initializing" | "initialized" | "connected"
        | "disconnecting" | "disconnected" | "undefined" | "error" => Decision::Push(0),
        _ => Decision::Skip("unknown --status"),
    }
}

/// Runs the command; always returns 0.
pub fn run(info: &'static AgentInfo, args: &[OsString], env: Env) -> i32 {
    // Never let the server wait for us, whatever happens below: the watchdog and the panic
    // hook both end the process with 0.
    NOTIFY.guard(None);
    let parsed = NotifyArgs::parse(args);
    let ctx = match NOTIFY.context(info, env.clone(), parsed.params.as_deref(), HARD_LIMIT) {
        Ok(ctx) => ctx,
        Err(e) => {
            // Without its parameters we could update the wrong attribute: say so, do nothing.
            OcfLog::from_env(info.name, &env).install();
            let why = params_file_reason(&e);
            tracing::error!("wsrep-notify: {why}; not updating any attribute");
            return 0;
        }
    };
    OcfLog::from_env(info.name, &ctx.env).install();
    if !parsed.ignored.is_empty() {
        tracing::debug!("wsrep-notify: ignored {}", parsed.ignored.join(" "));
    }
    if let Some(m) = parsed.members_for_log() {
        tracing::debug!("wsrep-notify: members {m}");
    }
    let mut overrides = ctx.env.clone();
    if let Some(a) = &parsed.attribute {
        overrides.set("OCF_RESKEY_attribute", a.as_str());
    }
    if let Some(d) = &parsed.dampen {
        overrides.set("OCF_RESKEY_dampen", d.as_str());
    }
    if let Some(d) = &parsed.donor_ok {
        overrides.set("OCF_RESKEY_donor_ok", d.as_str());
    }
    let publishing = match Publishing::from_params(&Params::from_env(&overrides)) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("wsrep-notify: {e}; not updating any attribute");
            return 0;
        }
    };
    let status = sanitize(parsed.status.as_deref().unwrap_or("-"), 40);
    let value = match decide(&parsed, publishing.donor_ok) {
        Decision::Push(v) => v,
        Decision::Skip(why) => {
            tracing::debug!("wsrep-notify: status {status}: {why}; nothing to publish");
            return 0;
        }
    };
    push(&publishing, value, &status, &ctx.deadline.capped(BUDGET));
    0
}

fn push(publishing: &Publishing, value: u8, status: &str, deadline: &Deadline) {
    let attr = attribute(&publishing.attribute, publishing.dampen);
    let name = &publishing.attribute;
    match attr.query(deadline) {
        Err(e) => {
            tracing::warn!("wsrep-notify: cannot query attribute {name} ({e}); not updating");
        }
        Ok(None) => {
            tracing::info!(
                "wsrep-notify: status {status}: attribute {name} is not defined on this node \
                 (galera-sync not running here); not creating it"
            );
        }
        // Always send, even when the value read back looks the same: attrd applies an update
        // only after its own broadcast returns through corosync, so two notifications a few
        // milliseconds apart read a stale value, and skipping would lose the second one (seen
        // in the lab: "joined: 1 -> 0" twice, then "synced" skipped, VIP gone for a minute).
        Ok(Some(current)) => match attr.update(&value.to_string(), deadline) {
            Ok(()) => tracing::info!(
                "wsrep-notify: status {status}: {name} {} -> {value}",
                sanitize(&current, 20)
            ),
            Err(e) => tracing::warn!("wsrep-notify: status {status}: cannot set {name}: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> NotifyArgs {
        let args: Vec<OsString> = words.iter().map(OsString::from).collect();
        NotifyArgs::parse(&args)
    }

    #[test]
    fn the_servers_arguments() {
        let a = parse(&[
            "--params",
            "/etc/galera-sync.conf",
            "--status",
            "synced",
            "--uuid",
            "5b4e0f9a-1111-11ee-8000-0123456789ab",
            "--primary",
            "yes",
            "--index",
            "1",
            "--members",
            "a1/g1/127.0.0.1:3311,a2/g2/127.0.0.1:3312",
        ]);
        assert_eq!(a.params, Some(PathBuf::from("/etc/galera-sync.conf")));
        assert_eq!(a.status.as_deref(), Some("synced"));
        assert_eq!(a.primary.as_deref(), Some("yes"));
        assert_eq!(a.index.as_deref(), Some("1"));
        assert_eq!(
            a.members.as_deref(),
            Some("a1/g1/127.0.0.1:3311,a2/g2/127.0.0.1:3312")
        );
        assert!(a.ignored.is_empty(), "{:?}", a.ignored);
        assert_eq!(decide(&a, false), Decision::Push(1));
    }

    #[test]
    fn status_only_and_equals_forms() {
        let a = parse(&["--status=Synced"]);
        assert_eq!(
            decide(&a, false),
            Decision::Push(1),
            "synced without a view"
        );
        let a = parse(&[
            "--attribute=gs1",
            "--dampen",
            "2s",
            "--donor-ok",
            "--status",
            "donor",
        ]);
        assert_eq!(a.attribute.as_deref(), Some("gs1"));
        assert_eq!(a.dampen.as_deref(), Some("2s"));
        assert_eq!(a.donor_ok.as_deref(), Some("true"));
        assert_eq!(decide(&a, true), Decision::Push(1));
        assert_eq!(decide(&a, false), Decision::Push(0));
        let a = parse(&["--donor-ok", "no", "--status", "donor"]);
        assert_eq!(a.donor_ok.as_deref(), Some("no"));
        assert_eq!(a.status.as_deref(), Some("donor"));
        let a = parse(&["--donor_ok=false"]);
        assert_eq!(a.donor_ok.as_deref(), Some("false"));
    }

    #[test]
    fn decisions() {
        let decision = |args: &str, donor_ok| {
            let words: Vec<&str> = args.split_whitespace().collect();
            decide(&parse(&words), donor_ok)
        };
        let not_serving =
            "joiner initializing initialized connected disconnecting disconnected Undefined Error";
        for status in not_serving.split(' ') {
            let d = decide(&parse(&["--status", status]), false);
            assert_eq!(d, Decision::Push(0), "{status}");
        }
        // Joined is not Synced, even where a donor counts.
        assert_eq!(decision("--status Joined", true), Decision::Push(0));
        // Outside the Primary nothing serves, a donor neither.
        assert_eq!(
            decision("--status synced --primary no", false),
            Decision::Push(0)
        );
        assert_eq!(
            decision("--status donor --primary no", true),
            Decision::Push(0)
        );
        assert_eq!(decision("--primary no --index 0", false), Decision::Push(0));
        assert_eq!(
            decision("--status synced --primary yes", false),
            Decision::Push(1)
        );
        assert!(matches!(
            decide(&parse(&["--primary", "yes"]), false),
            Decision::Skip(_)
        ));
        assert!(matches!(
            decide(&parse(&["--status", "dancing"]), false),
            Decision::Skip(_)
        ));
        assert!(matches!(decide(&parse(&[]), false), Decision::Skip(_)));
    }

    #[test]
    fn unknown_and_broken_arguments_are_skipped() {
        let a = parse(&[
            "stray",
            "--future-option",
            "value",
            "--flag",
            "--status",
            "--uuid",
            "u",
            "--index",
        ]);
        assert_eq!(a.status, None, "--status without a value");
        assert_eq!(a.uuid.as_deref(), Some("u"));
        assert_eq!(a.index, None);
        assert!(
            a.ignored.iter().any(|i| i == "--future-option"),
            "{:?}",
            a.ignored
        );
        assert!(a.ignored.iter().any(|i| i == "--flag"), "{:?}", a.ignored);
        assert!(a.ignored.iter().any(|i| i == "stray"), "{:?}", a.ignored);
        let a = parse(&["--", "--=", "--status="]);
        assert_eq!(a.status.as_deref(), Some(""));
        assert!(matches!(decide(&a, false), Decision::Skip(_)));
        // Non-UTF-8 bytes are taken lossily, never a panic.
        use std::os::unix::ffi::OsStringExt;
        let args = vec![
            OsString::from("--status"),
            OsString::from_vec(vec![0xff, 0xfe, b's']),
        ];
        let a = NotifyArgs::parse(&args);
        assert!(matches!(decide(&a, false), Decision::Skip(_)));
    }

    #[test]
    fn hostile_members_cannot_inject_options() {
        // sh -c splits a member name with spaces into words: everything after --members is
        // member text, and the server's own options came first.
        let a = parse(&[
            "--status",
            "donor",
            "--primary",
            "yes",
            "--members",
            "id1/evil",
            "--status",
            "synced",
            "--attribute",
            "other",
            "--params",
            "/tmp/evil/127.0.0.1:4567,id2/g2/x",
        ]);
        assert_eq!(a.status.as_deref(), Some("donor"));
        assert_eq!(a.attribute, None);
        assert_eq!(a.params, None);
        assert_eq!(decide(&a, false), Decision::Push(0));
        let logged = a.members_for_log().unwrap();
        assert!(!logged.contains(' '), "{logged}");
        assert!(logged.starts_with("id1/evil?--status?synced"), "{logged}");
        // Even when --members comes first, nothing after it is parsed.
        let a = parse(&["--members", "x/--status/y", "--status", "synced"]);
        assert_eq!(a.status, None);
        let a = parse(&["--members=a/b/c", "--status", "synced"]);
        assert_eq!(a.members.as_deref(), Some("a/b/c --status synced"));
        assert_eq!(a.status, None);
    }

    #[test]
    fn sanitising() {
        let nasty = "g1/$(reboot);`id`|x\n\r\u{1b}[31m<xml attr=\"q\">'\u{202e}/127.0.0.1:4567";
        let s = sanitize(nasty, 512);
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-:/,@[]?".contains(c)),
            "{s}"
        );
        assert!(s.ends_with("/127.0.0.1:4567"), "{s}");
        let long = "a".repeat(2000);
        let s = sanitize(&long, 512);
        assert_eq!(s.len(), 515);
        assert!(s.ends_with("..."));
        assert_eq!(sanitize("", 10), "");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;
        use std::os::unix::ffi::OsStringExt;

        /// Words as the server, a member name or a user could put them: the options this
        /// parser knows (with and without `=`), booleans, and arbitrary bytes.
        fn word() -> impl Strategy<Value = OsString> {
            prop_oneof![
                proptest::sample::select(vec![
                    "--status",
                    "--uuid",
                    "--primary",
                    "--index",
                    "--members",
                    "--params",
                    "--attribute",
                    "--dampen",
                    "--donor-ok",
                    "--donor_ok",
                    "--",
                    "--=",
                    "-",
                    "yes",
                    "no",
                    "synced",
                    "donor",
                    "=",
                    "--status=",
                    "--donor-ok=",
                ])
                .prop_map(OsString::from),
                "--[a-z_=-]{0,12}".prop_map(OsString::from),
                any::<String>().prop_map(OsString::from),
                proptest::collection::vec(any::<u8>(), 0..24).prop_map(OsString::from_vec),
            ]
        }

        proptest! {
            #[test]
            fn any_argument_list_parses_without_a_panic(
                words in proptest::collection::vec(word(), 0..16)
            ) {
                let parsed = NotifyArgs::parse(&words);
                let _ = decide(&parsed, false);
                let _ = decide(&parsed, true);
                if let Some(m) = parsed.members_for_log() {
                    prop_assert!(m.chars().count() <= MEMBERS_LOG_MAX + 3);
                    prop_assert!(m.chars().all(|c| c.is_ascii_graphic()), "{:?}", m);
                }
                for i in &parsed.ignored {
                    prop_assert!(!i.chars().any(char::is_control), "{:?}", i);
                }
            }
        }
    }
}
