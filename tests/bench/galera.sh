#!/usr/bin/env bash
# tests/bench/galera.sh [RUNS] - one run, one real local Galera node:
#   ocf:mariadb:galera monitor   vs   ocf:heartbeat:galera monitor   (same running mariadbd)
# The node is a one-node Galera cluster of our own (datadir under a temp dir, 127.0.0.1 ports
# 35800-35803), bootstrapped once by hand, then started and promoted by ocf:mariadb:galera
# (as tests/galera/ocf-tester.sh does), so both agents see a Primary node and answer 8.
# Each monitor is run directly, as Pacemaker's execd would (one process per monitor, a recurring
# monitor: interval 10 s, timeout 20 s): hyperfine -N, RUNS runs (default 100) after 5 warm-ups,
# gives the median wall time and the mean CPU (user+sys, children included); GNU time over 20
# runs the peak RSS (largest process); one run under strace -f counts the child processes
# (fork/vfork/clone without CLONE_THREAD) and the programs executed. /bin/true is the floor.
# Targets (issue 12): ours >= 10x faster, <= 5 ms median, 0 child processes.
#
# No cluster: the Pacemaker tools come from tests/lib/pcmk-standin (files in a temp dir), on
# PATH for both agents. The steady-state monitor of ocf:heartbeat:galera on a Primary node
# calls none of them (it reads the node name from OCF_RESKEY_CRM_meta_on_node). Needs root.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
. "$here/../lib/galera-node.sh"
need_root
need_cmd hyperfine strace python3 cargo mariadb-install-db mariadb
[[ -x /usr/bin/time ]] || die "GNU time missing (apt-get install time)"
[[ -e /usr/lib/galera/libgalera_smm.so ]] || die "galera-4 missing (tests/setup/install-deps.sh)"
RA=/usr/lib/ocf/resource.d/heartbeat/galera
[[ -x $RA ]] || die "$RA missing (apt-get install resource-agents)"

RUNS=${1:-100}
SQL=35800 GM=35801 IST=35802 SST=35803
NAME=galera-bench
NODE=$(uname -n)
WORK=$(mktemp -d /tmp/ocfm-bench-galera.XXXXXX)
chmod 755 "$WORK"
mkdir "$WORK/data" "$WORK/pcmk" "$WORK/rsctmp"
chown mysql:mysql "$WORK" "$WORK/data"
SOCK=$WORK/mysqld.sock
PIDFILE=$WORK/mysqld.pid

log "building galera (release)"
(cd "$top" && cargo build --release --quiet -p galera) || die "build failed"
AGENT=${CARGO_TARGET_DIR:-$top/target}/release/galera
[[ -x $AGENT ]] || die "no agent binary $AGENT"

# Every command gets exactly its OCF environment (env -i), stand-ins first on PATH.
BASE=(PATH="$top/tests/lib/pcmk-standin:/usr/sbin:/usr/bin:/sbin:/bin" FAKE_PCMK_DIR="$WORK/pcmk"
      OCF_ROOT=/usr/lib/ocf HA_RSCTMP="$WORK/rsctmp" OCF_RESOURCE_INSTANCE=$NAME
      OCF_RESKEY_CRM_meta_on_node="$NODE" OCF_RESKEY_CRM_meta_timeout=20000
      OCF_RESKEY_wsrep_cluster_address="gcomm://127.0.0.1:$GM"
      OCF_RESKEY_cluster_host_map="$NODE:127.0.0.1:$GM"
      OCF_RESKEY_config="$WORK/my.cnf" OCF_RESKEY_datadir="$WORK/data" OCF_RESKEY_socket="$SOCK"
      OCF_RESKEY_pid="$PIDFILE" OCF_RESKEY_log="$WORK/mysqld.err")
