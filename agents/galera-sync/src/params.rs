//! The instance parameters, declared once: name, type, typed default, descriptions, and whether
//! `reload-agent` applies a change. Everything but `attribute` is read by the monitor alone (to
//! reach the server, judge it, and publish), so a change needs no restart; a renamed
//! `attribute` does, because the old attribute must be removed by a stop.

use std::path::PathBuf;

use galera_status::{Policy, DEFAULT_PORT, DEFAULT_SOCKET, DEFAULT_USER};
use ocf::{ParamInfo, ParamSpec, Port, TimeSpan};

pub const SOCKET: ParamSpec<PathBuf> = ParamSpec::path("socket")
    .default(DEFAULT_SOCKET)
    .reloadable()
    .short("MariaDB unix socket")
    .long(
        "The local MariaDB server's unix socket. Used unless 'host' is set. root connects over \
         it with unix_socket authentication, so no password is needed.",
    );
pub const HOST: ParamSpec<String> = ParamSpec::string("host")
    .reloadable()
    .short("MariaDB TCP host")
    .long(
        "Connect over TCP to this host (name or address) instead of the unix socket. A loopback \
         address really uses TCP.",
    );
pub const PORT: ParamSpec<Port> = ParamSpec::new("port")
    .default(Port(DEFAULT_PORT))
    .reloadable()
    .short("MariaDB TCP port")
    .long("The TCP port, used with 'host'.");
pub const USER: ParamSpec<String> = ParamSpec::string("user")
    .default(DEFAULT_USER)
    .reloadable()
    .short("MariaDB user")
    .long(
        "The MariaDB user that reads the status. It needs no privilege beyond logging in \
         (SHOW GLOBAL STATUS and @@read_only are open to every user); a user with \
         CONNECTION ADMIN (or SUPER, e.g. root) can still log in when max_connections is \
         reached, which lets the agent report the exhausted server instead of failing to \
         connect.",
    );
pub const PASSWORD_FILE: ParamSpec<PathBuf> = ParamSpec::path("password_file")
    .reloadable()
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
    .default(Policy::DEFAULT.donor_ok)
    .reloadable()
    .short("Donor/Desynced counts as healthy")
    .long(
        "Whether a node in state Donor/Desynced (2) — serving a state transfer, or desynced on \
         purpose with wsrep_desync=ON for a backup — keeps the attribute at 1.",
    );
// The library's default (a small number) as the parameter's u32, whose error text is short.
const RESERVE_DEFAULT: u32 = Policy::DEFAULT.connections_reserve as u32;
pub const CONNECTIONS_RESERVE: ParamSpec<u32> = ParamSpec::new("connections_reserve")
    .default(RESERVE_DEFAULT)
    .reloadable()
    .short("Free connections that must remain")
    .long(
        "The node is unhealthy when fewer than this many client connections are free \
         (max_connections minus the connected clients, not counting the agent's own \
         connection). 0 disables the check.",
    );
pub const DAMPEN: ParamSpec<TimeSpan> = ParamSpec::new("dampen")
    .default(TimeSpan::millis(0))
    .reloadable()
    .short("attrd dampening")
    .long(
        "How long attrd waits for further changes before writing the attribute to the CIB \
         (attrd_updater -d). The default 0s moves a VIP at once; a few seconds ride out a \
         brief blip at the cost of a slower failover. Accepts a number with an optional unit \
         ms, s, m or h (seconds when none).",
    );

/// The table the meta-data, the man page and `check_all` are written from, in this order.
pub const ALL: &[&dyn ParamInfo] = &[
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_attribute_needs_a_restart() {
        let fixed: Vec<&str> = ALL
            .iter()
            .filter(|p| !p.is_reloadable())
            .map(|p| p.name())
            .collect();
        assert_eq!(fixed, ["attribute"]);
    }

    #[test]
    fn defaults_come_from_the_library() {
        assert_eq!(
            u64::from(CONNECTIONS_RESERVE.default_value().unwrap()),
            Policy::DEFAULT.connections_reserve
        );
        assert_eq!(DONOR_OK.default_value(), Some(Policy::DEFAULT.donor_ok));
    }
}
