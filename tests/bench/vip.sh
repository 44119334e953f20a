#!/usr/bin/env bash
# tests/bench/vip.sh [RUNS] - one run, one address, one namespace:
#   ocf:mariadb:vip monitor   vs   ocf:heartbeat:IPaddr2 monitor
# Both agents get the same environment (their parameters share names): ip=10.201.0.50
# cidr_netmask=24 nic=eth0, a recurring monitor (interval 10 s, timeout 20 s), the address
# present on eth0 (so both answer 0). Each agent is run directly, as Pacemaker's execd would
# (one process per monitor): hyperfine -N, RUNS runs (default 200) after 20 warm-ups, gives the
# median wall time and the mean CPU time (user+sys, children included); GNU time over 20 runs
# gives the peak RSS (largest process); one run under strace -f counts the child processes
# (fork/vfork/clone without CLONE_THREAD) and the programs executed.
# Prints a table and the ratios; the targets are vip <= 1 ms median and >= 20x faster. /bin/true
# is timed too: the cost of starting any process on this machine (the floor under every agent).
#
# VIP_BIN=/path/to/vip measures that binary instead of building target/release/vip (e.g. a
# statically linked build: cargo rustc --release -p vip --bin vip -- -C target-feature=+crt-static).
#
# Runs in its own namespace pair (vipb<pid>a <-veth-> vipb<pid>b), removed on exit; needs root.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
need_root
need_cmd ip hyperfine strace python3 cargo
[[ -x /usr/bin/time ]] || die "GNU time missing (apt-get install time)"

RUNS=${1:-200}
IPADDR2=/usr/lib/ocf/resource.d/heartbeat/IPaddr2
[[ -x $IPADDR2 ]] || die "$IPADDR2 missing (apt-get install resource-agents)"
NS=vipb$$a
PEER=vipb$$b
WORK=$(mktemp -d /tmp/ocfm-bench-vip.XXXXXX)

cleanup() {
    netns_destroy "$NS" "$PEER"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n ${VIP_BIN:-} ]]; then
    VIP=$VIP_BIN
else
    log "building vip (release)"
    (cd "$top" && cargo build --release --quiet -p vip) || die "build failed"
    VIP=${CARGO_TARGET_DIR:-$top/target}/release/vip
fi
[[ -x $VIP ]] || die "no agent binary $VIP"

ip netns add "$NS" && ip netns add "$PEER" || die "cannot create namespaces"
ip -n "$NS" link add eth0 type veth peer name eth0 netns "$PEER" || die "veth"
for ns in "$NS" "$PEER"; do ip -n "$ns" link set lo up; ip -n "$ns" link set eth0 up; done
ip -n "$NS" addr add 10.201.0.1/24 dev eth0
ip -n "$PEER" addr add 10.201.0.2/24 dev eth0

export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=bench-vip \
    OCF_RESKEY_CRM_meta_interval=10000 OCF_RESKEY_CRM_meta_timeout=20000 \
    OCF_RESKEY_ip=10.201.0.50 OCF_RESKEY_cidr_netmask=24 OCF_RESKEY_nic=eth0 \
    HA_RSCTMP="$WORK/rsctmp"
mkdir -p "$HA_RSCTMP"
in_ns() { ip netns exec "$NS" "$@"; }

OCF_RESKEY_arp_count=0 in_ns "$VIP" start || die "vip start failed"
for a in "$VIP" "$IPADDR2"; do
    rc=0; in_ns "$a" monitor 2>/dev/null || rc=$?
    [[ $rc -eq 0 ]] || die "$(basename "$a") monitor returned $rc, expected 0"
done

log "hyperfine: $RUNS runs each"
in_ns hyperfine -N --style none --warmup 20 --runs "$RUNS" --export-json "$WORK/h.json" \
    -n vip "$VIP monitor" -n IPaddr2 "$IPADDR2 monitor" -n true /bin/true \
    >/dev/null 2>"$WORK/h.err" \
    || { cat "$WORK/h.err" >&2; die "hyperfine failed"; }

peak_rss_kib() { # CMD... -> max RSS over 20 runs, KiB
    local max=0 i r
    for i in $(seq 20); do
        r=$(in_ns /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1)
        [[ $r =~ ^[0-9]+$ ]] && (( r > max )) && max=$r
    done
    echo "$max"
}
children() { # NAME CMD... -> "processes execs" from one run under strace -f
    local f=$WORK/$1.strace; shift
    in_ns strace "${STRACE_FORKS[@]}" -o "$f" "$@" >/dev/null 2>&1
    strace_forks "$f"
}

log "peak RSS and child processes"
rss_vip=$(peak_rss_kib "$VIP" monitor)
rss_ip2=$(peak_rss_kib "$IPADDR2" monitor)
read -r procs_vip execs_vip < <(children vip "$VIP" monitor)
read -r procs_ip2 execs_ip2 < <(children ipaddr2 "$IPADDR2" monitor)
in_ns "$VIP" stop >/dev/null 2>&1

python3 - "$WORK/h.json" "$rss_vip" "$rss_ip2" "$procs_vip" "$execs_vip" "$procs_ip2" "$execs_ip2" "$RUNS" <<'EOF'
import json, sys
data = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rss = {"vip": int(sys.argv[2]), "IPaddr2": int(sys.argv[3])}
procs = {"vip": (sys.argv[4], sys.argv[5]), "IPaddr2": (sys.argv[6], sys.argv[7])}
runs = sys.argv[8]
def ms(s): return f"{s * 1000:.2f} ms"
print()
print(f"monitor of 10.201.0.50/24 on eth0 in a namespace, {runs} runs each (hyperfine -N, 20 warm-ups)")
print()
print("| agent | median wall | mean wall ± σ | CPU user+sys (mean) | child processes | programs executed | peak RSS |")
print("|---|---|---|---|---|---|---|")
for name, label in (("vip", "ocf:mariadb:vip monitor"), ("IPaddr2", "ocf:heartbeat:IPaddr2 monitor")):
    r = data[name]
    cpu = r["user"] + r["system"]
    p, e = procs[name]
    print(f"| {label} | {ms(r['median'])} | {ms(r['mean'])} ± {ms(r['stddev'])} | {ms(cpu)} | {p} | {e} | {rss[name] / 1024:.1f} MiB |")
t = data["true"]
print(f"| (exec floor: /bin/true) | {ms(t['median'])} | {ms(t['mean'])} ± {ms(t['stddev'])} | {ms(t['user'] + t['system'])} | 0 | 1 | |")
v, i = data["vip"], data["IPaddr2"]
wall = i["median"] / v["median"]
cpu = (i["user"] + i["system"]) / max(v["user"] + v["system"], 1e-9)
print()
print(f"ratio IPaddr2 / vip: median wall {wall:.0f}x, CPU {cpu:.0f}x, peak RSS {rss['IPaddr2'] / max(rss['vip'], 1):.1f}x")
ok_ms = v["median"] <= 0.001
ok_x = wall >= 20
print(f"target vip median <= 1 ms: {'met' if ok_ms else 'MISSED'} ({ms(v['median'])}); "
      f">= 20x faster: {'met' if ok_x else 'MISSED'} ({wall:.0f}x)")
EOF
