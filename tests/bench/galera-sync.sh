#!/usr/bin/env bash
# tests/bench/galera-sync.sh [RUNS] - one run, one Galera node (g2 of tests/galera/local-cluster.sh):
#   ocf:mariadb:galera-sync monitor   vs   ocf:heartbeat:galera monitor   vs   ocf:heartbeat:mysql monitor
# Each command is run directly (as Pacemaker's execd would, one process per monitor), RUNS times
# (default 100) after 5 warm-up runs, with hyperfine; peak RSS from GNU time over 20 runs.
# Prints a table: median wall, mean CPU (user+sys), peak RSS, exit code, and the speed-ups.
#
# galera-sync runs in its steady state: started, healthy, value unchanged (no attrd_updater
# call; one happens only on a change, on a 0, or once a minute): its state file is seeded with
# what start would have written. Every command gets exactly its OCF environment (env -i).
# The resource-agents agents get the parameters that make them work (testbed notes §5).
#
# Uses the local Galera as it is when one exists (g2 must be Synced; it is never started or
# stopped then); otherwise brings one up and down again afterwards. Needs root.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
need_root
need_cmd hyperfine python3 mariadb cargo
[[ -x /usr/bin/time ]] || die "GNU time missing (apt-get install time)"

RUNS=${1:-100}
N=2
CLUSTER=$top/tests/galera/local-cluster.sh
G=$OCFM_STATE/galera
D=$G/g$N
SOCK=$D/mysqld.sock
RA=/usr/lib/ocf/resource.d/heartbeat
WORK=$(mktemp -d /tmp/ocfm-bench-gs.XXXXXX)
STARTED_CLUSTER=0

cleanup() {
    rm -rf "$WORK"
    if (( STARTED_CLUSTER )); then "$CLUSTER" down >/dev/null 2>&1; fi
}
trap cleanup EXIT

log "building galera-sync (release)"
(cd "$top" && cargo build --release --quiet -p galera-sync) || die "build failed"
GS=${CARGO_TARGET_DIR:-$top/target}/release/galera-sync

synced() { [[ $("$CLUSTER" sql "$N" "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'" -N 2>/dev/null) == *$'\t'4 ]]; }
if [[ -d $G ]]; then
    # Somebody's cluster (maybe another test's): use it only as it is, never start or stop it.
    synced || die "the local Galera in $G exists but g$N is not Synced; not touching it"
else
    log "no local Galera: starting one (and stopping it afterwards)"
    STARTED_CLUSTER=1
    "$CLUSTER" up || die "local Galera did not come up"
fi
[[ -S $SOCK ]] || die "no socket $SOCK"
PIDFILE=$D/mysqld.pid
[[ -s $PIDFILE ]] || die "no $PIDFILE"

# --- environments: each command runs with exactly its OCF environment (env -i), no wrapper
mkdir -p "$WORK/rsctmp"
BASE=(PATH=/usr/sbin:/usr/bin:/sbin:/bin OCF_ROOT=/usr/lib/ocf
      OCF_RESKEY_CRM_meta_interval=10000 OCF_RESKEY_CRM_meta_timeout=20000)
GS_ENV=("${BASE[@]}" HA_RSCTMP="$WORK/rsctmp" OCF_RESOURCE_INSTANCE=gs-bench
        OCF_RESKEY_socket="$SOCK" OCF_RESKEY_attribute=gs-bench)
MYSQL_PARAMS=(OCF_RESKEY_binary=/usr/sbin/mariadbd OCF_RESKEY_config="$D/my.cnf"
              OCF_RESKEY_datadir="$D/data" OCF_RESKEY_pid="$PIDFILE" OCF_RESKEY_socket="$SOCK"
              OCF_RESKEY_user=mysql OCF_RESKEY_group=mysql OCF_RESKEY_log="$D/mysqld.err"
              HA_RSCTMP="$WORK/rsctmp")
MYSQL_ENV=("${BASE[@]}" OCF_RESOURCE_INSTANCE=my-bench "${MYSQL_PARAMS[@]}"
           OCF_RESKEY_client_binary=mariadb)
