//! Why the status could not be read. Each variant names what a person should look at; none
//! ever carries the password.

use std::io;
use std::time::Duration;

use serde::Serialize;

/// Server error codes that mean "you may not log in" (ER_DBACCESS_DENIED_ERROR,
/// ER_ACCESS_DENIED_ERROR, ER_HOST_IS_BLOCKED, ER_HOST_NOT_PRIVILEGED,
/// ER_ACCESS_DENIED_NO_PASSWORD_ERROR).
const AUTH_CODES: [u16; 5] = [1044, 1045, 1129, 1130, 1698];
/// ER_CON_COUNT_ERROR, ER_TOO_MANY_USER_CONNECTIONS, ER_USER_LIMIT_REACHED.
const TOO_MANY_CODES: [u16; 3] = [1040, 1203, 1226];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StatusError {
    /// The unix socket file is not there: MariaDB is not running (or `socket` is wrong).
    #[error("socket {path} does not exist (MariaDB not running?)")]
    NoSocket { path: String },
    /// Nobody listens: MariaDB is not running, or is starting/stopping.
    #[error("connection to {target} refused (MariaDB not running?)")]
    Refused { target: String },
    /// Any other failure to open the connection (permissions on the socket, no route, DNS).
    #[error("cannot connect to {target}: {message}")]
    Connect { target: String, message: String },
    /// The server rejected the user (or the client cannot speak its authentication plugin).
    #[error("access denied for user '{user}': {message}")]
    AuthDenied { user: String, message: String },
    /// The server refused a new connection because its connection limit is reached.
    #[error("server refused the connection: {message}")]
    TooManyConnections { message: String },
    /// No answer within the budget (a hung or overloaded server).
    #[error("no answer from {target} within {after_ms} ms ({during})")]
    Timeout {
        target: String,
        during: String,
        after_ms: u64,
    },
    /// The server answered the status query with an error.
    #[error("status query failed (server error {code}): {message}")]
    Query { code: u16, message: String },
    /// The conversation broke off or made no sense.
    #[error("protocol error with {target}: {message}")]
    Protocol { target: String, message: String },
}

