# shellcheck shell=bash
# tests/lab/lib/setups.sh - `lab configure SETUP` and `lab reset`.
#
# A setup is tests/lab/setups/SETUP.sh: the crmsh or pcs commands exactly as a user types
# them, run by bash on n1 ($LAB_SETUPS is tests/lab/setups there: `crm configure load update
# "$LAB_SETUPS/parts/X.crm"` loads a shared part), plus header lines the lab reads:
#   # lab-needs: maxscale vip galera-sync heartbeat:IPaddr2   agents that must be installed
#   # lab-maxscale: n1 n2        nodes where the lab itself runs MaxScale (no Pacemaker; `all`)
#   # lab-keepalived: n1:MASTER:150 n2:BACKUP:100
#   # lab-probe: 3306           what `lab client-probe` connects to (default 4006)
#   # lab-galera: pacemaker     Pacemaker runs mariadbd (setups/galera*.sh): `lab configure`
#                               stops the lab's own mariadbd cleanly first (galera_hand_over)
#   # lab-boot: mariadbd        what a node starts at boot besides corosync and pacemakerd
#                               (default mariadbd: the lab's Galera runs outside Pacemaker; a
#                               setup that runs Galera under Pacemaker says `none`); the
#                               lab-maxscale and lab-keepalived nodes start those too
# Every setup starts from the lab's base configuration: fencing on (stonith-enabled=true) with
# the lab's power switch as the device `fence-lab` (stonith:fence_lab, lib/cluster.sh). A setup
# that disables fencing, as some seeds did, types it (`*-nofence` setups).

setup_file() {
    local f=$LAB_HOME/setups/$1.sh
    [[ -f $f ]] || die "no setup '$1' (one of: $(setup_names))"
    echo "$f"
}
setup_names() { local f; for f in "$LAB_HOME"/setups/*.sh; do f=${f##*/}; printf '%s ' "${f%.sh}"; done; }
setup_header() { sed -n "/^# $2:/{s/^# $2:[[:space:]]*//p;q}" "$(setup_file "$1")"; }

# the nodes a lab-maxscale header names (`all`: every node)
setup_maxscale_nodes() {
    local m
    for m in $(setup_header "$1" lab-maxscale); do
        if [[ $m == all ]]; then printf '%s\n' "${NODES[@]}"; else echo "$m"; fi
    done
}

# what node_boot starts on NODE for the current setup (see lab-boot above)
setup_boot_services() {
    local n=$1 s b out="mariadbd" spec
    s=$(cat "$LAB/setup" 2>/dev/null) || s=""
    if [[ -n $s && -f $LAB_HOME/setups/$s.sh ]]; then
        b=$(setup_header "$s" lab-boot)
        [[ -n $b ]] && out=$b
        [[ $out == none ]] && out=""
        setup_maxscale_nodes "$s" | grep -x "$n" >/dev/null && out+=" maxscale"
        for spec in $(setup_header "$s" lab-keepalived); do
            [[ ${spec%%:*} == "$n" ]] && out+=" keepalived:${spec#*:}"
        done
    fi
    echo "$out"
}

# SETUP runs mariadbd under Pacemaker (its header `# lab-galera: pacemaker`)
setup_galera_by_pacemaker() { [[ $(setup_header "$1" lab-galera) == pacemaker ]]; }

