//! Two-node mode's waiting state: what the survivor says while its peer is missing and not
//! fenced (docs/galera-election.md row 17), next to the waits it must not change.

use std::time::Duration;

use super::*;

const U1: &str = "726d00b4-edd5-11f1-9512-47940ce49375";

fn reported(seqno: i64) -> NodeState {
    NodeState::Reported(Report {
        position: Reported::Trusted {
            position: Position::parse(&format!("{U1}:{seqno}")).unwrap(),
            source: Source::Recovered,
        },
        safe_to_bootstrap: false,
        rolled_back: false,
    })
}

fn two(a: NodeState, b: NodeState) -> Vec<(NodeName, NodeState)> {
    vec![("n1".into(), a), ("n2".into(), b)]
}

fn facts(fenced: &[&str]) -> Facts {
    Facts {
        fenced: fenced.iter().map(|s| s.to_string()).collect(),
        ..Facts::quorate("n1")
    }
}

/// The election while n1 has reported (seqno 9) and its peer n2 has not.
fn peer_missing(facts: &Facts, policy: &Policy) -> Election {
    elect(&two(reported(9), NodeState::Missing), facts, policy)
}

fn policy(two_node_mode: bool, wait: WaitRule) -> Policy {
    Policy {
        wait,
        two_node_mode,
    }
}

#[test]
fn a_missing_unfenced_peer_is_named_as_not_fenced() {
    let e = peer_missing(&facts(&[]), &policy(true, WaitRule::All));
    assert_eq!(
        e.decision,
        Decision::Wait(Wait::PeerNotFenced {
            peer: "n2".into(),
            timeout_in: None
        })
    );
    let text = e.decision.to_string();
    assert_eq!(
        text,
        "waiting for n2's position or fencing: not reported, not fenced"
    );
    assert!(text.len() <= 128);
}

#[test]
fn the_fenced_peer_lets_the_survivor_bootstrap() {
    let e = peer_missing(&facts(&["n2"]), &policy(true, WaitRule::All));
    let Decision::Bootstrap(g) = &e.decision else {
        panic!("{:?}", e.decision)
    };
    assert_eq!(g.node(), "n1");
    assert_eq!(*g.basis(), Basis::TwoNodeFencedPeer { peer: "n2".into() });
}

#[test]
fn without_two_node_mode_the_wait_is_for_the_position_only() {
    let e = peer_missing(&facts(&["n2"]), &policy(false, WaitRule::All));
    assert!(
        matches!(e.decision, Decision::Wait(Wait::Reports { .. })),
        "{:?}",
        e.decision
    );
    assert!(!e.decision.to_string().contains("fenc"));
}

#[test]
fn the_local_node_missing_is_no_two_node_case() {
    // The instance itself has not reported (its position is unknown): nothing to bootstrap
    // from, whatever the peer's fencing.
    let e = elect(
        &two(NodeState::Missing, reported(9)),
        &facts(&[]),
        &policy(true, WaitRule::All),
    );
    assert!(
        matches!(e.decision, Decision::Wait(Wait::Reports { .. })),
        "{:?}",
        e.decision
    );
}

#[test]
fn the_report_timeout_still_counts_and_is_shown() {
    let rule = WaitRule::AtLeast {
        reports: 1,
        after: Duration::from_secs(300),
    };
    let after = |waited: u64| {
        let mut f = facts(&[]);
        f.waited = Duration::from_secs(waited);
        peer_missing(&f, &policy(true, rule))
    };
    assert_eq!(
        after(100).decision.to_string(),
        "waiting for n2's position or fencing: not reported, not fenced, 200 s to the timeout"
    );
    let e = after(300);
    assert!(
        matches!(
            &e.decision,
            Decision::Bootstrap(g) if matches!(g.basis(), Basis::AfterTimeout { .. })
        ),
        "{:?}",
        e.decision
    );
}
