#!/usr/bin/env bash
# Scenario (g), issue 13 §2: the VIP holder loses the cluster ring but not its clients
# (`lab partition`: its ring port down, its client port up), three ways:
#   1. fencing on (setups/b-promotable.sh): the majority fences it (power off: processes and
#      ports) before the VIP starts elsewhere; the node boots again, still partitioned, alone
#      and without quorum, and rejoins at `lab heal`;
#   2. fencing off, our vip (setups/vip-nofence.sh: seed 002 as published, stonith-enabled=false
#      and no-quorum-policy=ignore, with ocf:mariadb:vip): the cut-off node keeps serving; the
#      majority's start of the VIP finds the address still answered (the duplicate-address
#      probe), refuses it (rc 1, the reason names the MAC), Pacemaker bans the VIP from that
#      node (start-failure-is-fatal) and tries the next one, which refuses too: one holder;
#   3. fencing off, IPaddr2 (setups/legacy-vip-nofence.sh, seed 002 exactly): the majority
#      starts the VIP as well: two hosts answer for it until `lab heal`, when Pacemaker finds
#      it active twice and stops one.
# An ARP sampler in the client namespace records who answers for the VIP every 100 ms.
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"

# the part of each side: partition the holder X, wait for the majority's verdict
partition_holder() { # RESOURCE
    local r=$1
    wait_for 40 "$r started" is_not_on "$r" none || return 1
    X=$(where_is "$r")
    wait_for 10 "the kernel of $X holds the VIP" vip_on "$X"
    P=$SC_TMP/probe-$SETUP.log A=$SC_TMP/arp-$SETUP.log
    probe_start "$P" ${PROBE_OPTS[@]+"${PROBE_OPTS[@]}"}
    arp_start "$A"
    wait_for 10 "client answered by $X" probe_answers "$P" "$X"
    T=$(epoch)
    "$LABCMD" partition "$X" || t_fail "lab partition $X failed"
    MAJ=$(other_node "$X")
}

# ------------------------------------------------------------ 1. fencing on
SETUP=b-promotable PROBE_OPTS=()
scenario_start "$SETUP"
t_begin "g1 (fencing on): partition the VIP holder -> fenced before the VIP starts elsewhere"
wait_for 40 "a promoted MaxScale and the VIP with it" eval 'vip_on "$(promoted_where maxscale-clone)"'
partition_holder vip
took 60 "$X fenced by the majority (the switch's journal)" \
    eval '[[ -n $(journal_ops "$T" reboot "$X" | grep " via=fence_lab result=ok ") ]]'
R=$(journal_ops "$T" reboot "$X" | grep " result=ok " | head -n 1)
log "journal: $R"
took 30 "VIP and the promoted MaxScale on one other node" eval 'promoted_not maxscale-clone "$X" && vip_on "$(promoted_where maxscale-clone)"'
Y=$(promoted_where maxscale-clone)
wait_for 15 "client answered by $Y" probe_answers "$P" "$Y"
FENCED=$(jfield "$R" dead)
VIPSTART=$(pcmk_log_first "$T" "Initiating start operation vip_start_0")
log "partition at $T; membership without $X at +$(secs_between "$T" "$(pcmk_log_first "$T" "Requesting fencing")") s (fencing requested); $X powered off at +$(secs_between "$T" "$FENCED") s; vip start on $Y at +$(secs_between "$T" "$VIPSTART") s"
assert_rc 0 earlier "$FENCED" "$VIPSTART"
outage "$P" "$T"
log "partition of the VIP holder, fencing on: client outage $OUTAGE s"
t_pass

t_begin "g1: $X boots partitioned (alone, no quorum, no resources), rejoins at heal"
took 90 "$X powered on and its cluster stack running again" \
    eval '! node_is_off "$X" && node_daemon_pid "$X" pacemakerd >/dev/null'
