# shellcheck shell=bash
# tests/lab/lib/env.sh - constants and small helpers of the lab, sourced by tests/lab/lab,
# the scenarios and the benchmark.  Needs tests/lib/common.sh first.
#
# Topology (all addresses live only inside namespaces this lab creates):
#
#   netns lab-sw   the "switch": bridge br0 (client network) with ports p1..pN and pc,
#                  bridge br1 (cluster ring) with ports r1..rN
#   netns lab-nK   eth0 10.200.0.K/24 <-veth-> pK   client network: VIP, MaxScale, Galera
#                  eth1 10.201.0.K/24 <-veth-> rK   the ring: Corosync's only knet link
#   netns lab-cl   eth0 10.200.0.10/24 <-veth-> pc  client
#   VIP 10.200.0.100/24 on the eth0 of the node that holds it
#
#   `lab cut nK` = pK and rK down, `lab partition nK` = rK down, power off = both down
#   (the host-side switch, tests/fence-lab, keeps the ports, the power and the journal).

LAB_HOME=${LAB_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TOP=${TOP:-$(cd "$LAB_HOME/../.." && pwd)}
LAB=${LAB_STATE:-$OCFM_STATE/lab}          # run state (default /tmp/ocf-mariadb/lab)
NSP=${LAB_PREFIX:-lab}                     # network namespace names: lab-sw lab-n1.. lab-cl
# NODES=5 lab up: five nodes (2 to 9; two: corosync two_node); a running lab remembers its node list
_lab_nodes=${NODES:-}
if [[ -s $LAB/nodes ]]; then
    read -r -a NODES <"$LAB/nodes"
else
    [[ $_lab_nodes =~ ^[2-9]$ ]] || _lab_nodes=3
    NODES=()
    for ((_i = 1; _i <= _lab_nodes; _i++)); do NODES+=("n$_i"); done
fi
unset _lab_nodes _i
NET=10.200.0
RING=10.201.0
VIP=$NET.100
CLIENT_IP=$NET.10
SW=$NSP-sw
CL=$NSP-cl
NSDIR=$LAB/ns                              # persistent mount/UTS namespace files
CG_ROOT=/sys/fs/cgroup/pids
FREEZER_ROOT=/sys/fs/cgroup/freezer
SWITCH_DIR=$LAB/switch                     # the power switch: config, state, journal, its output
POWER_DIR=$LAB/power                       # its socket; bind-mounted at /var/lib/fence_lab in every node
SWITCH_SOCK=$POWER_DIR/switch.sock
JOURNAL=$SWITCH_DIR/journal
OCF_MARIADB=/usr/lib/ocf/resource.d/mariadb
PY=/usr/bin/python3                        # Debian's python (python3 on PATH may be a pyenv shim)
LAB_PW=lab                                 # password of the MariaDB user `lab` (probes, exhaust)
MXS_DB_PW=maxscale                         # password of the MariaDB user `maxscale` (monitor, service)
MAXSCALE_PORT=4006
DAEMON_PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8

node_idx() { echo "${1#n}"; }
node_ip() { echo "$NET.$(node_idx "$1")"; }
node_ring_ip() { echo "$RING.$(node_idx "$1")"; }
node_dir() { echo "$LAB/$1"; }
node_cg() { echo "$CG_ROOT/ocf-mariadb-lab-$1"; }
node_freezer() { echo "$FREEZER_ROOT/ocf-mariadb-lab-$1"; }
# the cgroups a process of the node joins (those that exist on this machine)
node_cgroups() { local c; for c in "$(node_cg "$1")" "$(node_freezer "$1")"; do [[ -d $c ]] && echo "$c"; done; return 0; }
is_node() { [[ " ${NODES[*]} " == *" ${1:-} "* ]]; }
need_node() { is_node "${1:-}" || die "not a node: '${1:-}' (${NODES[*]})"; }
# powered off at the lab's switch (crash, fence without the boot, or a failed boot)
node_is_off() { grep -x "node $1 power=off.*" "$SWITCH_DIR/state" >/dev/null 2>&1; }

# in_node NODE CMD... : run CMD inside the node's network, mount and UTS namespaces
in_node() {
    local n=$1; shift
    nsenter --net="/run/netns/$NSP-$n" --mount="$NSDIR/$n.mnt" --uts="$NSDIR/$n.uts" -- "$@"
}

# in_node_env NODE CMD... : same, with the clean environment the daemons get
in_node_env() {
    local n=$1; shift
    in_node "$n" env -i PATH="$DAEMON_PATH" LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=/root "$@"
}

in_client() { nsenter --net="/run/netns/$CL" -- "$@"; }

# node_daemon NODE NAME CMD... : start a daemon inside NODE, detached, recorded in
# $LAB/NODE/NAME.pid (its real pid), logging to $LAB/NODE/NAME.out, in the node's pids
# cgroups (pids and freezer: the switch's power-off empties them), without CAP_SYS_BOOT in its bounding set (run_guarded checks CapBnd bit 22).
node_daemon() {
    local n=$1 name=$2; shift 2
    local d c cg=(); d=$(node_dir "$n")
    for c in $(node_cgroups "$n"); do cg+=(-c "$c"); done
    run_guarded "${cg[@]}" -l "$d/$name.out" "$d/$name.pid" -- \
        nsenter --net="/run/netns/$NSP-$n" --mount="$NSDIR/$n.mnt" --uts="$NSDIR/$n.uts" -- \
        env -i PATH="$DAEMON_PATH" LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=/root "$@" 2>&1 \
        | sed "s/started nsenter pid/started $name on $n, pid/" >&2
    [[ -s $d/$name.pid ]]
}

# pid of a process recorded by node_daemon, or fail
node_daemon_pid() { pidfile_pid "$(node_dir "$1")/$2.pid"; }

# is PID inside the network namespace NS (lab-n1, lab-cl, ...)?
pid_in_netns() {
    local ino
    ino=$(stat -L -c %i "/run/netns/$2" 2>/dev/null) || return 1
    [[ $(readlink "/proc/$1/ns/net" 2>/dev/null) == "net:[$ino]" ]]
}
pid_in_node() { pid_in_netns "$1" "$NSP-$2"; }

# the switch and the fence agent (tests/fence-lab): the copies `lab up` made, else the build's
fence_lab_bin() {
    if [[ -x $LAB/bin/$1 ]]; then echo "$LAB/bin/$1"; else echo "${CARGO_TARGET_DIR:-$TOP/target}/release/$1"; fi
}

# the switch's journal since EPOCH (default: all), one line per operation
journal_since() { awk -v t="${1:-0}" '{ for (i = 1; i <= NF; i++) if ($i ~ /^t=/) { if (substr($i, 3) + 0 >= t) print; break } }' "$JOURNAL" 2>/dev/null; }

# lab_save_logs DEST: the nodes' daemon, Pacemaker, corosync, mariadbd and MaxScale logs and the
# switch's journal, copied to DEST (outside $LAB, which `lab down` removes)
lab_save_logs() {
    local dest=$1 n
    rm -rf "$dest"; mkdir -p "$dest"
    for n in "${NODES[@]}"; do
        mkdir -p "$dest/$n"
        cp -a "$LAB/$n"/*.out "$LAB/$n"/pacemaker-log "$LAB/$n"/corosync-log "$LAB/$n"/mysql-log "$dest/$n/" 2>/dev/null || true
        cp -a "$LAB/$n"/var.upper/log/maxscale "$dest/$n/" 2>/dev/null || true
    done
    cp -a "$LAB"/*.out "$dest/" 2>/dev/null || true
    cp -a "$SWITCH_DIR" "$dest/switch" 2>/dev/null || true
}

lab_is_up() { [[ -e $LAB/up ]]; }
need_up() { lab_is_up || die "the lab is not up (run: tests/lab/lab up)"; }
# The up marker lives in /tmp and outlives a reboot or a killed lab; only running daemons count.
lab_all_alive() {
    local n p
    for n in "${NODES[@]}"; do
        for p in corosync pacemakerd; do node_daemon_pid "$n" "$p" >/dev/null || return 1; done
    done
}

# agents of this project installed and answering meta-data?
agent_ok() {
    local a=$OCF_MARIADB/$1
    [[ -x $a ]] || return 1
    OCF_ROOT=/usr/lib/ocf timeout 10 "$a" meta-data 2>/dev/null | grep '<resource-agent' >/dev/null
}
agents_ok() { local a; for a in "$@"; do agent_ok "$a" || return 1; done; }
