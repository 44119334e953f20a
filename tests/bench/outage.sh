#!/usr/bin/env bash
# tests/bench/outage.sh [RUNS] [PART...] - the outage table (a benchmark, not a timed test): the
# window a client sees (a TCP connect to the VIP every 50 ms from the lab's client namespace)
# for each failure, each the median of RUNS runs (default 3), on one lab (tests/lab), fencing
# on as in every lab setup unless a setup says otherwise. PART (default: both):
#
#   services   MaxScale crash (kill -9) / hang (SIGSTOP) on the active node, graceful move, Galera
#              desync of the VIP's node: our agents next to the seeds' own setups
#                ours (MaxScale)   setups/b-promotable.sh: promotable ocf:mariadb:maxscale + ocf:mariadb:vip
#                ours (Galera)     setups/d-galera-sync-crm.sh: ocf:mariadb:galera-sync + vip + rule
#                seed 000          setups/legacy-group.sh: ocf:heartbeat:IPaddr2 + lsb:maxscale in a group
#                seed 002          setups/legacy-vip.sh: ocf:heartbeat:IPaddr2, no health check
#   nodes      the active node lost: crash (`lab crash`: every process gone, ports down), partition
#              (`lab partition`: the ring port down, clients still reach it), cut (`lab cut`: both
#              ports down, processes alive); the default token and token=1000; our agents with
#              fencing on (b-promotable) next to the same without fencing (b-promotable-nofence)
#
# A window that has not closed after BENCH_WAIT (25) s is shown as ">25".
# For node loss the time after the fault is split, from the surviving nodes' logs and the
# switch's journal: detection (fault -> Corosync's new membership: token + consensus),
# decision (-> the DC requests fencing; without fencing: -> its first recovery action),
# fencing (request -> the DC learns it succeeded; the switch's own power-off, which is part of
# it, is shown too), then the first recovery action, then the agents' operations up to the
# client's first answer.
# Uses a running lab if there is one (and leaves it up), else brings one up and takes it down.
# Output: the table on stdout, also written to $OCFM_STATE/outage-table.md.
. "$(dirname "$(readlink -f "$0")")/../lab/lib/scenario.sh"

RUNS=${1:-${BENCH_RUNS:-3}}
shift || true
PARTS=("$@")
(( ${#PARTS[@]} )) || PARTS=(services nodes)
WAIT=${BENCH_WAIT:-25}
OUT=$OCFM_STATE/outage-table.md
declare -A RES   # RES[setup|fault] = "v1 v2 v3"; RES[setup|fault+step] likewise

scenario_lab
CMDLINE="tests/bench/outage.sh $RUNS${1:+ $*}"

active_node() { # the node clients reach now: from the probe's last answer, else the kernel's VIP
    local h; h=$(vip_holders); [[ $h != *" "* ]] && echo "$h"
}

# the client has been answered after the fault by a node other than X, or by X after a failure
recovered() { # FILE EPOCH X
    "$PY" - "$1" "$2" "$3" <<'EOF'
import sys
path, since, x = sys.argv[1], float(sys.argv[2]), sys.argv[3]
failed = False
ok = None
for line in open(path):
    p = line.split()
    if len(p) < 4 or float(p[0]) < since:
        continue
    if p[3] == "OK":
        node = p[4] if len(p) > 4 else "?"
        if failed or node != x:
            ok = (float(p[0]), node)
    else:
        failed = True
        ok = None
sys.exit(0 if ok and ok[0] > since + 0.3 else 1)
EOF
}

is_node_fault() { [[ $1 == node-* ]]; }

inject() { # FAULT NODE
    case ${1%@*} in
        mxs-kill) "$LABCMD" kill-maxscale "$2" >/dev/null 2>&1 ;;
        mxs-hang) "$LABCMD" hang-maxscale "$2" >/dev/null ;;
        move) # the administrator's move of the active side to another node
            local to; to=$(other_node "$2")
            if in_node n1 cibadmin -Q -o resources | grep 'id="maxscale-clone"' >/dev/null; then
                in_node n1 crm_resource --move --resource maxscale-clone --promoted --node "$to" >/dev/null 2>&1
            else
                in_node n1 crm resource move maxscale_service "$to" >/dev/null 2>&1
            fi ;;
        node-crash) "$LABCMD" crash "$2" >/dev/null 2>&1 ;;
        node-partition) "$LABCMD" partition "$2" >/dev/null 2>&1 ;;
        node-cut) "$LABCMD" cut "$2" >/dev/null 2>&1 ;;
        desync) "$LABCMD" galera "$2" desync >/dev/null 2>&1 ;;
    esac
}

