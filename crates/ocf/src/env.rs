//! The one reader of the process environment.
//!
//! Pacemaker passes everything through the environment: `OCF_RESKEY_<param>` for instance
//! parameters, `OCF_RESKEY_CRM_meta_*` for operation and clone meta-attributes (times in
//! milliseconds), `OCF_CHECK_LEVEL` without a prefix, `HA_*` for logging. Every agent reads them
//! through this type, so tests can build any environment and nothing else calls `std::env::var`
//! (clippy.toml enforces that).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const RESKEY: &str = "OCF_RESKEY_";
const META: &str = "OCF_RESKEY_CRM_meta_";

/// resource-agents' `--with-rsctmpdir` default.
pub const DEFAULT_RSCTMP: &str = "/run/resource-agents";

#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The process environment. Values that are not UTF-8 are taken lossily: OCF values are text.
    #[allow(clippy::disallowed_methods)] // the single sanctioned reader
    pub fn from_process() -> Env {
        Env::from_pairs(std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        }))
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// [`Env::from_pairs`] of a literal list: `Env::of(&[("OCF_RESKEY_ip", "10.0.0.1")])`.
    pub fn of(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    /// Sets (or replaces) one variable; used for `--params FILE` and by tests.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(key.into(), value.into());
    }

    /// Sets instance parameters from `key=value` lines, as the non-OCF modes (Keepalived
    /// scripts, `status`) read them from `--params FILE`. Blank lines and `#` comments are
    /// skipped; surrounding quotes are removed. A parameter in the file wins over the environment.
    /// `Err(line)` names the first line that is not `key=value`.
    pub fn merge_params_text(&mut self, text: &str) -> Result<(), usize> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(n + 1);
            };
            let key = key.trim();
            let key = key.strip_prefix(RESKEY).unwrap_or(key);
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(n + 1);
            }
            let value = unquote(value.trim());
            self.set(format!("{RESKEY}{key}"), value);
        }
        Ok(())
    }

    /// Any variable, raw. Prefer the typed accessors below.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    /// `OCF_RESKEY_<name>`: an instance parameter, as configured. An empty value counts as unset,
    /// the way the shell agents' `${OCF_RESKEY_x:-default}` treats it.
    pub fn reskey(&self, name: &str) -> Option<&str> {
        self.get(&format!("{RESKEY}{name}"))
            .filter(|v| !v.is_empty())
    }

    /// `OCF_RESKEY_CRM_meta_<name>` (dashes in meta-attribute names arrive as underscores).
    pub fn meta(&self, name: &str) -> Option<&str> {
        self.get(&format!("{META}{}", name.replace('-', "_")))
            .filter(|v| !v.is_empty())
    }

    fn meta_ms(&self, name: &str) -> Option<Duration> {
        self.meta(name)?
            .trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_millis)
    }

    /// The operation timeout (`CRM_meta_timeout`, milliseconds), when Pacemaker gave one.
    pub fn timeout(&self) -> Option<Duration> {
        self.meta_ms("timeout").filter(|d| !d.is_zero())
    }

    /// The operation interval; zero for one-shot operations and probes.
    pub fn interval(&self) -> Duration {
        self.meta_ms("interval").unwrap_or_default()
    }

    /// `OCF_CHECK_LEVEL` (passed without the prefix; the prefixed form is accepted as the shell
    /// functions do). `None` when unset or not a number.
    pub fn check_level(&self) -> Option<u32> {
        self.get("OCF_CHECK_LEVEL")
            .or_else(|| self.get("OCF_RESKEY_OCF_CHECK_LEVEL"))
            .and_then(|v| v.trim().parse().ok())
    }

    /// `OCF_RESOURCE_INSTANCE`: the resource id (`id:N` only for globally-unique clones).
    pub fn instance(&self) -> Option<&str> {
        self.get("OCF_RESOURCE_INSTANCE").filter(|v| !v.is_empty())
    }

    /// The node Pacemaker runs the action for (better than `uname -n`).
    pub fn node_name(&self) -> Option<&str> {
        self.meta("on_node")
    }

    /// A promotable clone (`promotable=true`, or the legacy `master_max`/`promoted_max` > 0).
    pub fn is_promotable(&self) -> bool {
        if self.meta("promotable").is_some_and(is_true) {
            return true;
        }
        ["promoted_max", "master_max"].iter().any(|m| {
            self.meta(m)
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
                > 0
        })
    }

    /// `HA_RSCTMP`, where agents keep state that must vanish at reboot.
    pub fn rsctmp(&self) -> PathBuf {
        PathBuf::from(
            self.get("HA_RSCTMP")
                .filter(|v| !v.is_empty())
                .unwrap_or(DEFAULT_RSCTMP),
        )
    }

    /// `HA_debug` (lower-case `debug`, as ocf-shellfuncs reads it) enables debug messages.
    pub fn debug(&self) -> bool {
        self.get("HA_debug")
            .or_else(|| self.get("PCMK_debug"))
            .is_some_and(|v| v != "0" && !v.is_empty() && v != "no")
    }

    /// The syslog facility for agent messages, `None` when unset or `none`.
    pub fn log_facility(&self) -> Option<&str> {
        self.get("HA_LOGFACILITY")
            .or_else(|| self.get("HA_logfacility"))
            .filter(|v| !v.is_empty() && *v != "none")
    }

    pub fn log_file(&self) -> Option<&str> {
        self.get("HA_LOGFILE")
            .or_else(|| self.get("HA_logfile"))
            .filter(|v| !v.is_empty() && *v != "/dev/null")
    }

    pub fn debug_log(&self) -> Option<&str> {
        self.get("HA_DEBUGLOG")
            .or_else(|| self.get("HA_debuglog"))
            .filter(|v| !v.is_empty() && *v != "/dev/null")
    }

    pub fn exit_reason_prefix(&self) -> &str {
        self.get("OCF_EXIT_REASON_PREFIX")
            .filter(|v| !v.is_empty())
            .unwrap_or("ocf-exit-reason:")
    }
}

