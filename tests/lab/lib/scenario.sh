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
        switch_ctl device repair by=scenario >/dev/null 2>&1 || true
        for n in "${NODES[@]}"; do
            maxscale_unwedge "$n"
            { net_is_cut "$n" || net_client_cut "$n"; } && net_heal "$n"
            for p in $(maxscale_pids_all "$n"); do kill -CONT "$p" 2>/dev/null || true; done
        done
        # a node left powered off is booted by the next `lab configure` (lab_reset)
    fi
    if (( SC_BROUGHT_UP )) && [[ -z ${LAB_KEEP:-} ]]; then
        "$LABCMD" down || true
    fi
}
trap 'scenario_cleanup' EXIT
trap 'log "interrupted"; exit 130' INT TERM

# the lab up (brought up here when it is not: LAB_KEEP=1 keeps it up afterwards)
scenario_lab() {
    need_root
    if ! lab_is_up; then
        log "the lab is not up: bringing it up (LAB_KEEP=1 keeps it up afterwards)"
        LAB_SETUP=none "$LABCMD" up >/dev/null
        SC_BROUGHT_UP=1
    fi
    mkdir -p "$SC_TMP"
}

scenario_start() { # SETUP
    scenario_lab
    local rc=0
    lab_configure "$1" || rc=$?
    if (( rc == 3 )); then
        echo "SKIP ${0##*/}: the agents of setup $1 are not installed"
        exit 77
    fi
    (( rc == 0 )) || { t_fail "lab configure $1 failed"; t_summary || true; exit 1; }
    assert_eq "" "$(cat "$LAB/crm_verify.out" 2>/dev/null)" "crm_verify -L -V after configuring $1 (fencing included)"
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

# ---- fencing: ARP answers, the switch's journal, the fencing history, the nodes' logs

# MAC=name of every node's client interface, for the ARP sampler
node_macs() {
    local n m out=""
    for n in "${NODES[@]}"; do
        m=$(ip -n "$NSP-$n" -o link show eth0 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
        [[ -n $m ]] && out+="${out:+,}$m=$n"
    done
    echo "$out"
}

# who answers ARP for the VIP, every 100 ms, from the client namespace (background)
arp_start() { # FILE
    local f=$1
    rm -f "$f"
    nsenter --net="/run/netns/$CL" -- "$PY" "$LAB_HOME/lib/probe.py" arp "${ARP_SECONDS:-180}" \
        --ip "$VIP" --src-ip "$CLIENT_IP" --names "$(node_macs)" --out "$f" </dev/null >/dev/null 2>&1 &
    ARP_PID=$!
    SC_BG+=("$ARP_PID")
    _wait_quiet 5 test -s "$f" || true
}
arp_stop() { kill "${ARP_PID:-0}" 2>/dev/null || true; wait "${ARP_PID:-0}" 2>/dev/null || true; }
# the samples in which more than one host answered
arp_dual() { "$PY" "$LAB_HOME/lib/probe.py" arp-dual "$1"; }
# the hosts that answered at some point after EPOCH
arp_answerers() { # FILE [EPOCH]
    awk -v t="${2:-0}" '$1 >= t && $4 == "ARP" && $5 != "none" { n = split($5, a, ","); for (i = 1; i <= n; i++) print a[i] }' "$1" | sort -u | tr '\n' ' ' | sed 's/ $//'
}
# the client probe's answering nodes after EPOCH, in order of first answer
probe_answerers() { # FILE [EPOCH]
    awk -v t="${2:-0}" '$1 >= t && $4 == "OK" && !seen[$5]++ { print $5 }' "$1" | tr '\n' ' ' | sed 's/ $//'
}

# the journal's lines after EPOCH for an op (and node), and one field of a line
journal_ops() { # EPOCH OP [NODE]
    journal_since "$1" | grep " op=$2 " | { if [[ -n ${3:-} ]]; then grep " node=$3 "; else cat; fi; } || true
}
jfield() { sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" <<<"$1" | head -n 1; }

# the switch's journal and `stonith_admin --history '*' --verbose` (from a node in the ring)
# agree about everything after EPOCH (lib/fencecheck.py)
# a node in the ring that the switch has not powered off since EPOCH (a node that was fenced
# gets the fencing history again from the others only seconds after it rejoins)
survivor() { # EPOCH
    local n
    for n in "${NODES[@]}"; do
        net_is_cut "$n" && continue
        journal_since "$1" | grep -E " op=(off|reboot|crash) node=$n .*result=ok" >/dev/null && continue
        echo "$n"
        return 0
    done
    return 1
}

fence_agree() { # EPOCH
    local n out rc=0 x=$SC_TMP/history.xml
    n=$(survivor "$1") || { t_fail "no node in the ring that was not fenced, to read the fencing history from"; return 1; }
    log "fencing history from $n (stonith_admin --history '*' --verbose):"
    in_node "$n" stonith_admin --history '*' --verbose 2>&1 | sed 's/^/    /' >&2
    in_node "$n" stonith_admin --history '*' --verbose --output-as=xml >"$x" 2>/dev/null ||
        { t_fail "stonith_admin --history on $n failed"; return 1; }
    log "the switch's journal since the fault:"
    journal_since "$1" | sed 's/^/    /' >&2
    out=$("$PY" "$LAB_HOME/lib/fencecheck.py" "$JOURNAL" "$x" --since "$1") || rc=$?
    sed 's/^/    /' <<<"$out" >&2
    assert_eq 0 "$rc" "the switch's journal and the fencing history agree"
}
# the number of successful history events of ACTION for TARGET since EPOCH (fencecheck's view)
fence_events_ok() { # EPOCH TARGET
    local x=$SC_TMP/history.xml
    "$PY" - "$x" "$1" "$2" <<'PYEOF'
import calendar, sys, time, xml.etree.ElementTree as ET
x, since, target = sys.argv[1], float(sys.argv[2]), sys.argv[3]
n = 0
for e in ET.parse(x).getroot().iter("fence_event"):
    c = e.get("completed") or ""
    try:
        t = calendar.timegm(time.strptime(c, "%Y-%m-%d %H:%M:%SZ"))
    except ValueError:
        continue
    if e.get("target") == target and e.get("status") == "success" and t + 1 >= since:
        n += 1
print(n)
PYEOF
}

# epoch of the first line after EPOCH containing TEXT in any node's pacemaker.log ("-": none)
pcmk_log_first() { # EPOCH TEXT
    local n logs=()
    for n in "${NODES[@]}"; do logs+=("$(node_dir "$n")/pacemaker-log/pacemaker.log"); done
    "$PY" "$LAB_HOME/lib/logtime.py" first "$1" "$2" "${logs[@]}"
}
pcmk_log_lines() { # EPOCH TEXT [NODE...]
    local n logs=() since=$1 text=$2; shift 2
    for n in "${@:-${NODES[@]}}"; do logs+=("$(node_dir "$n")/pacemaker-log/pacemaker.log"); done
    "$PY" "$LAB_HOME/lib/logtime.py" lines "$since" "$text" "${logs[@]}"
}
earlier() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "-" && b != "-" && a + 0 < b + 0) }'; }
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.2f\n", b - a }'; }

# processes of a node now (its cgroups and its network namespace)
node_proc_count() {
    local n=$1 c
    { for c in $(node_cgroups "$n"); do find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null; done
      ip netns pids "$NSP-$n" 2>/dev/null; } | sort -u | grep -c . || true
}
# the node is powered on, back in the cluster and Online everywhere
node_back() { ! node_is_off "$1" && cluster_ready; }
