# shellcheck shell=bash
# tests/lab/lib/maxscale.sh - a MaxScale on every node: the project's simulator
# (target/release/maxscale-sim) by default, a real `maxscale` when MAXSCALE_BIN is set.
# Inside each node it is /usr/bin/maxscale (the agent's default `binary`), configured by
# /etc/maxscale.cnf: the three Galera nodes as servers (galeramon), a listener on
# 0.0.0.0:4006, the REST API on 127.0.0.1:8989 with MaxScale's default credentials.

MXS_ADMIN=(admin mariadb)
MXS_JOURNAL=/var/log/maxscale/sim-passive.journal

maxscale_source() {
    if [[ -n ${MAXSCALE_BIN:-} ]]; then
        echo "$MAXSCALE_BIN"
    else
        echo "${CARGO_TARGET_DIR:-$TOP/target}/release/maxscale-sim"
    fi
}

maxscale_conf() {
    local n=$1 m list=""
    for m in "${NODES[@]}"; do list+="${list:+,}galera${m#n}"; done
    cat <<EOF
# written by tests/lab/lab for node $n
[maxscale]
threads=1
admin_host=127.0.0.1
admin_port=8989
admin_gui=false
admin_secure_gui=false
EOF
    # the simulator's passive journal (tests/maxscale-sim/README.md); a real MaxScale has none
    [[ -n ${MAXSCALE_BIN:-} ]] || echo "sim_passive_journal=$MXS_JOURNAL"
    echo
    for m in "${NODES[@]}"; do
        printf '[galera%s]\ntype=server\naddress=%s\nport=3306\n\n' "${m#n}" "$(node_ip "$m")"
    done
    cat <<EOF
[Galera-Monitor]
type=monitor
module=galeramon
servers=$list
user=maxscale
password=$MXS_DB_PW
monitor_interval=1000ms

[Galera-Service]
type=service
router=readconnroute
router_options=synced
servers=$list
user=maxscale
password=$MXS_DB_PW
version_string=maxscale-$n

[Galera-Listener]
type=listener
service=Galera-Service
address=0.0.0.0
port=$MAXSCALE_PORT
EOF
}

# /etc/maxscale.cnf, /usr/bin/maxscale and the seeds' LSB script /etc/init.d/maxscale of a
# node, written into its overlays' upper layers before they are mounted
maxscale_files() {
    local n=$1 d src; d=$(node_dir "$n")
    maxscale_conf "$n" >"$d/etc.upper/maxscale.cnf"
    chmod 0644 "$d/etc.upper/maxscale.cnf"
    mkdir -p "$d/usr.upper/bin" "$d/etc.upper/init.d"
    src=$(maxscale_source)
    if [[ -n ${MAXSCALE_BIN:-} ]]; then
        # a real MaxScale: /usr/bin/maxscale in the node runs it (comm stays "maxscale")
        [[ $(readlink -f "$src") == "$(readlink -f /usr/bin/maxscale 2>/dev/null)" ]] \
            || ln -sfn "$(readlink -f "$src")" "$d/usr.upper/bin/maxscale"
    elif [[ -x $src ]]; then
        install -m 0755 "$src" "$d/usr.upper/bin/maxscale"
    fi
    install -m 0755 "$LAB_HOME/legacy/maxscale" "$d/etc.upper/init.d/maxscale"
}

maxscale_pid() { # NODE -> the pid of the node's running MaxScale (from its pid file)
    local n=$1 f pid
    f=$(node_dir "$n")/run/maxscale/maxscale.pid
    [[ -s $f ]] || return 1
    pid=$(tr -dc 0-9 <"$f")
    [[ -n $pid ]] && pid_alive "$pid" && pid_in_node "$pid" "$n" || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == maxscale* ]] || return 1
    echo "$pid"
}

# every maxscale process in the node (also one whose pid file is gone)
maxscale_pids_all() {
    local n=$1 p
    for p in $(pgrep -x maxscale) $(pgrep -x maxscale-sim); do
        pid_in_node "$p" "$n" && echo "$p"
    done
    return 0
}

