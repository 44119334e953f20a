//! The election's table (docs/galera-election.md, one test row per documented case) and an
//! exhaustive check of its safety rules over every combination of node states.

use std::time::Duration;

use super::*;

const U1: &str = "726d00b4-edd5-11f1-9512-47940ce49375";
const U2: &str = "9a0c7e52-edd6-11f1-8000-0242ac120002";

fn pos(uuid: &str, seqno: i64) -> Position {
    Position::parse(&format!("{uuid}:{seqno}")).unwrap()
}

fn t(uuid: &str, seqno: i64) -> NodeState {
    NodeState::Reported(Report {
        position: Reported::Trusted {
            position: pos(uuid, seqno),
            source: Source::Recovered,
        },
        safe_to_bootstrap: false,
        rolled_back: false,
    })
}

fn clean(uuid: &str, seqno: i64, safe: bool) -> NodeState {
    NodeState::Reported(Report {
        position: Reported::Trusted {
            position: pos(uuid, seqno),
            source: Source::Grastate,
        },
        safe_to_bootstrap: safe,
        rolled_back: false,
    })
}

fn with(state: NodeState, f: impl FnOnce(&mut Report)) -> NodeState {
    match state {
        NodeState::Reported(mut r) => {
            f(&mut r);
            NodeState::Reported(r)
        }
        other => other,
    }
}

fn untrusted(recovered: Option<(&str, i64)>) -> NodeState {
    NodeState::Reported(Report {
        position: Reported::Untrusted {
            recovered: recovered.map(|(u, s)| pos(u, s)),
        },
        safe_to_bootstrap: false,
        rolled_back: false,
    })
}

fn nodes(states: Vec<NodeState>) -> Vec<(NodeName, NodeState)> {
    states
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("n{}", i + 1), s))
        .collect()
}

/// The decision in a short form for the table: `boot n2`, `join`, `wait`, `blocked`.
fn short(d: &Decision) -> String {
    match d {
        Decision::Join { .. } => "join".into(),
        Decision::Bootstrap(g) => format!("boot {}", g.node()),
        Decision::Wait(_) => "wait".into(),
        Decision::Blocked(_) => "blocked".into(),
    }
}

struct Case {
    name: &'static str,
    states: Vec<NodeState>,
    facts: Facts,
    policy: Policy,
    want: &'static str,
    /// A fragment of the decision's text.
    says: &'static str,
}

fn case(
    name: &'static str,
    states: Vec<NodeState>,
    want: &'static str,
    says: &'static str,
) -> Case {
    Case {
        name,
        states,
        facts: Facts::quorate("n1"),
        policy: Policy::default(),
        want,
        says,
    }
}

impl Case {
    fn policy(mut self, policy: &Policy) -> Case {
        self.policy = policy.clone();
        self
    }
    fn overriding(mut self, node: &str) -> Case {
        self.facts.operator_override = Some(node.into());
        self
    }
    fn without_quorum(mut self) -> Case {
        self.facts.quorate = false;
        self
    }
    fn waited(mut self, seconds: u64) -> Case {
        self.facts.waited = Duration::from_secs(seconds);
        self
    }
    fn fenced(mut self, node: &str) -> Case {
        self.facts.fenced.push(node.into());
        self
    }
    fn local(mut self, node: &str) -> Case {
        self.facts.local = node.into();
        self
    }
}

