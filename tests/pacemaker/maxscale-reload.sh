#!/usr/bin/env bash
# tests/pacemaker/maxscale-reload.sh - OCF 1.1 reload-agent of ocf:mariadb:maxscale on the REAL
# single-node Pacemaker of tests/pacemaker/single-node.sh, with the MaxScale simulator (or
# MAXSCALE_BIN) as binary, as a promotable clone:
#   1. changing servers (reloadable) runs reload-agent and neither stop nor start: the MaxScale
#      pid stays, the instance stays promoted, and the promotion score follows the new depth-20
#      rules (a server MaxScale does not know: degraded, 10). Pacemaker 2.1.5 follows the reload
#      of a promoted instance with a promote (harmless: passive is already false); a demote
#      would fail the test;
#   2. changing datadir (not reloadable: MaxScale is started with it) stops and starts MaxScale.
# What ran is read from Pacemaker's executor log after the cluster settled. Only its own
# resource (mst-rl) is created and deleted; Pacemaker is started when it is not running, and
# then stopped again at the end.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
. "$here/lib.sh"
. "$here/../maxscale/env.sh"
need_root
need_cmd crm pcs crm_resource crm_attribute crm_mon cargo python3

AGENT_DIR=${OCF_AGENT_DIR:-/usr/lib/ocf/resource.d/mariadb}
ms_delete_resources() {
    pcs resource delete mst-rl --force >/dev/null 2>&1
}
ms_pcmk_begin ms-reload

pid_of() { cat "$MS_DIR/run/maxscale.pid" 2>/dev/null; }
score() { crm_attribute --promotion mst-rl --lifetime reboot --query --quiet -N "$NODE" 2>/dev/null; }
promoted() { crm_mon -1 2>/dev/null | grep -A3 'mst-rl' | grep -E 'Promoted: \[ .*\]|Masters: \[' >/dev/null; }
# log_mark, ops_since and settle: tests/pacemaker/lib.sh

t_begin "promotable clone: changing servers runs reload-agent, keeps MaxScale and its role"
[[ -r $PCMK_LOG ]] || t_fail "no Pacemaker log at $PCMK_LOG"
ms_setup "$WORK/ms"
install -d -m 0755 -o maxscale -g maxscale "$MS_DIR/data2"
pcs resource create mst-rl ocf:mariadb:maxscale binary="$MS_BINARY" config="$MS_DIR/maxscale.cnf" \
    piddir="$MS_DIR/run" logdir="$MS_DIR/log" datadir="$MS_DIR/data" cachedir="$MS_DIR/cache" \
    persistdir="$MS_DIR/persist" admin_port="$MS_PORT" servers=server1 promotable >/dev/null 2>&1 \
    || t_fail "pcs resource create failed"
if wait_until 60 "one promoted instance" promoted &&
    wait_until 20 "promotion score 100" test "$(score)" = 100; then
    settle
    pid=$(pid_of)
    mark=$(log_mark)
    pcs resource update mst-rl servers="server1 nosuch" >/dev/null 2>&1 || t_fail "pcs update failed"
    settle
    ops=$(ops_since "$mark" mst-rl | tr '\n' ' ')
    log "operations after the change: $ops"
    [[ $ops =~ (^| )reload-agent( |$) ]] || t_fail "no reload-agent after the change: $ops"
    [[ $ops =~ (^| )(stop|start|demote)( |$) ]] && t_fail "MaxScale was restarted or demoted: $ops"
    assert_eq "$pid" "$(pid_of)" "MaxScale pid"
    assert_rc 0 pid_alive "$pid"
    assert_rc 0 promoted
    wait_until 20 "promotion score 10 (degraded)" test "$(score)" = 10 || t_fail "score $(score)"
    assert_eq 0 "$(fail_count mst-rl)" "fail count"

    t_begin "promotable clone: changing datadir (not reloadable) restarts MaxScale"
    mark=$(log_mark)
    pcs resource update mst-rl datadir="$MS_DIR/data2" >/dev/null 2>&1 || t_fail "pcs update failed"
    settle
    wait_until 60 "promoted again" promoted || t_fail "not promoted after the restart"
    ops=$(ops_since "$mark" mst-rl | tr '\n' ' ')
    log "operations after the change: $ops"
    [[ $ops =~ (^| )stop\ (.* )?start( |$) ]] || t_fail "no stop then start: $ops"
    [[ $ops =~ reload-agent ]] && t_fail "reload-agent for a datadir change: $ops"
    new=$(pid_of)
    [[ -n $new && $new != "$pid" ]] || t_fail "MaxScale pid unchanged ($pid)"
    assert_rc 0 pid_dead "$pid"
    pcs resource disable mst-rl >/dev/null 2>&1
    wait_until 30 "mst-rl stopped" rsc_stopped mst-rl || t_fail "not stopped"
    wait_until 5 "MaxScale gone" pid_dead "$new" || t_fail "MaxScale $new still running"
fi
pcs resource delete mst-rl --force >/dev/null 2>&1
t_summary
