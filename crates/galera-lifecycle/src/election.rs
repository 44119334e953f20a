//! The bootstrap election after a whole-cluster outage: a pure function from what the nodes
//! reported (and what Pacemaker knows) to one decision. Every agent instance computes it from
//! the same inputs, so all reach the same answer; the table of cases, with the facts each
//! rests on, is docs/galera-election.md.
//!
//! The rules, in the order they are applied:
//! 1. a node running in a Primary component ⇒ nobody bootstraps, everybody joins it;
//! 2. no Pacemaker quorum ⇒ wait;
//! 3. a node runs mariadbd outside a Primary component ⇒ wait (it may still complete
//!    pc.recovery, and its position is unknown until it stops);
//! 4. by default every configured node must have reported; fewer only after
//!    [`WaitRule::AtLeast`]'s timeout, with an operator override naming the node, or in
//!    two-node mode with the peer fenced;
//! 5. only trusted positions can win; all of them must be of one history (else an operator
//!    decides), the winner has the highest seqno, ties go deterministically;
//! 6. an untrusted node whose recovered position is ahead of the winner vetoes (it may hold
//!    commits nobody else has), unless the operator named the node.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::grastate::{GraState, SafeToBootstrap, Trust};
use crate::position::{ClusterUuid, Comparison, Position};
use crate::recover::Recovered;

pub type NodeName = String;

/// Where a trusted position comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A clean grastate.dat (graceful stop).
    Grastate,
    /// `--wsrep-recover`, the history confirmed by grastate.dat's UUID.
    Recovered,
    /// `--wsrep-recover` on a datadir without grastate.dat (removed by hand or by another
    /// agent). Ranks last among equal positions.
    RecoveredNoGrastate,
}

/// A node's position as the election sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    Trusted {
        position: Position,
        source: Source,
    },
    /// No usable position: grastate.dat has the nil UUID (a state transfer was requested,
    /// interrupted, or the node was refused as "ahead"), is unreadable, or recovery gave
    /// nothing. What `--wsrep-recover` printed anyway can veto a bootstrap, never win one.
    Untrusted {
        recovered: Option<Position>,
    },
}

/// What a node publishes while its mariadbd is stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub position: Reported,
    /// An explicit `safe_to_bootstrap: 1` next to a clean position (tie-break only).
    pub safe_to_bootstrap: bool,
    /// Prepared transactions were rolled back to obtain this position.
    pub rolled_back: bool,
}

/// The local state cannot be reported before `--wsrep-recover` ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the position is in InnoDB only: run --wsrep-recover first")]
pub struct NeedsRecovery;

impl Report {
    /// The report for this node from its grastate.dat (`None`: no such file) and, where the
    /// file has no position, the result of `--wsrep-recover`.
    pub fn from_local(
        grastate: Option<&GraState>,
        recovered: Option<&Recovered>,
    ) -> Result<Report, NeedsRecovery> {
        let rolled_back = recovered.is_some_and(|r| r.rolled_back.is_some());
        let known = |r: &Recovered| r.position.is_known().then(|| r.position.clone());
        let untrusted = |recovered: Option<&Recovered>| Report {
            position: Reported::Untrusted {
                recovered: recovered.and_then(known),
            },
            safe_to_bootstrap: false,
            rolled_back,
        };
        let Some(g) = grastate else {
            let r = recovered.ok_or(NeedsRecovery)?;
            return Ok(match known(r) {
                Some(position) => Report {
                    position: Reported::Trusted {
                        position,
                        source: Source::RecoveredNoGrastate,
                    },
                    safe_to_bootstrap: false,
                    rolled_back,
                },
                None => untrusted(Some(r)),
            });
        };
        Ok(match g.trust() {
            Trust::Clean {
                position,
                safe_to_bootstrap,
            } => Report {
                position: Reported::Trusted {
                    position,
                    source: Source::Grastate,
                },
                safe_to_bootstrap: safe_to_bootstrap == SafeToBootstrap::Yes,
                rolled_back: false,
            },
            Trust::NeedsRecovery { uuid } => {
                let r = recovered.ok_or(NeedsRecovery)?;
                match known(r) {
                    Some(position) if position.uuid() == uuid => Report {
                        position: Reported::Trusted {
                            position,
                            source: Source::Recovered,
                        },
                        safe_to_bootstrap: false,
                        rolled_back,
                    },
                    _ => untrusted(Some(r)),
                }
            }
            Trust::Unsafe { .. } => untrusted(recovered),
        })
    }