undo() { # FAULT NODE
    case ${1%@*} in
        mxs-hang) "$LABCMD" resume-maxscale "$2" >/dev/null 2>&1 || true ;;
        move) in_node n1 crm_resource --clear --resource maxscale-clone >/dev/null 2>&1
              in_node n1 crm resource clear maxscale_service >/dev/null 2>&1 || true ;;
        node-*)
            # with fencing the node has been rebooted (and, cut or partitioned, boots so);
            # without, a crashed node stays off until booted
            "$LABCMD" heal "$2" >/dev/null 2>&1
            if node_is_off "$2"; then "$LABCMD" boot "$2" >/dev/null 2>&1; fi
            _wait_quiet 90 cluster_ready || log "WARNING: $2 not back online" ;;
        desync) "$LABCMD" galera "$2" resync >/dev/null 2>&1 ;;
    esac
    in_node "$(any_node)" crm_resource --cleanup >/dev/null 2>&1 || true
    _wait_quiet 30 settled || true
}

measure_once() { # SETUP FAULT PROBE-OPTS...
    local setup=$1 fault=$2 X P=$SC_TMP/probe.log; shift 2
    X=$(active_node)
    [[ -n $X ]] || { log "no VIP holder before $fault ($setup)"; echo -; return; }
    probe_start "$P" "$@"
    if ! _wait_quiet 15 probe_answers "$P" "$X"; then
        log "$setup: the client is not answered by $X before $fault"
        probe_stop; echo -; return
    fi
    sleep 0.5
    T=$(epoch)
    inject "$fault" "$X"
    _wait_quiet "$WAIT" recovered "$P" "$T" "$X" || true
    sleep 0.3
    probe_stop
    outage "$P" "$T" >/dev/null 2>&1
    local split="- - - - - -"
    if is_node_fault "$fault"; then
        split=$(node_timeline "$T" "$(sed -n 's/.*outage_to=\([0-9.]*\).*/\1/p' <<<"$OUTAGE_LINE")" "$X")
    fi
    undo "$fault" "$X"
    log "$setup $fault on $X: $OUTAGE s (detection decision fencing power-off recovery agents: $split)"
    echo "$OUTAGE $split"
}

# node_timeline EPOCH FIRST_OK X: six durations (s) after a node fault at EPOCH on X, from the
# surviving nodes' logs and the switch's journal: detection (-> "A new membership"), decision
# (-> "Requesting fencing"; without fencing -> the first "Initiating"), fencing (-> "Peer X
# was terminated"), the switch's power-off (request -> its verified off), recovery (-> the
# first "Initiating" after the fencing), agents (-> the client's first answer FIRST_OK). "-"
# where a mark is missing. Log timestamps are local time without a year.
node_timeline() {
    local since=$1 first_ok=$2 x=$3 n logs=()
    for n in "${NODES[@]}"; do
        [[ $n == "$x" ]] && continue
        logs+=("$(node_dir "$n")/corosync-log/corosync.log" "$(node_dir "$n")/pacemaker-log/pacemaker.log")
    done
    "$PY" - "$since" "${first_ok:--}" "$x" "$JOURNAL" "${logs[@]}" <<'EOF'
import sys, datetime
since, first_ok, x, journal, paths = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
year = datetime.datetime.fromtimestamp(since).year
def first(marker, after):
    best = None
    for path in paths:
        try:
            lines = open(path, errors="replace").read().splitlines()
        except OSError:
            continue
        for line in lines:
            if marker not in line:
                continue
            try:  # "Nov 23 17:24:28.474 ..."
                stamp = "%d %s" % (year, " ".join(line.split()[:3]))
                t = datetime.datetime.strptime(stamp, "%Y %b %d %H:%M:%S.%f").timestamp()
            except ValueError:
                continue
            if after is not None and t >= after:
                best = t if best is None else min(best, t)
                break
    return best
def switch_off(after):
    try:
        lines = open(journal).read().splitlines()
    except OSError:
        return None
    for line in lines:
        kv = dict(w.split("=", 1) for w in line.split()[1:] if "=" in w)
        if kv.get("op") in ("reboot", "off") and kv.get("node") == x and kv.get("result") == "ok" \
                and float(kv.get("t", 0)) >= after and "dead" in kv:
            return float(kv["dead"])
    return None
fmt = lambda a, b: "%.2f" % (b - a) if a is not None and b is not None and b >= a else "-"
membership = first("A new membership", since)
request = first("Requesting fencing", since)
if request is not None:
    confirmed = first("Peer %s was terminated" % x, request)
    off = switch_off(request - 0.5)
    action = first("Initiating ", confirmed)
    print(fmt(since, membership), fmt(membership, request), fmt(request, confirmed), fmt(request, off),
          fmt(confirmed, action), fmt(action, float(first_ok)) if first_ok != "-" else "-")
else:
    action = first("Initiating ", membership)
    print(fmt(since, membership), fmt(membership, action), "-", "-", "-",
          fmt(action, float(first_ok)) if first_ok != "-" else "-")
EOF
}

