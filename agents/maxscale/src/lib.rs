//! `ocf:mariadb:maxscale`: runs MariaDB MaxScale, judges it through its REST API, and — as a
//! promotable clone — keeps exactly one MaxScale active (`passive=false`).
//!
//! Exit codes, decided once (the meta-data longdesc and README.md tell users the same):
//! - monitor: 7 only when MaxScale is cleanly not running (no live process through the pid
//!   file, nothing on the admin port; with manage_process=false: the REST API refuses
//!   connections). A live process that is stopped (SIGSTOP), or whose REST API refuses, times
//!   out, answers 503, garbage or an unexpected document: 1 with the reason. A depth-20 check
//!   that fails: 1 for a primitive, a lower promotion score for a promotable clone.
//! - credentials or TLS rejected: 2 (per-node configuration; see `failure`).
//! - malformed parameters: 6 (probes answer 7, by the OCF core); files or the user missing on
//!   this node: 5 (start, validate-all); monitor and stop never look at them.
//! - start: MaxScale's own exit codes mapped in `daemon::exit_code_failure`; "not ready within
//!   the timeout": 1.
//! - stop: 0 when nothing runs (stale pid files removed); 1 only when the process survives
//!   SIGKILL. It never needs the REST API, so a wrong password cannot make it fail.
//! - promote/demote work outside a promotable clone too (orphaned instances of a deleted clone
//!   are demoted without the clone's meta-attributes); start/monitor of a primitive never touch
//!   passive.

pub mod daemon;
pub mod failure;
pub mod health;
pub mod keepalived;
pub mod params;
pub mod promotion;
pub mod settings;

use std::ffi::OsString;
use std::time::{Duration, Instant};

use maxscale_rest::{Client, ErrorKind, MaxScaleInfo};
use ocf::action::Action;
use ocf::{ActionSpec, Agent, AgentInfo, Context, Env, OcfError, OcfResult, Role, Status};

use crate::daemon::Proc;
use crate::failure::to_ocf;
use crate::settings::Settings;

const LONGDESC: &str = "Runs MariaDB MaxScale and judges it through its REST API. As a primitive \
it replaces lsb:maxscale; as a promotable clone it replaces the Keepalived scripts that kept one \
MaxScale active: the promoted instance has passive=false, every other one passive=true, and each \
monitor sets a promotion score from the node's health (100 healthy, 10 degraded, none when \
MaxScale does not answer) so the healthiest node is promoted. \
Monitor depth (OCF_CHECK_LEVEL): 0 = the process is alive (not a zombie, not stopped); 10 (the \
default) = also GET /v1/maxscale answers; 20 = also every server named in servers is Running (at \
least one Running server when servers is empty), a Master exists when require_master is set, and \
every monitor is Running. \
Exit codes: monitor answers 7 only when MaxScale is cleanly not running (no live process through \
the pid file and nothing listening on the admin port); a hung, stopped (SIGSTOP) or broken \
MaxScale (REST API refused, timed out, 503, not JSON) answers 1 within the monitor timeout; a \
failed depth-20 check answers 1 for a primitive and only lowers the score of a promotable clone; \
credentials or a TLS certificate that MaxScale's API rejects answer 2 (this node's \
configuration: never 6, which would ban the resource everywhere); malformed parameters answer 6 \
(7 in probes); a missing binary, config or user answers 5 from start and validate-all. start \
maps MaxScale's exit codes: 1 (configuration rejected) and 5 (bad argument) to 2, 2 (library \
missing) to 5, others to 1, with MaxScale's own message as the exit reason. stop sends SIGTERM, \
a second SIGTERM halfway (MaxScale then exits at once) and SIGKILL before the timeout; it fails \
(1) only if the process survives SIGKILL. \
passive is persisted by MaxScale: an instance that was demoted comes back passive even as a \
primitive, which leaves passive as MaxScale has it. With cooperative monitoring locks \
(mariadbmon cooperative_monitoring_locks) the agent never touches passive; promote and demote \
then only record the role. With configuration sync, passive is set with ?sync=false. \
Keepalived: 'maxscale keepalived-check [--params FILE] [--timeout SECS]' exits 0 when healthy at \
depth 20 (hard timeout, default 2 s) and 'maxscale keepalived-notify [--params FILE] TYPE NAME \
STATE [PRIORITY]' sets passive=false on MASTER and passive=true on BACKUP, FAULT, STOP; FILE \
holds the same parameters as key=value lines.";

