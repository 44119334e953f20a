//! A Galera node's health, read over the MariaDB protocol.
//!
//! [`Client::fetch`] connects over the unix socket (default) or TCP with the pure-Rust `mysql`
//! crate, reads the `wsrep_*` status, `read_only`, `max_connections` and `Threads_connected` in
//! one round trip, and returns a typed [`WsrepStatus`]. [`classify`] turns a status (or the
//! error that prevented reading one) into a [`Health`] under a [`Policy`] (`donor_ok`,
//! `connections_reserve`).
//!
//! Healthy means: `wsrep_local_state` 4 (Synced, compared by number, never by comment),
//! `wsrep_cluster_status` Primary, `wsrep_ready` ON, `wsrep_connected` ON, `read_only` OFF and
//! at least `connections_reserve` free client connections. Donor/Desynced (2) is healthy only
//! with `donor_ok`. Everything else is unhealthy, with a typed [`Reason`].
//!
//! Every blocking step is bounded by the caller's budget: the TCP connect timeout, the socket
//! read/write timeouts, and a watchdog around the whole exchange (a unix-socket `connect` and a
//! host-name lookup have no timeout of their own).

mod client;
mod error;
mod health;
mod status;

pub use client::{Client, Target, DEFAULT_PORT, DEFAULT_SOCKET, DEFAULT_USER};
pub use error::StatusError;
pub use health::{classify, Health, Policy, Reason};
pub use secret::Secret;
pub use status::{ClusterStatus, LocalState, WsrepStatus, STATUS_VARIABLES};