median() { # values (">25" counts as 25+ and sorts last)
    "$PY" -c '
import sys
v = sys.argv[1:]
if not v or all(x == "-" for x in v):
    print("-"); sys.exit()
v = [x for x in v if x != "-"]
key = lambda x: float(x.lstrip(">")) + (1e6 if x.startswith(">") else 0)
v.sort(key=key)
m = v[(len(v) - 1) // 2]
print(">%.1f" % float(m[1:]) if m.startswith(">") else "%.2f" % float(m))' "$@"
}

STEPS=(detect decide fence poweroff recover agents)
bench_setup() { # SETUP PROBE-OPTS... -- FAULT...
    local setup=$1; shift
    local popts=() f r v rest i steps
    while [[ $1 != -- ]]; do popts+=("$1"); shift; done
    shift
    if ! lab_configure "$setup" >"$SC_TMP/configure-$setup.log" 2>&1; then
        log "cannot configure $setup; its last lines:"
        tail -n 15 "$SC_TMP/configure-$setup.log" >&2
        return
    fi
    _wait_quiet 30 settled || true
    for r in $(seq 1 "$RUNS"); do
        for f in "$@"; do
            if [[ $f == *@1000 ]]; then "$LABCMD" token 1000 >/dev/null 2>&1; fi
            read -r v rest < <(measure_once "$setup" "$f" ${popts[@]+"${popts[@]}"})
            if [[ $f == *@1000 ]]; then "$LABCMD" token "$(cat "$LAB/token.up")" >/dev/null 2>&1; fi
            RES[$setup|$f]+="${v:--} "
            if is_node_fault "$f"; then
                read -r -a steps <<<"$rest"
                for i in "${!STEPS[@]}"; do RES[$setup|$f+${STEPS[$i]}]+="${steps[$i]:--} "; done
            fi
        done
    done
}

T0=$(now_us)
NODE_FAULTS=(node-crash node-partition node-cut node-crash@1000 node-partition@1000 node-cut@1000)
for part in "${PARTS[@]}"; do
    case $part in
        services)
            bench_setup b-promotable -- mxs-kill mxs-hang move
            bench_setup legacy-group -- mxs-kill mxs-hang move
            bench_setup d-galera-sync-crm --mysql -- desync
            bench_setup legacy-vip --mysql -- desync ;;
        nodes)
            bench_setup b-promotable -- "${NODE_FAULTS[@]}"
            bench_setup b-promotable-nofence -- "${NODE_FAULTS[@]}" ;;
        *) die "unknown part $part (services, nodes)" ;;
    esac
done

# the cluster's own time to notice a lost node: token + consensus as corosync runs them
tok() { in_node "$(any_node)" corosync-cmapctl -g "runtime.config.totem.$1" 2>/dev/null | awk '{print $NF}'; }
TOKEN_MS=$(tok token); CONS_MS=$(tok consensus)
"$LABCMD" token 1000 >/dev/null 2>&1
TOKEN1K_MS=$(tok token); CONS1K_MS=$(tok consensus)
"$LABCMD" token "$(cat "$LAB/token.up")" >/dev/null 2>&1

