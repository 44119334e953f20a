#!/usr/bin/env bash
# Scenario j5, issue 12 §5: one node is cut off (`lab cut`: its client and ring links down, its
# processes alive). Its Galera leaves the Primary component, the others stay Primary, Pacemaker
# fences it (a reboot; it boots still cut off, without quorum: no-quorum-policy=stop runs
# nothing there), then `lab heal`: it rejoins the cluster and Galera, with no failed action.
# Timed from the heal until every node is Promoted and Synced. Against both setups.
# scenario-timeout: 1200
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"
. "$LAB_HOME/lib/galera-compare.sh"
scenario_lab
X=${NODES[-1]}

partition() {
    local t
    t=$(epoch)
    "$LABCMD" cut "$X" || miss "lab cut $X failed"
    expect_within 60 "the others stay Primary and Synced" eval 'galera_synced n1 && [[ $(wsrep_status n1 wsrep_cluster_size) == $(( ${#NODES[@]} - 1 )) ]]'
    expect_within 60 "$X fenced (a reboot in the switch's journal)" \
        eval '[[ -n $(journal_ops "$t" reboot "$X" | grep " result=ok ") ]]'
    expect_within 90 "$X booted again (still cut off)" eval '! node_is_off "$X" && node_daemon_pid "$X" pacemakerd >/dev/null'
    expect "mariadbd does not run on the cut-off node (no quorum)" eval '! galera_running "$X"'
    "$LABCMD" heal "$X" || miss "lab heal $X failed"
    expect_within 240 "$X rejoined: ${#NODES[@]} Promoted and Synced, the VIP answers SQL" galera_cluster_ok &&
        RUN_TIME=$TOOK
    expect "no failed galera action" eval '[[ $(failed_actions galera) == 0 ]]'
}

compare_galera "j5: one node partitioned, then healed" partition
scenario_end
