#!/usr/bin/env bash
# Scenario (b): seeds 001/004 inside Pacemaker. MaxScale as a promotable clone on all nodes
# (pcs), the VIP colocated with the Promoted instance and ordered after the promotion
# (tests/lab/setups/b-promotable.sh). Never more than one MaxScale among the nodes the network
# reaches serves passive=false: with the simulator, checked exactly on the nodes' passive
# journals (every change of the value each MaxScale served, on the clock all nodes share; a
# window of a few ms counts); with a real MaxScale (MAXSCALE_BIN), by a sampler that asks every
# REST API about 4 times a second (it runs with the simulator too, for its log line). A node
# whose link is cut keeps passive=false until its partition has lost quorum and Pacemaker there
# demotes it (or until the quorate side has fenced it: fencing is on), which overlaps the
# promotion on the quorate side: the cut node does not count from the cut until it is healed,
# and the overlap is logged. A power-off ends the node's instances (the journal's watcher dies
# with them and writes no `gone`: the switch's journal says when).
#   kill -9 the promoted MaxScale   -> another is promoted, the VIP follows
#   SIGSTOP the promoted MaxScale   -> another is promoted, the VIP follows
#   cut the promoted node's link    -> another is promoted, the VIP follows
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"

SINCE=$(now_ns)  # MaxScales started from here on are this setup's (the journals' check)
scenario_start b-promotable
P=$SC_TMP/probe.log
S=$SC_TMP/passive.log
CUTS=()  # NODE:FROM_NS:TO_NS, while the node was cut off

# steady state: X promoted, VIP on X, only X active, clients answered by X
steady() {
    local x=$1
    wait_for 20 "maxscale-clone promoted on $x only" promoted_is maxscale-clone "$x"
    wait_for 15 "VIP on $x (Pacemaker and kernel)" vip_on "$x"
    assert_eq "$x" "$(where_is vip)" "crm_resource --locate vip"
    wait_for 10 "only $x's MaxScale has passive=false" only_active_is "$x"
    wait_for 10 "client answered by $x" probe_answers "$P" "$x"
}

cleanup_all() {
    in_node "$(any_node)" pcs resource cleanup >/dev/null 2>&1 || true
    wait_until 30 "cluster settled after cleanup" settled || true
}

t_begin "b: one promoted MaxScale, the VIP with it, the others passive"
wait_for 40 "a promoted instance" promoted_not maxscale-clone none
X=$(promoted_where maxscale-clone)
probe_start "$P"
sampler_start "$S"
steady "$X"
running_everywhere() { [[ $(where_is maxscale-clone) == "n1 n2 n3" ]]; }
wait_for 20 "maxscale-clone running on n1 n2 n3" running_everywhere
t_pass

for fault in kill hang cut; do
    X=$(promoted_where maxscale-clone)
    t_begin "b: $fault the promoted MaxScale ($X) -> another is promoted, the VIP follows"
    T=$(epoch)
    case $fault in
        kill) "$LABCMD" kill-maxscale "$X" ;;
        hang) "$LABCMD" hang-maxscale "$X" ;;
        cut) CUT_FROM=$(now_ns); "$LABCMD" cut "$X" ;;
    esac
    took 40 "another node promoted" promoted_not maxscale-clone "$X"
    Y=$(promoted_where maxscale-clone)
    steady "$Y"
    outage "$P" "$T"
    log "$fault on $X: promoted moved to $Y; client outage $OUTAGE s"
    case $fault in
        hang) "$LABCMD" resume-maxscale "$X" 2>/dev/null || true ;;
        cut) "$LABCMD" heal "$X"; CUTS+=("$X:$CUT_FROM:$(now_ns)"); wait_for 30 "$X back online" cluster_ready n1 ;;
    esac
    cleanup_all
    assert_eq "$Y" "$(promoted_where maxscale-clone)" "promotion stays on $Y after cleanup"
    wait_for 10 "only $Y active after cleanup" only_active_is "$Y"
    t_pass
done

t_begin "b: never two reachable MaxScales with passive=false at once"
sampler_stop
probe_stop
log "passive sampler: $(wc -l <"$S") samples, $(awk 'NF == 1' "$S" | wc -l) with none active (during failovers), $(sampler_dual "$S" | wc -l) with two on connected nodes, $(grep -c ':late' "$S") answers from a frozen MaxScale not counted"
if [[ -z ${MAXSCALE_BIN:-} ]] && maxscale_journals_exist; then
    overlaps=$(maxscale_journal_overlaps "$SINCE" "${CUTS[@]}")
    while read -r from ms a b; do
        case $ms in
            '') ;;
            previous) log "a MaxScale started before this setup is still there: $a" ;;
            *) log "two active MaxScales: $a and $b both served passive=false for $ms ms from $from ns" ;;
        esac
    done <<<"$overlaps"
    assert_eq "" "$overlaps" "stretches in which two reachable MaxScales served passive=false (passive journals)"
    cut_ms=$(maxscale_journal_overlaps "$SINCE" 2>/dev/null | awk '$2 != "open" { s += $2 } END { printf "%.0f", s }')
    log "with the cut-off node counted too: $cut_ms ms of two passive=false in all (it demotes when its partition loses quorum, or dies when it is fenced)"
else
    dual=$(sampler_dual "$S")
    assert_eq "" "$dual" "samples with two active MaxScales on connected nodes"
    log "cut-off node still passive=false after another was promoted: about $(sampler_cut_overlap "$S") s (it demotes when its partition loses quorum, or dies when it is fenced)"
fi
t_pass

scenario_end
