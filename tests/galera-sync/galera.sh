#!/usr/bin/env bash
# tests/galera-sync/galera.sh - ocf:mariadb:galera-sync against a REAL 3-node Galera cluster on
# 127.0.0.1 (tests/galera/local-cluster.sh) and a REAL single-node Pacemaker
# (tests/pacemaker/single-node.sh). Every assertion reads the attribute back from Pacemaker
# (attrd_updater -Q, crm_mon -A1).
#
# The one Pacemaker node watches all three Galera nodes, one resource per socket, each with its
# own attribute:
#   cl-gs1 (clone of gs1)  g1 socket, root          attribute gs-g1   monitor 2s
#   gs2                    g2 socket, root          attribute gs-g2   monitor 2s
#   gs2d                   g2 socket, donor_ok=true attribute gs-g2d  monitor 2s
#   gs2t                   g2 over TCP 127.0.0.1:3312 as ocftest with a password_file
#                                                   attribute gs-g2t  monitor 2s
#   gs3                    g3 socket, root          attribute gs-g3   monitor 60s (!)
# gs3's monitor is slower than any assertion on it: gs-g3 can only follow within seconds through
# the server's wsrep_notify_cmd, which every node runs as
#   galera-sync wsrep-notify --params ../galera-sync.conf
# (relative to the datadir, the server's working directory, so each node names its own
# attribute); the mysql user is put in the haclient group for it.
# Two Dummy resources carry the location rule: dvip (crmsh, on gs-g1) and dvip3 (pcs, on gs-g3).
#
# Needs root, a free loopback Galera (ports 3311-3313) and no other Pacemaker. Leaves nothing
# behind: Galera and Pacemaker are stopped, the agent stays installed, the haclient membership
# is removed again if this script added it.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
. "$here/../pacemaker/lib.sh"
need_root
need_cmd crm pcs crm_mon crm_resource attrd_updater mariadb cargo

CLUSTER=$top/tests/galera/local-cluster.sh
AGENT=/usr/lib/ocf/resource.d/mariadb/galera-sync
G=$OCFM_STATE/galera
MON=2            # monitor interval of the 2 s resources
BOUND=3.5        # "within one monitor interval": interval + query + attrd + polling slack
# Via wsrep-notify, in ms. What is asserted is that the server's notify pushed the value, not
# gs3's 60 s monitor: any bound well under 60 s tells the two apart. The latency itself is
# printed, not asserted: under CI's load a shutdown's push once took 1085 ms after the server
# stopped answering (it comes after the server has closed its client connections).
NOTIFY_BOUND=5000
GS_DIR=$OCFM_STATE/galera-sync
NOTIFY_CMD="$AGENT wsrep-notify --params ../galera-sync.conf"
ADDED_HACLIENT=0

sock() { echo "$G/g$1/mysqld.sock"; }

# ------------------------------------------------------------------ setup / teardown

cleanup() {
    local rc=$? n
    log "cleanup"
    if (( T_FAILED )); then
        for n in 1 2 3; do
            log "---- g$n error log: galera-sync and state changes (last 25)"
            grep -E "galera-sync|status change|Shutdown|Primary|view" "$G/g$n/mysqld.err" \
                2>/dev/null | tail -n 25 >&2
        done
    fi
    crm configure delete --force dvip dvip3 cl-gs1 gs1 gs2 gs2d gs2t gs3 >/dev/null 2>&1
    pcmk_release
    "$CLUSTER" down >/dev/null 2>&1 || log "WARNING: local Galera did not stop cleanly"
    if (( ADDED_HACLIENT )); then gpasswd -d mysql haclient >/dev/null 2>&1; fi
    rm -rf "$GS_DIR"
    rm -f /run/resource-agents/galera-sync-gs*.state
    exit "$rc"
}

log "installing the agent (release build)"
(cd "$top" && cargo build --release --quiet -p galera-sync) || die "build failed"
install -D -m 0755 "${CARGO_TARGET_DIR:-$top/target}/release/galera-sync" "$AGENT"