# GET /v1/maxscale inside the node -> "true", "false", or "-" (no answer within 1 s)
maxscale_passive() {
    local out
    out=$(in_node "$1" curl -s -m 1 -u "${MXS_ADMIN[0]}:${MXS_ADMIN[1]}" http://127.0.0.1:8989/v1/maxscale 2>/dev/null) || { echo -; return; }
    [[ $out =~ \"passive\"[[:space:]]*:[[:space:]]*(true|false) ]] && echo "${BASH_REMATCH[1]}" || echo -
}

# the nodes whose MaxScale answers passive=false
maxscale_active_nodes() {
    local n out=()
    for n in "${NODES[@]}"; do [[ $(maxscale_passive "$n") == false ]] && out+=("$n"); done
    echo "${out[*]}"
}

# a MaxScale started by the lab itself (setups where Pacemaker does not run it: Keepalived, none)
maxscale_start() {
    local n=$1
    if maxscale_pid "$n" >/dev/null; then
        log "maxscale on $n already running"
        return 0
    fi
    [[ -x $(node_dir "$n")/usr.upper/bin/maxscale || -L $(node_dir "$n")/usr.upper/bin/maxscale ]] \
        || { log "WARNING: no MaxScale binary for $n ($(maxscale_source) missing)"; return 1; }
    node_daemon "$n" maxscale /usr/bin/maxscale -d --user=maxscale --config=/etc/maxscale.cnf --piddir=/run/maxscale
    wait_until 10 "maxscale on $n answers its REST API" maxscale_answers "$n"
}
maxscale_answers() { [[ $(maxscale_passive "$1") != - ]]; }

maxscale_stop() {
    local n=$1 pid
    kill_pidfile "$(node_dir "$n")/maxscale.pid" 10
    for pid in $(maxscale_pids_all "$n"); do
        kill -CONT "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
        _wait_quiet 5 pid_dead "$pid" || kill -KILL "$pid" 2>/dev/null || true
    done
    rm -f "$(node_dir "$n")/run/maxscale/maxscale.pid"
}

maxscale_signal() { # NODE SIGNAL
    local pid
    pid=$(maxscale_pid "$1") || read -r pid < <(maxscale_pids_all "$1") || true
    [[ -n $pid ]] || die "no MaxScale running on $1"
    kill "-$2" "$pid"
    log "maxscale on $1 (pid $pid): SIG$2"
}

# forget runtime changes persisted by MaxScale (passive=true survives a restart)
maxscale_forget_persisted() {
    in_node "$1" sh -c 'rm -rf /var/lib/maxscale/maxscale.cnf.d/*' 2>/dev/null || true
}

# ---- a MaxScale that survives SIGKILL (`lab wedge-maxscale NODE`): moved into its own cgroup v1
# freezer cgroup and frozen. A frozen task acts on no signal until thawed, SIGKILL included
# (/proc shows it in state D, like a task stuck on a hung NFS mount), so the agent's stop
# (SIGTERM, SIGTERM, SIGKILL) cannot succeed and Pacemaker fences the node; the switch's
# power-off thaws as part of the kill, and then it dies.
maxscale_wedge_cg() { echo "$(node_freezer "$1")/maxscale-wedge"; }

maxscale_wedge() {
    local n=$1 pid cg; cg=$(maxscale_wedge_cg "$n")
    [[ -d $(node_freezer "$n") ]] || die "no freezer cgroup for $n ($FREEZER_ROOT not mounted?)"
    pid=$(maxscale_pid "$n") || read -r pid < <(maxscale_pids_all "$n") || true
    [[ -n $pid ]] || die "no MaxScale running on $n"
    mkdir -p "$cg"
    echo "$pid" >"$cg/cgroup.procs"
    echo FROZEN >"$cg/freezer.state"
    _wait_quiet 5 grep -x FROZEN "$cg/freezer.state" || log "WARNING: $cg still $(cat "$cg/freezer.state")"
    log "maxscale on $n (pid $pid): frozen in $cg (state $(sed -n 's/^State:[[:space:]]*//p' "/proc/$pid/status")): SIGKILL has no effect until thawed (lab unwedge-maxscale $n)"
}

maxscale_unwedge() {
    local n=$1 cg p; cg=$(maxscale_wedge_cg "$n")
    [[ -d $cg ]] || return 0
    echo THAWED >"$cg/freezer.state" 2>/dev/null || true
    for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do
        echo "$p" >"$(node_freezer "$n")/cgroup.procs" 2>/dev/null || true
    done
    rmdir "$cg" 2>/dev/null || log "WARNING: $cg not removed"
}

# ---- the simulator's passive journals: every change of the passive value each MaxScale served,
# on the one kernel clock all nodes share (tests/maxscale-sim/README.md, "The passive journal")

maxscale_journal() { echo "$(node_dir "$1")/var.upper${MXS_JOURNAL#/var}"; } # NODE -> host path
maxscale_journals_exist() {
    local n
    for n in "${NODES[@]}"; do [[ -s $(maxscale_journal "$n") ]] && return 0; done
    return 1
}
now_ns() { local t=$EPOCHREALTIME; echo "${t//[.,]/}000"; }

# maxscale_journal_overlaps SINCE_NS [NODE:FROM_NS:TO_NS...] : merge the nodes' journals and
# print, one per line, "<from_ns> <ms> <node>/<pid> <node>/<pid>" for every stretch in which
# two MaxScales served passive=false at once (ms "open": both still do). An instance serves from
# `ready` until `gone` the value of its last record. Instances that were ready before SINCE_NS
# belong to what ran before (another setup) and are not counted; the check starts when the last
# of them is gone (one still there is reported as "previous"). Windows NODE:FROM:TO (the node
# cut off) are not counted for that node. A power-off of the switch's journal ($JOURNAL: a line
# with dead=, the instant the switch saw nothing of the node left) ends every instance of that
# node running then: the journal's watcher dies with the node and writes no `gone`. A summary
# goes to stderr.
maxscale_journal_overlaps() {
    local since=$1 n files=()
    shift
    for n in "${NODES[@]}"; do files+=("$(maxscale_journal "$n")"); done
    "$PY" - "$since" "$JOURNAL" "${files[@]}" -- "$@" <<'PYEOF'
import sys
args = sys.argv[1:]
since, switch_journal, sep = int(args[0]), args[1], args.index("--")
files, cuts = args[2:sep], [c.split(":") for c in args[sep + 1:]]
INF = float("inf")
records = []
for f in files:
    try:
        lines = open(f).read().splitlines()
    except FileNotFoundError:
        continue
    for line in lines:
        p = line.split()
        if len(p) >= 4:
            records.append((int(p[0]), p[1], p[2], p[3], p[4] if len(p) > 4 else ""))


def stamp_ns(text):  # "1796176729.770810" -> ns, exactly (no float)
    sec, _, frac = text.partition(".")
    return int(sec) * 10**9 + int((frac + "000000000")[:9])


power_offs = []  # (ns, node): the switch saw nothing of the node left
try:
    for line in open(switch_journal).read().splitlines():
        kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
        if kv.get("result") == "ok" and "dead" in kv and "node" in kv:
            power_offs.append((stamp_ns(kv["dead"]), kv["node"]))
except FileNotFoundError:
    pass
for off, node in power_offs:
    for ts, n, pid, event, arg in [r for r in records if r[3] == "ready"]:
        ends = [r[0] for r in records if r[1:3] == (n, pid) and r[3] == "gone"]
        if n == node and ts < off and not [e for e in ends if e <= off]:
            records.append((off, n, pid, "gone", "power-off"))
records.sort()
ready_at, gone_at = {}, {}
for ts, node, pid, event, arg in records:
    if event == "ready":
        ready_at.setdefault((node, pid), ts)
    elif event == "gone":
        gone_at[(node, pid)] = ts
previous = {i for i, t in ready_at.items() if t < since}
lingering = sorted(i for i in previous if i not in gone_at)
for node, pid in lingering:
    print("%d previous %s/%s -" % (since, node, pid))
since = max([since] + [gone_at[i] for i in previous if i in gone_at])
false_since, intervals = {}, []  # instance -> start of its passive=false stretch (None: true)
for ts, node, pid, event, arg in records:
    inst = (node, pid)
    if inst in previous:
        continue
    if event == "gone":
        start = false_since.pop(inst, None)
        if start is not None:
            intervals.append((inst, start, ts))
    elif arg.startswith("passive="):
        start = false_since.get(inst)
        if arg == "passive=false" and start is None:
            false_since[inst] = ts
        elif arg == "passive=true":
            if start is not None:
                intervals.append((inst, start, ts))
            false_since[inst] = None
for inst, start in false_since.items():
    if start is not None:
        intervals.append((inst, start, INF))


def reachable(inst, lo, hi):
    pieces = [(max(lo, since), hi)]
    for node, c_from, c_to in cuts:
        if node == inst[0]:
            c_from, c_to = int(c_from), int(c_to)
            pieces = [q for a, b in pieces for q in ((a, min(b, c_from)), (max(a, c_to), b))]
    return [(a, b) for a, b in pieces if a < b]


pieces = [(inst, a, b) for inst, lo, hi in intervals for a, b in reachable(inst, lo, hi)]
out = []
for i, (x, a1, b1) in enumerate(pieces):
    for y, a2, b2 in pieces[i + 1:]:
        lo, hi = max(a1, a2), min(b1, b2)
        if x != y and lo < hi:
            ms = "open" if hi == INF else "%.6f" % ((hi - lo) / 1e6)
            out.append("%d %s %s/%s %s/%s" % (lo, ms, x[0], x[1], y[0], y[1]))
for line in sorted(out):
    print(line)
print("passive journals: %d records, %d instances (%d before), %d passive=false stretches, "
      "%d overlaps" % (len(records), len(ready_at), len(previous), len(intervals), len(out)),
      file=sys.stderr)
PYEOF
}
