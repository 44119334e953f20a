#!/usr/bin/env bash
# Scenario j3, issue 12 §3: j2 with one node stale. n3 is put in standby (its mariadbd stops)
# while the others commit more, then every running mariadbd is killed -9 and n3 comes back
# online at once: n3 must not be elected (its position is behind), the cluster comes back
# from n1/n2, n3 rejoins by IST/SST, and no acknowledged commit is lost (an election of n3
# would lose the commits it missed). Against both setups.
# scenario-timeout: 1200
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"
. "$LAB_HOME/lib/galera-compare.sh"
scenario_lab
S=${NODES[-1]}

stale_node() {
    local f=$SC_TMP/acked-$SETUP
    committer_start "$f" || return
    STALE_ROWS=50 "$LABCMD" galera "$S" stale || miss "lab galera $S stale failed"
    sleep 3
    "$LABCMD" galera all kill || miss "lab galera all kill failed"
    in_node n1 crm node online "$S" >/dev/null 2>&1 || miss "crm node online $S failed"
    expect_within 300 "recovered without $S's stale position: ${#NODES[@]} Promoted and Synced, the VIP answers SQL" galera_cluster_ok &&
        RUN_TIME=$TOOK
    sleep 2
    committer_stop
    expect "no acknowledged commit lost (the stale node was not elected)" no_commit_lost "$f"
    expect "the 50 rows committed while $S was out are on every node" \
        eval '[[ $(sql n1 -e "SELECT COUNT(*) FROM lab.t WHERE v = '"'stale-$S'"'") == $(sql "$S" -e "SELECT COUNT(*) FROM lab.t WHERE v = '"'stale-$S'"'") ]]'
    RUN_NOTE+="${RUN_NOTE:+; }$ACKED commits acknowledged"
}
# whatever happened, the node is online again for the next scenario
trap 'in_node n1 crm node online "$S" >/dev/null 2>&1; scenario_cleanup' EXIT

compare_galera "j3: kill -9 of every mariadbd with $S stale" stale_node
scenario_end
