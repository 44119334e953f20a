//! Version profiles: what differs, as far as an agent can see, between the MaxScale versions the
//! agent supports (2.5, 6.4, 22.08, 23.02, 23.08, 24.02, 24.08).
//!
//! A profile is a MaxScale version. `--profile 6.4` (simulator-only option) or `sim_profile=6.4`
//! (`sim_version=` is the same key) picks the newest patch release the notes name for that series;
//! a full version (`22.08.12`) is taken as it is. Every difference is a method here, with where it
//! comes from; README.md has the table.

use crate::config::Version;

/// The commit `maxscale --version-full` and `GET /v1/maxscale` report for 24.02.3 (observed).
const COMMIT_24_02_3: &str = "d77a737db314a3dab3811a1e4b81e20ac2aedbe9";

/// A MaxScale version and the behaviour that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub version: Version,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::parse(crate::config::DEFAULT_VERSION).unwrap_or_else(|| Profile {
            version: Version {
                text: crate::config::DEFAULT_VERSION.into(),
                parts: (24, 2, 3),
            },
        })
    }
}

/// `series` → the patch release a bare series name stands for (the newest the notes read).
const SERIES: &[(&str, &str)] = &[
    ("2.5", "2.5.29"),
    ("6.4", "6.4.15"),
    ("21.06", "21.06.17"),
    ("22.08", "22.08.14"),
    ("23.02", "23.02.11"),
    ("23.08", "23.08.6"),
    ("24.02", "24.02.3"),
    ("24.08", "24.08.0"),
];

impl Profile {
    /// `6.4`, `24.02` (a series) or `6.4.15`, `22.08.12` (a release).
    pub fn parse(text: &str) -> Option<Profile> {
        let text = text.trim();
        let full = SERIES
            .iter()
            .find(|(s, _)| *s == text)
            .map_or(text, |(_, v)| *v);
        let version = Version::parse(full)?;
        if version.text.split('.').count() != 3 {
            return None;
        }
        Some(Profile { version })
    }

