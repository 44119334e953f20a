#!/usr/bin/env bash
# tests/bench/outage.sh [RUNS] - the outage table of issue 5 §3 (a benchmark, not a timed test):
# the window a client sees (a TCP connect to the VIP every 50 ms from the lab's client
# namespace) for each failure, with this project's agents and with the seeds' own setups, on
# the same lab (tests/lab), each the median of RUNS runs (default 3).
#
#   ours (MaxScale rows)   setups/b-promotable.sh: promotable ocf:mariadb:maxscale + ocf:mariadb:vip
#   ours (Galera row)      setups/d-galera-sync-crm.sh: ocf:mariadb:galera-sync + vip + rule
#   seed 000 (MaxScale)    setups/legacy-group.sh: ocf:heartbeat:IPaddr2 + lsb:maxscale in a group
#   seed 002 (Galera)      setups/legacy-vip.sh: ocf:heartbeat:IPaddr2, no health check
# Same monitor intervals on both sides (2 s for MaxScale, 2 s galera-sync, VIP 2-5 s).
# A window that has not closed after BENCH_WAIT (25) s is shown as ">25".
# For a link cut, the part after the surviving nodes' Corosync logged the new membership is
# split at the DC's first recovery action: Pacemaker's decision (the same code in both setups;
# 0.1 s or about 1.1 s in the lab's logs, by the order in which the DC's controller learns of
# the loss), then the agents' operations up to the client's first answer.
# Uses a running lab if there is one (and leaves it up), else brings one up and takes it down.
# Output: the table on stdout, also written to $OCFM_STATE/outage-table.md.
. "$(dirname "$(readlink -f "$0")")/../lab/lib/scenario.sh"

RUNS=${1:-${BENCH_RUNS:-3}}
WAIT=${BENCH_WAIT:-25}
OUT=$OCFM_STATE/outage-table.md
declare -A RES   # RES[setup|fault] = "v1 v2 v3"

need_root
if ! lab_is_up; then
    log "bringing the lab up"
    LAB_SETUP=none "$LABCMD" up >/dev/null
    SC_BROUGHT_UP=1
fi
mkdir -p "$SC_TMP"

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

inject() { # FAULT NODE
    case $1 in
        crash) "$LABCMD" kill-maxscale "$2" >/dev/null ;;
        hang) "$LABCMD" hang-maxscale "$2" >/dev/null ;;
        move) # the administrator's move of the active side to another node
            local to; to=$(other_node "$2")
            if in_node n1 cibadmin -Q -o resources | grep 'id="maxscale-clone"' >/dev/null; then
                in_node n1 crm_resource --move --resource maxscale-clone --promoted --node "$to" >/dev/null 2>&1
            else
                in_node n1 crm resource move maxscale_service "$to" >/dev/null 2>&1
            fi ;;
        cut|cut1000) "$LABCMD" cut "$2" ;;
        desync) "$LABCMD" galera "$2" desync >/dev/null ;;
    esac
}

undo() { # FAULT NODE
    case $1 in
        hang) "$LABCMD" resume-maxscale "$2" >/dev/null 2>&1 || true ;;
        move) in_node n1 crm_resource --clear --resource maxscale-clone >/dev/null 2>&1
              in_node n1 crm resource clear maxscale_service >/dev/null 2>&1 || true ;;
        cut|cut1000) "$LABCMD" heal "$2"; _wait_quiet 40 cluster_ready n1 || log "WARNING: $2 not back online" ;;
        desync) "$LABCMD" galera "$2" resync >/dev/null ;;
    esac
    in_node "$(any_node)" crm_resource --cleanup >/dev/null 2>&1 || true
    _wait_quiet 30 settled || true
}

measure_once() { # SETUP FAULT PROBE-OPTS...
    local setup=$1 fault=$2 X T P=$SC_TMP/probe.log; shift 2
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
    # On node loss, what follows Corosync's detection (token + consensus): Pacemaker's decision,
    # then the agents' operations, each without the token's run-to-run spread.
    local split="- -"
    if [[ $fault == cut* ]]; then
        split=$(after_membership "$T" "$(sed -n 's/.*outage_to=\([0-9.]*\).*/\1/p' <<<"$OUTAGE_LINE")" \
            "$(other_node "$X")" "$(other_node "$X" "$(other_node "$X")")")
    fi
    undo "$fault" "$X"
    log "$setup $fault on $X: $OUTAGE s (membership -> first action -> client answered: $split s)"
    echo "$OUTAGE $split"
}

