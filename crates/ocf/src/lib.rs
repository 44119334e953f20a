//! The OCF 1.1 resource-agent contract, written once for every `ocf:mariadb` agent.
//!
//! An agent declares an [`AgentInfo`] (parameters and advertised actions), implements [`Agent`],
//! and its `main` is `ocf::run(MyAgent)`. This crate turns argv and the environment into a
//! [`Context`] with typed parameters and a [`Deadline`], calls the action, and maps the result
//! to the exit code and `ocf-exit-reason:` line in one place.

pub mod action;
pub mod agent;
pub mod attrs;
pub mod command;
pub mod deadline;
pub mod env;
pub mod error;
pub mod log;
pub mod manpage;
pub mod metadata;
pub mod params;
pub mod rc;
pub mod run;
pub mod state;
pub mod watchdog;

pub use action::Action;
pub use agent::{ActionSpec, Agent, AgentInfo, Context, Role, Status};
pub use deadline::Deadline;
pub use env::Env;
pub use error::{OcfError, OcfResult};
pub use params::{Kind, ParamSpec, Params};
pub use rc::OcfRc;
pub use run::{execute, run, Mode};
