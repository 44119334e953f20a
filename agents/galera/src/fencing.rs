//! Whether a peer is fenced now, from Pacemaker's own records (two_node_mode): the fencer's
//! history (`stonith_admin --history <node> --verbose --output-as xml`; schema
//! /usr/share/pacemaker/api/stonith_admin-2.23.rng and fence-event-2.15.rng) and the
//! membership (`crm_node -l`). Anything not understood counts as "not fenced": the survivor
//! then waits, which is safe (docs/galera-election.md § 4).

use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// What the cluster knows of a node's fencing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fencing {
    /// The newest completed fencing action against the node is a successful `off` or
    /// `reboot` (completed at `at`, unix seconds), none is pending, and the node is not a
    /// member of the cluster now.
    Fenced {
        at: u64,
    },
    NotFenced(NotFenced),
}

impl Fencing {
    pub fn is_fenced(&self) -> bool {
        matches!(self, Fencing::Fenced { .. })
    }
}

/// Why a node does not count as fenced (short: it ends up in the wait attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFenced {
    /// No completed fencing action is recorded.
    Never,
    /// A fencing action is under way.
    Pending,
    /// The newest completed action failed.
    Failed,
    /// The newest completed action turned the node on (unfencing).
    Unfenced,
    /// Fenced, but the node is a member again.
    Member,
    /// The node was fenced before this node last ran in a Primary component, so the fence
    /// says nothing about the peer's latest commits.
    BeforeLastPrimary,
    /// This node left the Primary component in a clean stop: the peer may have committed
    /// alone afterwards.
    LeftPrimary,
    /// This node has no record of running in a Primary component (rebooted, or never
    /// Primary since the agent ran here).
    NoPrimaryRecord,
    /// A tool failed or its output was not understood.
    Unknown,
}

impl fmt::Display for NotFenced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotFenced::Never => "never fenced",
            NotFenced::Pending => "fencing pending",
            NotFenced::Failed => "last fencing failed",
            NotFenced::Unfenced => "unfenced since",
            NotFenced::Member => "fenced, but a member again",
            NotFenced::BeforeLastPrimary => "fenced before this node was last Primary",
            NotFenced::LeftPrimary => "this node left the Primary cleanly",
            NotFenced::NoPrimaryRecord => "no record of this node's last Primary",
            NotFenced::Unknown => "fencing history unknown",
        })
    }
}

/// One `fence_event` of the history, for `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Event_ {
    status: String,
    action: String,
    completed: Option<u64>,
}

/// The verdict of the fencer's history alone (membership is checked by the caller).
pub fn from_history(xml: &str, target: &str) -> Result<Fencing, String> {
    let events = parse_history(xml, target)?;
    if events.iter().any(|e| e.status == "pending") {
        return Ok(Fencing::NotFenced(NotFenced::Pending));
    }
    // Pacemaker lists the newest first (stonith__sort_history); the completion time decides
    // anyway, and on a tie the earlier entry, so either order gives the newest.
    let mut newest: Option<(u64, &Event_)> = None;
    for e in &events {
        let Some(at) = e.completed else {
            return Err(format!(
                "a {} {} event without a completion time",
                e.status, e.action
            ));
        };
        if newest.is_none_or(|(t, _)| at > t) {
            newest = Some((at, e));
        }
    }
    let Some((at, e)) = newest else {
        return Ok(Fencing::NotFenced(NotFenced::Never));
    };
    Ok(match (e.status.as_str(), e.action.as_str()) {
        ("success", "off" | "reboot") => Fencing::Fenced { at },
        ("success", "on") => Fencing::NotFenced(NotFenced::Unfenced),
        ("success", other) => return Err(format!("unknown fencing action {other:?}")),
        ("failed", _) => Fencing::NotFenced(NotFenced::Failed),
        (other, _) => return Err(format!("unknown fencing status {other:?}")),
    })
}

fn attr(e: &BytesStart, name: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| err.to_string())?;
        if a.key.as_ref() == name {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| err.to_string())?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// The events for `target` (node names compare without case, as Pacemaker's do), from a