# after_membership EPOCH FIRST_OK NODE...: two durations, from the first "A new membership ...
# was formed" that Corosync logged after EPOCH on the surviving NODEs to the DC's first
# "Initiating ..." of the recovery (Pacemaker's decision), and from there to the client's first
# answer FIRST_OK (the agents' operations); "- -" when a mark is missing. Log timestamps are
# local time without a year.
after_membership() {
    local since=$1 first_ok=$2 n logs=(); shift 2
    for n in "$@"; do
        logs+=("$(node_dir "$n")/corosync-log/corosync.log" "$(node_dir "$n")/pacemaker-log/pacemaker.log")
    done
    "$PY" - "$since" "${first_ok:--}" "${logs[@]}" <<'EOF'
import sys, datetime
since, first_ok, paths = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
year = datetime.datetime.fromtimestamp(since).year
def first(marker):
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
            if t >= since:
                best = t if best is None else min(best, t)
                break
    return best
membership = first("A new membership")
action = first("(execute_rsc_action)")
if membership is None or action is None or first_ok == "-" or action < membership:
    print("- -")
else:
    print("%.2f %.2f" % (action - membership, float(first_ok) - action))
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

bench_setup() { # SETUP PROBE-OPTS... -- FAULT...
    local setup=$1; shift
    local popts=() f r v decide act
    while [[ $1 != -- ]]; do popts+=("$1"); shift; done
    shift
    lab_configure "$setup" >/dev/null 2>&1 || { log "cannot configure $setup (agents installed?)"; return; }
    _wait_quiet 30 settled || true
    for r in $(seq 1 "$RUNS"); do
        for f in "$@"; do
            if [[ $f == cut1000 ]]; then "$LABCMD" token 1000 >/dev/null 2>&1; fi
            read -r v decide act < <(measure_once "$setup" "$f" ${popts[@]+"${popts[@]}"})
            if [[ $f == cut1000 ]]; then "$LABCMD" token "$(cat "$LAB/token.up")" >/dev/null 2>&1; fi
            RES[$setup|$f]+="${v:--} "
            if [[ $f == cut* ]]; then
                RES[$setup|$f+decide]+="${decide:--} "
                RES[$setup|$f+act]+="${act:--} "
            fi
        done
    done
}

T0=$(now_us)
MXS_FAULTS=(crash hang move cut cut1000)
bench_setup b-promotable -- "${MXS_FAULTS[@]}"
bench_setup legacy-group -- "${MXS_FAULTS[@]}"
bench_setup d-galera-sync-crm --mysql -- desync
bench_setup legacy-vip --mysql -- desync

# the cluster's own time to notice a lost node: token + consensus as corosync runs them
tok() { in_node n1 corosync-cmapctl -g "runtime.config.totem.$1" 2>/dev/null | awk '{print $NF}'; }
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
{
    echo "Outage seen by a client connecting to the VIP every 50 ms, in seconds: median of $RUNS runs (all runs)."
    echo "Lab: 3 Pacemaker nodes + 3 Galera nodes in namespaces on one $(nproc)-core machine; $(date -u +%Y-%m-%d)."
    echo
    echo "| failure | our agents | the seed's setup |"
    echo "|---|---|---|"
    echo "| MaxScale crash (kill -9) on the active node | $(cell b-promotable crash) | $(cell legacy-group crash) |"
    echo "| MaxScale hang (SIGSTOP) on the active node | $(cell b-promotable hang) | $(cell legacy-group hang) |"
    echo "| Galera desync of the VIP's node | $(cell d-galera-sync-crm desync) | $(cell legacy-vip desync) |"
    echo "| graceful move | $(cell b-promotable move) | $(cell legacy-group move) |"
    echo "| node link cut, default token ($TOKEN_MS ms + consensus $CONS_MS ms) | $(cell b-promotable cut) | $(cell legacy-group cut) |"
    echo "| node link cut, token=1000 ($TOKEN1K_MS ms + consensus $CONS1K_MS ms) | $(cell b-promotable cut1000) | $(cell legacy-group cut1000) |"
    echo "| … of which Pacemaker's decision (new membership → first recovery action), default token | $(cell b-promotable cut+decide) | $(cell legacy-group cut+decide) |"
    echo "| … of which the agents' part (first recovery action → client answered), default token | $(cell b-promotable cut+act) | $(cell legacy-group cut+act) |"
    echo "| … of which Pacemaker's decision, token=1000 | $(cell b-promotable cut1000+decide) | $(cell legacy-group cut1000+decide) |"
    echo "| … of which the agents' part, token=1000 | $(cell b-promotable cut1000+act) | $(cell legacy-group cut1000+act) |"
    echo
    echo "Our agents: promotable ocf:mariadb:maxscale clone (monitor 2 s Promoted / 3 s Unpromoted,"
    echo "migration-threshold=1) + ocf:mariadb:vip with the Promoted instance; for Galera, the galera-sync"
    echo "clone (monitor 2 s$([[ $(cat "$LAB/wsrep-notify" 2>/dev/null) == 1 ]] && echo ', wsrep_notify_cmd set')) + vip with the attribute rule."
    echo "Seeds: 000 = ocf:heartbeat:IPaddr2 + lsb:maxscale (tests/lab/legacy/maxscale) in a group, monitors 2 s;"
    echo "002 = ocf:heartbeat:IPaddr2 alone (no Galera health check). \">$WAIT\" = not recovered within $WAIT s."
} | tee "$OUT"
log "benchmark done in $(since "$T0") s; table in $OUT"
