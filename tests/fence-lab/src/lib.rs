//! The namespace lab's fencing: a power switch on the host side (`lab-switch`) and the fence
//! agent that Pacemaker's fencer runs inside a lab node (`fence_lab`).
//!
//! Why a host-side switch: the agent runs in the namespaces (and the process group) of the node
//! whose fencer executes it, which sees neither the other nodes' cgroups nor the switch's
//! network namespace, and a device must not depend on its target. So the agent only forwards
//! the request over a unix socket (a directory bind-mounted into every node) to `lab-switch`,
//! which does the work as a real power switch would: every process of the node killed at once
//! (cgroup v1 freezer, SIGKILL, thaw), the node's switch ports down, verified, journalled.
//! See tests/lab/README.md ("Fencing").

pub mod agent;
pub mod plant;
pub mod proto;
pub mod switch;

/// Wall-clock time as seconds since the epoch with microseconds, and as local-free ISO 8601
/// (UTC), the two forms every journal line carries.
pub fn now_stamp() -> (f64, String) {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs();
    let micros = d.subsec_micros();
    (secs as f64 + f64::from(micros) / 1e6, iso_utc(secs, micros))
}

/// `2026-12-01T22:40:01.123456Z` for a time since the epoch.
pub fn iso_utc(secs: u64, micros: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A lab node name as the switch and the agent accept it: what Pacemaker allows in a
/// `list` answer (A-Z a-z 0-9 _ - .), at most 64 characters.
pub fn valid_node_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso_utc(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso_utc(951_782_400, 5), "2000-02-29T00:00:00.000005Z");
        assert_eq!(
            iso_utc(1_796_167_201, 123_456),
            "2026-12-01T23:20:01.123456Z"
        );
    }

    #[test]
    fn node_names() {
        assert!(valid_node_name("n1"));
        assert!(valid_node_name("db-1.example"));
        assert!(!valid_node_name(""));
        assert!(!valid_node_name("n1 n2"));
        assert!(!valid_node_name("n1;reboot"));
        assert!(!valid_node_name(&"x".repeat(65)));
    }
}
