//! The typed, checked values built from the declarations in params.rs. Nothing on this node is
//! looked at here (the password file is read by [`Config::client`], when an action needs it).

use std::path::PathBuf;
use std::time::Duration;

use galera_status::{Client, Policy, Target};
use ocf::{ParamError, Params};

use crate::error::GaleraSyncError;
use crate::params::{
    ALL, ATTRIBUTE, CONNECTIONS_RESERVE, DAMPEN, DONOR_OK, HOST, PASSWORD_FILE, PORT, SOCKET, USER,
};

/// Everything an action needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub target: Target,
    pub user: String,
    pub password_file: Option<PathBuf>,
    pub attribute: String,
    pub policy: Policy,
    pub dampen: Duration,
}

/// The part of the configuration that `wsrep-notify` and `stop` need (no server access).
#[derive(Debug, Clone)]
pub struct Publishing {
    pub attribute: String,
    pub dampen: Duration,
    pub donor_ok: bool,
}

impl Publishing {
    pub fn from_params(params: &Params) -> Result<Publishing, GaleraSyncError> {
        let attribute = params.get(&ATTRIBUTE)?;
        check_attribute_name(&attribute)?;
        Ok(Publishing {
            attribute,
            dampen: params.get(&DAMPEN)?.0,
            donor_ok: params.get(&DONOR_OK)?,
        })
    }
}

impl Config {
    /// Fails only with configuration errors ([`GaleraSyncError::Param`]).
    pub fn from_params(params: &Params) -> Result<Config, GaleraSyncError> {
        params.check_all(ALL)?;
        let publishing = Publishing::from_params(params)?;
        let target = match params.get_opt(&HOST)? {
            Some(host) => Target::Tcp {
                host: host.trim().to_string(),
                port: params.get(&PORT)?.0,
            },
            None => {
                let socket = params.get(&SOCKET)?;
                if !socket.is_absolute() {
                    return Err(ParamError::invalid(
                        &SOCKET,
                        &socket.to_string_lossy(),
                        "an absolute path",
                    )
                    .into());
                }
                Target::Socket(socket)
            }
        };
        Ok(Config {
            target,
            user: params.get(&USER)?,
            password_file: params.get_opt(&PASSWORD_FILE)?,
            attribute: publishing.attribute,
            policy: Policy {
                donor_ok: publishing.donor_ok,
                connections_reserve: u64::from(params.get(&CONNECTIONS_RESERVE)?),
            },
            dampen: publishing.dampen,
        })
    }

    /// A client, with the password read from `password_file` (if any).
    pub fn client(&self) -> Result<Client, GaleraSyncError> {
        let password = match &self.password_file {
            Some(path) => {
                Some(ocf::secret::read_file(path).map_err(GaleraSyncError::PasswordFile)?)
            }
            None => None,
        };
        Ok(Client::new(
            self.target.clone(),
            self.user.clone(),
            password,
        ))
    }
}

/// The longest attribute name: Pacemaker's own agents keep theirs far shorter.
const ATTRIBUTE_MAX: usize = 128;

/// Attribute names end up in CIB XML ids and on attrd_updater's command line: keep them to the
/// characters Pacemaker's own agents use.
fn check_attribute_name(name: &str) -> Result<(), ParamError> {
    let ok = name.len() <= ATTRIBUTE_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(ParamError::invalid(
            &ATTRIBUTE,
            name,
            format!(
                "1-{ATTRIBUTE_MAX} letters, digits, '-', '_', '.' or ':' starting with a letter"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use galera_status::DEFAULT_SOCKET;
    use ocf::{Env, Failure, OcfRc};

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_env(&Env::of(pairs))
    }

    #[test]
    fn defaults() {
        let c = Config::from_params(&params(&[])).unwrap();
        assert_eq!(c.target, Target::Socket(DEFAULT_SOCKET.into()));
        assert_eq!(c.user, "root");
        assert_eq!(c.attribute, "galera-sync");
        assert_eq!(c.policy, Policy::DEFAULT);
        assert_eq!(c.dampen, Duration::ZERO);
        assert!(c.password_file.is_none());
    }

    #[test]
    fn tcp_when_host_is_set() {
        let c = Config::from_params(&params(&[
            ("OCF_RESKEY_host", "127.0.0.1"),
            ("OCF_RESKEY_port", "3311"),
            ("OCF_RESKEY_donor_ok", "yes"),
            ("OCF_RESKEY_connections_reserve", "0"),
            ("OCF_RESKEY_dampen", "5s"),
        ]))
        .unwrap();
        assert_eq!(
            c.target,
            Target::Tcp {
                host: "127.0.0.1".into(),
                port: 3311
            }
        );
        assert!(c.policy.donor_ok);
        assert_eq!(c.policy.connections_reserve, 0);
        assert_eq!(c.dampen, Duration::from_secs(5));
    }

    #[test]
    fn bad_values_are_configuration_errors() {
        for (k, v) in [
            ("OCF_RESKEY_port", "0"),
            ("OCF_RESKEY_port", "70000"),
            ("OCF_RESKEY_port", "x"),
            ("OCF_RESKEY_connections_reserve", "-1"),
            ("OCF_RESKEY_donor_ok", "perhaps"),
            ("OCF_RESKEY_dampen", "soon"),
            ("OCF_RESKEY_attribute", "9lives"),
            ("OCF_RESKEY_attribute", "a b"),
            ("OCF_RESKEY_attribute", "x\"/><evil"),
            ("OCF_RESKEY_socket", "relative.sock"),
        ] {
            let e = Config::from_params(&params(&[(k, v), ("OCF_RESKEY_host", "h")]))
                .and_then(|_| Config::from_params(&params(&[(k, v)])));
            assert!(
                matches!(e, Err(GaleraSyncError::Param(_))),
                "{k}={v}: {e:?}"
            );
        }
        let e = Config::from_params(&params(&[("OCF_RESKEY_attribute", "9lives")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter 'attribute' must be 1-128 letters, digits, '-', '_', '.' or ':' starting \
             with a letter, not '9lives'"
        );
        let e = Config::from_params(&params(&[("OCF_RESKEY_socket", "x.sock")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter 'socket' must be an absolute path, not 'x.sock'"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A parameter name of the table (or an unknown one), and any text for it.
        fn assignment() -> impl Strategy<Value = (String, String)> {
            let names: Vec<String> = ALL
                .iter()
                .map(|p| p.name().to_string())
                .chain(["bogus".to_string()])
                .collect();
            (
                proptest::sample::select(names),
                prop_oneof![
                    any::<String>(),
                    "[0-9a-z:/._ -]{0,12}",
                    Just(String::new()),
                    Just("9".repeat(400)),
                ],
            )
        }

        proptest! {
            // Whatever the CIB holds: no panic, and a failure is a configuration error (6)
            // whose reason is one clean line within Pacemaker's limit.
            #[test]
            fn from_params_fails_only_with_configuration_errors(
                pairs in proptest::collection::vec(assignment(), 0..12)
            ) {
                if let Err(e) = Config::from_params(&Params::from_pairs(pairs.iter().cloned())) {
                    prop_assert!(matches!(e, GaleraSyncError::Param(_)), "{e:?}");
                    prop_assert_eq!(e.rc(), OcfRc::ErrConfigured);
                    let text = e.to_string();
                    prop_assert!(text.len() <= ocf::reason::PACEMAKER_LIMIT, "{}", text);
                    prop_assert!(!text.chars().any(char::is_control), "{:?}", text);
                    prop_assert!(!text.contains("ocf-exit-reason:"), "{}", text);
                }
            }
        }
    }
}
