#!/usr/bin/env bash
# Scenario (d): seed 002. A galera-sync clone publishes the local Galera node's health as the
# node attribute galera-sync (1/0); a VIP in front of the Galera nodes keeps off nodes where it
# is not 1 (location rule `not_defined galera-sync or galera-sync number:lte 0`).
# Configured with crmsh (setups/d-galera-sync-crm.sh) and with pcs (d-galera-sync-pcs.sh).
# On the VIP's node, one at a time: desync, stop mariadbd, kill -9 mariadbd, isolate
# (non-Primary), exhaust connections -> the attribute drops to 0 and the VIP moves to a healthy
# node, which the client (mariadb over the VIP, SELECT @@hostname + wsrep state) confirms;
# recovery -> attribute 1 on all nodes again.
# Then (crmsh only), with wsrep_notify_cmd = galera-sync wsrep-notify in 60-galera.cnf and the
# monitor interval raised to 60 s, the VIP leaves an isolated node within seconds: the
# server's notification, not the next monitor, moved it.
. "$(dirname "$(readlink -f "$0")")/../lib/scenario.sh"

recover() { # NODE FAULT
    case $2 in
        desync) "$LABCMD" galera "$1" resync ;;
        stop|kill) "$LABCMD" galera "$1" start ;;
        isolate) "$LABCMD" galera "$1" unisolate ;;
        exhaust) "$LABCMD" galera "$1" release ;;
    esac
}

drills() { # SETUP VIP-RESOURCE
    local setup=$1 R=$2 P=$SC_TMP/probe-$1.log fault X Y
    # scenario_start skips (exit 77) when the agents are missing; a second setup is configured directly
    if [[ $setup == d-galera-sync-crm ]]; then scenario_start "$setup"; else lab_configure "$setup" || { t_fail "configure $setup"; return; }; fi
    t_begin "d[$setup]: galera-sync=1 on every node, $R started, the client answered through it"
    wait_for 20 "galera-sync=1 on n1 n2 n3" all_attr galera-sync 1
    wait_for 20 "$R started" is_not_on "$R" none
    X=$(where_is "$R")
    wait_for 10 "kernel of $X holds the VIP" vip_on "$X"
    probe_start "$P" --mysql
    wait_for 10 "client answered by $X (Synced)" probe_answers "$P" "$X"
    t_pass
    for fault in desync stop kill isolate exhaust; do
        X=$(where_is "$R")
        t_begin "d[$setup]: $fault on $X -> galera-sync=0 there, $R moves to a healthy node"
        T=$(epoch)
        "$LABCMD" galera "$X" "$fault" >/dev/null 2>&1 || t_fail "lab galera $X $fault failed"
        took 20 "$R left $X" is_not_on "$R" "$X"
        Y=$(where_is "$R")
        assert_eq 0 "$(node_attr galera-sync "$X")" "galera-sync on $X"
        wait_for 10 "kernel of $Y holds the VIP" vip_on "$Y"
        wait_for 10 "client answered by $Y (Synced)" probe_answers "$P" "$Y"
        outage "$P" "$T"
        log "[$setup] $fault on $X: $R on $Y; client outage $OUTAGE s"
        recover "$X" "$fault" >/dev/null 2>&1 || t_fail "recovery of $X after $fault failed"
        wait_for 60 "galera-sync back to 1 on $X" attr_is galera-sync "$X" 1
        wait_for 30 "all nodes galera-sync=1" all_attr galera-sync 1
        # a node rejoining after a crash may need a state transfer: its donor is Donor/Desynced
        # meanwhile and the VIP rightly leaves the donor too; wherever it is now, it is healthy
        Z=$(where_is "$R")
        assert_eq 1 "$(node_attr galera-sync "$Z")" "galera-sync where $R runs ($Z) after recovery"
        [[ $Z == "$Y" ]] || log "[$setup] $R moved on to $Z during the recovery of $X (its donor)"
        t_pass
    done
    probe_stop
}

drills d-galera-sync-crm VirtualIP

# wsrep_notify_cmd: the move without waiting for the next monitor
notify_log() { # NODE: the last wsrep-notify lines of the node's server log
    grep 'wsrep-notify' "$(node_dir "$1")/mariadbd.out" | tail -n "${2:-4}" | sed 's/^/    /'
}
notify_part() {
    t_begin "d: wsrep_notify_cmd = galera-sync wsrep-notify, monitor every 60 s: an isolated node loses the VIP at once"
    assert_eq "$OCF_MARIADB/galera-sync wsrep-notify" "$(sql n1 -e 'SELECT @@wsrep_notify_cmd')" "wsrep_notify_cmd"
    in_node n1 pcs resource update galera-sync op monitor interval=60s timeout=20s >/dev/null 2>&1 \
        || t_fail "pcs resource update galera-sync op monitor interval=60s"
    wait_until 30 "settled after the op change" settled || true
    wait_for 20 "galera-sync=1 on n1 n2 n3" all_attr galera-sync 1 || return
    X=$(where_is VirtualIP)
    "$LABCMD" galera "$X" isolate >/dev/null 2>&1
    # Galera declares the others gone after evs.suspect_timeout (5 s), then the view change
    # (non-Primary) is notified; the 60 s monitor would take up to a minute
    took 15 "VirtualIP left the isolated $X" is_not_on VirtualIP "$X"
    assert_eq 0 "$(node_attr galera-sync "$X")" "galera-sync on $X"
    log "wsrep-notify: VirtualIP left the isolated node after $TOOK s (5 s of it is Galera's suspect timeout)"
    t_pass

    t_begin "d: wsrep-notify: the node Synced again after un-isolation -> galera-sync=1 at once"
    "$LABCMD" galera "$X" unisolate >/dev/null 2>&1
    wait_for 20 "$X Synced" galera_synced "$X"
    if ! wait_for 5 "galera-sync=1 on $X within 5 s of Synced (monitor 60 s)" attr_is galera-sync "$X" 1; then
        log "galera-sync on $X is still $(node_attr galera-sync "$X"); its notifications:"
        notify_log "$X" 6 >&2
    fi
    t_pass

    # desync changes no server state: MariaDB runs no notification for it (informational)
    X=$(where_is VirtualIP)
    if all_attr galera-sync 1; then
        "$LABCMD" galera "$X" desync >/dev/null 2>&1
        if _wait_quiet 8 is_not_on VirtualIP "$X"; then
            log "wsrep-notify, desync: VirtualIP moved at once"
        else
            log "wsrep-notify, desync: no notification from the server (expected); the monitor catches it"
        fi
        "$LABCMD" galera "$X" resync >/dev/null 2>&1
    fi
}
if [[ $(cat "$LAB/wsrep-notify" 2>/dev/null) == 1 ]]; then
    notify_part
elif [[ -n ${SCENARIOS_STRICT:-} ]]; then
    t_begin "wsrep_notify_cmd is set in the lab"
    t_fail "the lab's Galera runs without wsrep_notify_cmd (galera-sync was not installed at lab up, or LAB_WSREP_NOTIFY=0)"
else
    echo "SKIP: the lab's Galera runs without wsrep_notify_cmd (galera-sync was not installed at lab up, or LAB_WSREP_NOTIFY=0)"
fi

drills d-galera-sync-pcs VirtualIP

scenario_end