impl StatusError {
    /// A short machine-readable name (the JSON `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            StatusError::NoSocket { .. } => "no_socket",
            StatusError::Refused { .. } => "refused",
            StatusError::Connect { .. } => "connect",
            StatusError::AuthDenied { .. } => "auth_denied",
            StatusError::TooManyConnections { .. } => "too_many_connections",
            StatusError::Timeout { .. } => "timeout",
            StatusError::Query { .. } => "query",
            StatusError::Protocol { .. } => "protocol",
        }
    }

    /// Errors that are about this node's configuration rather than the server's state
    /// (wrong credentials): worth an error-level log line.
    pub fn is_configuration(&self) -> bool {
        matches!(self, StatusError::AuthDenied { .. })
    }

    pub(crate) fn timeout(target: &str, during: &str, after: Duration) -> StatusError {
        StatusError::Timeout {
            target: target.to_string(),
            during: during.to_string(),
            after_ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Maps a driver error from the connect phase (TCP/socket connect and handshake).
    pub(crate) fn from_connect(
        e: mysql::Error,
        target: &str,
        user: &str,
        budget: Duration,
    ) -> StatusError {
        use mysql::DriverError as D;
        match e {
            mysql::Error::MySqlError(se) if AUTH_CODES.contains(&se.code) => {
                StatusError::AuthDenied {
                    user: user.to_string(),
                    message: format!("server error {}: {}", se.code, se.message),
                }
            }
            mysql::Error::MySqlError(se) if TOO_MANY_CODES.contains(&se.code) => {
                StatusError::TooManyConnections {
                    message: format!("server error {}: {}", se.code, se.message),
                }
            }
            mysql::Error::MySqlError(se) => StatusError::Connect {
                target: target.to_string(),
                message: format!("server error {}: {}", se.code, se.message),
            },
            mysql::Error::DriverError(D::ConnectTimeout) => {
                StatusError::timeout(target, "connect", budget)
            }
            mysql::Error::DriverError(D::CouldNotConnect(Some((_, desc, kind)))) => {
                from_io_kind(kind, desc, target, "connect", budget)
            }
            mysql::Error::DriverError(D::UnknownAuthPlugin(plugin)) => StatusError::AuthDenied {
                user: user.to_string(),
                message: format!("authentication plugin '{plugin}' is not supported"),
            },
            mysql::Error::DriverError(
                d @ (D::OldMysqlPasswordDisabled | D::CleartextPluginDisabled),
            ) => StatusError::AuthDenied {
                user: user.to_string(),
                message: d.to_string(),
            },
            mysql::Error::IoError(io) => {
                from_io_kind(io.kind(), io.to_string(), target, "handshake", budget)
            }
            other => StatusError::Protocol {
                target: target.to_string(),
                message: other.to_string(),
            },
        }
    }

    /// Maps a driver error from the query phase.
    pub(crate) fn from_query(e: mysql::Error, target: &str, budget: Duration) -> StatusError {
        match e {
            mysql::Error::MySqlError(se) => StatusError::Query {
                code: se.code,
                message: se.message,
            },
            mysql::Error::IoError(io) => {
                from_io_kind(io.kind(), io.to_string(), target, "status query", budget)
            }
            other => StatusError::Protocol {
                target: target.to_string(),
                message: other.to_string(),
            },
        }
    }
}

fn from_io_kind(
    kind: io::ErrorKind,
    message: String,
    target: &str,
    during: &str,
    budget: Duration,
) -> StatusError {
    match kind {
        io::ErrorKind::NotFound if during == "connect" => StatusError::NoSocket {
            path: target.to_string(),
        },
        io::ErrorKind::ConnectionRefused => StatusError::Refused {
            target: target.to_string(),
        },
        // A read/write timeout on a socket shows up as WouldBlock (EAGAIN) or TimedOut.
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            StatusError::timeout(target, during, budget)
        }
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => StatusError::Protocol {
            target: target.to_string(),
            message: format!("connection closed by the server during {during}: {message}"),
        },
        _ => StatusError::Connect {
            target: target.to_string(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: u16) -> mysql::Error {
        mysql::Error::MySqlError(mysql::MySqlError {
            state: "28000".into(),
            message: "nope".into(),
            code,
        })
    }

    #[test]
    fn connect_errors_are_typed() {
        let b = Duration::from_secs(1);
        let t = "/run/mysqld/mysqld.sock";
        assert!(matches!(
            StatusError::from_connect(server(1045), t, "root", b),
            StatusError::AuthDenied { .. }
        ));
        assert!(matches!(
            StatusError::from_connect(server(1698), t, "root", b),
            StatusError::AuthDenied { .. }
        ));
        assert!(matches!(
            StatusError::from_connect(server(1040), t, "root", b),
            StatusError::TooManyConnections { .. }
        ));
        let missing = mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(Some((
            t.into(),
            "No such file or directory".into(),
            io::ErrorKind::NotFound,
        ))));
        assert_eq!(
            StatusError::from_connect(missing, t, "root", b),
            StatusError::NoSocket { path: t.into() }
        );
        let refused = mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(Some((
            t.into(),
            "refused".into(),
            io::ErrorKind::ConnectionRefused,
        ))));
        assert_eq!(
            StatusError::from_connect(refused, t, "root", b).kind(),
            "refused"
        );
        let slow = mysql::Error::IoError(io::Error::from(io::ErrorKind::WouldBlock));
        assert_eq!(
            StatusError::from_connect(slow, t, "root", b),
            StatusError::Timeout {
                target: t.into(),
                during: "handshake".into(),
                after_ms: 1000
            }
        );
        assert_eq!(
            StatusError::from_connect(
                mysql::Error::DriverError(mysql::DriverError::ConnectTimeout),
                "127.0.0.1:3306",
                "root",
                b
            )
            .kind(),
            "timeout"
        );
    }

    #[test]
    fn query_errors_are_typed() {
        let b = Duration::from_millis(250);
        assert_eq!(
            StatusError::from_query(server(1047), "x", b),
            StatusError::Query {
                code: 1047,
                message: "nope".into()
            }
        );
        let eof = mysql::Error::IoError(io::Error::from(io::ErrorKind::UnexpectedEof));
        assert_eq!(StatusError::from_query(eof, "x", b).kind(), "protocol");
    }
}
