#!/usr/bin/env bash
# Scenario (i), issue 13 §4: the fence device fails. With `lab fence-device fail` the switch
# refuses the fencer's power operations (its monitor still answers), then the VIP holder
# crashes. Asserted: the lost node stays UNCLEAN, its resources stay blocked (the VIP and the
# promoted MaxScale are started nowhere else: Pacemaker never runs them twice), `crm_mon` says
# why (the node UNCLEAN, the failed fencing actions); then `lab fence-device repair`: the
# cluster's next attempt fences the node, the resources are recovered on another node, the
# node boots and rejoins. The switch's journal (the refused attempts included) and the fencing
# history agree.
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"

scenario_start b-promotable
P=$SC_TMP/probe.log
A=$SC_TMP/arp.log

t_begin "i: the fence device fails, then the VIP holder crashes"
wait_for 40 "a promoted MaxScale and the VIP with it" eval 'vip_on "$(promoted_where maxscale-clone)"'
X=$(promoted_where maxscale-clone)
probe_start "$P"
arp_start "$A"
wait_for 10 "client answered by $X" probe_answers "$P" "$X"
T=$(epoch)
"$LABCMD" fence-device fail
"$LABCMD" crash "$X" || t_fail "lab crash $X"
t_pass

t_begin "i: fencing of $X fails; its resources stay blocked; crm_mon says why"
M=$(other_node "$X")
refused() { [[ -n $(journal_ops "$T" reboot "$X" | grep " result=failed ") ]]; }
took 60 "the cluster tried to fence $X and the device refused" refused
says_why() {
    local out; out=$(in_node "$M" crm_mon -1 2>/dev/null) || return 1
    grep -E "OFFLINE.*UNCLEAN|UNCLEAN.*$X|$X.*UNCLEAN" <<<"$out" >/dev/null &&
        grep -A3 'Failed Fencing Actions' <<<"$out" | grep "reboot of $X by .* last failed" >/dev/null
}
wait_for 30 "crm_mon on $M: $X UNCLEAN, a failed fencing action of $X" says_why
log "crm_mon on $M:"
in_node "$M" crm_mon -1 2>&1 | sed -n '/Node List/,$p' | sed 's/^/    /' >&2
# blocked: while the controller retries (at once, up to stonith-max-attempts=10 failed
# events; then it gives up "for now" and tries again at every cluster-recheck-interval), nothing
# of X's runs anywhere else; observed until one attempt after it gave up
blocked() {
    [[ -z $(vip_holders) ]] || return 1
    local w; w=$(promoted_where maxscale-clone 2>/dev/null)
    [[ -z $w || $w == "$X" ]]
}
retried_after_giving_up() {
    local g; g=$(pcmk_log_first "$T" "Too many failures")
    [[ $g != - ]] && [[ -n $(journal_ops "$(awk -v g="$g" 'BEGIN { printf "%.3f", g + 2 }')" reboot "$X" | grep " result=failed ") ]]
}
t_blocked=$(now_us)
while ! retried_after_giving_up; do
    blocked || { t_fail "a resource of $X started elsewhere while $X was not fenced: VIP on '$(vip_holders)', promoted '$(promoted_where maxscale-clone)'"; break; }
    (( $(now_us) - t_blocked < 90000000 )) || { t_fail "no 'Too many failures' and a later attempt within 90 s"; break; }
    sleep 0.2
done
pcmk_log_lines "$T" "Too many failures" | head -n 1 | sed 's/^/    /' >&2
log "blocked and checked for $(since "$t_blocked") s more: $(journal_ops "$T" reboot "$X" | grep -c " result=failed ") refused reboots of $X, nothing of $X started elsewhere"
assert_eq "" "$(vip_holders)" "VIP holders while $X is unfenced"
assert_eq "" "$(arp_answerers "$A" "$(awk -v t="$T" 'BEGIN { printf "%.3f", t + 1 }')")" "hosts answering ARP for the VIP while $X is unfenced"
pcmk_log_lines "$T" "Fence operation" | grep failed | head -n 2 | sed 's/^/    /' >&2
t_pass

t_begin "i: lab fence-device repair -> $X fenced at the next attempt, its resources recovered elsewhere"
TR=$(epoch)
"$LABCMD" fence-device repair
fenced_ok() { [[ -n $(journal_ops "$TR" reboot "$X" | grep " via=fence_lab result=ok ") ]]; }
took 60 "$X fenced after the repair" fenced_ok
RF=$(journal_ops "$TR" reboot "$X" | grep " result=ok " | head -n 1)
log "journal: $RF"
log "$X fenced $(secs_between "$TR" "$(jfield "$RF" dead)") s after the repair (the controller retries a failed fencing at once up to stonith-max-attempts=10 times, then at every cluster-recheck-interval, 10 s here)"
took 30 "another node promoted, the VIP with it" eval 'promoted_not maxscale-clone "$X" && vip_on "$(promoted_where maxscale-clone)"'
Y=$(promoted_where maxscale-clone)
wait_for 15 "client answered by $Y" probe_answers "$P" "$Y"
took 90 "$X boots and is back Online" node_back "$X"
arp_stop
probe_stop
assert_eq "" "$(arp_dual "$A")" "ARP samples with two hosts answering for the VIP"
assert_eq "$X $Y" "$(probe_answerers "$P")" "the client was answered by $X, then by $Y only"
fence_agree "$T"
t_pass
scenario_end
