# shellcheck shell=bash
# tests/lab/lib/cluster.sh - Corosync 3 (knet) + Pacemaker 2.1 on the nodes, started directly
# (no systemd), each daemon without CAP_SYS_BOOT (pacemakerd's panic path calls reboot()), and
# a node's boot after the power switch turned it on.

# the node list is the same on every node: ring0_addr on the ring network only (a second link
# on the client network would let knet fail over to it, and `lab partition` would split
# nothing); TOKEN (ms) shortens failure detection for a run
lab_corosync_conf() {
    local m nodes=()
    for m in "${NODES[@]}"; do nodes+=("$m:$(node_idx "$m"):$(node_ring_ip "$m")"); done
    echo "# written by tests/lab/lab"
    corosync_conf mariadb-lab /var/log/corosync/corosync.log hires "${TOKEN:-}" "${nodes[@]}"
}

# the CIB every node starts from: fencing on, with the lab's power switch as the device (one
# device for all nodes, a static host list), dc-deadtime 2s (an empty CIB means waiting 20 s
# for the DC election; cluster_up starts every corosync before any pacemakerd, so no node is
# "unseen" and fenced at startup), quick rechecks. Pacemaker 2.1.5 reads pcmk_*_timeout with
# atoi ("30s" works, "1min" would be 1 s): plain seconds.
lab_cib_seed() {
    local f=$LAB/cib-seed.xml
    if [[ ! -s $f ]]; then
        cib_seed "$f.tmp" stonith-enabled=true dc-deadtime=2s cluster-recheck-interval=10s &&
            CIB_file=$f.tmp cibadmin --create --scope resources --xml-text "$(fence_device_xml)" &&
            mv "$f.tmp" "$f"
    fi
    echo "$f"
}