cell() { # SETUP FAULT -> "median (all runs)"
    local v=${RES[$1|$2]:-}
    [[ -n $v ]] || { echo "not measured"; return; }
    # shellcheck disable=SC2086
    printf '%s (%s)' "$(median $v)" "$("$PY" -c 'import sys; print(", ".join((">%.1f" % float(x[1:])) if x.startswith(">") else x for x in sys.argv[1:]))' $v)"
}
med() { local v=${RES[$1|$2]:-}; [[ -n $v ]] || { echo -; return; }; median $v; }
nodes_measured() { [[ -n ${RES[b-promotable|node-crash]:-} || -n ${RES[b-promotable-nofence|node-crash]:-} ]]; }
services_measured() { [[ -n ${RES[b-promotable|mxs-kill]:-} || -n ${RES[legacy-group|mxs-kill]:-} ]]; }
{
    echo "Outage seen by a client connecting to the VIP every 50 ms, in seconds: median of $RUNS runs (all runs)."
    echo "Lab: ${#NODES[@]} Pacemaker nodes + ${#NODES[@]} Galera nodes in namespaces on one $(nproc)-core machine,"
    echo "fencing on (stonith:fence_lab) unless said; $(date -u +%Y-%m-%d), \`$CMDLINE\`."
    if services_measured; then
        echo
        echo "| failure | our agents | the seed's setup |"
        echo "|---|---|---|"
        echo "| MaxScale crash (kill -9) on the active node | $(cell b-promotable mxs-kill) | $(cell legacy-group mxs-kill) |"
        echo "| MaxScale hang (SIGSTOP) on the active node | $(cell b-promotable mxs-hang) | $(cell legacy-group mxs-hang) |"
        echo "| Galera desync of the VIP's node | $(cell d-galera-sync-crm desync) | $(cell legacy-vip desync) |"
        echo "| graceful move | $(cell b-promotable move) | $(cell legacy-group move) |"
    fi
    if nodes_measured; then
        echo
        echo "| the active node lost | our agents, fencing on | the same, fencing off |"
        echo "|---|---|---|"
        for f in "${NODE_FAULTS[@]}"; do
            case $f in
                node-crash) what="crash (every process gone, ports down)" ;;
                node-partition) what="partition (ring lost, clients still reach it)" ;;
                node-cut) what="cut (both links down, processes alive)" ;;
            esac
            if [[ $f == *@1000 ]]; then
                tk="token=1000 ($TOKEN1K_MS ms + consensus $CONS1K_MS ms)"
                what=${f%@1000}; what=${what#node-}
            else
                tk="default token ($TOKEN_MS ms + consensus $CONS_MS ms)"
            fi
            echo "| $what, $tk | $(cell b-promotable "$f") | $(cell b-promotable-nofence "$f") |"
        done
        echo
        echo "Where the time goes (medians, seconds; fencing on, then fencing off):"
        echo
        echo "| the active node lost | detection (→ new membership) | decision (→ fencing requested / first action) | fencing (requested → confirmed) | of which the switch's power-off | → first recovery action | agents (→ client answered) |"
        echo "|---|---|---|---|---|---|---|"
        for s in b-promotable b-promotable-nofence; do
            for f in "${NODE_FAULTS[@]}"; do
                name=${f#node-}; name=${name/@1000/, token=1000}
                [[ $s == *nofence ]] && name+=", fencing off"
                echo "| $name | $(med $s "$f+detect") | $(med $s "$f+decide") | $(med $s "$f+fence") | $(med $s "$f+poweroff") | $(med $s "$f+recover") | $(med $s "$f+agents") |"
            done
        done
    fi
    echo
    echo "Our agents: promotable ocf:mariadb:maxscale clone (monitor 2 s Promoted / 3 s Unpromoted,"
    echo "migration-threshold=1) + ocf:mariadb:vip with the Promoted instance; for Galera, the galera-sync"
    echo "clone (monitor 2 s$([[ $(cat "$LAB/wsrep-notify" 2>/dev/null) == 1 ]] && echo ', wsrep_notify_cmd set')) + vip with the attribute rule."
    echo "Seeds: 000 = ocf:heartbeat:IPaddr2 + lsb:maxscale (tests/lab/legacy/maxscale) in a group, monitors 2 s;"
    echo "002 = ocf:heartbeat:IPaddr2 alone (no Galera health check). \">$WAIT\" = not recovered within $WAIT s."
    echo "Fencing off = setups/b-promotable-nofence.sh (stonith-enabled=false, no-quorum-policy=stop)."
} | tee "$OUT"
log "benchmark done in $(since "$T0") s; table in $OUT"
