//! What an agent declares (its description, parameters and advertised actions) and what it
//! implements (the [`Agent`] trait), plus the [`Context`] each action receives.

use std::ffi::OsString;

use crate::action::Action;
use crate::deadline::Deadline;
use crate::env::Env;
use crate::error::{Failure, Unimplemented};
use crate::params::{ParamError, ParamInfo, Params};
use crate::rc::OcfRc;

/// The static description of an agent: the single source for meta-data and man page.
#[derive(Debug)]
pub struct AgentInfo {
    /// The agent type, as installed under `/usr/lib/ocf/resource.d/mariadb/`.
    pub name: &'static str,
    /// The agent's own version (the `version` attribute, not the OCF `<version>`).
    pub version: &'static str,
    pub shortdesc: &'static str,
    pub longdesc: &'static str,
    pub params: &'static [&'static dyn ParamInfo],
    pub actions: &'static [ActionSpec],
    /// Extra, non-OCF commands shown in usage and the man page: (synopsis, description).
    pub commands: &'static [(&'static str, &'static str)],
}

impl AgentInfo {
    pub fn advertises(&self, action: Action) -> bool {
        self.actions.iter().any(|a| a.action == action)
    }

    /// Every action this agent answers, in the order usage, `methods` and the man page list
    /// them: the advertised ones, then those every agent answers.
    pub fn answered_actions(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        let always = [
            Action::MetaData,
            Action::ValidateAll,
            Action::Methods,
            Action::Usage,
        ];
        for a in self.actions.iter().map(|a| a.action).chain(always) {
            if !names.contains(&a.as_str()) {
                names.push(a.as_str());
            }
        }
        names
    }

    /// Whether any parameter is reloadable (then `reload-agent` must be advertised).
    pub fn has_reloadable(&self) -> bool {
        self.params.iter().any(|p| p.is_reloadable())
    }
}

/// Roles for `<action role=…>` (OCF 1.1 names; Pacemaker >= 2.1 understands them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Promoted,
    Unpromoted,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Promoted => "Promoted",
            Role::Unpromoted => "Unpromoted",
        }
    }
}

/// An `<action>` advertised in meta-data; pcs copies these into the CIB as the default ops.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub action: Action,
    /// Seconds.
    pub timeout: u32,
    /// Seconds; only for recurring monitors.
    pub interval: Option<u32>,
    pub depth: Option<u32>,
    pub role: Option<Role>,
}

impl ActionSpec {
    pub const fn new(action: Action, timeout: u32) -> ActionSpec {
        ActionSpec {
            action,
            timeout,
            interval: None,
            depth: None,
            role: None,
        }
    }
    pub const fn interval(mut self, seconds: u32) -> ActionSpec {
        self.interval = Some(seconds);
        self
    }
    pub const fn depth(mut self, depth: u32) -> ActionSpec {
        self.depth = Some(depth);
        self
    }
    pub const fn role(mut self, role: Role) -> ActionSpec {
        self.role = Some(role);
        self
    }
}

/// What an action found, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0: done, or running (unpromoted).
    Success,
    /// 7: cleanly not running.
    NotRunning,
    /// 8: running promoted.
    Promoted,
    /// 190: running, degraded.
    Degraded,
    /// 191: promoted, degraded.
    DegradedPromoted,
}

impl Status {
    pub fn rc(self) -> OcfRc {
        match self {
            Status::Success => OcfRc::Success,
            Status::NotRunning => OcfRc::NotRunning,
            Status::Promoted => OcfRc::RunningPromoted,
            Status::Degraded => OcfRc::Degraded,
            Status::DegradedPromoted => OcfRc::DegradedPromoted,
        }
    }
}

/// Everything one action may look at.
#[derive(Debug)]
pub struct Context {
    pub action: Action,
    pub env: Env,
    pub params: Params,
    pub deadline: Deadline,
    pub info: &'static AgentInfo,
}

impl Context {
    pub fn new(info: &'static AgentInfo, action: Action, env: Env, deadline: Deadline) -> Context {
        let params = Params::from_env(&env);
        Context {
            action,
            env,
            params,
            deadline,
            info,
        }
    }