    fn trusted(&self) -> Option<(&Position, Source)> {
        match &self.position {
            Reported::Trusted { position, source } => Some((position, *source)),
            Reported::Untrusted { .. } => None,
        }
    }
}

/// `trusted <uuid:seqno> grastate|recovered|recovered-no-grastate [safe] [rolled-back]` or
/// `untrusted [<uuid:seqno>|-] [rolled-back]`: the text a node publishes (one token per
/// field, so a node attribute holds it).
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.position {
            Reported::Trusted { position, source } => {
                let s = match source {
                    Source::Grastate => "grastate",
                    Source::Recovered => "recovered",
                    Source::RecoveredNoGrastate => "recovered-no-grastate",
                };
                write!(f, "trusted {position} {s}")?;
            }
            Reported::Untrusted { recovered: Some(p) } => write!(f, "untrusted {p}")?,
            Reported::Untrusted { recovered: None } => f.write_str("untrusted -")?,
        }
        if self.safe_to_bootstrap {
            f.write_str(" safe")?;
        }
        if self.rolled_back {
            f.write_str(" rolled-back")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a position report: {0:?}")]
pub struct BadReport(String);

impl FromStr for Report {
    type Err = BadReport;
    fn from_str(s: &str) -> Result<Report, BadReport> {
        let bad = || BadReport(s.chars().take(120).collect());
        let mut words = s.split_whitespace();
        let kind = words.next().ok_or_else(bad)?;
        let pos = words.next().ok_or_else(bad)?;
        let mut rest: Vec<&str> = words.collect();
        let position = match kind {
            "trusted" => {
                let position = Position::parse(pos).map_err(|_| bad())?;
                let source = match rest.first().copied() {
                    Some("grastate") => Source::Grastate,
                    Some("recovered") => Source::Recovered,
                    Some("recovered-no-grastate") => Source::RecoveredNoGrastate,
                    _ => return Err(bad()),
                };
                rest.remove(0);
                Reported::Trusted { position, source }
            }
            "untrusted" if pos == "-" => Reported::Untrusted { recovered: None },
            "untrusted" => Reported::Untrusted {
                recovered: Some(Position::parse(pos).map_err(|_| bad())?),
            },
            _ => return Err(bad()),
        };
        let mut r = Report {
            position,
            safe_to_bootstrap: false,
            rolled_back: false,
        };
        for w in rest {
            match w {
                "safe" => r.safe_to_bootstrap = true,
                "rolled-back" => r.rolled_back = true,
                _ => return Err(bad()),
            }
        }
        Ok(r)
    }
}

/// One configured node, as the election sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeState {
    /// Nothing published yet (node down, agent not run yet, in maintenance).
    Missing,
    /// mariadbd stopped, position published.
    Reported(Report),
    /// mariadbd runs in a Primary component.
    Primary,
    /// mariadbd runs but not in a Primary component (waiting in pc.recovery, for a Primary,
    /// or cut off).
    RunningNotPrimary,
}

/// When the election may go on without every configured node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitRule {
    /// Never (the default, and the resource agents' behaviour): a missing node may hold the
    /// last commits.
    All,
    /// After `after` of waiting, with at least `reports` nodes reported. A missing node that
    /// committed last loses those commits; choose `reports` as a majority at least.
    AtLeast { reports: usize, after: Duration },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub wait: WaitRule,
    /// Two nodes: the survivor may bootstrap alone once Pacemaker has fenced the peer and the
    /// survivor's partition is quorate (RA PR #1569; needs fencing and corosync `two_node`).
    pub two_node_mode: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            wait: WaitRule::All,
            two_node_mode: false,
        }
    }
}