if [[ -d $G ]]; then
    if grep -qF "wsrep_notify_cmd = $NOTIFY_CMD" "$G/g1/my.cnf" 2>/dev/null; then
        log "reusing the local Galera left by an earlier run of this test"
    else
        die "a local Galera cluster ($G) without galera-sync's wsrep_notify_cmd exists; \
run '$CLUSTER down' first"
    fi
fi
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# wsrep_notify_cmd runs as mysql: attrd accepts members of haclient.
if ! id -nG mysql | tr ' ' '\n' | grep -x haclient >/dev/null; then
    usermod -aG haclient mysql && ADDED_HACLIENT=1
fi
mkdir -p "$GS_DIR"
printf 'ocftest-pw\n' >"$GS_DIR/ocftest.pw"
chmod 0600 "$GS_DIR/ocftest.pw"

pcmk_acquire || die "single-node Pacemaker did not start"
pcmk_reset || die "cannot reset the CIB"
WSREP_NOTIFY_CMD=$NOTIFY_CMD "$CLUSTER" up || die "local Galera did not come up"
for n in 1 2 3; do
    printf '# galera-sync wsrep-notify parameters of g%s (test)\nattribute=gs-g%s\n' "$n" "$n" \
        >"$G/g$n/galera-sync.conf"
    chmod 0644 "$G/g$n/galera-sync.conf"
done

# ------------------------------------------------------------------ helpers

# attr NAME: the value attrd holds on this node ("" when unset or blank)
attr() {
    attrd_updater -Q -n "$1" 2>/dev/null | sed -n 's/.*value="\([^"]*\)".*/\1/p'
}
attr_is() { [[ $(attr "$1") == "$2" ]]; }

