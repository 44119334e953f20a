//! Logging that behaves like resource-agents' `ocf_log`, through `tracing`.
//!
//! Messages read `vip(my_vip)[1234]: INFO: address added`. Like `ocf_log`: on a terminal they go
//! to stderr only; otherwise to syslog when `HA_LOGFACILITY` is set, appended to `HA_LOGFILE`
//! (and `HA_DEBUGLOG`) when set, and to stderr — which Pacemaker copies into pacemaker.log —
//! when neither is. Debug messages appear only with `HA_debug=1`.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::env::Env;

/// Events with this target are exit reasons: already on stderr, so only logged elsewhere.
pub const EXIT_REASON_TARGET: &str = "ocf_exit_reason";

pub struct OcfLog {
    tag: String,
    debug: bool,
    stderr: bool,
    syslog: Option<(UnixDatagram, u8)>,
    file: Option<PathBuf>,
    debug_file: Option<PathBuf>,
}

impl OcfLog {
    pub fn from_env(agent: &str, env: &Env) -> OcfLog {
        let tag = match env.get("HA_LOGTAG").filter(|t| !t.is_empty()) {
            Some(t) => t.to_string(),
            None => {
                format!(
                    "{agent}({})[{}]",
                    env.instance().unwrap_or(agent),
                    std::process::id()
                )
            }
        };
        let tty = std::io::stderr().is_terminal();
        let syslog = if tty {
            None
        } else {
            env.log_facility().and_then(open_syslog)
        };
        let file = if tty {
            None
        } else {
            env.log_file().map(PathBuf::from)
        };
        let debug_file = if tty {
            None
        } else {
            env.debug_log()
                .filter(|d| Some(*d) != env.log_file())
                .map(PathBuf::from)
        };
        let stderr = tty || (syslog.is_none() && file.is_none());
        OcfLog {
            tag,
            debug: env.debug(),
            stderr,
            syslog,
            file,
            debug_file,
        }
    }

    /// Installs this as the process-wide subscriber (once; later calls are ignored).
    pub fn install(self) {
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(self));
    }

    fn emit(&self, level: Level, exit_reason: bool, message: &str) {
        // Peers' words reach the logs too: one line, no control characters, and no
        // `ocf-exit-reason:` that Pacemaker would take from stderr in place of ours.
        let message = crate::reason::clean(message);
        let word = level_word(level);
        let line = format!("{}: {word}: {message}", self.tag);
        if self.stderr && !exit_reason {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
        if let Some((sock, facility)) = &self.syslog {
            let pri = u32::from(*facility) * 8 + severity(level);
            let _ = sock.send(format!("<{pri}>{line}").as_bytes());
        }
        for path in [&self.file, &self.debug_file].into_iter().flatten() {
            if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
                let _ = writeln!(f, "{}{}:    {word}: {message}", local_date(), self.tag);
            }
        }
    }
}

impl<S: Subscriber> Layer<S> for OcfLog {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.debug || *metadata.level() <= Level::INFO
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = MessageVisitor(String::new());
        event.record(&mut visitor);
        let meta = event.metadata();
        self.emit(
            *meta.level(),
            meta.target() == EXIT_REASON_TARGET,
            visitor.0.trim(),
        );
    }
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        _ => "DEBUG",
    }
}

/// ocf_log's mapping: err, warning, info, debug.
fn severity(level: Level) -> u32 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

fn facility_code(name: &str) -> Option<u8> {
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_prefix("log_").unwrap_or(&name);
    Some(match name {
        "kern" => 0,
        "user" => 1,
        "mail" => 2,
        "daemon" => 3,
        "auth" => 4,
        "syslog" => 5,
        "lpr" => 6,
        "news" => 7,
        "uucp" => 8,
        "cron" => 9,
        "authpriv" => 10,
        "ftp" => 11,
        _ => {
            let n: u8 = name.strip_prefix("local")?.parse().ok()?;
            if n > 7 {
                return None;
            }
            16 + n
        }
    })
}

fn open_syslog(facility: &str) -> Option<(UnixDatagram, u8)> {
    let code = facility_code(facility)?;
    let sock = UnixDatagram::unbound().ok()?;
    sock.connect("/dev/log").ok()?;
    Some((sock, code))
}

/// `HA_DATEFMT`'s default, `%b %d %T `, in local time.
fn local_date() -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let t = libc::time_t::try_from(now).unwrap_or_default();
    // SAFETY: localtime_r only writes into the zeroed `tm` we own; both pointers are valid.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return String::new();
        }
        tm
    };
    let month = usize::try_from(tm.tm_mon)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .unwrap_or(&"???");
    format!(
        "{month} {:02} {:02}:{:02}:{:02} ",
        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facilities() {
        assert_eq!(facility_code("daemon"), Some(3));
        assert_eq!(facility_code("LOCAL7"), Some(23));
        assert_eq!(facility_code("local8"), None);
        assert_eq!(facility_code("nonsense"), None);
    }

    #[test]
    fn file_lines_look_like_ocf_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.log");
        let env = Env::from_pairs([
            ("HA_LOGFILE", path.to_str().unwrap()),
            ("OCF_RESOURCE_INSTANCE", "myvip"),
        ]);
        let mut log = OcfLog::from_env("vip", &env);
        log.stderr = false; // under `cargo test` stderr may be a terminal
        log.file = Some(path.clone());
        log.emit(Level::WARN, false, "link down");
        log.emit(
            Level::INFO,
            false,
            "peer: \u{1b}[2Jocf-exit-reason:fake\nsecond",
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("peer: [2Jocf-exit-reasonfake | second"),
            "{text}"
        );
        assert!(text.contains("vip(myvip)["), "{text}");
        assert!(text.contains("]:    WARNING: link down\n"), "{text}");
        assert_eq!(local_date().len(), 16);
    }
}