static INFO: AgentInfo = AgentInfo {
    name: "maxscale",
    version: env!("CARGO_PKG_VERSION"),
    shortdesc: "MariaDB MaxScale (REST-API health, one active instance as a promotable clone)",
    longdesc: LONGDESC,
    params: params::ALL,
    actions: &[
        ActionSpec::new(Action::Start, 60),
        ActionSpec::new(Action::Stop, 60),
        ActionSpec::new(Action::Monitor, 20).interval(10).depth(10),
        ActionSpec::new(Action::Monitor, 20)
            .interval(9)
            .depth(10)
            .role(Role::Promoted),
        ActionSpec::new(Action::Monitor, 20)
            .interval(11)
            .depth(10)
            .role(Role::Unpromoted),
        ActionSpec::new(Action::Promote, 30),
        ActionSpec::new(Action::Demote, 30),
        ActionSpec::new(Action::Notify, 10),
        ActionSpec::new(Action::MetaData, 5),
        ActionSpec::new(Action::ValidateAll, 20),
    ],
    commands: &[
        (
            "keepalived-check [--params FILE] [--timeout SECS]",
            "Keepalived vrrp_script: exit 0 when MaxScale is healthy at depth 20, 1 otherwise",
        ),
        (
            "keepalived-notify [--params FILE] [--timeout SECS] TYPE NAME STATE [PRIORITY]",
            "Keepalived notify: MASTER -> passive=false; BACKUP, FAULT, STOP -> passive=true",
        ),
    ],
};

/// The agent.
#[derive(Debug, Default, Clone, Copy)]
pub struct MaxScaleAgent;

/// Connection set-up never takes longer than this.
const CONNECT_CAP: Duration = Duration::from_secs(2);
/// Between two readiness polls in start.
const READY_POLL: Duration = Duration::from_millis(50);

/// One request's deadline: a third of the timeout, at least 5 s, never past the action's.
fn request_deadline(ctx: &Context) -> Instant {
    let cap = (ctx.deadline.timeout() / 3).max(Duration::from_secs(5));
    ctx.deadline.capped(cap).at()
}

fn client(ctx: &Context, s: &Settings) -> OcfResult<Client> {
    let config = s.rest_config(ctx.deadline.budget(CONNECT_CAP))?;
    Client::new(&config).map_err(|e| to_ocf(e, "REST API client"))
}

fn stopped_process(p: &daemon_process::Process) -> OcfError {
    OcfError::generic(format!(
        "MaxScale (pid {}) is stopped ({:?}, e.g. by SIGSTOP) and cannot answer",
        p.pid, p.state
    ))
}

/// What monitor found, before the role is decided.
enum Observed {
    NotRunning,
    /// The process is alive; depth < 10 and no REST call was needed.
    ProcessAlive,
    Answering(Box<MaxScaleInfo>, Client),
}

