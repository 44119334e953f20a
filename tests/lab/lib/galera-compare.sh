# shellcheck shell=bash
# tests/lab/lib/galera-compare.sh - issue 12's Galera scenarios (tests/lab/scenarios/j*.sh):
# each runs one fault against the setup `galera` (ocf:mariadb:galera) and then `galera-ra`
# (ocf:heartbeat:galera), and prints both outcomes and times side by side. Only our agent's
# run asserts; the anchor's failures are counted and shown, not failed on (the issue compares
# with it, it does not require it to work). Sourced after lib/scenario.sh.
#
#   compare_galera TITLE FUNC    run FUNC once per setup (SETUP=galera, then galera-ra)
#   expect DESC CMD...           inside FUNC: an assertion for ours, a counted failure for the RA
#   expect_within T DESC CMD...  the same for a wait (TOOK is set, "-" when it timed out)

COMPARE_SETUPS=${COMPARE_SETUPS:-galera galera-ra}
# the setup running now is ours (galera, galera-2node), not the anchor's (galera-ra*)
ours() { [[ $SETUP != galera-ra* ]]; }
COMPARE_LOG=${COMPARE_LOG:-$LAB/galera-compare.log}   # every row of every run (bench: 5 runs)

# a failure of the current run: ours fails the test, the anchor's is recorded
miss() {
    RUN_OK=0
    RUN_NOTE+="${RUN_NOTE:+; }$1"
    if ours; then t_fail "$1"; else log "ocf:heartbeat:galera: $1"; fi
}
# (the locals have names of their own: CMD is eval'ed here and may use the caller's t, desc, ...)
expect() {
    local _e_desc=$1; shift
    if "$@"; then _t_ok "$_e_desc"; else miss "$_e_desc"; fi
}
# the anchor's waits end after COMPARE_ANCHOR_LIMIT s at most: a failure of its recovery is
# counted, not waited out (this bounds the CI time of these scenarios)
COMPARE_ANCHOR_LIMIT=${COMPARE_ANCHOR_LIMIT:-240}
expect_within() {
    local _e_t=$1 _e_desc=$2 _e_t0; shift 2
    ! ours && (( _e_t > COMPARE_ANCHOR_LIMIT )) && _e_t=$COMPARE_ANCHOR_LIMIT
    _e_t0=$(now_us)
    if _wait_quiet "$_e_t" "$@"; then
        TOOK=$(since "$_e_t0")
        log "$_e_desc after $TOOK s"
        _t_ok "$_e_desc"
        return 0
    fi
    TOOK=-
    miss "not within ${_e_t}s: $_e_desc"
    return 1
}

# the setups in the order they run: the one configured now first (no reconfiguration between
# two scenarios), the table still lists ours first
compare_order() {
    local cur s; cur=$(cat "$LAB/setup" 2>/dev/null) || cur=""
    for s in $COMPARE_SETUPS; do [[ $s == "$cur" ]] && echo "$s"; done
    for s in $COMPARE_SETUPS; do [[ $s != "$cur" ]] && echo "$s"; done
    return 0
}

# SETUP as a scenario needs it: reused when it is configured and healthy, else `lab configure`
compare_setup() {
    local rc=0
    if [[ $(cat "$LAB/setup" 2>/dev/null) == "$SETUP" ]] && galera_cluster_ok && [[ $(failed_actions) == 0 ]]; then
        log "setup $SETUP is configured and healthy: reused"
        return 0
    fi
    lab_configure "$SETUP" || rc=$?
    case $rc in
        0) expect "crm_verify -L -V clean after configuring $SETUP" test ! -s "$LAB/crm_verify.out" ;;
        3) miss "setup $SETUP: agents not installed" ;;
        *) miss "lab configure $SETUP failed" ;;
    esac
    (( rc == 0 )) || return 1
    expect_within 180 "$SETUP: ${#NODES[@]} Promoted and Synced, the VIP answers SQL" galera_cluster_ok
}