/// One row per case of docs/galera-election.md (same numbers).
#[test]
fn election_table() {
    let two_node = Policy {
        wait: WaitRule::All,
        two_node_mode: true,
    };
    let timeout = Policy {
        wait: WaitRule::AtLeast {
            reports: 2,
            after: Duration::from_secs(300),
        },
        two_node_mode: false,
    };
    let cases = vec![
        // 1: a node is Primary: join it, whatever the others report.
        case(
            "1 primary exists",
            vec![NodeState::Primary, t(U1, 50), NodeState::Missing],
            "join",
            "join the Primary component on n1",
        ),
        case(
            "1b primary exists without quorum",
            vec![t(U1, 9), NodeState::Primary, t(U1, 5)],
            "join",
            "n2",
        )
        .without_quorum(),
        // 2: no Pacemaker quorum.
        case(
            "2 no quorum",
            vec![t(U1, 9), t(U1, 8), t(U1, 7)],
            "wait",
            "quorum",
        )
        .without_quorum(),
        // 3: a node runs outside a Primary component (pc.recovery wait).
        case(
            "3 running non-Primary",
            vec![t(U1, 9), NodeState::RunningNotPrimary, t(U1, 7)],
            "wait",
            "outside a Primary component on n2",
        ),
        // 4: clean full shutdown: the last leaver has the highest seqno.
        case(
            "4 clean shutdown",
            vec![
                clean(U1, 16, false),
                clean(U1, 20, true),
                clean(U1, 18, false),
            ],
            "boot n2",
            "bootstrap n2 at seqno 20",
        ),
        // 5: kill -9 of all: recovered positions decide.
        case(
            "5 all crashed",
            vec![t(U1, 71), t(U1, 69), t(U1, 70)],
            "boot n1",
            "seqno 71",
        ),
        // 6: safe_to_bootstrap alone is not enough: the flag-1 node is behind.
        case(
            "6 flag on a behind node",
            vec![clean(U1, 16, true), t(U1, 18), t(U1, 17)],
            "boot n2",
            "n2",
        ),
        // 7: flag 1 next to the nil uuid: untrusted, never the winner.
        case(
            "7 flag next to nil uuid",
            vec![untrusted(None), t(U1, 5), t(U1, 5)],
            "boot n2",
            "n2",
        ),
        // 8: a missing node: wait, naming it.
        case(
            "8 one missing",
            vec![t(U1, 9), NodeState::Missing, t(U1, 7)],
            "wait",
            "waiting for n2's position: 2 of 3 reported",
        ),
        case(
            "8b two missing",
            vec![NodeState::Missing, NodeState::Missing, t(U1, 7)],
            "wait",
            "the positions of n1, n2: 1 of 3",
        ),
        // 9: … even when the reported one is the clean last leaver.
        case(
            "9 last leaver, one missing",
            vec![
                clean(U1, 20, true),
                NodeState::Missing,
                clean(U1, 18, false),
            ],
            "wait",
            "n2's position",
        ),
        // 10: the timeout rule: before the timeout wait, after it go on with 2 of 3.
        case(
            "10 timeout not reached",
            vec![t(U1, 9), NodeState::Missing, t(U1, 7)],
            "wait",
            "200 s to the timeout",
        )
        .policy(&timeout)
        .waited(100),
        case(
            "10b timeout reached",
            vec![t(U1, 9), NodeState::Missing, t(U1, 7)],
            "boot n1",
            "2 of 3 reported, timeout passed",
        )
        .policy(&timeout)
        .waited(300),
        case(
            "10c timeout, too few",
            vec![t(U1, 9), NodeState::Missing, NodeState::Missing],
            "wait",
            "1 of 3",
        )
        .policy(&timeout)
        .waited(999),
        // 11: operator override: waives the wait.
        case(
            "11 override",
            vec![NodeState::Missing, NodeState::Missing, t(U1, 7)],
            "boot n3",
            "operator override",
        )
        .overriding("n3"),
        // 11b: … but never the position rule.
        case(
            "11b override behind",
            vec![t(U1, 9), NodeState::Missing, t(U1, 7)],
            "blocked",
            "n1 is 2 write sets ahead",
        )
        .overriding("n3"),
        case(
            "11c override names a missing node",
            vec![t(U1, 9), NodeState::Missing, t(U1, 7)],
            "blocked",
            "has not reported",
        )
        .overriding("n2"),
        case(
            "11d override names an untrusted node",
            vec![t(U1, 9), untrusted(Some((U1, 12))), t(U1, 7)],
            "blocked",
            "no trusted position",
        )
        .overriding("n2"),
        case(
            "11e override names no node",
            vec![t(U1, 9), t(U1, 8), t(U1, 7)],
            "blocked",
            "not a configured node",
        )
        .overriding("db9"),
        case(
            "11f override picks a history",
            vec![t(U1, 9), t(U2, 80), t(U1, 7)],
            "boot n1",
            "operator override",
        )
        .overriding("n1"),
        // 12: ties: equal seqnos go to a clean grastate with the flag, then configuration order.
        case(
            "12 tie, order",
            vec![t(U1, 9), t(U1, 9), t(U1, 9)],
            "boot n1",
            "n1",
        ),
        case(
            "12b tie, flag",
            vec![t(U1, 9), clean(U1, 9, false), clean(U1, 9, true)],
            "boot n3",
            "n3",
        ),
        case(
            "12c tie, rolled back loses",
            vec![with(t(U1, 9), |r| r.rolled_back = true), t(U1, 9), t(U1, 3)],
            "boot n2",
            "n2",
        ),
        case(
            "12d tie, no grastate loses",
            vec![
                with(t(U1, 9), |r| {
                    r.position = Reported::Trusted {
                        position: pos(U1, 9),
                        source: Source::RecoveredNoGrastate,
                    }
                }),
                t(U1, 9),
                t(U1, 3),
            ],
            "boot n2",
            "n2",
        ),
        // 13: a stale node (stopped earlier) is never elected.
        case(
            "13 stale clean node",
            vec![clean(U1, 40, false), t(U1, 61), t(U1, 60)],
            "boot n2",
            "seqno 61",
        ),
        // 14: two histories: an operator decides.
        case(
            "14 histories",
            vec![t(U1, 9), t(U2, 80), t(U1, 7)],
            "blocked",
            "different cluster histories (726d00b4 on n1, n3; 9a0c7e52 on n2)",
        ),
        // 15: nobody has a trusted position.
        case(
            "15 nothing trusted",
            vec![untrusted(None), untrusted(Some((U1, 4))), untrusted(None)],
            "blocked",
            "no node has a trusted position",
        ),
        // 16: an untrusted node recovered further than the best trusted one: veto.
        case(
            "16 untrusted ahead",
            vec![t(U1, 9), untrusted(Some((U1, 12))), t(U1, 7)],
            "blocked",
            "n2 may hold newer commits (recovered seqno 12",
        ),
        case(
            "16b untrusted behind",
            vec![t(U1, 9), untrusted(Some((U1, 8))), t(U1, 7)],
            "boot n1",
            "n1",
        ),
        case(
            "16c untrusted other history",
            vec![t(U1, 9), untrusted(Some((U2, 99))), t(U1, 7)],
            "boot n1",
            "n1",
        ),
        // 17: two-node mode: the survivor bootstraps once the peer is fenced.
        case(
            "17 two-node, peer fenced",
            vec![t(U1, 9), NodeState::Missing],
            "boot n1",
            "two-node mode, n2 fenced",
        )
        .policy(&two_node)
        .fenced("n2"),
        case(
            "17b two-node, peer not fenced",
            vec![t(U1, 9), NodeState::Missing],
            "wait",
            "n2's position",
        )
        .policy(&two_node),
        case(
            "17c two-node, no quorum",
            vec![t(U1, 9), NodeState::Missing],
            "wait",
            "quorum",
        )
        .policy(&two_node)
        .fenced("n2")
        .without_quorum(),
        case(
            "17d two-node, only the survivor itself",
            vec![NodeState::Missing, t(U1, 9)],
            "boot n2",
            "n1 fenced",
        )
        .policy(&two_node)
        .fenced("n1")
        .local("n2"),
        case(
            "17e fenced peer without two_node_mode",
            vec![t(U1, 9), NodeState::Missing],
            "wait",
            "n2's position",
        )
        .policy(&Policy::default())
        .fenced("n2"),
        case(
            "17f two-node, local is the fenced one",
            vec![t(U1, 9), NodeState::Missing],
            "wait",
            "n2's position",
        )
        .policy(&two_node)
        .fenced("n2")
        .local("n2"),
        case(
            "17g two-node mode ignored with 3 nodes",
            vec![t(U1, 9), t(U1, 9), NodeState::Missing],
            "wait",
            "n3",
        )
        .policy(&two_node)
        .fenced("n3"),
        // 18: no nodes.
        case("18 no nodes", vec![], "blocked", "no Galera nodes"),
    ];
    for c in cases {
        let ns = nodes(c.states);
        let e = elect(&ns, &c.facts, &c.policy);
        assert_eq!(short(&e.decision), c.want, "{}: {}", c.name, e.decision);
        let text = e.decision.to_string();
        assert!(
            text.contains(c.says),
            "{}: {text:?} lacks {:?}",
            c.name,
            c.says
        );
        assert!(
            text.len() <= 128,
            "{}: too long for an exit reason: {text}",
            c.name
        );
        assert_eq!(
            elect(&ns, &c.facts, &c.policy),
            e,
            "{}: deterministic",
            c.name
        );
    }
}

