#!/usr/bin/env bash
# Scenario (c): seeds 001/004 literally. Keepalived from Debian on n1 (MASTER, priority 150)
# and n2 (BACKUP, 100), MaxScale run on both outside Pacemaker, with
#   vrrp_script chk_maxscale { script "maxscale keepalived-check --params ..." interval 1 fall 2 rise 2 }
#   notify "maxscale keepalived-notify --params ..."
# kill -9 the master's MaxScale -> the VIP moves to n2, passive flips on both sides; MaxScale
# restarted on n1 (as systemd would) -> n1 takes the VIP back (preemption), passive flips back.
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"

scenario_start c-keepalived
P=$SC_TMP/probe.log

passive_is() { [[ $(maxscale_passive "$1") == "$2" ]]; }

t_begin "c: n1 MASTER holds the VIP; n1 passive=false, n2 passive=true"
wait_for 20 "VIP on n1" vip_on n1
wait_for 10 "n1 passive=false (notify MASTER)" passive_is n1 false
wait_for 10 "n2 passive=true (notify BACKUP)" passive_is n2 true
assert_eq MASTER "$(keepalived_state n1)" "keepalived n1"
assert_eq BACKUP "$(keepalived_state n2)" "keepalived n2"
probe_start "$P"
wait_for 10 "client answered by n1" probe_answers "$P" n1
t_pass

t_begin "c: kill -9 MaxScale on n1 -> VIP on n2, n2 passive=false"
T=$(epoch)
"$LABCMD" kill-maxscale n1
took 15 "VIP moved to n2" vip_on n2
wait_for 5 "n2 passive=false (notify MASTER)" passive_is n2 false
wait_for 5 "client answered by n2" probe_answers "$P" n2
outage "$P" "$T"
log "kill -9 MaxScale on the Keepalived master: outage $OUTAGE s (vrrp_script interval 1 s, fall 2)"
wait_for 5 "keepalived n1 in FAULT" eval '[[ $(keepalived_state n1) == FAULT ]]'
t_pass

t_begin "c: MaxScale back on n1 -> n1 MASTER again, n1 passive=false, n2 passive=true"
T=$(epoch)
"$LABCMD" maxscale n1 start >/dev/null 2>&1 || t_fail "could not restart MaxScale on n1"
took 20 "VIP back on n1" vip_on n1
wait_for 10 "n1 passive=false" passive_is n1 false
wait_for 10 "n2 passive=true (notify BACKUP)" passive_is n2 true
wait_for 5 "only n1 active" only_active_is n1
wait_for 5 "client answered by n1" probe_answers "$P" n1
outage "$P" "$T"
log "fail-back to n1: outage $OUTAGE s"
t_pass
probe_stop

scenario_end