/// The shared part of monitor and keepalived-check: process, then REST API.
fn observe(ctx: &Context, s: &Settings, need_api: bool) -> OcfResult<Observed> {
    if s.manage_process {
        match daemon::find(s)? {
            Proc::Absent { stale } => {
                if daemon::admin_port_open(s, ctx.deadline.budget(Duration::from_millis(300))) {
                    return Err(OcfError::generic(format!(
                        "no MaxScale process through {}, but something accepts connections on \
                         {}:{} (a MaxScale started outside this resource?)",
                        s.pid_file().path().display(),
                        s.admin_host,
                        s.admin_port
                    )));
                }
                if let Some(why) = stale {
                    tracing::debug!("not running: {why}");
                }
                return Ok(Observed::NotRunning);
            }
            Proc::Running(p) if p.state.is_stopped() => return Err(stopped_process(&p)),
            Proc::Running(_) if !need_api => return Ok(Observed::ProcessAlive),
            Proc::Running(_) => {}
        }
    }
    let client = client(ctx, s)?;
    match client.maxscale(request_deadline(ctx)) {
        Ok(info) => Ok(Observed::Answering(Box::new(info), client)),
        Err(e) if !s.manage_process && e.kind == ErrorKind::Refused => Ok(Observed::NotRunning),
        Err(e) => Err(to_ocf(e, "MaxScale is running but its REST API failed")),
    }
}

fn monitor(ctx: &Context) -> OcfResult<Status> {
    let s = Settings::from_params(&ctx.params)?;
    let level = ctx.check_level(10);
    let promotable = ctx.env.is_promotable();
    let observed = observe(ctx, &s, level >= 10 || promotable || !s.manage_process);
    if promotable {
        return monitor_promotable(ctx, &s, observed);
    }
    match observed? {
        Observed::NotRunning => Ok(Status::NotRunning),
        Observed::ProcessAlive => Ok(Status::Success),
        Observed::Answering(_, client) => {
            if level >= 20 {
                let a = health::assess(&client, &s, request_deadline(ctx))
                    .map_err(|e| to_ocf(e, "depth-20 check"))?;
                if !a.healthy() {
                    return Err(OcfError::generic(format!(
                        "MaxScale answers, but {}",
                        a.summary()
                    )));
                }
            }
            Ok(Status::Success)
        }
    }
}

fn monitor_promotable(
    ctx: &Context,
    s: &Settings,
    observed: OcfResult<Observed>,
) -> OcfResult<Status> {
    let (info, client) = match observed {
        Ok(Observed::Answering(info, client)) => (info, client),
        Ok(Observed::NotRunning) => {
            promotion::forget(ctx);
            return Ok(Status::NotRunning);
        }
        Ok(Observed::ProcessAlive) => unreachable!("a promotable monitor always asks the API"),
        Err(e) => {
            promotion::set_score(ctx, None, false);
            return Err(e);
        }
    };
    let a = match health::assess(&client, s, request_deadline(ctx)) {
        Ok(a) => a,
        Err(e) => {
            promotion::set_score(ctx, None, false);
            return Err(to_ocf(e, "depth-20 check"));
        }
    };
    if !a.healthy() {
        tracing::warn!("degraded: {}", a.summary());
    }
    promotion::set_score(ctx, Some(promotion::score_for(&a)), ctx.is_probe());
    promotion::role(ctx, &info, &a)
}

/// Polls `GET /v1/maxscale` until it answers; credentials/TLS failures end it at once, and so
/// does the death of the process.
fn wait_ready(ctx: &Context, s: &Settings, client: &Client) -> OcfResult<MaxScaleInfo> {
    loop {
        let attempt = ctx.deadline.capped(Duration::from_secs(2)).at();
        let err = match client.maxscale(attempt) {
            Ok(info) => return Ok(info),
            Err(e) => e,
        };
        if matches!(
            err.kind,
            ErrorKind::Unauthorized(_) | ErrorKind::Forbidden(_) | ErrorKind::Tls(_)
        ) {
            return Err(to_ocf(err, "start"));
        }
        if s.manage_process {
            if let Proc::Absent { .. } = daemon::find(s)? {
                return Err(OcfError::generic(format!(
                    "MaxScale exited during start-up (see {}); last API error: {err}",
                    s.log_file().display()
                )));
            }
        }
        if ctx.deadline.remaining() <= READY_POLL {
            return Err(to_ocf(
                err,
                "start: MaxScale's REST API did not answer within the start timeout",
            ));
        }
        std::thread::sleep(READY_POLL);
    }
}

