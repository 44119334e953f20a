#!/usr/bin/env bash
# Scenario j7, issue 12 §7: two nodes (a lab of its own: NODES=2, corosync two_node), a split
# and a recovery with two_node_mode. A client commits; the link between n1 and n2 is cut (`lab
# cut`: both networks). Both keep Corosync quorum (two_node); the fencing race leaves one
# survivor, whose Galera (1 of 2: non-Primary) must come back Primary alone and serve the VIP,
# without an operator. The fenced node boots still cut off, without quorum (wait_for_all), and
# runs nothing; after `lab heal` it rejoins. No acknowledged commit may be lost. Timed from the
# cut until the survivor serves SQL through the VIP again. Against both 2-node setups; the
# 3-node lab the run started with is brought back afterwards.
# scenario-timeout: 1500
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"
. "$LAB_HOME/lib/galera-compare.sh"
scenario_lab
COMPARE_SETUPS="galera-2node galera-ra-2node"
BEFORE=${#NODES[@]}

relab() { # N: a lab of N nodes in place of the running one
    "$LABCMD" down >/dev/null 2>&1
    NODES=$1 LAB_SETUP=none LAB_SKIP_BUILD=1 "$LABCMD" up >/dev/null || return 1
    read -r -a NODES <"$LAB/nodes"
    mkdir -p "$SC_TMP"   # `lab down` took the lab's state directory with it
}
t_begin "j7: a two-node lab (corosync two_node)"
relab 2 || t_fail "NODES=2 lab up failed"
assert_eq "n1 n2" "${NODES[*]}" "the lab's nodes"
assert_rc 0 eval 'in_node n1 corosync-quorumtool -s | grep -E "Flags:.*2Node" >/dev/null'
t_pass
# the 3-node lab again for whatever runs next, whatever happened here
trap 'scenario_cleanup; [[ ${#NODES[@]} == "$BEFORE" ]] || relab "$BEFORE"' EXIT

split() {
    local f=$SC_TMP/acked-$SETUP t s l
    committer_start "$f" || return
    sleep 2
    t=$(epoch)
    "$LABCMD" cut n2 || miss "lab cut n2 failed"
    expect_within 60 "one node fenced by the other (a reboot in the switch's journal)" \
        eval '[[ -n $(journal_ops "$t" reboot | grep " result=ok ") ]]'
    l=$(jfield "$(journal_ops "$t" reboot | grep " result=ok " | head -n 1)" node)
    s=$(other_node "$l")
    log "split: $l was fenced, $s survives"
    [[ $s == n2 ]] && "$LABCMD" heal n2 >/dev/null   # the survivor's links back; the fenced n1 is off
    expect_within 180 "the survivor $s alone: Primary, Synced, Promoted, the VIP answers SQL" \
        eval 'galera_synced "$s" && [[ $(wsrep_status "$s" wsrep_cluster_size) == 1 ]] && [[ $(promoted_where galera-clone) == "$s" ]] && vip_sql_synced' &&
        RUN_TIME=$(secs_between "$t" "$EPOCHREALTIME")
    # the fenced peer ends the survivor's wait: not a whole non_primary_grace (30 s) after it
    [[ $RUN_TIME != - ]] && expect "the survivor serves within 30 s of the cut (took $RUN_TIME s)" \
        awk -v t="$RUN_TIME" 'BEGIN { exit !(t < 30) }'
    expect_within 90 "$l booted again" eval '! node_is_off "$l" && node_daemon_pid "$l" pacemakerd >/dev/null'
    [[ $l == n2 ]] && { sleep 5; expect "mariadbd does not run on the fenced, cut-off n2 (no quorum)" eval '! galera_running n2'; }
    "$LABCMD" heal n2 >/dev/null 2>&1
    expect_within 240 "$l rejoined: both Promoted and Synced" galera_cluster_ok
    sleep 2
    committer_stop
    expect "no acknowledged commit lost" no_commit_lost "$f"
    RUN_NOTE+="${RUN_NOTE:+; }$l fenced; $ACKED commits acknowledged"
}

compare_galera "j7: two nodes, a split and a recovery (two_node_mode)" split
scenario_end
