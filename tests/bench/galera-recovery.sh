#!/usr/bin/env bash
# tests/bench/galera-recovery.sh [RUNS] - the whole-cluster recovery table of issue 12 (a
# benchmark, not a timed test): lab scenario j2 (kill -9 of every mariadbd while a client
# commits) RUNS times (default 5) against ocf:mariadb:galera, then RUNS times against
# ocf:heartbeat:galera, on the same lab. A run's figure: from the kill until every node is
# Promoted and Synced and a client's query through the VIP reaches a Synced node; a run that
# did not recover within the scenario's bound (300 s; 240 s for the anchor) or lost an
# acknowledged commit counts as a failure. Uses a running lab if there is one (and leaves it
# up), else brings one up and takes it down. Output: the table on stdout, also written to
# $OCFM_STATE/galera-recovery-table.md.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
TOP=$(cd "$here/../.." && pwd)
LOG_TAG=bench-galera-recovery
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lab/lib/env.sh"
need_root

RUNS=${1:-${BENCH_RUNS:-5}}
OUT=$OCFM_STATE/galera-recovery-table.md
CLOG=$OCFM_STATE/galera-recovery.rows
rm -f "$CLOG"
brought_up=0
if ! lab_is_up || ! lab_all_alive; then
    lab_is_up && "$TOP/tests/lab/lab" down
    LAB_SETUP=none "$TOP/tests/lab/lab" up >/dev/null || die "lab up failed"
    brought_up=1
fi
trap '(( brought_up )) && "$TOP/tests/lab/lab" down' EXIT

# all runs of one setup, then the other's: one `lab configure` each (a healthy setup is reused)
for setup in galera galera-ra; do
    for ((i = 1; i <= RUNS; i++)); do
        log "$setup: run $i of $RUNS"
        out=$OCFM_STATE/galera-recovery-$setup-$i.log
        COMPARE_SETUPS=$setup COMPARE_LOG=$CLOG "$TOP/tests/lab/run-scenarios.sh" j2 >"$out" 2>&1 ||
            log "$setup run $i: scenario j2 failed (see $out)"
        sed -n '/^   '"$setup"' /p' "$out"
    done
done

# rows: DATE SCRIPT SETUP ok|FAIL SECONDS
"$PY" - "$CLOG" "$RUNS" <<'EOF' | tee "$OUT"
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
runs = int(sys.argv[2])
print(f"Whole-cluster recovery (lab scenario j2: kill -9 of every mariadbd while a client commits), {runs} runs each, one lab\n")
print("| agent | runs | recovered | failed | median | mean | min | max |")
print("|---|---|---|---|---|---|---|---|")
med = {}
for setup, name in (("galera", "ocf:mariadb:galera"), ("galera-ra", "ocf:heartbeat:galera")):
    mine = [r for r in rows if r[2] == setup]
    ok = [float(r[4]) for r in mine if r[3] == "ok" and r[4] != "-"]
    f = lambda v: f"{v:.1f} s"
    if ok:
        med[setup] = statistics.median(ok)
        print(f"| {name} | {len(mine)} | {len(ok)} | {len(mine) - len(ok)} | {f(med[setup])} | {f(statistics.mean(ok))} | {f(min(ok))} | {f(max(ok))} |")
    else:
        print(f"| {name} | {len(mine)} | 0 | {len(mine)} | - | - | - | - |")
if "galera" in med and "galera-ra" in med:
    r = med["galera"] / med["galera-ra"]
    print(f"\nours / anchor (medians of the recovered runs): {r:.2f} (target: at most 0.5)")
EOF
