#!/usr/bin/env bash
# packaging/check-examples.sh - every crmsh (*.crm) and pcs (*.pcs) example of
# packaging/examples/, and every command block of docs/migration.md marked
# `<!-- check: ... -->`, on the real single-node Pacemaker of tests/pacemaker/single-node.sh,
# with the installed agents (/usr/lib/ocf/resource.d/mariadb: packaging/test.sh or
# tests/setup/install-agents.sh first). Root only.
#
# Each one is loaded as a user would (crm configure load update FILE / sh FILE), with these
# substitutions, and must then reach its expected state (`check: loads`: only load cleanly):
#   ip=<address> -> a 127.0.0.x address, nic=<name> -> nic=lo          (loopback only)
#   admin_password_file=... -> the MaxScale simulator's parameters     (target/release/maxscale-sim)
#   lsb:haproxy, lsb:maxscale -> ocf:heartbeat:Dummy                   (neither is installed here)
# There is no MariaDB in the root namespace, so galera-sync publishes 0 and the rule must keep
# the VIP stopped.
#
# The CIB is reset before each example and at the end; Pacemaker is started when it is not
# running, and then stopped again at the end. Output: PASS/FAIL lines and "N passed, N failed".
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
top=$(cd "$here/.." && pwd)
. "$top/tests/lib/common.sh"
. "$top/tests/pacemaker/lib.sh"
. "$top/tests/maxscale/env.sh"
need_root
need_cmd crm pcs crm_resource crm_mon attrd_updater ip curl python3

AGENT_DIR=/usr/lib/ocf/resource.d/mariadb
EXAMPLES=$here/examples
for a in vip maxscale galera-sync; do
    [[ -x $AGENT_DIR/$a ]] || die "$AGENT_DIR/$a missing (install the package, or tests/setup/install-agents.sh)"
done
if [[ ! -x ${CARGO_TARGET_DIR:-$top/target}/release/maxscale-sim ]]; then
    (cd "$top" && cargo build --release --quiet -p maxscale-sim) || die "cannot build maxscale-sim"
fi

WORK=$(mktemp -d /tmp/ocfm-examples.XXXXXX)
chmod 0755 "$WORK"
VIP=""

cleanup() {
    local rc=$?
    pcmk_reset >/dev/null 2>&1
    ms_cleanup
    unvip
    rm -rf "$WORK"
    pcmk_release
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

pcmk_acquire || die "single-node Pacemaker did not start"

on_lo() { [[ $(ip -o addr show dev lo) == *" $1/"* ]]; }
promoted() { local s; s=$(crm_mon -1 2>/dev/null | grep -A3 "$1"); [[ $s == *"Promoted: [ "* ]]; }
passive() {
    curl -s -m 2 -u admin:mariadb "http://127.0.0.1:$MS_PORT/v1/maxscale" \
        | python3 -c 'import json,sys; print(str(json.load(sys.stdin)["data"]["attributes"]["parameters"]["passive"]).lower())' 2>/dev/null
}
attr_is() { [[ $(attrd_updater -Q -n "$1" 2>/dev/null | sed -n 's/.*value="\([^"]*\)".*/\1/p') == "$2" ]]; }

# prepare FILE N: the example with the substitutions, as $PREPARED (sets VIP and MS_*)
prepare() {
    local f=$1 n=$2 sim
    VIP=127.0.0.$n
    ms_setup "$WORK/ms-$n" >/dev/null
    # three servers, as the examples name them
    sed -i 's/^servers=server1,server2$/servers=server1,server2,server3/' "$MS_DIR/maxscale.cnf"
    printf '\n[server3]\ntype=server\naddress=127.0.0.1\nport=3308\n' >>"$MS_DIR/maxscale.cnf"
    sim="binary=$MS_BINARY config=$MS_DIR/maxscale.cnf piddir=$MS_DIR/run logdir=$MS_DIR/log"
    sim+=" datadir=$MS_DIR/data cachedir=$MS_DIR/cache persistdir=$MS_DIR/persist admin_port=$MS_PORT"
    sed -E -e "s/ip=[0-9.]+/ip=$VIP/g" -e 's/nic=[A-Za-z0-9]+/nic=lo/g' \
        -e "s|admin_password_file=/etc/maxscale-admin.pw|$sim|" \
        -e 's/lsb:(haproxy|maxscale)/ocf:heartbeat:Dummy/g' "$f" >"$WORK/prepared-${f##*/}"
    PREPARED=$WORK/prepared-${f##*/}
}

# the address, whatever prefix an agent gave it, off lo
unvip() {
    local a
    [[ -n $VIP ]] || return 0
    for a in $(ip -o addr show dev lo | awk -v v="$VIP" '{split($4, p, "/"); if (p[1] == v) print $4}'); do
        ip addr del "$a" dev lo 2>/dev/null
    done
}

load() { # load FILE [lenient]: as a user would
    local f=$1 lenient=${2:-} out=$WORK/load.out
    case $f in
        *.crm) crm configure load update "$f" </dev/null >"$out" 2>&1 ;;
        *) sh -e "$f" </dev/null >"$out" 2>&1 ;;
    esac || { t_fail "loading ${f##*/} failed: $(tr '\n' ' ' <"$out")"; return 1; }
    [[ -n $lenient ]] && return 0
    # crmsh warns about missing fencing on this test cluster; anything else is worth seeing
    if grep -v -e 'Blind faith' -e '^$' "$out" | grep -i -e error -e warning >/dev/null; then
        t_fail "loading ${f##*/} printed: $(tr '\n' ' ' <"$out")"
    fi
}

