# shellcheck shell=bash
# tests/lab/lib/scenario.sh - helpers of the scenario tests (tests/lab/scenarios/*.sh).
#
# A scenario script sources this file, calls `scenario_start SETUP` (brings the lab up when
# it is not, then `lab configure SETUP`; exits 77 = skipped when the setup's agents are not
# installed), runs its checks with the assertions of tests/lib/common.sh and ends with
# `scenario_end` (t_summary; takes the lab down again only if this script brought it up).

set -euo pipefail
LAB_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP=$(cd "$LAB_HOME/../.." && pwd)
. "$TOP/tests/lib/common.sh"
. "$LAB_HOME/lib/env.sh"
. "$LAB_HOME/lib/net.sh"
. "$LAB_HOME/lib/cluster.sh"
. "$LAB_HOME/lib/galera.sh"
. "$LAB_HOME/lib/maxscale.sh"
. "$LAB_HOME/lib/keepalived.sh"
. "$LAB_HOME/lib/setups.sh"
# a failed assertion must not end the scenario: no errexit from here on
set +e
LABCMD=$LAB_HOME/lab
SC_TMP=$LAB/scenario-${0##*/}
SC_BROUGHT_UP=0
SC_BG=()

scenario_cleanup() {
    local p
    for p in "${SC_BG[@]}"; do kill "$p" 2>/dev/null || true; done
    SC_BG=()
    if lab_is_up; then
        local n
        for n in "${NODES[@]}"; do
            net_is_cut "$n" && net_heal "$n"
            for p in $(maxscale_pids_all "$n"); do kill -CONT "$p" 2>/dev/null || true; done
        done
    fi
    if (( SC_BROUGHT_UP )) && [[ -z ${LAB_KEEP:-} ]]; then
        "$LABCMD" down || true
    fi
}
trap 'scenario_cleanup' EXIT
trap 'log "interrupted"; exit 130' INT TERM

scenario_start() { # SETUP
    need_root
    if ! lab_is_up; then
        log "the lab is not up: bringing it up (LAB_KEEP=1 keeps it up afterwards)"
        LAB_SETUP=none "$LABCMD" up >/dev/null
        SC_BROUGHT_UP=1
    fi
    mkdir -p "$SC_TMP"
    local rc=0
    lab_configure "$1" || rc=$?
    if (( rc == 3 )); then
        echo "SKIP ${0##*/}: the agents of setup $1 are not installed"
        exit 77
    fi
    (( rc == 0 )) || { t_fail "lab configure $1 failed"; t_summary || true; exit 1; }
}

scenario_end() { t_summary; }

# ---- waiting with a verdict: wait_for T DESCRIPTION CMD... (an assertion)
wait_for() {
    local t=$1 desc=$2; shift 2
    if _wait_quiet "$t" "$@"; then
        _t_ok "$desc"
        return 0
    fi
    t_fail "not within ${t}s: $desc"
}

# how long CMD took to succeed (seconds, 1 decimal) or fail after T: took T DESC CMD...
took() {
    local t=$1 desc=$2 t0; shift 2
    t0=$(now_us)
    if _wait_quiet "$t" "$@"; then
        TOOK=$(since "$t0")
        log "$desc after $TOOK s"
        return 0
    fi
    TOOK=-
    t_fail "not within ${t}s: $desc"
}

# ---- cluster views
where_is() { rsc_where "$1" 2>/dev/null || true; }
is_on() { [[ $(rsc_where "$1" 2>/dev/null) == "$2" ]]; }
is_not_on() { local w; w=$(rsc_where "$1" 2>/dev/null) || return 1; [[ -n $w && $w != "$2" && $w != *" "* ]]; }
promoted_is() { [[ $(promoted_where "$1" 2>/dev/null) == "$2" ]]; }
promoted_not() { local w; w=$(promoted_where "$1" 2>/dev/null) || return 1; [[ -n $w && $w != "$2" && $w != *" "* ]]; }
vip_on() { [[ $(vip_holders) == "$1" ]]; }
vip_not_on() { local h; h=$(vip_holders); [[ -n $h && $h != "$1" && $h != *" "* ]]; }
only_active_is() { [[ $(maxscale_active_nodes) == "$1" ]]; }
crm_mon_has() { in_node "$(any_node)" crm_mon -1 2>/dev/null | grep -- "$1" >/dev/null; }
crm_mon_lacks() { ! in_node "$(any_node)" crm_mon -1 2>/dev/null | grep -- "$1" >/dev/null; }
other_node() { local n; for n in "${NODES[@]}"; do [[ " $* " == *" $n "* ]] || { echo "$n"; return; }; done; }
# node attribute NAME of NODE as Pacemaker has it (empty when not set)
node_attr() { in_node "$(any_node)" attrd_updater -Q -n "$1" -N "$2" 2>/dev/null | sed -n 's/.*value="\([^"]*\)".*/\1/p'; }
attr_is() { [[ $(node_attr "$1" "$2") == "$3" ]]; }
all_attr() { local n; for n in "${NODES[@]}"; do attr_is "$1" "$n" "$2" || return 1; done; }

# ---- the client probe (background), in the client namespace
probe_start() { # FILE [probe options...]
    local f=$1; shift
    rm -f "$f"
    # nsenter execs python: $! is the probe itself
    nsenter --net="/run/netns/$CL" -- "$PY" "$LAB_HOME/lib/probe.py" run "${PROBE_SECONDS:-120}" \
        --host "$VIP" --out "$f" "$@" </dev/null >/dev/null 2>&1 &
    PROBE_PID=$!
    SC_BG+=("$PROBE_PID")
    _wait_quiet 5 test -s "$f" || true
}
probe_stop() { kill "${PROBE_PID:-0}" 2>/dev/null || true; wait "${PROBE_PID:-0}" 2>/dev/null || true; }
probe_answers() { # FILE NODE: the last probe answer came from NODE
    [[ -s $1 ]] || return 1
    grep -Eq " OK $2( |$)" <<<"$(tail -1 "$1")"
}
# outage window of a probe log after EPOCH: sets OUTAGE (seconds) and OUTAGE_LINE
outage() { # FILE EPOCH
    OUTAGE_LINE=$("$PY" "$LAB_HOME/lib/probe.py" analyze "$1" --since "$2") || true
    OUTAGE=$(sed -n 's/^outage_s=\([0-9.]*\).*/\1/p' <<<"$OUTAGE_LINE")
    [[ $OUTAGE_LINE == *open=1* ]] && OUTAGE=">$OUTAGE"
    [[ -n $OUTAGE ]] || OUTAGE=-
    log "outage: $OUTAGE_LINE"
}
epoch() { printf '%s\n' "$EPOCHREALTIME"; }

# ---- passive sampler: every ~0.3 s, which MaxScale answers passive=false
sampler_start() { # FILE
    local f=$1
    rm -f "$f"
    (
        local end=$(( SECONDS + ${SAMPLER_SECONDS:-300} ))
        while (( SECONDS < end )); do
            local t=$EPOCHREALTIME n t0 a out=""
            for n in "${NODES[@]}"; do
                t0=${EPOCHREALTIME/[.,]/}
                [[ $(maxscale_passive "$n") == false ]] || continue
                a=$n
                net_is_cut "$n" && a+=":cut"
                # A frozen (SIGSTOPped) MaxScale answers a queued request only when it resumes,
                # during its stop: that answer is not the state at this sample's time.
                (( ${EPOCHREALTIME/[.,]/} - t0 > 500000 )) && a+=":late"
                out+=" $a"
            done
            printf '%s%s\n' "$t" "$out" >>"$f"
            sleep 0.2
        done
    ) &
    SAMPLER_PID=$!
    SC_BG+=("$SAMPLER_PID")
}
sampler_stop() { kill "${SAMPLER_PID:-0}" 2>/dev/null || true; wait "${SAMPLER_PID:-0}" 2>/dev/null || true; }
# samples with more than one active MaxScale among the nodes the network reaches (answers
# marked :late came from a MaxScale that was frozen until then, see sampler_start)
sampler_dual() { awk '{ n = 0; for (i = 2; i <= NF; i++) if ($i !~ /:(cut|late)/) n++ } n > 1' "$1"; }
# seconds during which a cut-off node still had passive=false while another node was active
# (no fencing: the cut-off node demotes only once its partition has lost quorum)
sampler_cut_overlap() {
    awk '{ r = 0; c = 0; for (i = 2; i <= NF; i++) if ($i ~ /:cut/) c++; else r++ }
         r >= 1 && c >= 1 { if (!first) first = $1; last = $1 }
         END { if (first) printf "%.1f\n", last - first + 0.25; else print 0 }' "$1"
}