OURS_ENV=("${BASE[@]}" OCF_RESKEY_CRM_meta_interval=10000)
OPS_ENV=("${BASE[@]}" OCF_RESKEY_CRM_meta_interval=0 OCF_RESKEY_CRM_meta_timeout=120000)
# ocf:heartbeat:galera: the same parameters, root over the socket (unix_socket auth, no
# password), its client given the socket explicitly (testbed notes, as galera-sync.sh does).
RA_ENV=("${BASE[@]}" OCF_RESKEY_CRM_meta_interval=10000 OCF_RESKEY_binary=/usr/sbin/mariadbd
        OCF_RESKEY_user=mysql OCF_RESKEY_group=mysql OCF_RESKEY_check_user=root
        "OCF_RESKEY_client_binary=mariadb --socket=$SOCK"
        OCF_RESKEY_CRM_meta_promotable=true OCF_RESKEY_CRM_meta_clone_max=1
        OCF_RESKEY_CRM_meta_promoted_max=1 OCF_RESKEY_CRM_meta_master_max=1)

cleanup() {
    # The agent's own stop (SIGTERM, then SIGKILL), then whatever is left of ours by pid.
    env -i "${OPS_ENV[@]}" "$AGENT" stop >/dev/null 2>&1
    local pid
    pid=$(pidfile_pid "$PIDFILE") && kill -KILL "$pid" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

galera_node_config "$WORK" "ocfm-bench-$$" "$SQL" "$GM" "$IST" "$SST"

# The agent never creates a cluster history (a node without a trusted position is never
# elected): bootstrap once by hand, stop cleanly, then let the agent start and promote it.
log "creating a one-node Galera cluster in $WORK"
galera_node_history "$WORK" "$SOCK" "$PIDFILE" "$GM"

op() { env -i "${OPS_ENV[@]}" "$AGENT" "$1" >"$WORK/op.out" 2>&1; }
op start || die "ocf:mariadb:galera start failed: $(tail -3 "$WORK/op.out")"
op promote || die "ocf:mariadb:galera promote failed: $(tail -3 "$WORK/op.out")"

declare -A RC
monitor_rc() { local -n e=$2; env -i "${e[@]}" "$1" monitor >"$WORK/mon.out" 2>&1; echo $?; }
# The first monitors after promote may still see the node joining; wait for the steady state.
ours_promoted() { [[ $(monitor_rc "$AGENT" OURS_ENV) == 8 ]]; }
wait_until 60 "ocf:mariadb:galera monitor answers 8" ours_promoted \
    || die "ocf:mariadb:galera monitor: $(monitor_rc "$AGENT" OURS_ENV) $(cat "$WORK/mon.out")"
RC[ours]=$(monitor_rc "$AGENT" OURS_ENV)
RC[ra]=$(monitor_rc "$RA" RA_ENV)
[[ ${RC[ra]} == 8 ]] || die "ocf:heartbeat:galera monitor returned ${RC[ra]}, expected 8: $(tail -3 "$WORK/mon.out")"
log "exit codes: ocf:mariadb:galera ${RC[ours]}, ocf:heartbeat:galera ${RC[ra]} (8 = Promoted)"

log "hyperfine: $RUNS runs each (plus 5 warm-up)"
env -i "${OURS_ENV[@]}" hyperfine -N -i --style none --warmup 5 --runs "$RUNS" \
    --export-json "$WORK/h-ours.json" -n ours "$AGENT monitor" >/dev/null 2>"$WORK/h.err" \
    || { cat "$WORK/h.err" >&2; die "hyperfine failed (ours)"; }
env -i "${RA_ENV[@]}" hyperfine -N -i --style none --warmup 5 --runs "$RUNS" \
    --export-json "$WORK/h-ra.json" -n ra "$RA monitor" -n true /bin/true \
    >/dev/null 2>"$WORK/h.err" \
    || { cat "$WORK/h.err" >&2; die "hyperfine failed (ra)"; }

peak_rss_kib() { # ENV-ARRAY-NAME CMD... -> max RSS over 20 runs, KiB
    local -n e=$1; shift
    local max=0 r
    for _ in $(seq 20); do
        r=$(env -i "${e[@]}" /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1)
        [[ $r =~ ^[0-9]+$ ]] && (( r > max )) && max=$r
    done
    echo "$max"
}
children() { # NAME ENV-ARRAY-NAME CMD... -> "processes execs" from one run under strace -f
    local f=$WORK/$1.strace; local -n e=$2; shift 2
    env -i "${e[@]}" strace "${STRACE_FORKS[@]}" -o "$f" "$@" >/dev/null 2>&1
    strace_forks "$f"
}
log "peak RSS and child processes"
rss_ours=$(peak_rss_kib OURS_ENV "$AGENT" monitor)
rss_ra=$(peak_rss_kib RA_ENV "$RA" monitor)
read -r procs_ours execs_ours < <(children ours OURS_ENV "$AGENT" monitor)
read -r procs_ra execs_ra < <(children ra RA_ENV "$RA" monitor)
# the state the monitors left: still Primary and answering 8 after all the runs
[[ $(monitor_rc "$AGENT" OURS_ENV) == 8 && $(monitor_rc "$RA" RA_ENV) == 8 ]] \
    || die "a monitor no longer answers 8 after the runs"

python3 - "$WORK" "$RUNS" "${RC[ours]}" "${RC[ra]}" "$rss_ours" "$rss_ra" \
    "$procs_ours" "$execs_ours" "$procs_ra" "$execs_ra" <<'EOF'
import json, sys
work, runs, rc_o, rc_r, rss_o, rss_r, p_o, e_o, p_r, e_r = sys.argv[1:11]
o = json.load(open(f"{work}/h-ours.json"))["results"][0]
res = {r["command"]: r for r in json.load(open(f"{work}/h-ra.json"))["results"]}
r, t = res["ra"], res["true"]
def ms(s): return f"{s * 1000:.2f} ms"
print()
print(f"monitor of one Primary Galera node (MariaDB, 127.0.0.1), {runs} runs each (hyperfine -N, 5 warm-ups)")
print()
print("| monitor | rc | median wall | mean wall ± σ | CPU user+sys (mean) | child processes | programs executed | peak RSS |")
print("|---|---|---|---|---|---|---|---|")
for label, d, rc, p, e, rss in (("ocf:mariadb:galera", o, rc_o, p_o, e_o, rss_o),
                                ("ocf:heartbeat:galera", r, rc_r, p_r, e_r, rss_r)):
    print(f"| {label} | {rc} | {ms(d['median'])} | {ms(d['mean'])} ± {ms(d['stddev'])} | "
          f"{ms(d['user'] + d['system'])} | {p} | {e} | {int(rss) / 1024:.1f} MiB |")
print(f"| (exec floor: /bin/true) | 0 | {ms(t['median'])} | {ms(t['mean'])} ± {ms(t['stddev'])} | "
      f"{ms(t['user'] + t['system'])} | 0 | 1 | |")
wall = r["median"] / o["median"]
cpu = (r["user"] + r["system"]) / max(o["user"] + o["system"], 1e-9)
print()
print(f"ratio heartbeat / mariadb: median wall {wall:.1f}x, CPU {cpu:.1f}x, "
      f"peak RSS {int(rss_r) / max(int(rss_o), 1):.1f}x")
ok_x, ok_ms, ok_p = wall >= 10, o["median"] <= 0.005, int(p_o) == 0
def v(ok): return "met" if ok else "MISSED"
print(f"targets: >= 10x faster: {v(ok_x)} ({wall:.1f}x); <= 5 ms median: {v(ok_ms)} "
      f"({ms(o['median'])}); 0 child processes: {v(ok_p)} ({p_o})")
sys.exit(0 if ok_x and ok_ms and ok_p else 1)
EOF