# expect NAME VALUE BOUND WHAT: poll attrd until NAME is VALUE, at most BOUND s (one decimal)
# after T0
T0=0
mark() { T0=$(now_us); }
expect() {
    local name=$1 want=$2 bound=$3 what=$4 took ms left
    # what is left of the bound since T0 (several expectations can share one mark)
    ms=$(( ${bound%.*} * 1000 ))
    [[ $bound == *.* ]] && ms=$(( ms + 10#${bound#*.} * 100 ))
    left=$(( ms - ($(now_us) - T0) / 1000 ))
    (( left < 0 )) && left=0
    if _wait_quiet "$(( left / 1000 )).$(printf '%03d' $(( left % 1000 )))" attr_is "$name" "$want"; then
        took=$(since "$T0")
        log "$what: $name=$want after ${took} s (bound ${bound} s)"
        return 0
    fi
    t_fail "$what: $name is '$(attr "$name")', not '$want', ${bound} s after the change"
}
# stays NAME VALUE SECONDS: NAME keeps VALUE for that long
stays() {
    local end=$(( $(now_us) + ${3%.*} * 1000000 ))
    while (( $(now_us) < end )); do
        attr_is "$1" "$2" || { t_fail "$1 left '$2' (now '$(attr "$1")')"; return 1; }
        sleep 0.2
    done
}

no_failures() {
    local r out
    for r in gs1 gs2 gs2d gs2t gs3; do
        [[ $(fail_count "$r") == 0 ]] || t_fail "$r has fail count $(fail_count "$r")"
    done
    out=$(crm_mon -1 --show-detail 2>/dev/null)
    if [[ $out == *"Failed Resource Actions"* ]]; then
        t_fail "failed actions: $(grep -A5 'Failed Resource Actions' <<<"$out" | tr '\n' ' ')"
    fi
}

sql() { "$CLUSTER" sql "$1" "$2" -N >/dev/null 2>&1; }

# ------------------------------------------------------------------ configuration

t_begin "crm configure: one galera-sync per Galera node, a clone, Dummy resources with the rule"
crm configure primitive gs1 ocf:mariadb:galera-sync \
    params socket="$(sock 1)" attribute=gs-g1 \
    op monitor interval=${MON}s timeout=20s || t_fail "gs1"
crm configure clone cl-gs1 gs1 || t_fail "clone"
crm configure primitive gs2 ocf:mariadb:galera-sync \
    params socket="$(sock 2)" attribute=gs-g2 op monitor interval=${MON}s || t_fail "gs2"
crm configure primitive gs2d ocf:mariadb:galera-sync \
    params socket="$(sock 2)" attribute=gs-g2d donor_ok=true \
    op monitor interval=${MON}s || t_fail "gs2d"
crm configure primitive gs2t ocf:mariadb:galera-sync \
    params host=127.0.0.1 port=3312 user=ocftest password_file="$GS_DIR/ocftest.pw" \
    attribute=gs-g2t op monitor interval=${MON}s || t_fail "gs2t"
crm configure primitive gs3 ocf:mariadb:galera-sync \
    params socket="$(sock 3)" attribute=gs-g3 op monitor interval=60s || t_fail "gs3"
crm configure primitive dvip ocf:heartbeat:Dummy op monitor interval=1s || t_fail "dvip"
crm configure location dvip-on-synced dvip \
    rule -inf: not_defined gs-g1 or gs-g1 number:lte 0 || t_fail "crmsh location rule"
pcs resource create dvip3 ocf:heartbeat:Dummy op monitor interval=1s >/dev/null || t_fail "dvip3"
pcs constraint location dvip3 rule score=-INFINITY not_defined gs-g3 or gs-g3 lte 0 \
    >/dev/null || t_fail "pcs location rule"

t_begin "all Synced: every attribute is 1, both Dummies run"
mark
for a in gs-g1 gs-g2 gs-g2d gs-g2t gs-g3; do expect "$a" 1 20 "start"; done
wait_until 20 "dvip running" rsc_running dvip || t_fail "dvip not running"
wait_until 20 "dvip3 running" rsc_running dvip3 || t_fail "dvip3 not running"
out=$(crm_mon -A1 2>/dev/null)
for a in gs-g1 gs-g2 gs-g2d gs-g2t gs-g3; do
    grep -Eq "\\* $a[[:space:]]*: 1[[:space:]]*\$" <<<"$out" \
        || t_fail "crm_mon -A1 does not show '* $a : 1': $(grep -F -- "$a" <<<"$out")"
done
for n in 1 2 3; do
    OCF_RESKEY_socket=$(sock $n) "$AGENT" status >/dev/null || t_fail "status g$n not healthy"
done
no_failures

# ------------------------------------------------------------------ through the monitor

t_begin "desync g2 -> gs-g2 0 (gs-g2d stays 1 with donor_ok); desync off -> 1"
"$CLUSTER" desync 2 on >/dev/null || t_fail "desync on"; mark
expect gs-g2 0 $BOUND "desync"
expect gs-g2t 0 $BOUND "desync (TCP)"
assert_eq 1 "$(attr gs-g2d)" "gs-g2d with donor_ok"
out=$(OCF_RESKEY_socket=$(sock 2) "$AGENT" status --json)
[[ $out == *'"kind":"donor_desynced"'* ]] || t_fail "status --json: $out"
stays gs-g2d 1 $MON
"$CLUSTER" desync 2 off >/dev/null || t_fail "desync off"; mark
expect gs-g2 1 $BOUND "desync off"
expect gs-g2t 1 $BOUND "desync off (TCP)"

t_begin "g2 stopped (SIGTERM) -> 0; started again -> 1"
mark; "$CLUSTER" stop-node 2 >/dev/null || t_fail "stop-node"
expect gs-g2 0 $BOUND "stopped"
expect gs-g2d 0 $BOUND "stopped (donor_ok)"
out=$(OCF_RESKEY_socket=$(sock 2) "$AGENT" status)
[[ $out == "unhealthy: unreachable: "* ]] || t_fail "status: $out"
"$CLUSTER" start-node 2 >/dev/null || t_fail "start-node"; mark
expect gs-g2 1 $BOUND "restarted (after Synced)"
expect gs-g2d 1 $BOUND "restarted (donor_ok)"

t_begin "g2 killed with SIGKILL -> 0; started again -> 1"
mark; "$CLUSTER" kill-node 2 >/dev/null || t_fail "kill-node"
expect gs-g2 0 $BOUND "SIGKILL"
expect gs-g2t 0 $BOUND "SIGKILL (TCP)"
"$CLUSTER" start-node 2 >/dev/null || t_fail "start-node"; mark
expect gs-g2 1 $BOUND "restarted after SIGKILL"
expect gs-g2t 1 $BOUND "restarted after SIGKILL (TCP)"

t_begin "g2 isolated into non-Primary -> 0; reconnected -> 1"
"$CLUSTER" isolate 2 >/dev/null || t_fail "isolate"; mark
expect gs-g2 0 $BOUND "isolated"
expect gs-g2d 0 $BOUND "isolated (donor_ok)"
"$CLUSTER" unisolate 2 >/dev/null || t_fail "unisolate"; mark
expect gs-g2 1 $BOUND "unisolated"

t_begin "g2 connections exhausted -> 0 (root: too few free; ocftest: refused); released -> 1"
"$CLUSTER" exhaust 2 >/dev/null || t_fail "exhaust"; mark
expect gs-g2 0 $BOUND "exhausted"
expect gs-g2t 0 $BOUND "exhausted (ocftest, TCP)"
out=$(OCF_RESKEY_socket=$(sock 2) "$AGENT" status)
[[ $out == *"free connection"* ]] || t_fail "status: $out"
stays gs-g2 0 $MON   # 0 is re-published at every monitor
"$CLUSTER" release 2 >/dev/null || t_fail "release"; mark
expect gs-g2 1 $BOUND "released"
expect gs-g2t 1 $BOUND "released (TCP)"
no_failures

# ------------------------------------------------------------------ through wsrep-notify
# MariaDB 10.11 runs wsrep_notify_cmd on server state changes (joined, synced, disconnected, SST
# donor) and on view changes (--primary yes|no); a manual wsrep_desync=ON is NOT notified (a
# provider-internal state), so desync is the monitor's (above). Bounds count from the moment
# the server is in the new state, or from the SIGTERM for a shutdown.

# v N VAR: a status variable of node N (root over the socket)
v() {
    mariadb --no-defaults --connect-timeout=2 -uroot -S "$(sock "$1")" -N -B \
        -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2
}
non_primary() { [[ $(v "$1" wsrep_cluster_status) == non-Primary ]]; }
synced() { [[ $(v "$1" wsrep_local_state) == 4 && $(v "$1" wsrep_cluster_status) == Primary ]]; }

# follows NAME VALUE BOUND_MS WHAT STATE_CMD...: NAME reaches VALUE no later than BOUND_MS after
# STATE_CMD first succeeds (earlier is fine), for at most 60 s. The attribute is polled by a
# background loop of its own (every 20 ms), so a slow state check (a server shutting down can
# keep a client waiting) cannot delay when the attribute is seen; the state time is when the
# first successful check began. The delay between the two is what is checked against the bound.
not_synced() { ! synced "$1"; }

# errlog_mark N; pushed_since N NAME VALUE WHAT: node N's error log got, after the mark, the line of
# a wsrep-notify that set NAME to VALUE, i.e. the server's notify pushed it, not a monitor.
errlog_mark() { ERRLOG_MARK=$(wc -l <"$G/g$1/mysqld.err"); }
pushed_since() {
    tail -n +"$(( ERRLOG_MARK + 1 ))" "$G/g$1/mysqld.err" \
        | grep -E "wsrep-notify: status [^:]*: $2 [^ ]* -> $3\$" >/dev/null \
        || t_fail "$4: no wsrep-notify line setting $2 to $3 in g$1's error log"
}

follows() {
    local name=$1 want=$2 bound=$3 what=$4; shift 4
    local t_state="" t_attr="" start now s0 seen poller
    seen=$(mktemp /tmp/ocfm-gs-follows.XXXXXX)
    (
        while :; do
            if attr_is "$name" "$want"; then now_us >"$seen"; exit 0; fi
            sleep 0.02
        done
    ) &
    poller=$!
    start=$(now_us)
    while :; do
        s0=$(now_us)
        if "$@"; then t_state=$s0; break; fi
        (( s0 - start > 60000000 )) && break
        sleep 0.05
    done
    if [[ -n $t_state ]]; then
        # Wait for the attribute until the bound has passed (plus one poll of the poller).
        while [[ ! -s $seen ]] && (( $(now_us) - t_state <= bound * 1000 + 100000 )); do
            sleep 0.02
        done
    fi
    kill "$poller" 2>/dev/null; wait "$poller" 2>/dev/null
    [[ -s $seen ]] && t_attr=$(<"$seen")
    rm -f "$seen"
    if [[ -z $t_state ]]; then
        t_fail "$what: the server never reached the state ($*)"
    elif [[ -z $t_attr ]]; then
        t_fail "$what: $name is '$(attr "$name")', not '$want', ${bound} ms after the state change"
    elif (( t_attr - t_state > bound * 1000 )); then
        t_fail "$what: $name=$want only $(( (t_attr - t_state) / 1000 )) ms after the state" \
            "change (bound ${bound} ms)"
    else
        log "$what: $name=$want $(( (t_attr - t_state) / 1000 )) ms after the state change" \
            "(bound ${bound} ms; state reached $(( (t_state - start) / 1000 )) ms after the action)"
    fi
}

t_begin "wsrep-notify: g3 isolated -> gs-g3 0, pushed by the notify (gs3 monitors every 60 s)"
errlog_mark 3
sql 3 "SET GLOBAL wsrep_provider_options='gmcast.isolate=1'" || t_fail "isolate"
follows gs-g3 0 $NOTIFY_BOUND "notify non-Primary" non_primary 3
pushed_since 3 gs-g3 0 "notify non-Primary"

t_begin "wsrep-notify: g3 reconnected -> 1, pushed by the notify"
errlog_mark 3
sql 3 "SET GLOBAL wsrep_provider_options='gmcast.isolate=0'" || t_fail "unisolate"
follows gs-g3 1 $NOTIFY_BOUND "notify synced again" synced 3
pushed_since 3 gs-g3 1 "notify synced again"

t_begin "wsrep-notify: g3 SIGTERM -> 0; started -> 1, each pushed by the notify"
pid=$(cat "$G/g3/exec.pid")
errlog_mark 3
kill -TERM "$pid"
# The state change is g3 leaving Synced, not the SIGTERM: a shutdown first drains and flushes.
follows gs-g3 0 $NOTIFY_BOUND "notify shutdown" not_synced 3
wait_until 60 "g3 gone" pid_dead "$pid" || t_fail "g3 did not stop"
pushed_since 3 gs-g3 0 "notify shutdown"
rm -f "$G/g3/exec.pid"
errlog_mark 3
"$CLUSTER" start-node 3 >/dev/null &
starter=$!
follows gs-g3 1 $NOTIFY_BOUND "notify synced after restart" synced 3
wait "$starter" || t_fail "start-node 3"
pushed_since 3 gs-g3 1 "notify synced after restart"

# ------------------------------------------------------------------ the location rule

t_begin "the location rule: dvip stops when gs-g1 drops to 0 and starts again at 1"
"$CLUSTER" desync 1 on >/dev/null || t_fail "desync 1 on"; mark
expect gs-g1 0 $BOUND "g1 desync"
wait_until 10 "dvip stopped" rsc_stopped dvip || t_fail "dvip still runs"
log "dvip stopped $(since "$T0") s after the desync"
assert_rc 0 rsc_running dvip3
"$CLUSTER" desync 1 off >/dev/null || t_fail "desync 1 off"; mark
expect gs-g1 1 $BOUND "g1 desync off"
wait_until 10 "dvip running" rsc_running dvip || t_fail "dvip not started again"
log "dvip started $(since "$T0") s after the desync off"

t_begin "the pcs rule: dvip3 follows gs-g3 (pushed by wsrep-notify)"
sql 3 "SET GLOBAL wsrep_provider_options='gmcast.isolate=1'" || t_fail "isolate 3"
follows gs-g3 0 $NOTIFY_BOUND "g3 non-Primary" non_primary 3
mark; wait_until 10 "dvip3 stopped" rsc_stopped dvip3 || t_fail "dvip3 still runs"
log "dvip3 stopped $(since "$T0") s after gs-g3 became 0"
sql 3 "SET GLOBAL wsrep_provider_options='gmcast.isolate=0'" || t_fail "unisolate 3"
follows gs-g3 1 $NOTIFY_BOUND "g3 Synced" synced 3
mark; wait_until 10 "dvip3 running" rsc_running dvip3 || t_fail "dvip3 not started again"
log "dvip3 started $(since "$T0") s after gs-g3 became 1"

# ------------------------------------------------------------------ reload-agent
# Every parameter but `attribute` is reloadable (only the monitor reads them): Pacemaker 2.1
# then runs reload-agent instead of stop + start. A renamed attribute restarts the resource, so
# that stop removes the old attribute.

# What ran comes from the executor log: log_mark, ops_since, settle (tests/pacemaker/lib.sh).

# reserve_reloads N VALUE: gs2's connections_reserve set to N makes gs-g2 VALUE, by a
# reload-agent and neither stop nor start
reserve_reloads() {
    local m ops
    m=$(log_mark)
    mark; crm resource param gs2 set connections_reserve "$1" >/dev/null 2>&1 || t_fail "param set $1"
    expect gs-g2 "$2" $BOUND "connections_reserve=$1 by reload-agent"
    settle
    ops=$(ops_since "$m" gs2 | tr '\n' ' ')
    [[ $ops =~ (^| )reload-agent( |$) ]] || t_fail "no reload-agent after connections_reserve=$1: $ops"
    [[ $ops =~ (^| )(stop|start)( |$) ]] && t_fail "gs2 was restarted: $ops"
}

t_begin "reload-agent: a changed connections_reserve is applied without stop/start"
[[ -r $PCMK_LOG ]] || t_fail "no Pacemaker log at $PCMK_LOG"
settle
# More free connections than max_connections (20) can give: the new policy says 0.
reserve_reloads 25 0
reserve_reloads 2 1

t_begin "a renamed attribute restarts the resource: the old attribute is removed"
m=$(log_mark)
mark; crm resource param gs2d set attribute gs-g2e >/dev/null 2>&1 || t_fail "param set"
expect gs-g2e 1 20 "the new attribute"
settle
ops=$(ops_since "$m" gs2d | tr '\n' ' ')
[[ $ops =~ (^| )stop\ (.* )?start( |$) ]] || t_fail "no stop then start for the rename: $ops"
[[ $ops =~ reload-agent ]] && t_fail "reload-agent for a renamed attribute: $ops"
assert_eq "" "$(attr gs-g2d)" "the old attribute after the rename"
no_failures

# ------------------------------------------------------------------ stop / start

t_begin "stopping the resource removes the attribute; wsrep-notify does not bring it back"
crm resource stop gs3 >/dev/null 2>&1
wait_until 20 "gs3 stopped" rsc_stopped gs3 || t_fail "gs3 not stopped"
assert_eq "" "$(attr gs-g3)" "gs-g3 after stop"
[[ ! -e /run/resource-agents/galera-sync-gs3.state ]] || t_fail "state file left"
wait_until 10 "dvip3 stopped (attribute not defined)" rsc_stopped dvip3 || t_fail "dvip3 runs"
sql 3 "SET GLOBAL wsrep_provider_options='gmcast.isolate=1'"
wait_until 30 "g3 non-Primary" non_primary 3 || t_fail "g3 not isolated"
sql 3 "SET GLOBAL wsrep_provider_options='gmcast.isolate=0'"
wait_until 30 "g3 Synced" synced 3 || t_fail "g3 not Synced again"
sleep 0.5
assert_eq "" "$(attr gs-g3)" "gs-g3 after notifications while stopped"
grep -q "attribute gs-g3 is not defined on this node" "$G/g3/mysqld.err" \
    || t_fail "no 'not creating it' line in g3's error log"
crm resource start gs3 >/dev/null 2>&1
mark
expect gs-g3 1 20 "restarted resource"
wait_until 20 "dvip3 running" rsc_running dvip3 || t_fail "dvip3 not running"
no_failures

t_summary
