//! The instance parameters, declared once, and their typed, validated form.

use std::path::PathBuf;
use std::time::Duration;

use galera_status::{Client, Policy, Target, DEFAULT_PORT, DEFAULT_SOCKET, DEFAULT_USER};
use ocf::{ParamInfo, ParamSpec, Params, Port, TimeSpan};

use crate::error::AgentError;

pub const SOCKET: ParamSpec<PathBuf> = ParamSpec::path("socket")
    .default(DEFAULT_SOCKET)
    .short("MariaDB unix socket")
    .long(
        "The local MariaDB server's unix socket. Used unless 'host' is set. root connects over \
         it with unix_socket authentication, so no password is needed.",
    );
pub const HOST: ParamSpec<String> = ParamSpec::string("host").short("MariaDB TCP host").long(
    "Connect over TCP to this host (name or address) instead of the unix socket. A loopback \
     address really uses TCP.",
);
pub const PORT: ParamSpec<Port> = ParamSpec::new("port")
    .default(Port(DEFAULT_PORT))
    .short("MariaDB TCP port")
    .long("The TCP port, used with 'host'.");
pub const USER: ParamSpec<String> = ParamSpec::string("user")
    .default(DEFAULT_USER)
    .short("MariaDB user")
    .long(
        "The MariaDB user that reads the status. It needs no privilege beyond logging in \
         (SHOW GLOBAL STATUS and @@read_only are open to every user); a user with \
         CONNECTION ADMIN (or SUPER, e.g. root) can still log in when max_connections is \
         reached, which lets the agent report the exhausted server instead of failing to \
         connect.",
    );
pub const PASSWORD_FILE: ParamSpec<PathBuf> = ParamSpec::path("password_file")
    .short("File holding the user's password")
    .long(
        "A file whose content (without the trailing newline) is the user's password. The \
         password never appears in the process list, the environment or the logs. Leave unset \
         for unix_socket authentication. Keep the file readable by root only.",
    );
pub const ATTRIBUTE: ParamSpec<String> = ParamSpec::string("attribute")
    .default("galera-sync")
    .short("Node attribute name")
    .long(
        "The transient node attribute this agent publishes: 1 while the local Galera node is \
         healthy (Synced, Primary, ready, writable, enough free connections), 0 when not. A \
         location rule such as 'not_defined galera-sync or galera-sync number:lte 0' keeps a \
         VIP away from nodes that are not healthy.",
    );
pub const DONOR_OK: ParamSpec<bool> = ParamSpec::boolean("donor_ok")
    .default(false)
    .short("Donor/Desynced counts as healthy")
    .long(
        "Whether a node in state Donor/Desynced (2) — serving a state transfer, or desynced on \
         purpose with wsrep_desync=ON for a backup — keeps the attribute at 1.",
    );
pub const CONNECTIONS_RESERVE: ParamSpec<u32> = ParamSpec::new("connections_reserve")
    .default(2)
    .short("Free connections that must remain")
    .long(
        "The node is unhealthy when fewer than this many client connections are free \
         (max_connections minus the connected clients, not counting the agent's own \
         connection). 0 disables the check.",
    );
pub const DAMPEN: ParamSpec<TimeSpan> = ParamSpec::new("dampen")
    .default(TimeSpan::millis(0))
    .short("attrd dampening")
    .long(
        "How long attrd waits for further changes before writing the attribute to the CIB \
         (attrd_updater -d). The default 0s moves a VIP at once; a few seconds ride out a \
         brief blip at the cost of a slower failover. Accepts a number with an optional unit \
         ms, s, m or h (seconds when none).",
    );

pub const PARAMS: &[&dyn ParamInfo] = &[
    &SOCKET,
    &HOST,
    &PORT,
    &USER,
    &PASSWORD_FILE,
    &ATTRIBUTE,
    &DONOR_OK,
    &CONNECTIONS_RESERVE,
    &DAMPEN,
];

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

fn get<T: ocf::ParamType>(params: &Params, spec: &ParamSpec<T>) -> Result<T, AgentError> {
    params
        .get(spec)
        .map_err(|e| AgentError::Config(e.to_string()))
}

impl Publishing {
    pub fn from_params(params: &Params) -> Result<Publishing, AgentError> {
        let attribute: String = get(params, &ATTRIBUTE)?;
        check_attribute_name(&attribute)?;
        let dampen = get(params, &DAMPEN)?.0;
        Ok(Publishing {
            attribute,
            dampen,
            donor_ok: get(params, &DONOR_OK)?,
        })
    }
}

impl Config {
    pub fn from_params(params: &Params) -> Result<Config, AgentError> {
        params
            .check_all(PARAMS)
            .map_err(|e| AgentError::Config(e.to_string()))?;
        let publishing = Publishing::from_params(params)?;
        let target = match params.text(&HOST) {
            Some(host) => {
                let port = get(params, &PORT)?.0;
                Target::Tcp {
                    host: host.trim().to_string(),
                    port,
                }
            }
            None => {
                let socket = get(params, &SOCKET)?;
                if !socket.is_absolute() {
                    return Err(AgentError::Config(format!(
                        "parameter 'socket' must be an absolute path, not '{}'",
                        ocf::reason::excerpt(&socket.to_string_lossy(), 40)
                    )));
                }
                Target::Socket(socket)
            }
        };
        let connections_reserve = u64::from(get(params, &CONNECTIONS_RESERVE)?);
        let user: String = get(params, &USER)?;
        Ok(Config {
            target,
            user,
            password_file: params
                .get_opt(&PASSWORD_FILE)
                .map_err(|e| AgentError::Config(e.to_string()))?,
            attribute: publishing.attribute,
            policy: Policy {
                donor_ok: publishing.donor_ok,
                connections_reserve,
            },
            dampen: publishing.dampen,
        })
    }

    /// A client, with the password read from `password_file` (if any).
    pub fn client(&self) -> Result<Client, AgentError> {
        let password = match &self.password_file {
            Some(path) => Some(ocf::secret::read_file(path).map_err(AgentError::PasswordFile)?),
            None => None,
        };
        Ok(Client::new(
            self.target.clone(),
            self.user.clone(),
            password,
        ))
    }
}

/// Attribute names end up in CIB XML ids and on attrd_updater's command line: keep them to the
/// characters Pacemaker's own agents use.
fn check_attribute_name(name: &str) -> Result<(), AgentError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(AgentError::Config(format!(
            "parameter 'attribute' must start with a letter and hold only letters, digits, \
             '-', '_', '.' or ':', not '{name}'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::Env;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults() {
        let c = Config::from_params(&params(&[])).unwrap();
        assert_eq!(c.target, Target::Socket(DEFAULT_SOCKET.into()));
        assert_eq!(c.user, "root");
        assert_eq!(c.attribute, "galera-sync");
        assert_eq!(c.policy, Policy::default());
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
            assert!(matches!(e, Err(AgentError::Config(_))), "{k}={v}: {e:?}");
        }
    }
}