/// What Pacemaker (and the operator) add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The node running this election.
    pub local: NodeName,
    /// The local partition has Pacemaker quorum.
    pub quorate: bool,
    /// Nodes confirmed down by a completed fence (offline and not unclean).
    pub fenced: Vec<NodeName>,
    /// How long the election has been waiting for reports.
    pub waited: Duration,
    /// The operator's one-shot choice: bootstrap this node without waiting for the others.
    /// The agent clears it once the node is seen Primary and Synced.
    pub operator_override: Option<NodeName>,
}

impl Facts {
    /// What `local` knows when an election begins in a quorate partition: no fence, no wait,
    /// no operator choice. The other facts go on top: `Facts { fenced, ..Facts::quorate(n) }`.
    pub fn quorate(local: impl Into<NodeName>) -> Facts {
        Facts {
            local: local.into(),
            quorate: true,
            fenced: vec![],
            waited: Duration::ZERO,
            operator_override: None,
        }
    }
}

/// Why the winner may bootstrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    AllReported,
    AfterTimeout { reported: usize, configured: usize },
    OperatorOverride,
    TwoNodeFencedPeer { peer: NodeName },
}

/// The right to bootstrap one node from one position. Only [`elect`] makes one, so a
/// bootstrap start cannot happen without an election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    node: NodeName,
    position: Position,
    basis: Basis,
}