setup_missing_agents() {
    local a miss=()
    for a in $(setup_header "$1" lab-needs); do
        case $a in
            heartbeat:*) [[ -x /usr/lib/ocf/resource.d/heartbeat/${a#heartbeat:} ]] || miss+=("$a") ;;
            *) agent_ok "$a" || miss+=("ocf:mariadb:$a") ;;
        esac
    done
    echo "${miss[*]}"
}

# resources in crm_mon's XML other than the lab's fence device
other_resources() { grep -o '<resource id="[^"]*"[^>]*' | grep -v '<resource id="fence-lab"'; }

# no resource but the fence device left in the status section, and the cluster idle
no_resources_idle() {
    local x
    x=$(in_node n1 crm_mon -1 --output-as=xml 2>/dev/null) || return 1
    ! other_resources <<<"$x" >/dev/null || return 1
    cluster_idle n1
}

# cluster idle twice in a row, one second apart (a transition may follow a monitor result)
settled() { cluster_idle n1 && sleep 1 && cluster_idle n1; }

# nothing but the fence device active any more (orphans included; stop-all-resources stops
# the device too)
no_resources_active() {
    local x
    x=$(in_node n1 crm_mon -1 --output-as=xml 2>/dev/null) || return 1
    ! other_resources <<<"$x" | grep 'active="true"' >/dev/null
}

cib_reset() {
    local conf seed keep="" name val nodes="" id uname _rest
    # stop every resource while its definition still exists (demote with its clone meta data,
    # then stop); deleting running resources would leave Pacemaker to stop orphans
    if in_node n1 cibadmin -Q -o resources 2>/dev/null | grep '<primitive' | grep -v 'id="fence-lab"' >/dev/null; then
        in_node n1 crm_attribute --type crm_config --name stop-all-resources --update true >/dev/null
        wait_until 90 "all resources stopped (stop-all-resources=true)" no_resources_active \
            || log "WARNING: not every resource stopped; removing the configuration anyway"
    fi
    seed=$(lab_cib_seed)
    conf=$(CIB_file=$seed cibadmin --query --scope configuration)
    for name in dc-version cluster-infrastructure cluster-name have-watchdog; do
        val=$(in_node n1 crm_attribute --type crm_config --name "$name" --query --quiet 2>/dev/null) || continue
        [[ -n $val ]] && keep+="<nvpair id=\"cib-bootstrap-options-$name\" name=\"$name\" value=\"$val\"/>"
    done
    while read -r id uname _rest; do
        [[ -n $uname ]] && nodes+="<node id=\"$id\" uname=\"$uname\"/>"
    done < <(in_node n1 crm_node -l 2>/dev/null)
    conf=${conf//$'\n'/}
    conf=${conf/"</cluster_property_set>"/"$keep</cluster_property_set>"}
    conf=${conf/"<nodes/>"/"<nodes>$nodes</nodes>"}
    in_node n1 cibadmin --replace --scope configuration --xml-text "$conf"
    wait_until 90 "all resources stopped, cluster idle" no_resources_idle || return 1
    in_node n1 crm_resource --cleanup >/dev/null 2>&1 || true
    # transient node attributes left by agents (not Pacemaker's own "#..." ones)
    local n a
    while read -r n a; do
        in_node n1 attrd_updater --delete --name "$a" --node "$n" >/dev/null 2>&1 || true
    done < <(in_node n1 cibadmin --query --scope status 2>/dev/null | awk '
        /<node_state / { match($0, /uname="[^"]*"/); node = substr($0, RSTART + 7, RLENGTH - 8) }
        /<transient_attributes/ { t = 1 } /<\/transient_attributes>/ { t = 0 }
        t && /<nvpair / { match($0, /name="[^"]*"/); a = substr($0, RSTART + 6, RLENGTH - 7)
                          if (a !~ /^#/) print node, a }')
    wait_until 30 "cluster idle after cleanup" cluster_idle n1
}

lab_reset() {
    need_up
    local n t0 booted=0; t0=$(now_us)
    [[ $(switch_ctl device status 2>/dev/null) == "device ok" ]] ||
        { log "repairing the fence device"; switch_ctl device repair by=lab >/dev/null; }
    for n in "${NODES[@]}"; do
        maxscale_unwedge "$n"
        if net_is_cut "$n" || net_client_cut "$n"; then log "healing $n"; net_heal "$n"; fi
        if node_is_off "$n"; then
            log "$n is powered off: booting it"
            switch_ctl on "$n" by=lab via=lab >/dev/null && booted=1
        fi
        keepalived_stop "$n"
        maxscale_pids_all "$n" | while read -r p; do kill -CONT "$p" 2>/dev/null || true; done
    done
    wait_until $(( booted ? 90 : 60 )) "pacemaker: ${NODES[*]} Online" cluster_ready n1 || return 1
    cib_reset || return 1
    local cur; cur=$(cat "$LAB/token" 2>/dev/null || echo default)
    if [[ $cur != "$(cat "$LAB/token.up" 2>/dev/null || echo default)" ]]; then
        cluster_set_token "$(cat "$LAB/token.up" 2>/dev/null || echo default)"
    fi
    for n in "${NODES[@]}"; do
        maxscale_stop "$n"
        maxscale_forget_persisted "$n"
        ip -n "$NSP-$n" addr del "$VIP/24" dev eth0 2>/dev/null || true
    done
    galera_restore || return 1
    # a scenario's failed fencing actions would stay in crm_mon
    in_node n1 stonith_admin --cleanup --history '*' >/dev/null 2>&1 || true
    rm -f "$LAB/setup"
    log "reset in $(since "$t0") s: no resources, ${#NODES[@]} Synced Galera nodes, links up, nodes on"
}

# A failed configure keeps the logs that show why (the next `lab down` would remove them).
lab_configure() {
    local rc=0 keep
    _lab_configure "$@" || rc=$?
    if (( rc != 0 && rc != 3 )); then
        keep=$LAB.logs/configure-$1-$(date +%H%M%S)
        lab_save_logs "$keep"
        log "setup $1 not configured (rc $rc); the nodes' logs are kept in $keep"
    fi
    return $rc
}
_lab_configure() {
    need_up
    local name=$1 f miss t0 n spec
    f=$(setup_file "$name")
    t0=$(now_us)
    miss=$(setup_missing_agents "$name")
    if [[ -n $miss ]]; then
        log "setup $name needs $miss, which is not installed or does not answer meta-data"
        log "(tests/setup/install-agents.sh builds and installs the agents)"
        return 3
    fi
    lab_reset || return 1
    setup_galera_by_pacemaker "$name" && galera_hand_over
    for n in $(setup_maxscale_nodes "$name"); do
        maxscale_start "$n" || return 1
    done
    log "configuring setup $name: ${f#"$TOP"/}"
    grep -v '^#' "$f" | sed '/^$/d' | sed 's/^/    /' >&2
    local rc=0
    # LAB_SETUPS: where a setup finds the files it loads (setups/parts/*.crm) or reuses
    in_node_env n1 LAB_SETUPS="$LAB_HOME/setups" bash -e <"$f" >"$LAB/configure.out" 2>&1 || rc=$?
    # crmsh's "Blind faith: not fencing unseen nodes" warning (the *-nofence setups: stonith
    # off, as the seeds had it) is expected there, and colour codes are no use in a log
    grep -v 'Blind faith' "$LAB/configure.out" | sed 's/\x1b\[[0-9;]*m//g; s/^/    | /' >&2 || true
    (( rc == 0 )) || { log "the commands of setup $name failed (rc $rc)"; return 1; }
    for spec in $(setup_header "$name" lab-keepalived); do
        IFS=: read -r n st pr <<<"$spec"
        keepalived_start "$n" "$st" "$pr" || return 1
    done
    echo "$name" >"$LAB/setup"
    wait_until 60 "cluster settled" settled || true
    # the configuration as Pacemaker checks it (fencing included): nothing to say is clean
    if in_node n1 crm_verify -L -V >"$LAB/crm_verify.out" 2>&1 && [[ ! -s $LAB/crm_verify.out ]]; then
        log "setup $name configured in $(since "$t0") s; crm_verify -L -V: clean"
    else
        log "setup $name configured in $(since "$t0") s; crm_verify -L -V says:"
        sed 's/^/    | /' "$LAB/crm_verify.out" >&2
    fi
}

setup_probe_port() {
    local s p
    s=$(cat "$LAB/setup" 2>/dev/null) || { echo "$MAXSCALE_PORT"; return; }
    p=$(setup_header "$s" lab-probe)
    echo "${p:-$MAXSCALE_PORT}"
}