    pub fn text(&self) -> &str {
        &self.version.text
    }

    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.version.at_least(major, minor)
    }

    fn series(&self) -> (u32, u32) {
        (self.version.parts.0, self.version.parts.1)
    }

    fn patch(&self) -> u32 {
        self.version.parts.2
    }

    /// True when a fix that went into these releases of their series is in this version. 6.4
    /// was renamed 21.06 in May 2024: 6.4.x is the 21.06 series (21.06.16 release notes).
    /// Series newer than all of them have the fix; older ones never got it.
    fn has_fix(&self, fixed_in: &[(u32, u32, u32)]) -> bool {
        let (series, patch) = match self.series() {
            (6, 4) => ((21, 6), self.patch()),
            s => (s, self.patch()),
        };
        match fixed_in.iter().find(|(a, b, _)| (*a, *b) == series) {
            Some((_, _, p)) => patch >= *p,
            None => fixed_in.iter().all(|(a, b, _)| (*a, *b) < series),
        }
    }

    /// The commit the version reports. Only 24.02.3's is known (observed); the others say that
    /// they are simulated rather than pretend to be a real build.
    pub fn commit(&self) -> &'static str {
        if self.version.text == "24.02.3" {
            COMMIT_24_02_3
        } else {
            "maxscale-sim"
        }
    }

    /// MXS-5009 ("--basedir is broken", fixed by "Clear output in handle_path_arg()"): each
    /// directory option on the command line gets the previous ones glued in front. Every 6.4.x
    /// has it (issue 11, observed on 6.4.15); fixed in 21.06.16, 22.08.13 and 23.02.10. The 6.x
    /// gateway.cc of an earlier 6 release that the code corpus holds clears its output, so 2.5
    /// and 6.0-6.3 are taken as unaffected; 23.08 and 24.02 count as fixed (24.02.3 observed).
    pub fn mxs5009(&self) -> bool {
        let affected_series = matches!(self.series(), (6, 4) | (21, 6) | (22, 8) | (23, 2));
        affected_series && !self.has_fix(&[(21, 6, 16), (22, 8, 13), (23, 2, 10)])
    }

    /// `/v1` optional (2.4+).
    pub fn v1_optional(&self) -> bool {
        self.at_least(2, 4)
    }

    /// `passive` must be a JSON boolean (2.5+); before, a string went through `config_truth_value`.
    pub fn passive_needs_bool(&self) -> bool {
        self.at_least(2, 5)
    }

    /// A failed `PATCH /v1/maxscale` answers 403 up to 21.06, 400 from 22.08 (resource.cc).
    pub fn patch_failure_status(&self) -> u16 {
        if self.at_least(22, 8) {
            400
        } else {
            403
        }
    }

    /// A read-only account writing: 401 before 2.5, 403 "Administrative access required" after.
    pub fn read_only_write_status(&self) -> u16 {
        if self.at_least(2, 5) {
            403
        } else {
            401
        }
    }

    /// The top-level `/v1/listeners` (2.5+).
    pub fn has_listeners_endpoint(&self) -> bool {
        self.at_least(2, 5)
    }

    /// `activated_at` in `/v1/maxscale` (2.3+).
    pub fn has_activated_at(&self) -> bool {
        self.at_least(2, 3)
    }

    /// `config_sync` in `/v1/maxscale` and the `config_sync_*` parameters (6.0+).
    pub fn has_config_sync(&self) -> bool {
        self.at_least(6, 0)
    }

    /// `system` in `/v1/maxscale` (22.08+; absent on 6.4.15, issue 11).
    pub fn has_system(&self) -> bool {
        self.at_least(22, 8)
    }

    /// Servers: 6.4.15 shows `state_details` and no `uptime`, 24.02.3 the reverse (issue 11). The
    /// versions in between are not checked; they are simulated like 24.02.
    pub fn server_has_uptime(&self) -> bool {
        self.at_least(22, 8)
    }

    /// Services: 24.02.3 adds `users_last_update` (issue 11); same split as above.
    pub fn service_has_users_last_update(&self) -> bool {
        self.at_least(22, 8)
    }

    /// `syslog` defaulted to true before 22.08 (Configuration-Guide `syslog`).
    pub fn syslog_default(&self) -> bool {
        !self.at_least(22, 8)
    }

    /// Where an error found before the log is open goes. 6.x (gateway.cc `log_startup_error`):
    /// stderr, and the log file, which it opens for the purpose in the log directory known at that
    /// point. 24.02 (a start-up log on stderr, `mxb_log_init(MXB_LOG_TARGET_STDERR)`): stderr only.
    /// 22.08-23.08 not checked: simulated like 24.02.
    pub fn pre_log_errors_in_log_file(&self) -> bool {
        !self.at_least(22, 8)
    }

    /// Whether `persist_runtime_changes` exists (22.08+); before, runtime changes are always saved.
    pub fn has_persist_runtime_changes(&self) -> bool {
        self.at_least(22, 8)
    }

    /// Whether `GET /v1/maxscale` lists `[maxscale]` parameter `name` in this version (and a
    /// PATCH knows it). The 6.4.15 / 24.02.3 differences are issue 11's; a "since" the notes name
    /// is used where there is one, otherwise the 24.02 set starts at 22.08 (not checked in
    /// between).
    pub fn shows_param(&self, name: &str) -> bool {
        match name {
            "admin_ssl_ca_cert"
            | "query_classifier"
            | "query_classifier_args"
            | "skip_permission_checks" => !self.at_least(22, 8),
            "admin_ssl_ca" => self.at_least(22, 8),
            "persist_runtime_changes" => self.has_persist_runtime_changes(),
            "admin_jwt_max_age" => self.at_least(23, 2),
            // MXS-5090 "ability to setup .secrets file location" (21.06.16, 22.08.13, 23.08.6,
            // 24.02.2 release notes; 23.02.10 assumed from the same batch).
            "secretsdir" => self.has_fix(&[
                (21, 6, 16),
                (22, 8, 13),
                (23, 2, 10),
                (23, 8, 6),
                (24, 2, 2),
            ]),
            "admin_audit"
            | "admin_audit_exclude_methods"
            | "admin_audit_file"
            | "admin_jwt_algorithm"
            | "admin_jwt_issuer"
            | "admin_jwt_key"
            | "admin_oidc_url"
            | "admin_verify_url"
            | "admin_readonly_hosts"
            | "admin_readwrite_hosts"
            | "auto_tune"
            | "key_manager"
            | "max_read_amount"
            | "threads_max" => self.at_least(22, 8),
            "config_sync_db" => {
                self.at_least(23, 0)
                    || (self.series() == (22, 8) && self.patch() >= 5)
                    || (self.series() == (6, 4) && self.patch() >= 6)
                    || self.series() == (21, 6)
            }
            n if n.starts_with("config_sync_") => self.has_config_sync(),
            _ => true,
        }
    }

    /// Whether a `[maxscale]` key of the configuration file is accepted: what the version shows,
    /// plus the old name `admin_ssl_ca_cert` that later versions keep as an alias (API notes
    /// A.2), and the 6.x-only keys, which the simulator keeps accepting on 22.08+ (their fate
    /// there is not checked).
    pub fn accepts_config_param(&self, name: &str) -> bool {
        self.shows_param(name)
            || matches!(
                name,
                "admin_ssl_ca_cert"
                    | "query_classifier"
                    | "query_classifier_args"
                    | "skip_permission_checks"
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Profile {
        Profile::parse(s).unwrap()
    }

    #[test]
    fn series_names_pick_a_release() {
        assert_eq!(p("6.4").text(), "6.4.15");
        assert_eq!(p("24.02").text(), "24.02.3");
        assert_eq!(p("22.08.12").text(), "22.08.12");
        assert!(Profile::parse("24").is_none());
        assert!(Profile::parse("six").is_none());
        assert_eq!(Profile::default().text(), "24.02.3");
        assert_eq!(p("24.02").commit(), COMMIT_24_02_3);
    }

    #[test]
    fn mxs5009_by_release() {
        for v in ["6.4", "6.4.1", "21.06.15", "22.08.12", "23.02.9"] {
            assert!(p(v).mxs5009(), "{v}");
        }
        for v in [
            "2.5", "21.06.16", "21.06", "22.08.13", "22.08", "23.02.10", "23.08", "24.02", "24.08",
        ] {
            assert!(!p(v).mxs5009(), "{v}");
        }
    }

    #[test]
    fn parameter_sets() {
        // What 6.4 and 24.02 show is checked on the served documents (tests/sim.rs,
        // rest_differences_6_4_and_24_02); here, the versions around them.
        let old = p("6.4");
        let new = p("24.02");
        assert!(old.shows_param("config_sync_db") && !p("2.5").shows_param("config_sync_db"));
        assert!(!p("24.02.1").shows_param("secretsdir"));
        assert!(p("21.06.16").shows_param("secretsdir"));
        assert!(new.accepts_config_param("admin_ssl_ca_cert"));
        assert!(!old.accepts_config_param("persist_runtime_changes"));
    }
}