expect_group() {
    wait_until 60 "maxscale_vip running" rsc_running maxscale_vip || t_fail "maxscale_vip not running"
    wait_until 60 "MaxScale running" rsc_running MaxScale || t_fail "MaxScale not running"
    assert_rc 0 on_lo "$VIP"
}
expect_promotable() {
    wait_until 60 "a promoted maxscale" promoted maxscale-clone || t_fail "no promoted instance"
    wait_until 30 "vip running" rsc_running vip || t_fail "vip not running"
    assert_eq false "$(passive)" "passive of the promoted MaxScale"
    assert_rc 0 on_lo "$VIP"
}
expect_galera_vip() {
    local rsc=$1
    wait_until 30 "galera-sync-clone running" rsc_running galera-sync-clone || t_fail "galera-sync not running"
    wait_until 30 "galera-sync attribute 0 (no MariaDB here)" attr_is galera-sync 0 \
        || t_fail "attribute galera-sync is not 0"
    sleep 3
    assert_rc 0 rsc_stopped "$rsc"
    assert_rc 1 on_lo "$VIP"
}
expect_maxscale_galera() {
    wait_until 60 "a promoted maxscale" promoted maxscale-clone || t_fail "no promoted instance"
    expect_galera_vip vip
}
expect_haproxy() {
    wait_until 30 "failover-ip running" rsc_running failover-ip || t_fail "failover-ip not running"
    wait_until 30 "haproxy (Dummy) running" rsc_running haproxy || t_fail "haproxy not running"
    assert_rc 0 on_lo "$VIP"
}

n=90
for pair in "maxscale-group:expect_group" "maxscale-promotable:expect_promotable" \
            "galera-vip:expect_galera_vip VirtualIP" "maxscale-galera:expect_maxscale_galera" \
            "haproxy-vip:expect_haproxy"; do
    name=${pair%%:*} check=${pair#*:}
    for ext in crm pcs; do
        n=$((n + 1))
        t_begin "examples/$name.$ext on a single-node Pacemaker"
        pcmk_reset >/dev/null 2>&1 || { t_fail "cannot reset the CIB"; continue; }
        prepare "$EXAMPLES/$name.$ext" "$n"
        # shellcheck disable=SC2086  # check holds a function and its arguments
        load "$PREPARED" && $check
        pcmk_reset >/dev/null 2>&1
        ms_cleanup
        unvip
        VIP=""
    done
done

# docs/migration.md: each ```sh block after a <!-- check: EXPECT --> line
DOC=$top/docs/migration.md
awk -v dir="$WORK" '
    /^<!-- check: .* -->$/ { expect = $0; sub(/^<!-- check: /, "", expect); sub(/ -->$/, "", expect); next }
    expect != "" && /^```sh$/ { n++; file = sprintf("%s/doc-%02d.sh", dir, n); printf "%s\t%s\n", file, expect; inblock = 1; next }
    inblock && /^```$/ { inblock = 0; expect = ""; close(file); next }
    inblock { print > file }
' "$DOC" >"$WORK/doc-blocks"
[[ -s $WORK/doc-blocks ]] || { t_begin "docs/migration.md has checked blocks"; t_fail "no <!-- check: --> blocks found"; }
while IFS=$'\t' read -r f check; do
    n=$((n + 1))
    line=$(head -1 "$f")
    t_begin "docs/migration.md block ${f##*/doc-} (${line:0:60}...) [$check]"
    pcmk_reset >/dev/null 2>&1 || { t_fail "cannot reset the CIB"; continue; }
    prepare "$f" "$n"
    if [[ $check == loads ]]; then
        load "$PREPARED" lenient
    else
        # shellcheck disable=SC2086  # check holds a function and its arguments
        load "$PREPARED" && $check
    fi
    pcmk_reset >/dev/null 2>&1
    ms_cleanup
    unvip
    VIP=""
done <"$WORK/doc-blocks"
t_summary