fn start(ctx: &Context) -> OcfResult<Status> {
    let s = Settings::from_params(&ctx.params)?;
    s.check_local()?;
    if s.manage_process {
        match daemon::find(&s)? {
            Proc::Running(p) if p.state.is_stopped() => return Err(stopped_process(&p)),
            Proc::Running(p) => tracing::info!("MaxScale is already running (pid {})", p.pid),
            Proc::Absent { stale } => {
                if let Some(why) = stale {
                    daemon::remove_stale_pid_file(&s, &why)?;
                }
                daemon::spawn(ctx, &s)?;
            }
        }
    }
    let client = client(ctx, &s)?;
    let info = wait_ready(ctx, &s, &client)?;
    if ctx.env.is_promotable() {
        let a =
            health::assess(&client, &s, request_deadline(ctx)).map_err(|e| to_ocf(e, "start"))?;
        promotion::apply(ctx, &client, &info, &a, true, "start")?;
        promotion::set_score(ctx, Some(promotion::score_for(&a)), true);
    }
    Ok(Status::Success)
}

fn stop(ctx: &Context) -> OcfResult<Status> {
    let s = Settings::lenient(&ctx.params);
    let promotable = ctx.env.is_promotable();
    if promotable {
        promotion::forget(ctx);
    }
    if s.manage_process {
        match daemon::find(&s)? {
            Proc::Running(p) => daemon::stop_process(ctx, &s, &p)?,
            Proc::Absent { stale: Some(why) } => {
                if let Err(e) = daemon::remove_stale_pid_file(&s, &why) {
                    tracing::warn!("{e}");
                }
            }
            Proc::Absent { stale: None } => {}
        }
    } else if promotable {
        // MaxScale keeps running (someone else manages it), but must not stay active.
        let demoted = client(ctx, &s).and_then(|c| {
            let d = ctx.deadline.capped(Duration::from_secs(5)).at();
            match c.maxscale(d) {
                Err(e) if e.kind == ErrorKind::Refused => Ok(()),
                Err(e) => Err(to_ocf(e, "stop")),
                Ok(info) if info.passive == Some(true) => Ok(()),
                Ok(info) => {
                    let a = health::assess(&c, &s, d).map_err(|e| to_ocf(e, "stop"))?;
                    promotion::apply(ctx, &c, &info, &a, true, "stop")
                }
            }
        });
        if let Err(e) = demoted {
            tracing::warn!("stop: MaxScale is left running and could not be made passive: {e}");
        }
    }
    Ok(Status::Success)
}

fn set_role(ctx: &Context, passive: bool) -> OcfResult<Status> {
    let what = if passive { "demote" } else { "promote" };
    // No "promotable clone only" gate: Pacemaker calls promote/demote only for promotable
    // clones, except when such a clone is deleted while promoted — the orphaned instance is then
    // demoted without the clone's meta-attributes, and a 3 here would leave it stuck as
    // "ORPHANED FAILED Promoted" (seen in the lab). start/monitor of a primitive still never
    // touch passive.
    let s = Settings::from_params(&ctx.params)?;
    match observe(ctx, &s, true)? {
        Observed::Answering(info, client) => {
            let a =
                health::assess(&client, &s, request_deadline(ctx)).map_err(|e| to_ocf(e, what))?;
            promotion::apply(ctx, &client, &info, &a, passive, what)?;
            Ok(Status::Success)
        }
        Observed::NotRunning if passive => {
            tracing::info!("demote: MaxScale is not running, so it is not active");
            Ok(Status::Success)
        }
        _ => Err(OcfError::generic(format!(
            "{what}: MaxScale is not running"
        ))),
    }
}

fn validate(ctx: &Context) -> OcfResult<Status> {
    let s = Settings::from_params(&ctx.params)?;
    s.check_local()?;
    Ok(Status::Success)
}

