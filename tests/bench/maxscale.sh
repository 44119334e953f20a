#!/usr/bin/env bash
# tests/bench/maxscale.sh [RUNS] - one run, one simulated MaxScale:
#   ocf:mariadb:maxscale monitor at OCF_CHECK_LEVEL 0, 10 and 20
#   vs the seeds' Keepalived check (maxping.sh's idea, with curl instead of maxctrl):
#     timeout 2s curl -s -u admin:mariadb http://127.0.0.1:PORT/v1/servers | grep -q 'Running'
# The agent runs as Pacemaker's execd would (one process per monitor, recurring: interval 10 s,
# timeout 20 s); the seed check runs as a bash script (as maxping.sh is one).
# hyperfine -N, RUNS runs each (default 200) after 20 warm-ups: median wall, mean CPU
# (user+sys, children included); GNU time over 20 runs: peak RSS (largest process).
# Also times keepalived-check (the same binary as a vrrp_script).
# Target: depth 10 median <= 6 ms. MAXSCALE_BIN=/path/to/maxscale benchmarks a real MaxScale.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
. "$here/../maxscale/env.sh"
need_root
need_cmd hyperfine curl python3 cargo timeout
[[ -x /usr/bin/time ]] || die "GNU time missing (apt-get install time)"

RUNS=${1:-200}
WORK=$(mktemp -d /tmp/ocfm-bench-ms.XXXXXX)
chmod 0755 "$WORK"
trap 'ms_cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building maxscale and maxscale-sim (release)"
(cd "$top" && cargo build --release --quiet -p maxscale -p maxscale-sim) || die "build failed"
AGENT=${CARGO_TARGET_DIR:-$top/target}/release/maxscale

ms_setup "$WORK/ms"
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=bench-ms \
    OCF_RESKEY_CRM_meta_interval=10000 OCF_RESKEY_CRM_meta_timeout=20000
"$AGENT" start 2>/dev/null || die "maxscale start failed"

SEED=$WORK/seed-check.sh
cat >"$SEED" <<EOS
#!/bin/bash
timeout 2s curl -s -u admin:mariadb http://127.0.0.1:$MS_PORT/v1/servers | grep -q 'Running'  # sigpipe-ok: the seed's own line, run without pipefail
EOS
chmod 0755 "$SEED"
PARAMS=$WORK/params.conf
env | sed -n 's/^OCF_RESKEY_\([a-z_]*\)=/\1=/p' >"$PARAMS"

for l in 0 10 20; do
    rc=0; OCF_CHECK_LEVEL=$l "$AGENT" monitor 2>/dev/null || rc=$?
    [[ $rc -eq 0 ]] || die "monitor at depth $l returned $rc"
done
"$SEED" || die "the seed check failed"
"$AGENT" keepalived-check --params "$PARAMS" || die "keepalived-check failed"

log "hyperfine: $RUNS runs each"
bench() { # NAME DEPTH CMD... (OCF_CHECK_LEVEL exported, so no `env` process is timed)
    local name=$1 depth=$2; shift 2
    OCF_CHECK_LEVEL=$depth hyperfine -N --style none --warmup 20 --runs "$RUNS" \
        --export-json "$WORK/$name.json" -n "$name" "$*" >/dev/null 2>"$WORK/h.err" \
        || { cat "$WORK/h.err" >&2; die "hyperfine failed for $name"; }
}
bench depth0 0 "$AGENT" monitor
bench depth10 10 "$AGENT" monitor
bench depth20 20 "$AGENT" monitor
bench keepalived 20 "$AGENT" keepalived-check --params "$PARAMS"
bench seed 10 "$SEED"

peak_rss_kib() { # CMD... -> max RSS over 20 runs, KiB
    local max=0 i r
    for i in $(seq 20); do
        r=$(/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1)
        [[ $r =~ ^[0-9]+$ ]] && (( r > max )) && max=$r
    done
    echo "$max"
}
log "peak RSS"
rss0=$(OCF_CHECK_LEVEL=0 peak_rss_kib "$AGENT" monitor)
rss10=$(OCF_CHECK_LEVEL=10 peak_rss_kib "$AGENT" monitor)
rss20=$(OCF_CHECK_LEVEL=20 peak_rss_kib "$AGENT" monitor)
rssk=$(peak_rss_kib "$AGENT" keepalived-check --params "$PARAMS")
rsss=$(peak_rss_kib "$SEED")
"$AGENT" stop >/dev/null 2>&1

python3 - "$WORK" "$RUNS" "$rss0" "$rss10" "$rss20" "$rssk" "$rsss" "$(basename "$MS_BINARY")" <<'PY'
import json, sys
data = {}
for k in ["depth0", "depth10", "depth20", "keepalived", "seed"]:
    r = json.load(open(f"{sys.argv[1]}/{k}.json"))["results"][0]
    data[k] = r
runs = sys.argv[2]
rss = dict(zip(["depth0", "depth10", "depth20", "keepalived", "seed"], map(int, sys.argv[3:8])))
target = sys.argv[8]
labels = {
    "depth0": "maxscale monitor, depth 0 (pid file + /proc)",
    "depth10": "maxscale monitor, depth 10 (+ GET /v1/maxscale)",
    "depth20": "maxscale monitor, depth 20 (+ /v1/servers, /v1/monitors)",
    "keepalived": "maxscale keepalived-check (depth 20)",
    "seed": "seed check: timeout 2s curl /v1/servers \\| grep -q Running (bash script)",  # sigpipe-ok: a label
}
def ms(s): return f"{s * 1000:.2f} ms"
print()
print(f"against {target}, {runs} runs each (hyperfine -N, 20 warm-ups)")
print()
print("| check | median wall | mean wall ± σ | CPU user+sys (mean) | peak RSS |")
print("|---|---|---|---|---|")
for k, label in labels.items():
    r = data[k]
    print(f"| {label} | {ms(r['median'])} | {ms(r['mean'])} ± {ms(r['stddev'])} | {ms(r['user'] + r['system'])} | {rss[k] / 1024:.1f} MiB |")
d10, seed = data["depth10"], data["seed"]
print()
print(f"seed check / depth 10: median wall {seed['median'] / d10['median']:.1f}x, "
      f"CPU {(seed['user'] + seed['system']) / max(d10['user'] + d10['system'], 1e-9):.1f}x")
print(f"target depth 10 median <= 6 ms: {'met' if d10['median'] <= 0.006 else 'MISSED'} ({ms(d10['median'])})")
PY
