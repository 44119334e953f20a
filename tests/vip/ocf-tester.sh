#!/usr/bin/env bash
# tests/vip/ocf-tester.sh - resource-agents' ocf-tester and Pacemaker's crm_resource --validate
# on ocf:mariadb:vip, inside throw-away network namespaces (never the root namespace).
#
#   * builds the agent (release) and installs it at /usr/lib/ocf/resource.d/mariadb/vip
#     (ocf-tester runs meta-data as user nobody, so it must live on a world-readable path);
#   * namespace A (eth0 10.201.0.1/24, fd00:201::1/64) <-veth-> namespace B (.2, ::2);
#   * ocf-tester -v on IPv4 (ip=10.201.0.50 cidr_netmask=24 nic=eth0) and on IPv6
#     (ip=fd00:201::50 cidr_netmask=64 nic=eth0), run in A;
#   * crm_resource --validate --class ocf --provider mariadb --agent vip with good and bad input,
#     run in A, checking the exit codes (0, 6, 5) and the exit reasons (also for an ip that is
#     its subnet's network or broadcast address, with the prefix configured or found on eth0).
# Exits non-zero if anything fails; the namespaces are removed in every case.
# VERBOSE=1 prints ocf-tester's whole output (it is always printed on failure).
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
need_root
need_cmd ip ocf-tester crm_resource xmllint cargo

AGENT_DIR=${OCF_AGENT_DIR:-/usr/lib/ocf/resource.d/mariadb}
AGENT=$AGENT_DIR/vip
NS_A=vipot$$a
NS_B=vipot$$b

cleanup() {
    netns_destroy "$NS_A" "$NS_B"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building and installing the vip agent at $AGENT"
(cd "$top" && cargo build --release --quiet -p vip) || die "build failed"
install -d -m 0755 "$AGENT_DIR"
install -m 0755 "${CARGO_TARGET_DIR:-$top/target}/release/vip" "$AGENT"

log "namespaces $NS_A <-> $NS_B"
ip netns add "$NS_A" && ip netns add "$NS_B" || die "cannot create namespaces"
ip -n "$NS_A" link add eth0 type veth peer name eth0 netns "$NS_B" || die "veth"
for ns in "$NS_A" "$NS_B"; do
    ip -n "$ns" link set lo up && ip -n "$ns" link set eth0 up || die "link up"
done
ip -n "$NS_A" addr add 10.201.0.1/24 dev eth0
ip -n "$NS_B" addr add 10.201.0.2/24 dev eth0
ip -n "$NS_A" addr add fd00:201::1/64 dev eth0 nodad
ip -n "$NS_B" addr add fd00:201::2/64 dev eth0 nodad

in_a() { ip netns exec "$NS_A" "$@"; }

# ocf-tester must pass, and leave nothing behind.
tester() {
    local name=$1 vip=$2; shift 2
    t_begin "ocf-tester $name"
    local out rc=0
    out=$(in_a ocf-tester -v -n vip-test "$@" "$AGENT" 2>&1) || rc=$?
    assert_ocf_tester "$rc" "$out" || return
    if ip -n "$NS_A" -o addr show | grep " ${vip}/" >/dev/null; then
        t_fail "$vip still configured after ocf-tester"
    fi
}
tester ipv4 10.201.0.50 -o ip=10.201.0.50 -o cidr_netmask=24 -o nic=eth0
tester ipv6 fd00:201::50 -o ip=fd00:201::50 -o cidr_netmask=64 -o nic=eth0
tester "ipv4, nic detected" 10.201.0.50 -o ip=10.201.0.50

# crm_resource --validate CODE REASON-SUBSTRING OPTION...
validate() {
    local want=$1 reason=$2; shift 2
    local args=() o
    for o in "$@"; do args+=(--option "$o"); done
    t_begin "crm_resource --validate $* -> $want"
    local out rc=0
    out=$(in_a crm_resource --validate --class ocf --provider mariadb --agent vip \
        "${args[@]}" 2>&1) || rc=$?
    if ! assert_eq "$want" "$rc" "exit code"; then
        printf '%s\n' "$out" | sed 's/^/    /'
        return
    fi
    if [[ -n $reason ]] && ! grep -qF -- "$reason" <<<"$out"; then
        printf '%s\n' "$out" | sed 's/^/    /'
        t_fail "output lacks '$reason'"
    fi
}
validate 0 "" ip=10.201.0.50 cidr_netmask=24 nic=eth0
validate 0 "" ip=10.201.0.50
validate 0 "" ip=fd00:201::50 cidr_netmask=64
validate 0 "" ip=10.201.0.50 cidr_netmask=255.255.255.0 iflabel=vip broadcast=+
validate 6 "must be an IPv4 or IPv6 address" ip=10.201.0.300
validate 6 "required parameter 'ip'" cidr_netmask=24
validate 6 "out of range" ip=10.201.0.50 cidr_netmask=33
validate 6 "IPv4 addresses only" ip=fd00:201::50 broadcast=10.201.0.255
validate 6 "the kernel allows 15" ip=10.201.0.50 nic=eth0 iflabel=much-too-long
validate 6 "'arp_count'" ip=10.201.0.50 arp_count=many
validate 6 "broadcast address of its subnet /24" ip=10.201.0.255 cidr_netmask=24
validate 6 "network address of its subnet /24" ip=10.201.0.0 nic=eth0
validate 5 "interface 'eth7' does not exist" ip=10.201.0.50 nic=eth7
validate 5 "no interface on this node" ip=10.99.0.50

t_summary