impl Grant {
    pub fn node(&self) -> &str {
        &self.node
    }
    pub fn position(&self) -> &Position {
        &self.position
    }
    pub fn basis(&self) -> &Basis {
        &self.basis
    }
    #[cfg(test)]
    pub(crate) fn for_tests(node: &str, position: Position) -> Grant {
        Grant {
            node: node.into(),
            position,
            basis: Basis::AllReported,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wait {
    NoQuorum,
    Reports {
        missing: Vec<NodeName>,
        reported: usize,
        configured: usize,
        /// With [`WaitRule::AtLeast`]: time left before going on without them.
        timeout_in: Option<Duration>,
    },
    RunningNotPrimary {
        nodes: Vec<NodeName>,
    },
    /// Two-node mode: the peer has not reported and is not fenced (a peer that is only
    /// unreachable may still run, or hold the last commits).
    PeerNotFenced {
        peer: NodeName,
        /// With [`WaitRule::AtLeast`]: time left before going on without it.
        timeout_in: Option<Duration>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    NoNodes,
    OverrideNotConfigured {
        node: NodeName,
    },
    /// The named node has no trusted position (missing, running, untrusted).
    OverrideNotUsable {
        node: NodeName,
        why: &'static str,
    },
    /// The named node is behind a reported node of the same history.
    OverrideBehind {
        node: NodeName,
        ahead: NodeName,
        by: u64,
    },
    NoTrustedPosition,
    /// Trusted positions of more than one history: seqnos do not compare.
    Histories {
        histories: Vec<(ClusterUuid, Vec<NodeName>)>,
    },
    /// An untrusted node's recovered position is ahead of the best trusted one.
    UntrustedAhead {
        node: NodeName,
        position: Position,
        best: NodeName,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A Primary component exists: join it, never bootstrap.
    Join {
        primary: Vec<NodeName>,
    },
    Bootstrap(Grant),
    Wait(Wait),
    /// No automatic decision is safe; an operator must name the node.
    Blocked(Blocked),
}

/// What the decision means for one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Elected,
    /// Same position as the elected node, lost the tie-break: joins (IST).
    Equal,
    /// Behind the elected node: joins by IST or SST.
    Behind {
        by: u64,
    },
    /// Of another history: joins by SST, which replaces its data.
    OtherHistory,
    /// No trusted position: joins by SST.
    Untrusted,
    Missing,
    Primary,
    RunningNotPrimary,
    /// No bootstrap decided yet.
    Pending,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    pub decision: Decision,
    /// Per configured node, in configuration order.
    pub verdicts: Vec<(NodeName, Verdict)>,
}

/// Runs the election over the configured nodes (in configuration order, which breaks ties).
pub fn elect(nodes: &[(NodeName, NodeState)], facts: &Facts, policy: &Policy) -> Election {
    let decision = decide(nodes, facts, policy);
    let verdicts = verdicts(nodes, &decision);
    Election { decision, verdicts }
}

fn names_where(nodes: &[(NodeName, NodeState)], f: impl Fn(&NodeState) -> bool) -> Vec<NodeName> {
    nodes
        .iter()
        .filter(|(_, s)| f(s))
        .map(|(n, _)| n.clone())
        .collect()
}

fn decide(nodes: &[(NodeName, NodeState)], facts: &Facts, policy: &Policy) -> Decision {
    if nodes.is_empty() {
        return Decision::Blocked(Blocked::NoNodes);
    }
    let primary = names_where(nodes, |s| *s == NodeState::Primary);
    if !primary.is_empty() {
        return Decision::Join { primary };
    }
    if let Some(o) = &facts.operator_override {
        if !nodes.iter().any(|(n, _)| n == o) {
            return Decision::Blocked(Blocked::OverrideNotConfigured { node: o.clone() });
        }
    }
    if !facts.quorate {
        return Decision::Wait(Wait::NoQuorum);
    }
    let running = names_where(nodes, |s| *s == NodeState::RunningNotPrimary);
    if !running.is_empty() {
        return Decision::Wait(Wait::RunningNotPrimary { nodes: running });
    }
    let missing = names_where(nodes, |s| *s == NodeState::Missing);
    let reported: Vec<(usize, &NodeName, &Report)> = nodes
        .iter()
        .enumerate()
        .filter_map(|(i, (n, s))| match s {
            NodeState::Reported(r) => Some((i, n, r)),
            _ => None,
        })
        .collect();

    // Rule 4: may we go on with the nodes that reported?
    let basis = if let Some(o) = &facts.operator_override {
        match nodes.iter().find(|(n, _)| n == o).map(|(_, s)| s) {
            Some(NodeState::Reported(r)) if r.trusted().is_some() => Basis::OperatorOverride,
            Some(NodeState::Reported(_)) => {
                return Decision::Blocked(Blocked::OverrideNotUsable {
                    node: o.clone(),
                    why: "it has no trusted position",
                })
            }
            _ => {
                return Decision::Blocked(Blocked::OverrideNotUsable {
                    node: o.clone(),
                    why: "it has not reported a position",
                })
            }
        }
    } else if missing.is_empty() {
        Basis::AllReported
    } else if let Some(peer) =
        two_node_peer(nodes, facts, policy, &missing).filter(|p| facts.fenced.contains(p))
    {
        Basis::TwoNodeFencedPeer { peer }
    } else {
        match policy.wait {
            WaitRule::AtLeast { reports, after }
                if facts.waited >= after && reported.len() >= reports.max(1) =>
            {
                Basis::AfterTimeout {
                    reported: reported.len(),
                    configured: nodes.len(),
                }
            }
            rule => {
                let timeout_in = match rule {
                    WaitRule::AtLeast { after, .. } => Some(after.saturating_sub(facts.waited)),
                    WaitRule::All => None,
                };
                if let Some(peer) = two_node_peer(nodes, facts, policy, &missing) {
                    return Decision::Wait(Wait::PeerNotFenced { peer, timeout_in });
                }
                return Decision::Wait(Wait::Reports {
                    missing,
                    reported: reported.len(),
                    configured: nodes.len(),
                    timeout_in,
                });
            }
        }
    };

    // Rule 5: the candidate.
    let trusted: Vec<(usize, &NodeName, &Report, &Position, Source)> = reported
        .iter()
        .filter_map(|(i, n, r)| r.trusted().map(|(p, s)| (*i, *n, *r, p, s)))
        .collect();
    if trusted.is_empty() {
        return Decision::Blocked(Blocked::NoTrustedPosition);
    }
    let chosen = if basis == Basis::OperatorOverride {
        let o = facts.operator_override.as_deref().unwrap_or_default();
        let Some(c) = trusted.iter().find(|t| t.1 == o) else {
            return Decision::Blocked(Blocked::NoTrustedPosition);
        };
        // The override waives waiting and the choice of history, never the position rule.
        if let Some((ahead, by)) = trusted.iter().find_map(|t| match t.3.compare(c.3) {
            Comparison::Ahead { by } => Some((t.1.clone(), by)),
            _ => None,
        }) {
            return Decision::Blocked(Blocked::OverrideBehind {
                node: o.to_string(),
                ahead,
                by,
            });
        }
        c
    } else {
        let mut histories: Vec<(ClusterUuid, Vec<NodeName>)> = Vec::new();
        for t in &trusted {
            match histories.iter_mut().find(|(u, _)| *u == t.3.uuid()) {
                Some((_, names)) => names.push(t.1.clone()),
                None => histories.push((t.3.uuid(), vec![t.1.clone()])),
            }
        }
        if histories.len() > 1 {
            return Decision::Blocked(Blocked::Histories { histories });
        }
        // Highest seqno; then: no rolled-back transactions, has grastate.dat, the explicit
        // safe_to_bootstrap flag, the first in configuration order.
        let key = |t: &(usize, &NodeName, &Report, &Position, Source)| {
            (
                std::cmp::Reverse(t.3.seqno().unwrap_or(0)),
                t.2.rolled_back,
                t.4 == Source::RecoveredNoGrastate,
                !t.2.safe_to_bootstrap,
                t.0,
            )
        };
        let Some(best) = trusted.iter().min_by_key(|t| key(t)) else {
            return Decision::Blocked(Blocked::NoTrustedPosition);
        };
        best
    };

    // Rule 6: the veto of untrusted positions.
    if basis != Basis::OperatorOverride {
        for (_, n, r) in &reported {
            if let Reported::Untrusted { recovered: Some(p) } = &r.position {
                if matches!(p.compare(chosen.3), Comparison::Ahead { .. }) {
                    return Decision::Blocked(Blocked::UntrustedAhead {
                        node: (*n).clone(),
                        position: p.clone(),
                        best: chosen.1.clone(),
                    });
                }
            }
        }
    }
    Decision::Bootstrap(Grant {
        node: chosen.1.clone(),
        position: chosen.3.clone(),
        basis,
    })
}

/// Two-node mode applies: the local node reported, the only other node is missing. The
/// caller decides on its fencing.
fn two_node_peer(
    nodes: &[(NodeName, NodeState)],
    facts: &Facts,
    policy: &Policy,
    missing: &[NodeName],
) -> Option<NodeName> {
    if !policy.two_node_mode || nodes.len() != 2 || missing.len() != 1 {
        return None;
    }
    let peer = &missing[0];
    let local_reported = nodes
        .iter()
        .any(|(n, s)| *n == facts.local && matches!(s, NodeState::Reported(_)));
    (local_reported && *peer != facts.local).then(|| peer.clone())
}

fn verdicts(nodes: &[(NodeName, NodeState)], decision: &Decision) -> Vec<(NodeName, Verdict)> {
    let grant = match decision {
        Decision::Bootstrap(g) => Some(g),
        _ => None,
    };
    nodes
        .iter()
        .map(|(n, s)| {
            let v = match s {
                NodeState::Missing => Verdict::Missing,
                NodeState::Primary => Verdict::Primary,
                NodeState::RunningNotPrimary => Verdict::RunningNotPrimary,
                NodeState::Reported(r) => match (grant, r.trusted()) {
                    (None, _) => Verdict::Pending,
                    (Some(_), None) => Verdict::Untrusted,
                    (Some(g), Some(_)) if g.node == *n => Verdict::Elected,
                    (Some(g), Some((p, _))) => match p.compare(&g.position) {
                        Comparison::Equal => Verdict::Equal,
                        Comparison::Behind { by } => Verdict::Behind { by },
                        // Cannot happen for a grant (the winner is never behind); a trusted
                        // node ahead would have blocked. Say what it is rather than panic.
                        Comparison::Ahead { .. } => Verdict::Pending,
                        Comparison::DifferentHistory | Comparison::Unknown => Verdict::OtherHistory,
                    },
                },
            };
            (n.clone(), v)
        })
        .collect()
}

fn list(names: &[NodeName]) -> String {
    names.join(", ")
}

/// The end of a wait's text when a timeout counts: `, N s to the timeout`.
fn write_timeout_in(f: &mut fmt::Formatter<'_>, timeout_in: &Option<Duration>) -> fmt::Result {
    match timeout_in {
        Some(t) => write!(f, ", {} s to the timeout", t.as_secs()),
        None => Ok(()),
    }
}

/// Short texts for node attributes and exit reasons (Pacemaker keeps 128 characters):
/// the essentials first.
impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wait::NoQuorum => f.write_str("waiting for Pacemaker quorum"),
            Wait::Reports {
                missing,
                reported,
                configured,
                timeout_in,
            } => {
                let whose = if missing.len() == 1 {
                    format!("{}'s position", missing[0])
                } else {
                    format!("the positions of {}", list(missing))
                };
                write!(
                    f,
                    "waiting for {whose}: {reported} of {configured} reported"
                )?;
                write_timeout_in(f, timeout_in)
            }
            Wait::RunningNotPrimary { nodes } => write!(
                f,
                "waiting: mariadbd runs outside a Primary component on {}",
                list(nodes)
            ),
            Wait::PeerNotFenced { peer, timeout_in } => {
                write!(
                    f,
                    "waiting for {peer}'s position or fencing: not reported, not fenced"
                )?;
                write_timeout_in(f, timeout_in)
            }
        }
    }
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocked::NoNodes => f.write_str("no Galera nodes configured"),
            Blocked::OverrideNotConfigured { node } => {
                write!(f, "bootstrap override names {node}, which is not a configured node")
            }
            Blocked::OverrideNotUsable { node, why } => {
                write!(f, "bootstrap override names {node}, but {why}")
            }
            Blocked::OverrideBehind { node, ahead, by } => write!(
                f,
                "bootstrap override names {node}, but {ahead} is {by} write sets ahead"
            ),
            Blocked::NoTrustedPosition => {
                f.write_str("no node has a trusted position: an operator must name the node")
            }
            Blocked::Histories { histories } => {
                let parts: Vec<String> = histories
                    .iter()
                    .map(|(u, n)| format!("{} on {}", &u.to_string()[..8], list(n)))
                    .collect();
                write!(
                    f,
                    "different cluster histories ({}): an operator must name the node",
                    parts.join("; ")
                )
            }
            Blocked::UntrustedAhead {
                node,
                position,
                best,
            } => write!(
                f,
                "{node} may hold newer commits (recovered seqno {}, grastate unsafe) than {best}: an operator must decide",
                position.raw_seqno()
            ),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Join { primary } => {
                write!(f, "join the Primary component on {}", list(primary))
            }
            Decision::Bootstrap(g) => {
                write!(
                    f,
                    "bootstrap {} at seqno {}",
                    g.node,
                    g.position.raw_seqno()
                )?;
                match &g.basis {
                    Basis::AllReported => Ok(()),
                    Basis::AfterTimeout {
                        reported,
                        configured,
                    } => write!(f, " ({reported} of {configured} reported, timeout passed)"),
                    Basis::OperatorOverride => f.write_str(" (operator override)"),
                    Basis::TwoNodeFencedPeer { peer } => {
                        write!(f, " (two-node mode, {peer} fenced)")
                    }
                }
            }
            Decision::Wait(w) => w.fmt(f),
            Decision::Blocked(b) => write!(f, "blocked: {b}"),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod two_node_tests;