declare -A COMPARE_ROW
compare_galera() { # TITLE FUNC
    local title=$1 fn=$2 res
    for SETUP in $(compare_order); do
        t_begin "$title [$SETUP]"
        RUN_OK=1 RUN_NOTE="" RUN_TIME=-
        compare_setup && "$fn"
        res=$( ((RUN_OK)) && echo ok || echo FAIL)
        COMPARE_ROW[$SETUP]=$(printf '%-15s %-5s %8s s  %s' "$SETUP" "$res" "$RUN_TIME" "${RUN_NOTE:--}")
        printf '%s %s %s %s %s\n' "$(date -u +%FT%TZ)" "${0##*/}" "$SETUP" "$res" "$RUN_TIME" >>"$COMPARE_LOG"
        t_pass
    done
    echo
    echo "== $title: ocf:mariadb:galera next to ocf:heartbeat:galera"
    printf '   %-15s %-5s %10s  %s\n' setup result time notes
    for SETUP in $COMPARE_SETUPS; do printf '   %s\n' "${COMPARE_ROW[$SETUP]}"; done
    echo
}

# ---- the cluster's state
promoted_count() { local w; w=$(promoted_where galera-clone 2>/dev/null) || { echo 0; return; }; wc -w <<<"$w"; }
all_synced() { local n; for n in "${NODES[@]}"; do galera_synced "$n" || return 1; done; }
# a client query through the VIP reaches a Synced node (port 3306: the VIP is in front of Galera too)
vip_sql_synced() {
    [[ $(in_client env MYSQL_PWD="$LAB_PW" mariadb --connect-timeout=1 -h "$VIP" -u lab -N -B \
        -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | awk '{print $2}') == Synced ]]
}
galera_cluster_ok() {
    (( $(promoted_count) == ${#NODES[@]} )) && all_synced &&
        [[ $(wsrep_status n1 wsrep_cluster_size) == "${#NODES[@]}" ]] && vip_sql_synced
}
# failed actions crm_mon lists (of resource RSC only, when given)
failed_actions() { # [RSC]
    in_node "$(any_node)" crm_mon -1 --output-as=xml 2>/dev/null | grep '<failure ' |
        grep -c "op_key=\"${1:-}" || true
}

# ---- a client that commits in a loop, in the client namespace: one INSERT per attempt on
# the nodes in turn; an id goes into FILE only when the server acknowledged its commit
committer_start() { # FILE
    local f=$1 ips="" n
    for n in "${NODES[@]}"; do ips+=" $(node_ip "$n")"; done
    rm -f "$f"
    sql n1 -e "CREATE TABLE IF NOT EXISTS lab.commits (id INT PRIMARY KEY, host VARCHAR(16)); DELETE FROM lab.commits" ||
        { miss "cannot create lab.commits"; return 1; }
    nsenter --net="/run/netns/$CL" -- env MYSQL_PWD="$LAB_PW" bash -c '
        f=$1; shift; hosts=("$@"); i=0; end=$(( SECONDS + ${COMMIT_SECONDS:-900} ))
        while (( SECONDS < end )); do
            i=$(( i + 1 )); h=${hosts[i % ${#hosts[@]}]}
            timeout 3 mariadb --connect-timeout=1 -h "$h" -u lab lab \
                -e "INSERT INTO commits VALUES ($i, \"$h\")" 2>/dev/null && echo "$i" >>"$f"
            sleep 0.05
        done' committer "$f" $ips </dev/null >/dev/null 2>&1 &
    COMMITTER_PID=$!
    SC_BG+=("$COMMITTER_PID")
    _wait_quiet 10 test -s "$f" || miss "the committer got no commit acknowledged within 10 s"
}
committer_stop() { kill "${COMMITTER_PID:-0}" 2>/dev/null || true; wait "${COMMITTER_PID:-0}" 2>/dev/null || true; }
# acknowledged commits missing on NODE (none: every commit a client saw acknowledged is there)
commits_missing() { # FILE NODE
    comm -23 <(sort -u "$1") <(sql "$2" -e "SELECT id FROM lab.commits" 2>/dev/null | sort -u)
}
# every acknowledged commit on every node; sets ACKED
no_commit_lost() { # FILE
    local n miss_n out=""
    ACKED=$(sort -u "$1" | wc -l)
    for n in "${NODES[@]}"; do
        miss_n=$(commits_missing "$1" "$n" | wc -l)
        (( miss_n == 0 )) || out+=" $n:$miss_n"
    done
    [[ -z $out ]] || { log "acknowledged commits missing:$out (of $ACKED)"; return 1; }
    log "all $ACKED acknowledged commits are on ${NODES[*]}"
}
