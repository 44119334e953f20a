//! The instance parameters, declared once, and their typed, validated form.

use std::path::PathBuf;
use std::time::Duration;

use galera_status::{Client, Policy, Target, DEFAULT_PORT, DEFAULT_SOCKET, DEFAULT_USER};
use ocf::{ParamSpec, Params};

use crate::error::AgentError;

pub const SOCKET: ParamSpec = ParamSpec::string("socket")
    .default(DEFAULT_SOCKET)
    .short("MariaDB unix socket")
    .long(
        "The local MariaDB server's unix socket. Used unless 'host' is set. root connects over \
         it with unix_socket authentication, so no password is needed.",
    );
pub const HOST: ParamSpec = ParamSpec::string("host").short("MariaDB TCP host").long(
    "Connect over TCP to this host (name or address) instead of the unix socket. A loopback \
     address really uses TCP.",
);
pub const PORT: ParamSpec = ParamSpec::integer("port")
    .default("3306")
    .short("MariaDB TCP port")
    .long("The TCP port, used with 'host'.");
pub const USER: ParamSpec = ParamSpec::string("user")
    .default(DEFAULT_USER)
    .short("MariaDB user")
    .long(
        "The MariaDB user that reads the status. It needs no privilege beyond logging in \
         (SHOW GLOBAL STATUS and @@read_only are open to every user); a user with \
         CONNECTION ADMIN (or SUPER, e.g. root) can still log in when max_connections is \
         reached, which lets the agent report the exhausted server instead of failing to \
         connect.",
    );
pub const PASSWORD_FILE: ParamSpec = ParamSpec::string("password_file")
    .short("File holding the user's password")
    .long(
        "A file whose content (without the trailing newline) is the user's password. The \
         password never appears in the process list, the environment or the logs. Leave unset \
         for unix_socket authentication. Keep the file readable by root only.",
    );
pub const ATTRIBUTE: ParamSpec = ParamSpec::string("attribute")
    .default("galera-sync")
    .short("Node attribute name")
    .long(
        "The transient node attribute this agent publishes: 1 while the local Galera node is \
         healthy (Synced, Primary, ready, writable, enough free connections), 0 when not. A \
         location rule such as 'not_defined galera-sync or galera-sync number:lte 0' keeps a \
         VIP away from nodes that are not healthy.",
    );
pub const DONOR_OK: ParamSpec = ParamSpec::boolean("donor_ok")
    .default("false")
    .short("Donor/Desynced counts as healthy")
    .long(
        "Whether a node in state Donor/Desynced (2) — serving a state transfer, or desynced on \
         purpose with wsrep_desync=ON for a backup — keeps the attribute at 1.",
    );
pub const CONNECTIONS_RESERVE: ParamSpec = ParamSpec::integer("connections_reserve")
    .default("2")
    .short("Free connections that must remain")
    .long(
        "The node is unhealthy when fewer than this many client connections are free \
         (max_connections minus the connected clients, not counting the agent's own \
         connection). 0 disables the check.",
    );
pub const DAMPEN: ParamSpec = ParamSpec::string("dampen")
    .default("0s")
    .short("attrd dampening")
    .long(
        "How long attrd waits for further changes before writing the attribute to the CIB \
         (attrd_updater -d). The default 0s moves a VIP at once; a few seconds ride out a \
         brief blip at the cost of a slower failover. Accepts a number with an optional unit \
         ms, s, m or h (seconds when none).",
    );

pub const PARAMS: &[ParamSpec] = &[
    SOCKET,
    HOST,
    PORT,
    USER,
    PASSWORD_FILE,
    ATTRIBUTE,
    DONOR_OK,
    CONNECTIONS_RESERVE,
    DAMPEN,
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

fn get<T: ocf::params::FromParam>(params: &Params, spec: &ParamSpec) -> Result<T, AgentError> {
    params
        .require(spec)
        .map_err(|e| AgentError::Config(e.reason().to_string()))
}

impl Publishing {
    pub fn from_params(params: &Params) -> Result<Publishing, AgentError> {
        let attribute: String = get(params, &ATTRIBUTE)?;
        check_attribute_name(&attribute)?;
        let dampen: String = get(params, &DAMPEN)?;
        let dampen = parse_duration(&dampen).ok_or_else(|| {
            AgentError::Config(format!(
                "parameter 'dampen' must be a time such as 0, 2s or 500ms, not '{dampen}'"
            ))
        })?;
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
            .check_declared()
            .map_err(|e| AgentError::Config(e.reason().to_string()))?;
        let publishing = Publishing::from_params(params)?;
        let target = match params.configured(&HOST) {
            Some(host) => {
                let port: i64 = get(params, &PORT)?;
                let port = u16::try_from(port).ok().filter(|p| *p > 0).ok_or_else(|| {
                    AgentError::Config(format!(
                        "parameter 'port' must be from 1 to 65535, not {port}"
                    ))
                })?;
                Target::Tcp {
                    host: host.trim().to_string(),
                    port,
                }
            }
            None => {
                let socket: String = get(params, &SOCKET)?;
                if !socket.starts_with('/') {
                    return Err(AgentError::Config(format!(
                        "parameter 'socket' must be an absolute path, not '{socket}'"
                    )));
                }
                Target::Socket(PathBuf::from(socket))
            }
        };
        let reserve: i64 = get(params, &CONNECTIONS_RESERVE)?;
        let connections_reserve = u64::try_from(reserve).map_err(|_| {
            AgentError::Config(format!(
                "parameter 'connections_reserve' must be 0 or more, not {reserve}"
            ))
        })?;
        let user: String = get(params, &USER)?;
        Ok(Config {
            target,
            user,
            password_file: params.configured(&PASSWORD_FILE).map(PathBuf::from),
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
            Some(path) => {
                Some(galera_status::read_password_file(path).map_err(AgentError::PasswordFile)?)
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

/// `0`, `5`, `5s`, `500ms`, `2m`, `1h` (Pacemaker's own forms; a bare number is seconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let ms = match unit.trim() {
        "" | "s" | "sec" | "secs" => n.checked_mul(1000)?,
        "ms" | "msec" | "msecs" => n,
        "m" | "min" | "mins" => n.checked_mul(60_000)?,
        "h" | "hr" | "hrs" => n.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

/// `DEFAULT_PORT` is the declared default of `port`; keep them in step.
const _: () = assert!(DEFAULT_PORT == 3306);

#[cfg(test)]
mod tests {
    use super::*;
    use ocf::Env;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_env(PARAMS, &Env::from_pairs(pairs.iter().copied()))
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

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration(" 500ms "), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("1.5s"), None);
        assert_eq!(parse_duration("-1"), None);
    }
}
