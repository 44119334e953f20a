#!/usr/bin/env bash
# Scenario (e): seed 003's measurement, automated. A client in the client namespace connects to
# the VIP every 50 ms (connect timeout 200 ms, read timeout 300 ms) and the outage window is the
# longest gap between two answers around each fault:
#   MaxScale crash (kill -9) and hang (SIGSTOP) on the active node, graceful move, node link cut
#   (default token, then token=1000)        setup b-promotable (VIP:4006, MaxScale answers)
#   Galera desync of the VIP's node         setup d-galera-sync-crm (VIP:3306; only an answer
#                                           from a Synced node counts)
# Prints the table. Each window is one run (tests/bench/outage.sh takes medians of several).
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"

ROWS=()
row() { ROWS+=("$(printf '| %-34s | %9s | %s |' "$1" "$2" "$3")"); }

measure() { # NAME NOTE INJECT-CMD... : inject on the active node, wait for the new one, record
    local name=$1 note=$2 X Y T P=$SC_TMP/probe-$RANDOM.log; shift 2
    X=$(promoted_where maxscale-clone)
    probe_start "$P"
    wait_for 10 "client answered by $X before: $name" probe_answers "$P" "$X" || { row "$name" - "no answer before the fault"; probe_stop; return; }
    sleep 0.5
    T=$(epoch)
    "$@" "$X"
    if took 45 "$name: promoted elsewhere" promoted_not maxscale-clone "$X"; then
        Y=$(promoted_where maxscale-clone)
        wait_for 15 "$name: client answered by $Y" probe_answers "$P" "$Y"
        sleep 0.5
    fi
    probe_stop
    outage "$P" "$T"
    row "$name" "$OUTAGE" "$note"
    case $1 in
        hang_mxs) "$LABCMD" resume-maxscale "$X" >/dev/null 2>&1 || true ;;
        cut_node) "$LABCMD" heal "$X"; wait_for 40 "$X back online" cluster_ready n1 ;;
    esac
    in_node "$(any_node)" crm_resource --cleanup >/dev/null 2>&1 || true
    wait_until 30 "settled" settled || true
}

move_promoted() { # NODE: move the Promoted role away from NODE, then drop the constraint
    local to; to=$(other_node "$1")
    in_node n1 crm_resource --move --resource maxscale-clone --promoted --node "$to" >/dev/null 2>&1
    _wait_quiet 30 promoted_is maxscale-clone "$to" || true
    in_node n1 crm_resource --clear --resource maxscale-clone >/dev/null 2>&1 || true
}
cut_node() { "$LABCMD" cut "$1"; }
kill_mxs() { "$LABCMD" kill-maxscale "$1" >/dev/null; }
hang_mxs() { "$LABCMD" hang-maxscale "$1" >/dev/null; }

scenario_start b-promotable
t_begin "e: outage windows with the promotable MaxScale clone and the VIP"
wait_for 40 "a promoted MaxScale and the VIP with it" eval 'vip_on "$(promoted_where maxscale-clone)"'
measure "MaxScale crash (kill -9), active node" "monitor Promoted 2 s; migration-threshold=1" kill_mxs
measure "MaxScale hang (SIGSTOP), active node" "monitor 2 s + its REST timeout" hang_mxs
measure "graceful move (crm_resource --move)" "demote, promote elsewhere, VIP follows" move_promoted
measure "node link cut, token default" "token 3000 ms (3650 for 3 nodes) + consensus" cut_node
"$LABCMD" token 1000 >/dev/null 2>&1
measure "node link cut, token=1000" "token 1000 ms (1650 for 3 nodes) + consensus" cut_node
"$LABCMD" token "$(cat "$LAB/token.up")" >/dev/null 2>&1
t_pass

t_begin "e: outage window when the VIP's Galera node desyncs (galera-sync)"
lab_configure d-galera-sync-crm >/dev/null 2>&1 || t_fail "configure d-galera-sync-crm"
wait_for 20 "galera-sync=1 on n1 n2 n3" all_attr galera-sync 1
wait_for 20 "VirtualIP started" is_not_on VirtualIP none
X=$(where_is VirtualIP)
P=$SC_TMP/probe-desync.log
probe_start "$P" --mysql
wait_for 10 "client answered by $X" probe_answers "$P" "$X"
sleep 0.5
T=$(epoch)
"$LABCMD" galera "$X" desync >/dev/null
took 20 "VirtualIP left $X" is_not_on VirtualIP "$X"
Y=$(where_is VirtualIP)
wait_for 10 "client answered by $Y" probe_answers "$P" "$Y"
sleep 0.5
probe_stop
outage "$P" "$T"
row "Galera desync of the VIP's node" "$OUTAGE" "galera-sync monitor 2 s$([[ $(cat "$LAB/wsrep-notify" 2>/dev/null) == 1 ]] && echo ' (+ wsrep-notify push)')"
"$LABCMD" galera "$X" resync >/dev/null
t_pass

echo
echo "Outage windows seen by a client connecting every 50 ms (one run each; lab: 3 nodes, $(nproc) cores)"
echo
printf '| %-34s | %9s | %s |\n' "failure" "outage s" "what bounds it"
printf '|%s|%s|%s|\n' "------------------------------------" "-----------" "------------------------------------------"
printf '%s\n' "${ROWS[@]}"
echo
for r in "${ROWS[@]}"; do
    v=$(awk -F'|' '{gsub(/ /, "", $3); print $3}' <<<"$r")
    [[ $v =~ ^[0-9.]+$ ]] || t_fail "no closed outage window measured: $r"
done

scenario_end