impl Agent for MaxScaleAgent {
    type Error = OcfError;
    fn info(&self) -> &'static AgentInfo {
        &INFO
    }
    fn start(&self, ctx: &Context) -> OcfResult<Status> {
        start(ctx)
    }
    fn stop(&self, ctx: &Context) -> OcfResult<Status> {
        stop(ctx)
    }
    fn monitor(&self, ctx: &Context) -> OcfResult<Status> {
        monitor(ctx)
    }
    fn validate(&self, ctx: &Context) -> OcfResult<Status> {
        validate(ctx)
    }
    fn promote(&self, ctx: &Context) -> OcfResult<Status> {
        set_role(ctx, false)
    }
    fn demote(&self, ctx: &Context) -> OcfResult<Status> {
        set_role(ctx, true)
    }
    /// Nothing to coordinate: notifications are accepted so clones may use notify=true.
    fn notify(&self, _ctx: &Context) -> OcfResult<Status> {
        Ok(Status::Success)
    }
    fn command(&self, name: &str, args: &[OsString], env: Env) -> Option<i32> {
        match name {
            "keepalived-check" => Some(keepalived::check(&INFO, args, env)),
            "keepalived-notify" => Some(keepalived::notify(&INFO, args, env)),
            _ => None,
        }
    }
}

/// The depth-20 verdict used by `keepalived-check`: Ok when healthy, else the reason.
pub(crate) fn healthy_at_depth_20(ctx: &Context) -> OcfResult<()> {
    let s = Settings::from_params(&ctx.params)?;
    match observe(ctx, &s, true)? {
        Observed::NotRunning => Err(OcfError::not_running("MaxScale is not running")),
        Observed::ProcessAlive => Ok(()),
        Observed::Answering(_, client) => {
            let a = health::assess(&client, &s, ctx.deadline.at())
                .map_err(|e| to_ocf(e, "depth-20 check"))?;
            if a.healthy() {
                Ok(())
            } else {
                Err(OcfError::generic(format!(
                    "MaxScale answers, but {}",
                    a.summary()
                )))
            }
        }
    }
}

/// Sets passive for `keepalived-notify` (same rules as promote/demote).
pub(crate) fn keepalived_set_passive(ctx: &Context, passive: bool) -> OcfResult<()> {
    let s = Settings::from_params(&ctx.params)?;
    let client = client(ctx, &s)?;
    let info = client
        .maxscale(ctx.deadline.at())
        .map_err(|e| to_ocf(e, "keepalived-notify"))?;
    let monitors = client
        .monitors(ctx.deadline.at())
        .map_err(|e| to_ocf(e, "keepalived-notify"))?;
    if health::cooperative_locks(&monitors) {
        tracing::warn!("cooperative monitoring locks are on: passive left unchanged");
        return Ok(());
    }
    if info.passive == Some(passive) {
        return Ok(());
    }
    client
        .set_passive(passive, info.config_sync_on(), ctx.deadline.at())
        .map_err(|e| to_ocf(e, &format!("keepalived-notify: setting passive={passive}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_checked_in() {
        let xml = ocf::metadata::render(&INFO);
        let checked_in = include_str!("../../../metadata/maxscale.xml");
        assert!(
            xml == checked_in,
            "metadata/maxscale.xml is stale; regenerate it with \
             `cargo run -q -p maxscale -- meta-data > metadata/maxscale.xml`"
        );
    }

    #[test]
    fn monitors_have_distinct_intervals() {
        let mut intervals: Vec<u32> = INFO
            .actions
            .iter()
            .filter(|a| a.action == Action::Monitor)
            .filter_map(|a| a.interval)
            .collect();
        let n = intervals.len();
        intervals.sort_unstable();
        intervals.dedup();
        assert_eq!(intervals.len(), n);
        assert!(INFO.advertises(Action::Promote) && INFO.advertises(Action::Demote));
    }
}
