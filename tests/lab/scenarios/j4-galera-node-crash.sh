#!/usr/bin/env bash
# Scenario j4, issue 12 §4 and issue 13 §5: the node holding the VIP crashes (power loss: every
# process gone, `lab crash`) while a client commits. Fencing on: the node is fenced (a reboot),
# the VIP moves, the Galera survivors stay Primary, and the rebooted node rejoins with no
# failed action and no acknowledged commit lost. Timed from the crash until every node is
# Promoted and Synced again. Against both setups.
# scenario-timeout: 1200
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"
. "$LAB_HOME/lib/galera-compare.sh"
scenario_lab

node_crash() {
    local f=$SC_TMP/acked-$SETUP x t
    x=$(vip_holders)
    [[ -n $x && $x != *" "* ]] || { miss "no single VIP holder (got '$x')"; return; }
    committer_start "$f" || return
    sleep 2
    t=$(epoch)
    "$LABCMD" crash "$x" || miss "lab crash $x failed"
    expect_within 60 "$x fenced (a reboot in the switch's journal)" \
        eval '[[ -n $(journal_ops "$t" reboot "$x" | grep " result=ok ") ]]'
    expect_within 60 "the VIP answers SQL from another node" eval 'vip_not_on "$x" && vip_sql_synced'
    expect_within 240 "$x rebooted and rejoined: ${#NODES[@]} Promoted and Synced" galera_cluster_ok &&
        RUN_TIME=$(secs_between "$t" "$EPOCHREALTIME")
    sleep 2
    committer_stop
    expect "no acknowledged commit lost" no_commit_lost "$f"
    expect "no failed galera action" eval '[[ $(failed_actions galera) == 0 ]]'
    RUN_NOTE+="${RUN_NOTE:+; }crash of $x; $ACKED commits acknowledged"
}

compare_galera "j4: the VIP holder crashes while a client commits" node_crash
scenario_end
