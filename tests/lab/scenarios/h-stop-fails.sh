#!/usr/bin/env bash
# Scenario (h), issue 13 §3: a stop that cannot succeed gets the node fenced and the resource
# recovered elsewhere. The promoted MaxScale is wedged: frozen in its own cgroup v1 freezer
# cgroup (`lab wedge-maxscale`), where a task acts on no signal, SIGKILL included, until thawed
# (as a task stuck in D state on a hung NFS mount). Its monitor times out, the demote fails,
# and the maxscale agent's stop (SIGTERM, a second SIGTERM, SIGKILL) finds it still there and
# returns 1; with fencing on, a failed stop fences the node (on-fail=fence, the default).
# The stop timeout is lowered to 15 s first, as an administrator would (pcs sets the agent's
# advised 60 s), to keep the scenario short. Asserted: the stop's rc 1 and its reason in the
# node's own log, the node fenced, the promoted MaxScale and the VIP on another node, the
# wedged process gone after the power-off (the switch thaws as part of the kill), no two
# hosts answering for the VIP, the journal and the fencing history in agreement.
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"

scenario_start b-promotable
P=$SC_TMP/probe.log
A=$SC_TMP/arp.log

t_begin "h: stop timeout 15 s; one promoted MaxScale with the VIP"
in_node n1 pcs resource update maxscale op stop timeout=15s >/dev/null 2>&1 ||
    t_fail "pcs resource update maxscale op stop timeout=15s"
wait_until 30 "settled after the op change" settled || true
wait_for 40 "a promoted MaxScale and the VIP with it" eval 'vip_on "$(promoted_where maxscale-clone)"'
X=$(promoted_where maxscale-clone)
probe_start "$P"
arp_start "$A"
wait_for 10 "client answered by $X" probe_answers "$P" "$X"
t_pass

t_begin "h: wedge $X's MaxScale: SIGKILL has no effect on it"
W=$(maxscale_pid "$X") || t_fail "no MaxScale pid on $X"
T=$(epoch)
"$LABCMD" wedge-maxscale "$X" || t_fail "lab wedge-maxscale $X"
assert_eq D "$(awk '/^State:/ {print $2}' "/proc/$W/status" 2>/dev/null)" "state of the wedged MaxScale (pid $W) in /proc"
t_pass

t_begin "h: the agent's stop returns 1 after its SIGKILL, the node is fenced, the resource recovered elsewhere"
stop_failed() { pcmk_log_lines "$T" "Result of stop operation for maxscale on $X" "$X" | grep 'error' >/dev/null; }
took 90 "the stop of maxscale on $X failed" stop_failed
pcmk_log_lines "$T" "Result of stop operation for maxscale on $X" "$X" | sed 's/^/    /' >&2
SL=$(pcmk_log_lines "$T" "maxscale stop (call" "$X" | tail -n 1)
log "execd: $SL"
[[ $SL == *"exited with status 1"* ]] || t_fail "the stop did not exit with status 1: $SL"
[[ $SL == *"still there after SIGKILL"* ]] || t_fail "the stop's reason is not 'still there after SIGKILL': $SL"
took 60 "$X fenced (the switch's journal)" \
    eval '[[ -n $(journal_ops "$T" reboot "$X" | grep " via=fence_lab result=ok ") ]]'
R=$(journal_ops "$T" reboot "$X" | grep " result=ok " | head -n 1)
log "journal: $R"
assert_rc 1 pid_alive "$W"
took 30 "another node promoted" promoted_not maxscale-clone "$X"
Y=$(promoted_where maxscale-clone)
wait_for 20 "VIP on $Y" vip_on "$Y"
wait_for 15 "client answered by $Y" probe_answers "$P" "$Y"
assert_rc 0 earlier "$(jfield "$R" dead)" "$(pcmk_log_first "$T" "Initiating promote operation maxscale")"
outage "$P" "$T"
log "wedged MaxScale on $X: fenced $(secs_between "$T" "$(jfield "$R" dead)") s after the wedge; client outage $OUTAGE s (monitor timeout 5 s, demote 10 s, stop 15 s)"
t_pass

t_begin "h: $X boots and rejoins; no two hosts answered for the VIP; journal and history agree"
took 90 "$X back Online" node_back "$X"
arp_stop
probe_stop
assert_eq "" "$(arp_dual "$A")" "ARP samples with two hosts answering for the VIP"
fence_agree "$T"
assert_eq 1 "$(fence_events_ok "$T" "$X")" "successful fencing events of $X"
t_pass
scenario_end