alone_inquorate() { in_node "$X" crm_mon -1 2>/dev/null | grep 'partition WITHOUT quorum' >/dev/null; }
wait_for 40 "$X sees itself in a partition without quorum" alone_inquorate
assert_eq "" "$(in_node "$X" ip -o -4 addr show dev eth0 | grep " $VIP/")" "no VIP on the partitioned $X"
"$LABCMD" heal "$X"
wait_for 60 "$X back Online" cluster_ready
wait_until 30 "cluster settled" settled || true
assert_eq "$Y" "$(promoted_where maxscale-clone)" "the promoted MaxScale stays on $Y"
arp_stop
probe_stop
assert_eq "" "$(arp_dual "$A")" "ARP samples with two hosts answering for the VIP"
log "ARP: answered by $(arp_answerers "$A"); $(grep -c ' ARP none' "$A") of $(wc -l <"$A") samples with no answer"
fence_agree "$T"
assert_eq 1 "$(fence_events_ok "$T" "$X")" "successful fencing events of $X"
t_pass

# ------------------------------------------------------------ 2. fencing off, ocf:mariadb:vip
SETUP=vip-nofence PROBE_OPTS=(--mysql)
lab_configure "$SETUP" || t_fail "lab configure $SETUP"
t_begin "g2 (fencing off, ocf:mariadb:vip): the majority's start is refused by the duplicate probe; one holder"
partition_holder VirtualIP
refused() { pcmk_log_lines "$T" "(duplicate probe): not added" | grep VirtualIP >/dev/null; }
took 40 "a start of VirtualIP on the majority refused (duplicate-address probe)" refused
pcmk_log_lines "$T" "(duplicate probe): not added" | grep 'Result of start operation' | sed 's/^/    /' | head -n 3 >&2
# Pacemaker: start failure -> fail-count INFINITY there (start-failure-is-fatal) -> the next
# node -> refused again -> nowhere left in the majority's partition
banned_everywhere() {
    [[ $(pcmk_log_lines "$T" "(duplicate probe): not added" | grep -c 'Result of start operation') -ge 2 ]] &&
        in_node "$MAJ" crm_resource --locate --resource VirtualIP 2>&1 | grep 'NOT running' >/dev/null
}
took 40 "the majority tried both of its nodes and gave up (VirtualIP Stopped there)" banned_everywhere
log "the majority's view (crm_mon on $MAJ):"
in_node "$MAJ" crm_mon -1 2>&1 | sed -n '/Node List/,$p' | sed 's/^/    /' >&2
assert_eq "$X" "$(vip_holders)" "only $X holds the VIP"
sleep 2   # let the sampler see the steady state: one holder
assert_eq "" "$(arp_dual "$A")" "ARP samples with two hosts answering"
assert_eq "$X" "$(arp_answerers "$A" "$T")" "hosts answering ARP after the partition"
assert_eq "$X" "$(probe_answerers "$P" "$T")" "the client is answered by $X throughout"
"$LABCMD" heal "$X"
wait_for 60 "$X back in the cluster" cluster_ready
wait_until 30 "cluster settled" settled || true
assert_eq "$X" "$(where_is VirtualIP)" "after heal: VirtualIP still on $X only"
arp_stop
probe_stop
t_pass

# ------------------------------------------------------------ 3. fencing off, IPaddr2
SETUP=legacy-vip-nofence PROBE_OPTS=(--mysql)
lab_configure "$SETUP" || t_fail "lab configure $SETUP"
t_begin "g3 (fencing off, ocf:heartbeat:IPaddr2, seed 002 as published): two hosts answer for the VIP"
partition_holder VirtualIP
two_holders() { [[ $(vip_holders) == *" "* ]]; }
took 40 "the majority started a second VIP" two_holders
H=$(vip_holders)
log "VIP held by: $H (kernels); the client reached: $(probe_answerers "$P" "$T")"
dual_seen() { [[ -n $(arp_dual "$A") ]]; }
wait_for 5 "ARP: two hosts answer for the VIP" dual_seen
log "ARP samples with two answers: $(arp_dual "$A" | wc -l), e.g. $(arp_dual "$A" | head -n 1)"
"$LABCMD" heal "$X"
wait_for 60 "$X back in the cluster" cluster_ready
one_holder() { [[ -n $(vip_holders) && $(vip_holders) != *" "* ]]; }
took 40 "after heal Pacemaker stopped one of them (multiple-active=stop_start)" one_holder
pcmk_log_lines "$T" "active on 2 nodes" | head -n 1 | sed 's/^/    /' >&2
arp_stop
probe_stop
t_pass

scenario_end