# what `crm configure primitive fence-lab stonith:fence_lab params pcmk_host_list="n1 n2 n3"
# pcmk_reboot_timeout=30 pcmk_off_timeout=30 pcmk_monitor_timeout=20 op monitor interval=60s
# timeout=20s` makes (or pcs stonith create fence-lab fence_lab ...)
fence_device_xml() {
    local id=fence-lab k v nv=""
    for kv in "pcmk_host_list=${NODES[*]}" pcmk_reboot_timeout=30 pcmk_off_timeout=30 \
        pcmk_monitor_timeout=20; do
        k=${kv%%=*} v=${kv#*=}
        nv+="<nvpair id=\"$id-instance_attributes-$k\" name=\"$k\" value=\"$v\"/>"
    done
    printf '%s' "<primitive id=\"$id\" class=\"stonith\" type=\"fence_lab\">" \
        "<instance_attributes id=\"$id-instance_attributes\">$nv</instance_attributes>" \
        "<operations><op id=\"$id-monitor-interval-60s\" name=\"monitor\" interval=\"60s\" timeout=\"20s\"/></operations>" \
        "</primitive>"
}

cluster_write_conf() {
    local n=$1 d; d=$(node_dir "$n")
    lab_corosync_conf >"$d/corosync/corosync.conf"
    install -o hacluster -g haclient -m 0600 "$(lab_cib_seed)" "$d/pacemaker/cib/cib.xml"
    install -o hacluster -g haclient -m 0660 /dev/null "$d/pacemaker-log/pacemaker.log"
}

quorate() { in_node "$1" corosync-quorumtool -s 2>/dev/null | grep -E 'Quorate:[[:space:]]+Yes' >/dev/null; }

# every node Online and a DC, seen from NODE (default: the first node in the ring)
cluster_ready() {
    local x n=${1:-} m
    [[ -n $n ]] || n=$(any_node) || return 1
    x=$(in_node "$n" crm_mon -1 --output-as=xml 2>/dev/null) || return 1
    [[ $x == *'<current_dc present="true"'* ]] || return 1
    for m in "${NODES[@]}"; do
        [[ $x =~ \<node\ name=\"$m\"[^\>]*online=\"true\" ]] || return 1
    done
}

pacemakerd_start() {
    node_daemon "$1" pacemakerd PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none \
        PCMK_debug=no pacemakerd
}

cluster_up() {
    local n t0; t0=$(now_us)
    for n in "${NODES[@]}"; do
        cluster_write_conf "$n"
        node_daemon "$n" corosync corosync -f
    done
    for n in "${NODES[@]}"; do
        wait_until 20 "corosync on $n quorate" quorate "$n" || return 1
    done
    log "corosync: ${#NODES[@]} members, quorate after $(since "$t0") s; starting pacemakerd"
    for n in "${NODES[@]}"; do
        pacemakerd_start "$n"
    done
    wait_until 40 "pacemaker: ${NODES[*]} Online, DC elected" cluster_ready n1 || return 1
    log "pacemaker: ${NODES[*]} Online, DC elected, after $(since "$t0") s"
}

# change the totem token at runtime on all nodes (corosync.conf + corosync-cfgtool -R)
cluster_set_token() {
    local n
    TOKEN=$1
    [[ $TOKEN == default ]] && TOKEN=""
    for n in "${NODES[@]}"; do
        lab_corosync_conf >"$(node_dir "$n")/corosync/corosync.conf"
    done
    in_node "$(any_node)" corosync-cfgtool -R >/dev/null
    echo "${TOKEN:-default}" >"$LAB/token"
    log "corosync token: ${TOKEN:-default (3000 ms)}; runtime: $(in_node "$(any_node)" corosync-cmapctl -g runtime.config.totem.token 2>/dev/null | awk '{print $NF}') ms"
}

# the first of NODES... (then all nodes in order) that is in the ring (not cut, partitioned or
# powered off)
any_node() {
    local n
    for n in "$@" "${NODES[@]}"; do
        net_is_cut "$n" || { echo "$n"; return 0; }
    done
    return 1
}

# locate R AWK-PATTERN: the nodes of crm_resource --locate's "is running on:" lines that match
# ("resource vip is running on: n2" / "... is running on: n2 Promoted"), seen from a connected node
_locate() {
    local n out
    for n in "${NODES[@]}"; do
        net_is_cut "$n" && continue
        out=$(in_node "$n" crm_resource --locate --resource "$1" 2>/dev/null) || continue
        awk "/is running on:/ && $2 {print \$6}" <<<"$out" | sort | tr '\n' ' ' | sed 's/ $//'
        return 0
    done
    return 1
}
# the node(s) that run resource R
rsc_where() { _locate "$1" 1; }
# the node where a promotable clone R is Promoted
promoted_where() { _locate "$1" '/Promoted|Master/'; }

# cluster idle (no pending transition) seen from NODE
cluster_idle() {
    local n=${1:-n1} dc
    dc=$(in_node "$n" crmadmin -q -D 2>/dev/null) || return 1
    is_node "$dc" || return 1
    [[ $(in_node "$n" crmadmin -q -S "$dc" 2>&1) == *S_IDLE* ]]
}

# true when no other node in the ring still has NODE as a member and no fencing of NODE is
# pending there (a node whose Pacemaker does not answer is no witness)
node_forgotten() {
    local n=$1 m v
    for m in "${NODES[@]}"; do
        [[ $m == "$n" ]] && continue
        net_is_cut "$m" && continue
        v=$(in_node "$m" crm_node -l 2>/dev/null) || continue
        awk -v n="$n" '$2 == n && $3 == "member"' <<<"$v" | grep . >/dev/null && return 1
        in_node "$m" stonith_admin --history "$n" --output-as=xml 2>/dev/null | grep 'status="pending"' >/dev/null && return 1
    done
    return 0
}

# ---- a node's boot (the switch's "on", or `lab boot NODE`): `lab _os-boot NODE`
# What does not survive a power cycle is reset (/run, /dev/shm, addresses added at runtime,
# the lab's pid records); the disk stays (CIB, Galera's datadir, logs). Then the services a
# host starts at boot: corosync, pacemakerd and what the setup runs outside Pacemaker
# (setup_boot_services: Galera's mariadbd, MaxScale, Keepalived).
node_boot() {
    local n=$1 d c svc t0 started=(); d=$(node_dir "$n"); t0=$(now_us)
    # the boot belongs to the node: a power-off while it runs kills it too
    for c in $(node_cgroups "$n"); do echo "$BASHPID" >"$c/cgroup.procs"; done
    log "$n: power on: booting"
    find "$d/run" -mindepth 1 -delete
    node_run_dirs "$n"
    in_node "$n" sh -c 'rm -rf /dev/shm/* /dev/shm/.[!.]* 2>/dev/null; true'
    ip -n "$NSP-$n" addr flush dev eth0
    ip -n "$NSP-$n" addr add "$(node_ip "$n")/24" dev eth0
    ip -n "$NSP-$n" addr flush dev eth1
    ip -n "$NSP-$n" addr add "$(node_ring_ip "$n")/24" dev eth1
    ip -n "$NSP-$n" neigh flush all
    rm -f "$d"/*.pid
    # A real machine needs longer to reboot than the cluster needs to notice it gone (token +
    # consensus). Booting at once, the node rejoins before the others have dropped its old
    # incarnation and its new controller hears of its own fencing ("We were allegedly just
    # fenced") and stays down. So the boot waits until the others see it as lost and its
    # fencing is recorded (what a BIOS, a kernel and an init system take anyway).
    if ! _wait_quiet 90 node_forgotten "$n"; then
        log "$n: WARNING: the other nodes still list $n as a member or a fencing of it is pending after 90 s; booting anyway"
    fi
    log "$n: the cluster has seen it leave (after $(since "$t0") s): starting its services"
    node_daemon "$n" corosync corosync -f || return 1
    pacemakerd_start "$n" || return 1
    started=(corosync pacemakerd)
    for svc in $(setup_boot_services "$n"); do
        case $svc in
            mariadbd) mariadbd_start "$n" && started+=(mariadbd) ;;
            maxscale) maxscale_start "$n" && started+=(maxscale) ;;
            keepalived:*) IFS=: read -r _ st pr <<<"$svc"; keepalived_start "$n" "$st" "$pr" && started+=(keepalived) ;;
        esac
    done
    log "$n: booted in $(since "$t0") s: ${started[*]} started"
}