/// complete `pacemaker-result` whose status is 0: output cut short (the command module
/// keeps 64 KiB) or an error result is refused rather than read in part.
fn parse_history(xml: &str, target: &str) -> Result<Vec<Event_>, String> {
    let mut r = Reader::from_str(xml);
    let mut events = Vec::new();
    let mut depth = 0usize;
    let mut in_result = false;
    let mut closed = false;
    let mut status_ok = None;
    loop {
        let ev = r.read_event().map_err(|e| format!("not XML: {e}"))?;
        let (start, empty) = match &ev {
            Event::Start(s) => (Some(s), false),
            Event::Empty(s) => (Some(s), true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 && in_result {
                    closed = true;
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let Some(s) = start else { continue };
        match s.name().as_ref() {
            "pacemaker-result" if depth == 0 => in_result = true,
            "fence_event" if in_result => {
                let t = attr(s, "target")?.ok_or("a fence_event without target")?;
                if t.eq_ignore_ascii_case(target) {
                    let completed = match attr(s, "completed")? {
                        Some(c) => Some(parse_time(&c).ok_or(format!("completed={c:?}"))?),
                        None => None,
                    };
                    events.push(Event_ {
                        status: attr(s, "status")?.ok_or("a fence_event without status")?,
                        action: attr(s, "action")?.ok_or("a fence_event without action")?,
                        completed,
                    });
                }
            }
            "status" if in_result && depth == 1 => {
                status_ok = Some(attr(s, "code")?.as_deref() == Some("0"));
            }
            _ => {}
        }
        if !empty {
            depth += 1;
        }
    }
    if !in_result || !closed {
        return Err("no complete pacemaker-result".into());
    }
    match status_ok {
        Some(true) => Ok(events),
        Some(false) => Err("the result's status is not 0".into()),
        None => Err("no status in the result".into()),
    }
}

/// Pacemaker's time text (`crm_time_as_string` with date, time and zone):
/// `2026-12-02 05:22:55Z`, `2026-12-02 06:23:03 +01:00`; unix seconds.
pub fn parse_time(s: &str) -> Option<u64> {
    let s = s.trim();
    let num = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (date, rest) = s.split_once(' ')?;
    let mut d = date.split('-');
    let (y, mo, da) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    if d.next().is_some() || !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return None;
    }
    let (time, zone) = match rest.find(['Z', '+', '-', ' ']) {
        Some(i) => (&rest[..i], rest[i..].trim_start()),
        None => (rest, ""),
    };
    let mut t = time.split(':');
    let (h, mi, se) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    if t.next().is_some() || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let offset = match zone {
        "" | "Z" => 0,
        z => {
            let sign = match z.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (oh, om) = z[1..].split_once(':')?;
            sign * (num(oh)? * 3600 + num(om)? * 60)
        }
    };
    let secs = days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + se - offset;
    u64::try_from(secs).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether `crm_node -l` (lines `<id> <name> <state>`, the name empty when the controller
/// does not know it) lists `node` as a member now. A node the list does not name is not a
/// member; a member without a name might be it, so it counts as one; any other line is
/// refused.
pub fn is_member(list: &str, node: &str) -> Result<bool, String> {
    let mut member = false;
    for line in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let (id, name, state) = match w[..] {
            [id, name, state] => (id, Some(name), state),
            [id, state] => (id, None, state),
            _ => return Err(format!("unexpected line {line:?}")),
        };
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("unexpected line {line:?}"));
        }
        if state == "member" && name.is_none_or(|n| n.eq_ignore_ascii_case(node)) {
            member = true;
        }
    }
    Ok(member)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A history as stonith_admin 2.1.5 prints it with --verbose (newest first).
    fn history(events: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?>\n<pacemaker-result api-version=\"2.25\" \
             request=\"stonith_admin --history n2 --verbose --output-as xml\">\n  \
             <list name=\"event\" count=\"{}\">\n{events}  </list>\n  \
             <status code=\"0\" message=\"OK\"/>\n</pacemaker-result>\n",
            events.matches("<fence_event").count()
        )
    }

    fn ev(status: &str, action: &str, target: &str, completed: Option<&str>) -> String {
        let mut s = format!(
            "    <fence_event action=\"{action}\" target=\"{target}\" \
             client=\"pacemaker-controld.1234\" origin=\"n1\" status=\"{status}\""
        );
        match status {
            "failed" => s.push_str(" exit-reason=\"No route to host\""),
            "pending" => s.push_str(" extended-status=\"1\""),
            _ => {}
        }
        if status != "pending" {
            s.push_str(" delegate=\"n1\"");
        }
        if let Some(c) = completed {
            s.push_str(&format!(" completed=\"{c}\""));
        }
        s.push_str("/>\n");
        s
    }

    const T1: &str = "2026-12-02 05:10:00Z";
    const T2: &str = "2026-12-02 05:20:00Z";

    #[test]
    fn times_in_pacemakers_format() {
        assert_eq!(parse_time("1970-01-01 00:00:00Z"), Some(0));
        assert_eq!(parse_time("2026-12-02 05:22:55Z"), Some(1_796_188_975));
        assert_eq!(
            parse_time("2026-12-02 06:22:55 +01:00"),
            Some(1_796_188_975)
        );
        assert_eq!(
            parse_time("2026-12-02 00:22:55 -05:00"),
            Some(1_796_188_975)
        );
        assert_eq!(parse_time("2024-02-29 12:00:00Z"), Some(1_709_208_000));
        for bad in [
            "",
            "yesterday",
            "2026-13-02 05:22:55Z",
            "2026-12-02",
            "2026-12-02 5:x:1Z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_successful_off_or_reboot_is_fenced() {
        for action in ["reboot", "off"] {
            let x = history(&ev("success", action, "n2", Some(T2)));
            assert_eq!(
                from_history(&x, "n2"),
                Ok(Fencing::Fenced {
                    at: parse_time(T2).unwrap()
                })
            );
        }
        // Node names compare without case.
        let x = history(&ev("success", "reboot", "N2", Some(T2)));
        assert!(from_history(&x, "n2").unwrap().is_fenced());
    }

    #[test]
    fn the_newest_completed_action_decides() {
        // (the newer event, the older one, what n2 is then)
        let cases = [
            // A failure after the success: the cluster tried again (the node came back and left).
            (
                ev("failed", "reboot", "n2", Some(T2)),
                ev("success", "reboot", "n2", Some(T1)),
                Fencing::NotFenced(NotFenced::Failed),
            ),
            // A failed attempt that a later one made good.
            (
                ev("success", "reboot", "n2", Some(T2)),
                ev("failed", "reboot", "n2", Some(T1)),
                Fencing::Fenced {
                    at: parse_time(T2).unwrap(),
                },
            ),
            // Unfenced (turned on) since.
            (
                ev("success", "on", "n2", Some(T2)),
                ev("success", "off", "n2", Some(T1)),
                Fencing::NotFenced(NotFenced::Unfenced),
            ),
            // A pending action, whatever came before.
            (
                ev("pending", "reboot", "n2", None),
                ev("success", "reboot", "n2", Some(T1)),
                Fencing::NotFenced(NotFenced::Pending),
            ),
        ];
        for (newer, older, want) in cases {
            let x = history(&format!("{newer}{older}"));
            assert_eq!(from_history(&x, "n2"), Ok(want), "{x}");
        }
    }

    #[test]
    fn other_nodes_and_empty_histories_are_not_fenced() {
        let x = history(&ev("success", "reboot", "n1", Some(T2)));
        assert_eq!(
            from_history(&x, "n2"),
            Ok(Fencing::NotFenced(NotFenced::Never))
        );
        let empty = "<pacemaker-result api-version=\"2.25\" request=\"stonith_admin\">\
                     <list name=\"event\" count=\"0\"/><status code=\"0\" message=\"OK\"/>\
                     </pacemaker-result>";
        assert_eq!(
            from_history(empty, "n2"),
            Ok(Fencing::NotFenced(NotFenced::Never))
        );
    }

    #[test]
    fn anything_not_understood_is_an_error() {
        let ok = history(&ev("success", "reboot", "n2", Some(T2)));
        // Cut short (the command module keeps 64 KiB of output).
        let cut = &ok[..ok.find("<status").unwrap()];
        assert!(from_history(cut, "n2").is_err());
        // An error result.
        let err = "<pacemaker-result api-version=\"2.25\" request=\"stonith_admin\">\
                   <status code=\"102\" message=\"Not connected\"><errors>\
                   <error>Could not connect to fencer</error></errors></status>\
                   </pacemaker-result>";
        assert!(from_history(err, "n2").is_err());
        for bad in [
            String::new(),
            "Could not connect".to_string(),
            history(&ev("success", "reboot", "n2", Some("soon"))),
            history(&ev("success", "reboot", "n2", None)),
            history(&ev("done", "reboot", "n2", Some(T2))),
            history(&ev("success", "status", "n2", Some(T2))),
        ] {
            assert!(from_history(&bad, "n2").is_err(), "{bad}");
        }
    }

    /// The samples above are what the schema Pacemaker ships allows.
    #[test]
    fn the_samples_follow_pacemakers_schema() {
        let rng = std::path::Path::new("/usr/share/pacemaker/api/api-result.rng");
        assert!(
            rng.is_file(),
            "{} is missing: install pacemaker (tests/setup/install-deps.sh)",
            rng.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("history.xml");
        std::fs::write(
            &f,
            history(&format!(
                "{}{}{}",
                ev("pending", "reboot", "n2", None),
                ev("failed", "reboot", "n2", Some(T2)),
                ev("success", "off", "n2", Some(T1))
            )),
        )
        .unwrap();
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--relaxng")
            .arg(rng)
            .arg(&f)
            .output()
            .expect("xmllint (libxml2-utils) next to Pacemaker's schema");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn membership_from_crm_node_list() {
        let list = "1 n1 member\n2 n2 lost\n";
        assert_eq!(is_member(list, "n2"), Ok(false));
        assert_eq!(is_member(list, "n1"), Ok(true));
        assert_eq!(is_member("1 n1 member\n2 N2 member\n", "n2"), Ok(true));
        assert_eq!(is_member("1 n1 member\n", "n2"), Ok(false));
        assert!(is_member("error: Could not connect to controller\n", "n2").is_err());
        // The name empty (crm_node prints "%u %s %s" with ""): a nameless member may be it.
        assert_eq!(is_member("1 n1 member\n3  lost\n", "n2"), Ok(false));
        assert_eq!(is_member("1 n1 member\n3  member\n", "n2"), Ok(true));
    }
}