#[test]
fn verdicts_for_a_bootstrap() {
    let ns = nodes(vec![
        clean(U1, 40, false),
        t(U1, 61),
        t(U1, 61),
        untrusted(None),
    ]);
    let e = elect(&ns, &Facts::quorate("n1"), &Policy::default());
    let v: Vec<Verdict> = e.verdicts.into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        v,
        vec![
            Verdict::Behind { by: 21 },
            Verdict::Elected,
            Verdict::Equal,
            Verdict::Untrusted
        ]
    );
    let f = Facts {
        operator_override: Some("n1".into()),
        ..Facts::quorate("n1")
    };
    let e = elect(
        &nodes(vec![t(U1, 9), t(U2, 80), NodeState::Missing]),
        &f,
        &Policy::default(),
    );
    let v: Vec<Verdict> = e.verdicts.into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        v,
        vec![Verdict::Elected, Verdict::OtherHistory, Verdict::Missing]
    );
    let e = elect(
        &nodes(vec![t(U1, 9), NodeState::Missing]),
        &Facts::quorate("n1"),
        &Policy::default(),
    );
    assert_eq!(e.verdicts[0].1, Verdict::Pending);
    assert_eq!(e.verdicts[1].1, Verdict::Missing);
}

/// Every combination of these states on three nodes, under every policy and fact variant,
/// against the safety rules.
#[test]
fn exhaustive_safety_rules() {
    let palette: Vec<NodeState> = vec![
        NodeState::Missing,
        NodeState::Primary,
        NodeState::RunningNotPrimary,
        t(U1, 5),
        t(U1, 7),
        clean(U1, 7, true),
        with(t(U1, 7), |r| r.rolled_back = true),
        t(U2, 9),
        untrusted(None),
        untrusted(Some((U1, 8))),
        untrusted(Some((U1, 3))),
    ];
    let policies = [
        Policy::default(),
        Policy {
            wait: WaitRule::AtLeast {
                reports: 2,
                after: Duration::from_secs(60),
            },
            two_node_mode: false,
        },
    ];
    let mut checked = 0u32;
    let mut boots = 0u32;
    for a in &palette {
        for b in &palette {
            for c in &palette {
                let ns = nodes(vec![a.clone(), b.clone(), c.clone()]);
                for policy in &policies {
                    for quorate in [true, false] {
                        for waited in [Duration::ZERO, Duration::from_secs(600)] {
                            for o in [None, Some("n1"), Some("n2"), Some("n3")] {
                                let f = Facts {
                                    quorate,
                                    waited,
                                    operator_override: o.map(str::to_string),
                                    ..Facts::quorate("n1")
                                };
                                let e = elect(&ns, &f, policy);
                                check_rules(&ns, &f, policy, &e);
                                checked += 1;
                                boots += u32::from(matches!(e.decision, Decision::Bootstrap(_)));
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 11 * 11 * 11 * 2 * 2 * 2 * 4);
    assert!(boots > 1000, "the space must contain bootstraps: {boots}");
}

fn trusted_of(s: &NodeState) -> Option<&Position> {
    match s {
        NodeState::Reported(Report {
            position: Reported::Trusted { position, .. },
            ..
        }) => Some(position),
        _ => None,
    }
}

fn check_rules(ns: &[(NodeName, NodeState)], f: &Facts, p: &Policy, e: &Election) {
    let ctx = || format!("{ns:?} {f:?} {p:?} => {}", e.decision);
    let any_primary = ns.iter().any(|(_, s)| *s == NodeState::Primary);
    // Never bootstrap while any node is Primary; always join it.
    assert_eq!(
        any_primary,
        matches!(e.decision, Decision::Join { .. }),
        "{}",
        ctx()
    );
    let Decision::Bootstrap(g) = &e.decision else {
        assert!(
            !e.verdicts.iter().any(|(_, v)| *v == Verdict::Elected),
            "{}",
            ctx()
        );
        return;
    };
    assert!(f.quorate, "bootstrap without quorum: {}", ctx());
    assert!(
        !ns.iter().any(|(_, s)| *s == NodeState::RunningNotPrimary),
        "{}",
        ctx()
    );
    // The winner reported a trusted position, and it is the one granted.
    let (_, ws) = ns
        .iter()
        .find(|(n, _)| n == g.node())
        .expect("winner configured");
    assert_eq!(trusted_of(ws), Some(g.position()), "{}", ctx());
    // Never behind another reported trusted position of the same history.
    for (n, s) in ns {
        if let Some(other) = trusted_of(s) {
            assert!(
                !matches!(other.compare(g.position()), Comparison::Ahead { .. }),
                "{n} is ahead of the winner: {}",
                ctx()
            );
        }
    }
    let missing = ns.iter().any(|(_, s)| *s == NodeState::Missing);
    match g.basis() {
        Basis::AllReported => assert!(!missing && f.operator_override.is_none(), "{}", ctx()),
        Basis::OperatorOverride => {
            assert_eq!(f.operator_override.as_deref(), Some(g.node()), "{}", ctx())
        }
        Basis::AfterTimeout { reported, .. } => {
            let WaitRule::AtLeast { reports, after } = p.wait else {
                panic!("timeout basis without the rule: {}", ctx())
            };
            assert!(
                f.waited >= after && *reported >= reports && missing,
                "{}",
                ctx()
            );
        }
        Basis::TwoNodeFencedPeer { .. } => panic!("two-node basis with three nodes: {}", ctx()),
    }
    if f.operator_override.is_none() {
        // One history only, and no untrusted recovered position ahead of the winner.
        let uuids: std::collections::BTreeSet<_> = ns
            .iter()
            .filter_map(|(_, s)| trusted_of(s))
            .map(|p| p.uuid())
            .collect();
        assert_eq!(uuids.len(), 1, "{}", ctx());
        for (_, s) in ns {
            if let NodeState::Reported(Report {
                position: Reported::Untrusted { recovered: Some(r) },
                ..
            }) = s
            {
                assert!(
                    !matches!(r.compare(g.position()), Comparison::Ahead { .. }),
                    "{}",
                    ctx()
                );
            }
        }
    }
    assert_eq!(
        e.verdicts
            .iter()
            .filter(|(_, v)| *v == Verdict::Elected)
            .count(),
        1,
        "{}",
        ctx()
    );
}

/// Two nodes: every state pair, fenced or not, local n1 or n2.
#[test]
fn exhaustive_two_node_mode() {
    let palette = [
        NodeState::Missing,
        NodeState::RunningNotPrimary,
        t(U1, 5),
        t(U1, 7),
        untrusted(None),
    ];
    let policy = Policy {
        wait: WaitRule::All,
        two_node_mode: true,
    };
    for a in &palette {
        for b in &palette {
            let ns = nodes(vec![a.clone(), b.clone()]);
            for local in ["n1", "n2"] {
                for fenced in [vec![], vec!["n1".to_string()], vec!["n2".to_string()]] {
                    for quorate in [true, false] {
                        let f = Facts {
                            fenced: fenced.clone(),
                            quorate,
                            ..Facts::quorate(local)
                        };
                        let e = elect(&ns, &f, &policy);
                        let Decision::Bootstrap(g) = &e.decision else {
                            continue;
                        };
                        assert!(quorate);
                        if let Basis::TwoNodeFencedPeer { peer } = g.basis() {
                            // Only the local survivor, only with its peer fenced and missing.
                            assert_eq!(g.node(), local);
                            assert!(fenced.contains(peer) && peer != local);
                            let (_, ps) = ns.iter().find(|(n, _)| n == peer).unwrap();
                            assert_eq!(*ps, NodeState::Missing);
                        } else {
                            assert_eq!(*g.basis(), Basis::AllReported);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn reports_round_trip_as_text() {
    let reports = [
        clean(U1, 20, true),
        t(U1, 7),
        with(t(U1, 7), |r| r.rolled_back = true),
        with(t(U1, 7), |r| {
            r.position = Reported::Trusted {
                position: pos(U1, 7),
                source: Source::RecoveredNoGrastate,
            }
        }),
        untrusted(None),
        untrusted(Some((U2, 4))),
    ];
    for r in reports {
        let NodeState::Reported(r) = r else {
            unreachable!()
        };
        let text = r.to_string();
        assert_eq!(text.parse::<Report>().unwrap(), r, "{text}");
        assert!(text.len() < 100, "{text}");
    }
    assert_eq!(
        clean(U1, 20, true),
        NodeState::Reported(format!("trusted {U1}:20 grastate safe").parse().unwrap())
    );
    for bad in [
        "",
        "trusted",
        "trusted x:1 grastate",
        &format!("trusted {U1}:1"),
        &format!("trusted {U1}:1 grastate extra"),
        "maybe -",
    ] {
        assert!(bad.parse::<Report>().is_err(), "{bad:?}");
    }
}

/// From grastate.dat (+ --wsrep-recover) to what the node reports: docs/galera-election.md § 1.
#[test]
fn local_reports() {
    let g = |text: &str| GraState::parse(&text.replace('U', U1));
    let rec = |p: &str, rolled: Option<u64>| Recovered {
        position: Position::parse(&p.replace('U', U1)).unwrap(),
        rolled_back: rolled,
        elapsed: Duration::ZERO,
    };
    let nil = "00000000-0000-0000-0000-000000000000";
    // graceful stop, last leaver
    let r =
        Report::from_local(Some(&g("uuid: U\nseqno: 20\nsafe_to_bootstrap: 1\n")), None).unwrap();
    assert_eq!(r.to_string(), format!("trusted {U1}:20 grastate safe"));
    // crash: needs recovery, then the recovered position (the flag means nothing then)
    let crashed = g("uuid: U\nseqno: -1\nsafe_to_bootstrap: 1\n");
    assert_eq!(Report::from_local(Some(&crashed), None), Err(NeedsRecovery));
    let r = Report::from_local(Some(&crashed), Some(&rec("U:33", None))).unwrap();
    assert_eq!(r.to_string(), format!("trusted {U1}:33 recovered"));
    let r = Report::from_local(Some(&crashed), Some(&rec("U:33", Some(2)))).unwrap();
    assert_eq!(
        r.to_string(),
        format!("trusted {U1}:33 recovered rolled-back")
    );
    // recovery of another history than grastate.dat's, or nothing: untrusted
    let other = rec(&format!("{U2}:50"), None);
    let r = Report::from_local(Some(&crashed), Some(&other)).unwrap();
    assert_eq!(r.to_string(), format!("untrusted {U2}:50"));
    let r = Report::from_local(Some(&crashed), Some(&rec(&format!("{nil}:-1"), None))).unwrap();
    assert_eq!(r.to_string(), "untrusted -");
    // nil uuid with the flag (refused joiner, interrupted SST): untrusted; its recovered
    // position is kept for the veto
    let refused = GraState::parse(&format!("uuid: {nil}\nseqno: -1\nsafe_to_bootstrap: 1\n"));
    let r = Report::from_local(Some(&refused), Some(&rec("U:20", None))).unwrap();
    assert_eq!(r.to_string(), format!("untrusted {U1}:20"));
    assert_eq!(
        Report::from_local(Some(&refused), None)
            .unwrap()
            .to_string(),
        "untrusted -"
    );
    // no grastate.dat: recovery decides
    assert_eq!(Report::from_local(None, None), Err(NeedsRecovery));
    let r = Report::from_local(None, Some(&rec("U:12", None))).unwrap();
    assert_eq!(
        r.to_string(),
        format!("trusted {U1}:12 recovered-no-grastate")
    );
    let r = Report::from_local(None, Some(&rec(&format!("{nil}:-1"), None))).unwrap();
    assert_eq!(r.to_string(), "untrusted -");
}