/// OCF/Pacemaker booleans: `1, yes, y, on, true` (any case) are true.
pub fn is_true(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "yes" | "y" | "on" | "true"
    )
}

/// Parses an OCF boolean strictly; `None` for anything that is neither true nor false.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "on" | "true" => Some(true),
        "0" | "no" | "n" | "off" | "false" => Some(false),
        _ => None,
    }
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_milliseconds_and_probe_is_interval_zero() {
        let e = Env::of(&[
            ("OCF_RESKEY_CRM_meta_timeout", "20000"),
            ("OCF_RESKEY_CRM_meta_interval", "0"),
        ]);
        assert_eq!(e.timeout(), Some(Duration::from_secs(20)));
        assert_eq!(e.interval(), Duration::ZERO);
        assert_eq!(Env::of(&[]).timeout(), None);
        assert_eq!(
            Env::of(&[("OCF_RESKEY_CRM_meta_timeout", "junk")]).timeout(),
            None
        );
    }

    #[test]
    fn check_level_comes_without_prefix() {
        assert_eq!(
            Env::of(&[("OCF_CHECK_LEVEL", "20")]).check_level(),
            Some(20)
        );
        assert_eq!(
            Env::of(&[("OCF_RESKEY_OCF_CHECK_LEVEL", "10")]).check_level(),
            Some(10)
        );
        assert_eq!(Env::of(&[]).check_level(), None);
    }

    #[test]
    fn empty_parameters_are_unset() {
        let e = Env::of(&[("OCF_RESKEY_nic", ""), ("OCF_RESKEY_ip", "10.0.0.1")]);
        assert_eq!(e.reskey("nic"), None);
        assert_eq!(e.reskey("ip"), Some("10.0.0.1"));
    }

    #[test]
    fn promotable_detection() {
        assert!(Env::of(&[("OCF_RESKEY_CRM_meta_promotable", "true")]).is_promotable());
        assert!(Env::of(&[("OCF_RESKEY_CRM_meta_master_max", "1")]).is_promotable());
        assert!(!Env::of(&[("OCF_RESKEY_CRM_meta_clone_max", "3")]).is_promotable());
    }

    #[test]
    fn params_file() {
        let mut e = Env::of(&[("OCF_RESKEY_admin_port", "1")]);
        e.merge_params_text("# comment\n\nadmin_port = 8989\nOCF_RESKEY_servers=\"a b\"\n")
            .unwrap();
        assert_eq!(e.reskey("admin_port"), Some("8989"));
        assert_eq!(e.reskey("servers"), Some("a b"));
        assert_eq!(e.merge_params_text("novalue"), Err(1));
        assert_eq!(e.merge_params_text("ok=1\nbad key=1"), Err(2));
    }

    #[test]
    fn booleans() {
        for t in ["1", "yes", "Y", "on", "TRUE"] {
            assert!(is_true(t));
            assert_eq!(parse_bool(t), Some(true));
        }
        for f in ["0", "no", "off", "false", "N"] {
            assert!(!is_true(f));
            assert_eq!(parse_bool(f), Some(false));
        }
        assert_eq!(parse_bool("maybe"), None);
    }
}
