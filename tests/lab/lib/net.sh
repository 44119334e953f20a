# shellcheck shell=bash
# tests/lab/lib/net.sh - network namespaces (switch, nodes, client) and the nodes' private
# file systems (mount + UTS namespaces).
#
# Each node nN gets, inside a persistent mount namespace ($LAB/ns/nN.mnt, on a private bind
# mount like `ip netns` does for /run/netns) and UTS namespace (hostname nN):
#   /etc /var /usr   overlays on the host's (writes go to $LAB/nN/{etc,var,usr}.upper), so a node
#                    has its own /etc/hosts, /etc/maxscale.cnf, /etc/keepalived, /usr/bin/maxscale,
#                    /var/lib/maxscale ... exactly where a real host has them, and nothing a node
#                    writes reaches the host
#   clean bind mounts of $LAB/nN/... on /etc/corosync /var/lib/pacemaker /var/log/pacemaker
#                    /var/log/corosync /var/lib/corosync /var/lib/mysql /var/log/mysql /run
#                    (nothing of the host's shows through there: its CIB, its corosync.conf)
#   a private tmpfs on /dev/shm (libqb's ring buffers: each node's crm_mon talks to its own
#                    daemons) and a sysfs of the node's netns on /sys
#   /dev/null over /proc/sysrq-trigger; the switch's socket directory on /var/lib/fence_lab

