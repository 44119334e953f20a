//! The OCF 1.1 resource-agent contract, written once for every `ocf:mariadb` agent.
//!
//! An agent declares an [`AgentInfo`] (typed parameter declarations and advertised actions),
//! implements [`Agent`] with its own error enum (each variant knows its code: [`Failure`]), and
//! its `main` is `ocf::run(MyAgent)`. This crate turns argv and the environment into a
//! [`Context`] with the parameters and a [`Deadline`], calls the action, and maps the result to
//! the exit code and `ocf-exit-reason:` line in one place. Secrets ([`secret`]) and the agents'
//! extra commands ([`cli`]) are shared here too. docs/architecture.md shows the whole path.

pub use secret;

pub mod action;
pub mod agent;
pub mod attrs;
pub mod cli;
pub mod command;
pub mod deadline;
#[cfg(test)]
mod demo;
pub mod env;
pub mod error;
pub mod log;
pub mod manpage;
pub mod metadata;
pub mod params;
pub mod rc;
pub mod reason;
pub mod run;
pub mod state;
pub mod watchdog;

pub use action::Action;
pub use agent::{ActionSpec, Agent, AgentInfo, Context, Role, Status};
pub use deadline::Deadline;
pub use env::Env;
pub use error::{Failure, OcfError, OcfResult, Unimplemented};
pub use params::{Kind, ParamError, ParamInfo, ParamSpec, ParamType, Params, Port, TimeSpan};
pub use rc::OcfRc;
pub use run::{execute, run, usage, Mode};
pub use secret::{Secret, SecretError};
