#!/usr/bin/env bash
# Scenario j2, issue 12 §2: kill -9 of every mariadbd at once while a client commits in a loop.
# The cluster must come back by itself: every node Promoted and Synced, the VIP answering SQL,
# and every commit the client saw acknowledged on every node. Timed from the kill (the
# whole-cluster recovery figure of README). Against both setups.
# scenario-timeout: 1200
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"
. "$LAB_HOME/lib/galera-compare.sh"
scenario_lab

kill_all() {
    local f=$SC_TMP/acked-$SETUP
    committer_start "$f" || return
    sleep 3
    "$LABCMD" galera all kill || miss "lab galera all kill failed"
    expect_within 300 "recovered by itself: ${#NODES[@]} Promoted and Synced, the VIP answers SQL" galera_cluster_ok &&
        RUN_TIME=$TOOK
    sleep 2
    committer_stop
    expect "no acknowledged commit lost" no_commit_lost "$f"
    RUN_NOTE+="${RUN_NOTE:+; }$ACKED commits acknowledged"
}

compare_galera "j2: kill -9 of every mariadbd while a client commits" kill_all
scenario_end