net_up() {
    local n
    log "namespaces: switch $SW, nodes ${NODES[*]/#/$NSP-}, client $CL (clients $NET.0/24, VIP $VIP; ring $RING.0/24)"
    ip netns add "$SW"
    ip -n "$SW" link set lo up
    # br0: the client network (VIP, MaxScale, Galera); br1: the cluster ring (Corosync only)
    ip -n "$SW" link add br0 type bridge stp_state 0 mcast_snooping 0
    ip -n "$SW" link add br1 type bridge stp_state 0 mcast_snooping 0
    ip -n "$SW" link set br0 up
    ip -n "$SW" link set br1 up
    for n in "${NODES[@]}" cl; do
        local ns=$NSP-$n port=p${n#n} addr
        if [[ $n == cl ]]; then ns=$CL; port=pc; addr=$CLIENT_IP; else addr=$(node_ip "$n"); fi
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # created inside the switch namespace, the peer goes straight into the node's:
        # nothing ever appears in the root namespace
        ip -n "$SW" link add "$port" type veth peer name eth0 netns "$ns"
        ip -n "$SW" link set "$port" master br0
        ip -n "$SW" link set "$port" up
        ip -n "$ns" addr add "$addr/24" dev eth0
        ip -n "$ns" link set eth0 up
        [[ $n == cl ]] && continue
        ip -n "$SW" link add "r${n#n}" type veth peer name eth1 netns "$ns"
        ip -n "$SW" link set "r${n#n}" master br1
        ip -n "$SW" link set "r${n#n}" up
        ip -n "$ns" addr add "$(node_ring_ip "$n")/24" dev eth1
        ip -n "$ns" link set eth1 up
    done
}

# the node's private files, its mount + UTS namespace, hostname
node_fs_up() {
    local n=$1 d; d=$(node_dir "$n")
    mkdir -p "$d"/{etc,var,usr}.{upper,work} "$d"/{corosync,pacemaker,corosync-lib,pacemaker-log,corosync-log,mysql,mysql-log,run}
    chown hacluster:haclient "$d/pacemaker" "$d/pacemaker-log"
    chmod 0750 "$d/pacemaker"; chmod 0770 "$d/pacemaker-log"
    install -d -o hacluster -g haclient -m 0750 "$d/pacemaker"/{cib,pengine,blackbox,cores}
    chown mysql:mysql "$d/mysql"; chmod 0755 "$d/mysql"
    chown mysql:adm "$d/mysql-log"; chmod 2750 "$d/mysql-log"
    node_run_dirs "$n"
    # /etc (upper layer, written before the overlay is mounted)
    node_etc_files "$n"
    # the fence agent where pacemaker-fenced looks for it: /usr/sbin of the node
    # (its /usr overlay's upper layer: nothing is installed on the host)
    if [[ -x $(fence_lab_bin fence_lab) ]]; then
        install -D -m 0755 "$(fence_lab_bin fence_lab)" "$d/usr.upper/sbin/fence_lab"
    fi
    touch "$NSDIR/$n.mnt" "$NSDIR/$n.uts"
    nsenter --net="/run/netns/$NSP-$n" -- \
        unshare --mount="$NSDIR/$n.mnt" --uts="$NSDIR/$n.uts" --propagation private -- sh -ec "
        hostname $n
        mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/etc.upper,workdir=$d/etc.work /etc
        mount -t overlay overlay -o lowerdir=/var,upperdir=$d/var.upper,workdir=$d/var.work /var
        mount -t overlay overlay -o lowerdir=/usr,upperdir=$d/usr.upper,workdir=$d/usr.work /usr
        # mount points missing on the host are made in the overlays' upper layers
        mkdir -p /etc/corosync /var/lib/pacemaker /var/log/pacemaker /var/log/corosync \
            /var/lib/corosync /var/lib/mysql /var/log/mysql
        mount --bind $d/corosync /etc/corosync
        mount --bind $d/pacemaker /var/lib/pacemaker
        mount --bind $d/pacemaker-log /var/log/pacemaker
        mount --bind $d/corosync-log /var/log/corosync
        mount --bind $d/corosync-lib /var/lib/corosync
        mount --bind $d/mysql /var/lib/mysql
        mount --bind $d/mysql-log /var/log/mysql
        mount --bind $d/run /run
        mount -t tmpfs -o mode=1777,size=256m lab-shm /dev/shm
        mount -t sysfs lab-sys /sys
        # sysrq-b would reset the whole machine (dropping CAP_SYS_BOOT does not stop it)
        # (a kernel without CONFIG_MAGIC_SYSRQ, like this CI's, has no such file)
        if [ -e /proc/sysrq-trigger ]; then mount --bind /dev/null /proc/sysrq-trigger; fi
        # the power switch's socket (the fence agent's way out of the node)
        mkdir -p /var/lib/fence_lab
        mount --bind $POWER_DIR /var/lib/fence_lab
        mkdir -p /var/lib/maxscale /var/log/maxscale /var/cache/maxscale
        chown maxscale:maxscale /var/lib/maxscale /var/log/maxscale /var/cache/maxscale
    "
}

# the node's /run as systemd-tmpfiles would make it at boot
node_run_dirs() {
    local d; d=$(node_dir "$1")
    chmod 0755 "$d/run"
    install -d -m 0755 "$d/run/resource-agents" "$d/run/lock"
    install -d -o mysql -g mysql -m 0755 "$d/run/mysqld"
    install -d -o hacluster -g haclient -m 0750 "$d/run/crm"
    install -d -o maxscale -g maxscale -m 0755 "$d/run/maxscale"
}

# files of the node's /etc, written into the overlay's upper layer
node_etc_files() {
    local n=$1 d m; d=$(node_dir "$n")
    local e=$d/etc.upper
    {
        echo "127.0.0.1 localhost"
        echo "::1 localhost ip6-localhost ip6-loopback"
        for m in "${NODES[@]}"; do echo "$(node_ip "$m") $m"; done
        echo "$CLIENT_IP client"
    } >"$e/hosts"
    echo "$n" >"$e/hostname"
    # the mysql user in haclient (seed 002's wsrep_notify_command needs it; on a real host:
    # usermod -a -G haclient mysql), in this node's /etc/group only
    awk -F: -v OFS=: '$1 == "haclient" { $4 = ($4 == "" ? "mysql" : ($4 ~ /(^|,)mysql(,|$)/ ? $4 : $4 ",mysql")) } 1' \
        /etc/group >"$e/group"
    chmod 0644 "$e/group"
}

# ports: through the switch, which keeps power and faults together (a port is up when its
# node is powered on and the port is not cut)
switch_ctl() { "$(fence_lab_bin lab-switch)" ctl "$SWITCH_SOCK" "$@"; }
net_cut() { switch_ctl cut "$1" all by=lab via=lab >/dev/null; }
net_partition() { switch_ctl cut "$1" ring by=lab via=lab >/dev/null; }
net_heal() { switch_ctl heal "$1" all by=lab via=lab >/dev/null; }
port_up() { ip -n "$SW" -o link show "$1" 2>/dev/null | grep '[<,]UP[,>]' >/dev/null; }
# not in the cluster ring: cut, partitioned or powered off (the node's own view is useless)
net_is_cut() { ! port_up "r${1#n}"; }
net_client_cut() { ! port_up "p${1#n}"; }

# which node's kernel holds the VIP (several when it is duplicated)
vip_holders() {
    local n out=()
    for n in "${NODES[@]}"; do
        # a powered-off node's address stays in its namespace but nothing answers for it
        node_is_off "$n" && continue
        ip -n "$NSP-$n" -o -4 addr show dev eth0 2>/dev/null | grep " $VIP/" >/dev/null && out+=("$n")
    done
    echo "${out[*]}"
}
