//! A Galera node's lifecycle, for an agent that runs mariadbd itself and heals a
//! whole-cluster outage from the right node (issue 12). Nothing here knows OCF: blocking
//! calls take `Instant` deadlines, errors are typed, nothing reads the environment.
//!
//! - [`grastate`], [`gvwstate`]: Galera's state on disk and what it is worth ([`Trust`]).
//! - [`position`]: `uuid:seqno[,gtid]`; seqnos compare only within one history
//!   ([`Position::compare`], no `Ord`).
//! - [`recover`]: `mariadbd --wsrep-recover`, bounded, never on a datadir in use
//!   ([`datadir`]), with a decided answer to prepared transactions ([`PreparedPolicy`]).
//! - [`election`]: the pure bootstrap decision over every node's [`Report`]
//!   (docs/galera-election.md is its table of cases).
//! - [`server`]: the argument vector of a join or a bootstrap ([`StartPlan`]), finding and
//!   following the server without its pid file ([`probe`]), stopping it ([`stop_server`]).
//! - [`stamp`]: whether a datadir is as a recovery left it ([`DataStamp`]: its position
//!   holds without a second recovery).
//! - [`checks`]: the server's own view over SQL (crates/galera-status), credentials from a
//!   file only.
//!
//! The facts this rests on and the decisions are in docs/galera-election.md (facts cited as
//! F1…F15, election cases by number).

pub mod checks;
pub mod config;
pub mod datadir;
pub mod election;
pub mod grastate;
mod guard;
pub mod gvwstate;
pub mod position;
pub mod recover;
pub mod server;
pub mod stamp;

pub use checks::{fetch, position_of, Credentials, PrimaryView};
pub use config::{ConfigError, ServerConfig, DEFAULT_BINARY};
pub use datadir::{datadir_users, DatadirUser, Evidence};
pub use election::{
    elect, Basis, Blocked, Decision, Election, Facts, Grant, NeedsRecovery, NodeName, NodeState,
    Policy, Report, Reported, Source, Verdict, Wait, WaitRule,
};
pub use grastate::{DiskError, GraState, SafeToBootstrap, Trust, UnsafeWhy};
pub use gvwstate::{SavedView, ViewFile};
pub use position::{ClusterUuid, Comparison, Gtid, Position, PositionError, SEQNO_UNDEFINED};
pub use recover::{recover, PreparedPolicy, RecoverError, Recovered};
pub use server::{
    diagnose_log, find_server, probe, stop_server, LocalState, Phase, PlanKind, Probe, StartError,
    StartFailure, StartPlan, StopReport, Transfer, TransferScript,
};
pub use stamp::DataStamp;