    /// A probe: a one-shot monitor (interval 0), run on every node, including nodes where the
    /// resource cannot run. It must answer 7 (or 5) there, never 6.
    pub fn is_probe(&self) -> bool {
        self.action == Action::Monitor && self.env.interval().is_zero()
    }

    /// `OCF_CHECK_LEVEL`, or `default` when Pacemaker gave none.
    pub fn check_level(&self, default: u32) -> u32 {
        self.env.check_level().unwrap_or(default)
    }

    /// The resource id, or the agent name for a manual run.
    pub fn instance(&self) -> &str {
        self.env.instance().unwrap_or(self.info.name)
    }

    /// The failure of an action this agent does not implement.
    pub fn unimplemented(&self) -> Unimplemented {
        Unimplemented {
            agent: self.info.name,
            action: self.action,
        }
    }
}

/// An OCF resource agent. Only start, stop, monitor and validate-all are mandatory; the others
/// answer 3 (not implemented), which is what Pacemaker and ocf-tester expect. `Error` is the
/// agent's one error enum: each variant knows its code ([`Failure`]).
pub trait Agent {
    type Error: Failure + From<ParamError> + From<Unimplemented>;

    fn info(&self) -> &'static AgentInfo;
    fn start(&self, ctx: &Context) -> Result<Status, Self::Error>;
    fn stop(&self, ctx: &Context) -> Result<Status, Self::Error>;
    fn monitor(&self, ctx: &Context) -> Result<Status, Self::Error>;
    fn validate(&self, ctx: &Context) -> Result<Status, Self::Error>;

    fn promote(&self, ctx: &Context) -> Result<Status, Self::Error> {
        Err(ctx.unimplemented().into())
    }
    fn demote(&self, ctx: &Context) -> Result<Status, Self::Error> {
        Err(ctx.unimplemented().into())
    }
    fn notify(&self, ctx: &Context) -> Result<Status, Self::Error> {
        Err(ctx.unimplemented().into())
    }
    /// OCF 1.1: apply a change of `reloadable` parameters without a restart.
    fn reload_agent(&self, ctx: &Context) -> Result<Status, Self::Error> {
        Err(ctx.unimplemented().into())
    }

    /// A non-OCF command (`keepalived-check`, `wsrep-notify`, `status`, …): `Some(exit code)`
    /// when `name` is one of the agent's commands. `args` are the words after the name.
    fn command(&self, _name: &str, _args: &[OsString], _env: Env) -> Option<i32> {
        None
    }
}

/// Writes the methods of an [`Agent`] impl that only hand the context on, inside
/// `impl Agent for …` after `type Error`: `info` answers the declaration (`INFO`); an action
/// named alone calls the function of that name in the agent's module for it (`start::start`,
/// `stop::stop`, `monitor::monitor`, `validate::validate`, `reload::reload_agent`: one file per
/// action, the layout every agent shares); `action: function` calls `function(ctx)` instead.
/// Methods that do more stay written out beside it.
///
/// ```ignore
/// impl Agent for MaxScaleAgent {
///     type Error = MaxScaleError;
///     ocf::actions!(INFO; start, stop, monitor, validate, reload_agent,
///                   promote: |ctx| promotion::set_role(ctx, false));
/// }
/// ```
#[macro_export]
macro_rules! actions {
    ($info:path; $($action:ident $(: $call:expr)?),* $(,)?) => {
        fn info(&self) -> &'static $crate::AgentInfo {
            &$info
        }
        $($crate::actions!(@method $action $(: $call)?);)*
    };
    (@method $action:ident: $call:expr) => {
        fn $action(
            &self,
            ctx: &$crate::Context,
        ) -> ::core::result::Result<$crate::Status, Self::Error> {
            ($call)(ctx)
        }
    };
    (@method reload_agent) => {
        $crate::actions!(@method reload_agent: reload::reload_agent);
    };
    (@method $action:ident) => {
        $crate::actions!(@method $action: $action::$action);
    };
}
