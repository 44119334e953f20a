# shellcheck shell=bash
# tests/lab/lib/env.sh - constants and small helpers of the lab, sourced by tests/lab/lab,
# the scenarios and the benchmark.  Needs tests/lib/common.sh first.
#
# Topology (all addresses live only inside namespaces this lab creates):
#
#   netns lab-sw   bridge br0 with ports p1 p2 p3 pc          (the "switch": `lab cut nN` = pN down)
#   netns lab-n1   eth0 10.200.0.1/24  <-veth-> p1            cluster node n1 (also mount + UTS ns)
#   netns lab-n2   eth0 10.200.0.2/24  <-veth-> p2            cluster node n2
#   netns lab-n3   eth0 10.200.0.3/24  <-veth-> p3            cluster node n3
#   netns lab-cl   eth0 10.200.0.10/24 <-veth-> pc            client
#   VIP 10.200.0.100/24 on the eth0 of the node that holds it

LAB_HOME=${LAB_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TOP=${TOP:-$(cd "$LAB_HOME/../.." && pwd)}
LAB=${LAB_STATE:-$OCFM_STATE/lab}          # run state (default /tmp/ocf-mariadb/lab)
NSP=${LAB_PREFIX:-lab}                     # network namespace names: lab-sw lab-n1.. lab-cl
NODES=(n1 n2 n3)
NET=10.200.0
VIP=$NET.100
CLIENT_IP=$NET.10
SW=$NSP-sw
CL=$NSP-cl
NSDIR=$LAB/ns                              # persistent mount/UTS namespace files
CG_ROOT=/sys/fs/cgroup/pids
OCF_MARIADB=/usr/lib/ocf/resource.d/mariadb
PY=/usr/bin/python3                        # Debian's python (python3 on PATH may be a pyenv shim)
LAB_PW=lab                                 # password of the MariaDB user `lab` (probes, exhaust)
MXS_DB_PW=maxscale                         # password of the MariaDB user `maxscale` (monitor, service)
MAXSCALE_PORT=4006
DAEMON_PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8

node_idx() { echo "${1#n}"; }
node_ip() { echo "$NET.$(node_idx "$1")"; }
node_dir() { echo "$LAB/$1"; }
node_cg() { echo "$CG_ROOT/ocf-mariadb-lab-$1"; }
is_node() { [[ $1 =~ ^n[1-3]$ ]]; }
need_node() { is_node "${1:-}" || die "not a node: '${1:-}' (n1, n2 or n3)"; }

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
# cgroup, without CAP_SYS_BOOT in its bounding set (run_guarded checks CapBnd bit 22).
node_daemon() {
    local n=$1 name=$2; shift 2
    local d; d=$(node_dir "$n")
    local cg=() ; [[ -d $(node_cg "$n") ]] && cg=(-c "$(node_cg "$n")")
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
