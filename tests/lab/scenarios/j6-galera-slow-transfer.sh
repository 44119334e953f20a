#!/usr/bin/env bash
# Scenario j6, issue 12 §6: a state transfer that takes longer than the promote timeout (60 s
# in both setups). n3 is put in standby, the others commit about 48 MB, the switch port towards
# n3's client/Galera link (p3; corosync's ring is r3) is throttled to 5 Mbit/s with tc, and n3
# comes back online:
# its IST takes well over a minute. It must end Synced with no failed action and no blocked
# resource. Timed from `crm node online` until every node is Promoted and Synced.
# scenario-timeout: 1200
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"
. "$LAB_HOME/lib/galera-compare.sh"
scenario_lab
S=${NODES[-1]}
PROMOTE_TIMEOUT=60
# the throttled IST takes about 100 s: an anchor not Synced after 180 s is not going to be
COMPARE_ANCHOR_LIMIT=${COMPARE_ANCHOR_LIMIT:-180}

# the transfer flows into n3: shape the switch's port towards it (tc shapes what a device sends)
PORT=p$(node_idx "$S")
throttle() { tc -n "$SW" qdisc replace dev "$PORT" root tbf rate 5mbit burst 32kbit latency 400ms; }
unthrottle() { tc -n "$SW" qdisc del dev "$PORT" root 2>/dev/null || true; }

big_data() { # about 48 MB in 6 MB transactions, on a Synced node
    local w=$1 i
    sql "$w" -e "DROP TABLE IF EXISTS lab.big; CREATE TABLE lab.big (id INT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(1600));
        INSERT INTO lab.big (pad) VALUES (REPEAT('x', 1500))" || return 1
    for i in $(seq 12); do sql "$w" -e "INSERT INTO lab.big (pad) SELECT pad FROM lab.big" || return 1; done
    for i in $(seq 7); do sql "$w" -e "INSERT INTO lab.big (pad) SELECT pad FROM lab.big LIMIT 4096" || return 1; done
    log "lab.big: $(sql "$w" -e "SELECT COUNT(*) FROM lab.big") rows of 1500 bytes committed on $w"
}

slow_transfer() {
    STALE_ROWS=1 "$LABCMD" galera "$S" stale || { miss "lab galera $S stale failed"; return; }
    big_data n1 || { miss "the commits of lab.big failed"; return; }
    throttle || miss "tc on $S's eth0 failed"
    in_node n1 crm node online "$S" >/dev/null 2>&1 || miss "crm node online $S failed"
    expect_within 480 "$S joined through a throttled IST: ${#NODES[@]} Promoted and Synced, the VIP answers SQL" galera_cluster_ok &&
        RUN_TIME=$TOOK
    unthrottle
    [[ $RUN_TIME != - ]] && expect "the transfer outlasted the promote timeout (${PROMOTE_TIMEOUT} s), else this run shows nothing" \
        awk -v t="$RUN_TIME" -v p="$PROMOTE_TIMEOUT" 'BEGIN { exit !(t > p) }'
    expect "no failed galera action" eval '[[ $(failed_actions galera) == 0 ]]'
    expect "no blocked or FAILED resource in crm_mon" crm_mon_lacks "blocked\|FAILED"
    sql n1 -e "DROP TABLE IF EXISTS lab.big" || true
}
trap 'unthrottle; in_node n1 crm node online "$S" >/dev/null 2>&1; scenario_cleanup' EXIT

compare_galera "j6: a state transfer longer than the promote timeout" slow_transfer
scenario_end
