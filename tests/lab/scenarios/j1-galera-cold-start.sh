#!/usr/bin/env bash
# Scenario j1, issue 12 §1: a cold start of the whole Galera cluster after a clean shutdown of
# all nodes. The galera clone is stopped (target-role Stopped: Pacemaker stops every mariadbd at
# once, cleanly), then started again; timed from the start until every node is Promoted and
# Synced and a client's query through the VIP reaches a Synced node. Against both setups.
# scenario-timeout: 1200
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"
. "$LAB_HOME/lib/galera-compare.sh"
scenario_lab

cold_start() {
    in_node n1 crm resource stop galera-clone >/dev/null 2>&1 || miss "crm resource stop galera-clone failed"
    expect_within 180 "every mariadbd stopped cleanly by Pacemaker" eval '! galera_any_running'
    log "positions after the clean stop: $(for n in "${NODES[@]}"; do printf '%s=%s ' "$n" "$(galera_position "$n" | cut -d: -f2)"; done)"
    in_node n1 crm resource start galera-clone >/dev/null 2>&1 || miss "crm resource start galera-clone failed"
    expect_within 240 "cold start: ${#NODES[@]} Promoted and Synced, the VIP answers SQL" galera_cluster_ok &&
        RUN_TIME=$TOOK
    expect "no failed galera action" eval '[[ $(failed_actions galera) == 0 ]]'
}

compare_galera "j1: cold start after a clean shutdown of all nodes" cold_start
scenario_end