GALERA_ENV=("${BASE[@]}" OCF_RESOURCE_INSTANCE=ga-bench "${MYSQL_PARAMS[@]}"
            OCF_RESKEY_CRM_meta_on_node=g$N OCF_RESKEY_wsrep_cluster_address=gcomm://g1,g2,g3
            OCF_RESKEY_check_user=ocftest OCF_RESKEY_check_passwd=ocftest-pw
            "OCF_RESKEY_client_binary=mariadb --socket=$SOCK")

# --- galera-sync in its steady state: started, the value 1 published a moment ago. Seeded
# rather than produced by `start`, so the bench never talks to any attrd on this machine.
printf 'started\nvalue=1\npublished=%s\n' "$(date +%s)" \
    >"$WORK/rsctmp/galera-sync-gs-bench.state"

ORDER=(galera-sync galera mysql)
# bench NAME ENV-ARRAY-NAME PROGRAM
bench() {
    local name=$1 prog=$3
    local -n envv=$2
    env -i "${envv[@]}" "$prog" monitor >/dev/null 2>&1
    RC[$name]=$?
    env -i "${envv[@]}" hyperfine -N -i --warmup 5 --runs "$RUNS" \
        --export-json "$WORK/h-$name.json" -n "$name" "$prog monitor" >/dev/null 2>&1 \
        || die "hyperfine failed for $name"
    : >"$WORK/rss-$name"
    for _ in $(seq 20); do
        env -i "${envv[@]}" /usr/bin/time -f '%M' -a -o "$WORK/rss-$name" "$prog" monitor \
            >/dev/null 2>&1
    done
}
declare -A RC
log "hyperfine: $RUNS runs each (plus 5 warm-up), peak RSS over 20 runs"
bench galera-sync GS_ENV "$GS"
grep -q '^value=1' "$WORK/rsctmp/galera-sync-gs-bench.state" \
    || die "galera-sync does not see g$N healthy"
bench galera GALERA_ENV "$RA/galera"
bench mysql MYSQL_ENV "$RA/mysql"
log "exit codes: galera-sync ${RC[galera-sync]}, galera ${RC[galera]} (8 = Primary), mysql ${RC[mysql]}"
[[ ${RC[galera-sync]} == 0 ]] || die "galera-sync monitor returned ${RC[galera-sync]}"

python3 - "$WORK" "$RUNS" "${RC[galera-sync]}" "${RC[galera]}" "${RC[mysql]}" <<'EOF'
import json, statistics, sys
work, runs = sys.argv[1], sys.argv[2]
rcs = dict(zip(["galera-sync", "galera", "mysql"], sys.argv[3:6]))
res = {k: json.load(open(f"{work}/h-{k}.json"))["results"][0] for k in rcs}
rows = []
for k in ["galera-sync", "galera", "mysql"]:
    r = res[k]
    rss = [int(l) for l in open(f"{work}/rss-{k}") if l.strip().isdigit()]
    rows.append((k, r["median"] * 1000, (r["user"] + r["system"]) * 1000, max(rss) / 1024, rcs[k]))
print(f"galera-sync bench: {runs} runs each on one local Galera node (medians; CPU = user+sys mean)")
print(f"{'monitor':<22}{'wall ms':>9}{'cpu ms':>9}{'peak RSS MiB':>14}{'rc':>4}")
for k, wall, cpu, rss, rc in rows:
    name = {"galera-sync": "ocf:mariadb:galera-sync", "galera": "ocf:heartbeat:galera",
            "mysql": "ocf:heartbeat:mysql"}[k]
    print(f"{name:<22}{wall:>9.2f}{cpu:>9.2f}{rss:>14.1f}{rc:>4}")
gs = rows[0][1]
print(f"speed-up (wall): {rows[1][1] / gs:.1f}x vs galera, {rows[2][1] / gs:.1f}x vs mysql")
ok = gs <= 5.0 and rows[1][1] / gs >= 10
print(f"target (<= 5 ms and >= 10x faster than galera): {'met' if ok else 'NOT met'}")
sys.exit(0 if ok else 1)
EOF
