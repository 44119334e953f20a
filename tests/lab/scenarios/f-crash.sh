#!/usr/bin/env bash
# Scenario (f), issue 13 §1: the VIP holder crashes (every process of the node gone at once,
# its ports down: `lab crash`), with fencing on (setups/b-promotable.sh + the lab's fence
# device). Asserted:
#   - the node is fenced (a reboot through pacemaker-fenced and fence_lab) before the VIP and
#     the active MaxScale start elsewhere, and both move to one other node;
#   - at no moment do two hosts answer for the VIP: an ARP sampler in the client namespace
#     (a who-has every 100 ms, every reply counted) and the client's TCP probe;
#   - the fence's "on" boots the node, which rejoins; the switch's journal and
#     `stonith_admin --history '*' --verbose` agree.
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"

scenario_start b-promotable
P=$SC_TMP/probe.log
A=$SC_TMP/arp.log

t_begin "f: no node can reboot the machine: no CAP_SYS_BOOT in any node process, sysrq hidden"
for n in "${NODES[@]}"; do
    withcap=""
    for p in $(cat $(node_cgroups "$n" | sed 's|$|/cgroup.procs|') 2>/dev/null | sort -u); do
        capbnd_has_sys_boot "$p" && withcap+=" $p($(cat "/proc/$p/comm" 2>/dev/null))"
    done
    assert_eq "" "$withcap" "processes of $n with CAP_SYS_BOOT in their bounding set"
    # /dev/null (char 1:3) over it, or no sysrq in this kernel at all
    assert_eq ok "$(in_node "$n" sh -c '[ ! -e /proc/sysrq-trigger ] || [ "$(stat -c %t:%T /proc/sysrq-trigger)" = 1:3 ] && echo ok')" "/proc/sysrq-trigger in $n"
done
t_pass

t_begin "f: the fencer sees fence_lab as the API says (stonith_admin -M, --validate, --list)"
md=$(in_node n1 stonith_admin --metadata --agent fence_lab 2>&1)
[[ $md == *'<resource-agent name="fence_lab"'* ]] || t_fail "stonith_admin -M -a fence_lab: $md"
for a in on off reboot status list monitor metadata validate-all; do
    [[ $md == *"<action name=\"$a\""* ]] || t_fail "meta-data lacks the $a action"
done
assert_rc 0 in_node n1 stonith_admin --validate --agent fence_lab --option plug=n2
# "2min" is what Pacemaker 2.1.5 would read as 2 s in a pcmk_*_timeout; the agent wants seconds
refuses_minutes() { ! in_node n1 stonith_admin --validate --agent fence_lab --option power_timeout=2min >/dev/null 2>&1; }
assert_rc 0 refuses_minutes
assert_eq "${NODES[*]}" "$(in_node n1 stonith_admin --list-targets fence-lab 2>/dev/null | awk 'NF == 1' | sort | paste -sd' ')" "stonith_admin --list-targets fence-lab"
t_pass

t_begin "f: steady state: one promoted MaxScale, the VIP with it, one host answering ARP"
wait_for 40 "a promoted MaxScale and the VIP with it" eval 'vip_on "$(promoted_where maxscale-clone)"'
X=$(promoted_where maxscale-clone)
probe_start "$P"
arp_start "$A"
wait_for 10 "client answered by $X" probe_answers "$P" "$X"
wait_for 5 "ARP: $X answers for the VIP" eval '[[ $(arp_answerers "$A") == "$X" ]]'
t_pass

t_begin "f: lab crash $X: every process of $X gone at once, its ports down"
T=$(epoch)
"$LABCMD" crash "$X" || t_fail "lab crash $X failed"
C=$(journal_ops "$T" crash "$X")
assert_eq ok "$(jfield "$C" result)" "the switch's crash of $X"
log "journal: $C"
assert_eq 0 "$(node_proc_count "$X")" "processes of $X (its cgroups and network namespace) right after the crash"
assert_rc 0 net_is_cut "$X"
assert_rc 0 net_client_cut "$X"
t_pass

t_begin "f: $X is fenced, then the VIP and the active MaxScale start on one other node"
took 60 "$X fenced (a reboot by the cluster in the switch's journal)" \
    eval '[[ -n $(journal_ops "$T" reboot "$X" | grep " via=fence_lab result=ok ") ]]'
R=$(journal_ops "$T" reboot "$X" | grep " result=ok " | head -n 1)
log "journal: $R"
took 60 "another node promoted" promoted_not maxscale-clone "$X"
Y=$(promoted_where maxscale-clone)
wait_for 20 "VIP on $Y" vip_on "$Y"
wait_for 15 "client answered by $Y" probe_answers "$P" "$Y"
FENCED=$(jfield "$R" dead)
VIPSTART=$(pcmk_log_first "$T" "Initiating start operation vip_start_0")
PROMOTE=$(pcmk_log_first "$T" "Initiating promote operation maxscale")
log "crash $T, $X dead $(secs_between "$T" "$(jfield "$C" dead)") s later; fenced (power-off verified) at +$(secs_between "$T" "$FENCED") s; promote initiated at +$(secs_between "$T" "$PROMOTE") s, vip start at +$(secs_between "$T" "$VIPSTART") s"
assert_rc 0 earlier "$FENCED" "$VIPSTART"
assert_rc 0 earlier "$FENCED" "$PROMOTE"
outage "$P" "$T"
log "crash of the VIP holder $X with fencing: client outage $OUTAGE s (token $(cat "$LAB/token"))"
t_pass

t_begin "f: the fence's \"on\" boots $X, which rejoins the cluster"
took 90 "$X back Online" node_back "$X"
assert_rc 0 eval '(( $(node_proc_count "$X") > 0 ))'
wait_until 30 "cluster settled" settled || true
assert_eq "$Y" "$(promoted_where maxscale-clone)" "the promoted MaxScale stays on $Y after $X rejoins"
t_pass

t_begin "f: never two hosts answering for the VIP; the journal and the fencing history agree"
sleep 1
arp_stop
probe_stop
assert_eq "" "$(arp_dual "$A")" "ARP samples with two hosts answering for the VIP"
log "ARP sampler: $(wc -l <"$A") samples; answered by: $(arp_answerers "$A"); $(grep -c ' ARP none' "$A") samples with no answer (the failover)"
assert_eq "$X $Y" "$(probe_answerers "$P")" "the client was answered by $X, then by $Y only"
fence_agree "$T"
assert_eq 1 "$(fence_events_ok "$T" "$X")" "successful fencing events of $X in the history"
t_pass
scenario_end
