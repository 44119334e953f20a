#!/usr/bin/env bash
# tests/maxscale/pacemaker.sh - ocf:mariadb:maxscale on the REAL single-node Pacemaker of
# tests/pacemaker/single-node.sh, with the MaxScale simulator (or MAXSCALE_BIN) as binary:
#   1. crm configure primitive: starts, monitor runs, passive left alone; MaxScale SIGKILLed ->
#      Pacemaker's recurring monitor sees 7 and restarts it; stop leaves no process.
#   2. pcs resource create ... promotable: exactly one instance, promoted, passive=false, with
#      promotion score 100; disable -> stopped, score removed, no process.
# Only its own resources (mst-prim, mst-clone) are created and deleted: the CIB is not reset.
# Pacemaker is started when it is not running, and then stopped again at the end.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
. "$here/../pacemaker/lib.sh"
. "$here/env.sh"
need_root
need_cmd crm pcs crm_resource crm_attribute crm_mon cargo python3 curl

AGENT_DIR=${OCF_AGENT_DIR:-/usr/lib/ocf/resource.d/mariadb}
ms_delete_resources() {
    crm configure delete --force mst-prim mst-clone-clone mst-clone >/dev/null 2>&1
    pcs resource delete mst-clone --force >/dev/null 2>&1
}
ms_pcmk_begin ms-pcmk

pid_of() { cat "$MS_DIR/run/maxscale.pid" 2>/dev/null; }
passive() {
    curl -s -m 2 -u admin:mariadb "http://127.0.0.1:$MS_PORT/v1/maxscale" \
        | python3 -c 'import json,sys; print(str(json.load(sys.stdin)["data"]["attributes"]["parameters"]["passive"]).lower())' 2>/dev/null
}
params() { # key=value words for crm / pcs
    printf '%s\n' "binary=$MS_BINARY" "config=$MS_DIR/maxscale.cnf" "piddir=$MS_DIR/run" \
        "logdir=$MS_DIR/log" "datadir=$MS_DIR/data" "cachedir=$MS_DIR/cache" \
        "persistdir=$MS_DIR/persist" "admin_port=$MS_PORT"
}
score() { crm_attribute --promotion "$1" --lifetime reboot --query --quiet -N "$NODE" 2>/dev/null; }
new_pid() { local p; p=$(pid_of); [[ -n $p && $p != "$1" ]] && pid_alive "$p"; }

# ---------------------------------------------------------------- 1. primitive
t_begin "primitive: crm configure primitive"
ms_setup "$WORK/prim"
mapfile -t P < <(params)
crm configure primitive mst-prim ocf:mariadb:maxscale params "${P[@]}" \
    op monitor interval=2s timeout=20s OCF_CHECK_LEVEL=10 \
    op start timeout=60s op stop timeout=60s >/dev/null 2>&1 || t_fail "crm configure failed"
if wait_until 30 "mst-prim running" rsc_running mst-prim && wait_until 10 "pid file" test -s "$MS_DIR/run/maxscale.pid"; then
    pid=$(pid_of)
    assert_eq false "$(passive)" "a primitive leaves passive as configured"
    assert_rc 0 "$AGENT_DIR/maxscale" monitor
    log "MaxScale pid $pid; SIGKILL"
    kill -KILL "$pid"
    wait_until 30 "Pacemaker restarts MaxScale" new_pid "$pid" || t_fail "not restarted"
    wait_until 20 "mst-prim running again" rsc_running mst-prim || t_fail "not running after recovery"
    fail_count_at_least mst-prim 1 || t_fail "no failure recorded for the kill"
    crm_resource --cleanup -r mst-prim >/dev/null 2>&1
    pid=$(pid_of)
    crm resource stop mst-prim >/dev/null 2>&1
    wait_until 30 "mst-prim stopped" rsc_stopped mst-prim || t_fail "not stopped"
    wait_until 5 "MaxScale gone" pid_dead "$pid" || t_fail "MaxScale $pid still running"
fi
crm configure delete --force mst-prim >/dev/null 2>&1
ms_cleanup

# ---------------------------------------------------------------- 2. promotable clone
t_begin "promotable clone: pcs resource create ... promotable"
ms_setup "$WORK/clone"
mapfile -t P < <(params)
pcs resource create mst-clone ocf:mariadb:maxscale "${P[@]}" promotable >/dev/null 2>&1 \
    || t_fail "pcs resource create failed"
promoted() { crm_mon -1 2>/dev/null | grep -A3 'mst-clone' | grep -E 'Promoted: \[ .*\]|Masters: \[' >/dev/null; }
if wait_until 60 "one promoted instance" promoted; then
    n=$(crm_mon -1 2>/dev/null | grep -A3 'mst-clone' | grep -Ec 'Promoted:|Masters:')
    assert_eq 1 "$n" "exactly one promoted line"
    wait_until 10 "passive=false on the promoted instance" test "$(passive)" = false \
        || t_fail "passive is '$(passive)'"
    assert_eq 100 "$(score mst-clone)" "promotion score"
    pid=$(pid_of)
    pcs resource disable mst-clone >/dev/null 2>&1
    wait_until 30 "mst-clone stopped" rsc_stopped mst-clone || t_fail "not stopped"
    wait_until 5 "MaxScale gone" pid_dead "$pid" || t_fail "MaxScale $pid still running"
    assert_eq "" "$(score mst-clone)" "score removed at stop"
fi
pcs resource delete mst-clone --force >/dev/null 2>&1
t_summary
