# shellcheck shell=bash
# tests/lab/lib/cluster.sh - Corosync 3 (knet) + Pacemaker 2.1 on n1..n3, started directly
# (no systemd), each daemon without CAP_SYS_BOOT (pacemakerd's panic path calls reboot()).

# the node list is the same on every node; TOKEN (ms) shortens failure detection for a run
lab_corosync_conf() {
    local m nodes=()
    for m in "${NODES[@]}"; do nodes+=("$m:$(node_idx "$m"):$(node_ip "$m")"); done
    echo "# written by tests/lab/lab"
    corosync_conf mariadb-lab /var/log/corosync/corosync.log hires "${TOKEN:-}" "${nodes[@]}"
}

# the CIB every node starts from: no fencing device in the lab, dc-deadtime 2s (an empty CIB
# means waiting 20 s for the DC election), quick rechecks
lab_cib_seed() {
    local f=$LAB/cib-seed.xml
    if [[ ! -s $f ]]; then
        cib_seed "$f.tmp" stonith-enabled=false dc-deadtime=2s cluster-recheck-interval=10s &&
            mv "$f.tmp" "$f"
    fi
    echo "$f"
}

cluster_write_conf() {
    local n=$1 d; d=$(node_dir "$n")
    lab_corosync_conf >"$d/corosync/corosync.conf"
    install -o hacluster -g haclient -m 0600 "$(lab_cib_seed)" "$d/pacemaker/cib/cib.xml"
    install -o hacluster -g haclient -m 0660 /dev/null "$d/pacemaker-log/pacemaker.log"
}

quorate() { in_node "$1" corosync-quorumtool -s 2>/dev/null | grep -E 'Quorate:[[:space:]]+Yes' >/dev/null; }

# all three nodes Online and a DC, seen from NODE (default n1)
cluster_ready() {
    local x n=${1:-n1} m
    x=$(in_node "$n" crm_mon -1 --output-as=xml 2>/dev/null) || return 1
    [[ $x == *'<current_dc present="true"'* ]] || return 1
    for m in "${NODES[@]}"; do
        [[ $x =~ \<node\ name=\"$m\"[^\>]*online=\"true\" ]] || return 1
    done
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
    log "corosync: 3 members, quorate after $(since "$t0") s; starting pacemakerd"
    for n in "${NODES[@]}"; do
        node_daemon "$n" pacemakerd PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none \
            PCMK_debug=no pacemakerd
    done
    wait_until 40 "pacemaker: n1 n2 n3 Online, DC elected" cluster_ready n1 || return 1
    log "pacemaker: n1 n2 n3 Online, DC elected, after $(since "$t0") s"
}

# change the totem token at runtime on all nodes (corosync.conf + corosync-cfgtool -R)
cluster_set_token() {
    local n
    TOKEN=$1
    [[ $TOKEN == default ]] && TOKEN=""
    for n in "${NODES[@]}"; do
        lab_corosync_conf >"$(node_dir "$n")/corosync/corosync.conf"
    done
    in_node n1 corosync-cfgtool -R >/dev/null
    echo "${TOKEN:-default}" >"$LAB/token"
    log "corosync token: ${TOKEN:-default (3000 ms)}; runtime: $(in_node n1 corosync-cmapctl -g runtime.config.totem.token 2>/dev/null | awk '{print $NF}') ms"
}

# the first of NODES... (then n1 n2 n3) whose link is not cut
any_node() {
    local n
    for n in "$@" "${NODES[@]}"; do
        net_is_cut "$n" || { echo "$n"; return 0; }
    done
    return 1
}

# the node that runs resource R (crm_resource --locate), seen from a connected node
rsc_where() {
    local n out
    for n in "${NODES[@]}"; do
        net_is_cut "$n" && continue
        out=$(in_node "$n" crm_resource --locate --resource "$1" 2>/dev/null) || continue
        # "resource vip is running on: n2" / "... is running on: n2 Promoted"
        awk '/is running on:/ {print $6}' <<<"$out" | sort | tr '\n' ' ' | sed 's/ $//'
        return 0
    done
    return 1
}

# the node where a promotable clone R is Promoted
promoted_where() {
    local n out
    for n in "${NODES[@]}"; do
        net_is_cut "$n" && continue
        out=$(in_node "$n" crm_resource --locate --resource "$1" 2>/dev/null) || continue
        awk '/is running on:/ && /Promoted|Master/ {print $6}' <<<"$out" | tr '\n' ' ' | sed 's/ $//'
        return 0
    done
    return 1
}

# cluster idle (no pending transition) seen from NODE
cluster_idle() {
    local n=${1:-n1} dc
    dc=$(in_node "$n" crmadmin -q -D 2>/dev/null) || return 1
    [[ $dc =~ ^n[1-3]$ ]] || return 1
    [[ $(in_node "$n" crmadmin -q -S "$dc" 2>&1) == *S_IDLE* ]]
}
