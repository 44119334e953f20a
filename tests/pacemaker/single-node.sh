#!/usr/bin/env bash
# tests/pacemaker/single-node.sh start|stop|status|reset
#
# A real single-node Corosync 3 (knet) + Pacemaker 2.1 cluster in the ROOT
# network namespace on 127.0.0.1, daemons started directly (no systemd):
#
#   start   write /etc/corosync/corosync.conf (original saved once as
#           corosync.conf.ocf-mariadb-orig, or marked absent), seed
#           /var/lib/pacemaker/cib/cib.xml (stonith-enabled=false, dc-deadtime=2s,
#           no-quorum-policy=ignore, cluster-recheck-interval=10s), start
#           corosync then pacemakerd without CAP_SYS_BOOT (setpriv), in the pids
#           cgroup /sys/fs/cgroup/pids/ocf-mariadb-pcmk, wait (bounded) for the
#           node Online + DC.  No-op when already running.  ~5 s.
#   stop    SIGTERM pacemakerd (resources are stopped by Pacemaker), wait, then
#           corosync, then kill leftovers of the cgroup; restore corosync.conf,
#           remove the CIB/scheduler files it created and its state dir.
#           Succeeds when nothing runs.  Resources are NOT deleted first.
#   status  crm_mon -1 (rc 3 when not running)
#   reset   while running: replace the CIB configuration by the seeded one
#           (all resources, constraints, defaults, permanent node attributes
#           removed), wait for the orphans to stop, clean up their history,
#           delete transient node attributes (except Pacemaker's "#..." ones).
#
# Env: OCFM_STATE (/tmp/ocf-mariadb) -> state in $OCFM_STATE/pcmk
#      PCMK_STOP_TIMEOUT (30) s to wait for pacemakerd/corosync to exit on stop
#      PCMK_START_TIMEOUT (30) s to wait for Online + DC
#      KEEP_LOGS=1   stop keeps $OCFM_STATE/pcmk/{corosync,pacemaker}.log
# Logs while running: $OCFM_STATE/pcmk/corosync.log, pacemaker.log (+ *.out).
# Node name: $(uname -n).  Client tools (crm, pcs resource, crm_mon, cibadmin,
# crm_attribute, attrd_updater) talk to it directly, as root.
set -euo pipefail
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/common.sh"
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/cluster-conf.sh"

DIR=$OCFM_STATE/pcmk
NODE=$(uname -n)
CONF=/etc/corosync/corosync.conf
CONF_ORIG=$CONF.ocf-mariadb-orig
CONF_ABSENT=$CONF.ocf-mariadb-absent
CIBDIR=/var/lib/pacemaker/cib
CIB_BACKUP=/var/lib/pacemaker/cib.ocf-mariadb-orig
CG_ROOT=/sys/fs/cgroup/pids
CG=$CG_ROOT/ocf-mariadb-pcmk
COROSYNC_PID=$DIR/corosync.pid
PCMKD_PID=$DIR/pacemakerd.pid
SUBD_PIDS=$DIR/subdaemons.pids
SEED=$DIR/cib-seed.xml
STOP_TIMEOUT=${PCMK_STOP_TIMEOUT:-30}
START_TIMEOUT=${PCMK_START_TIMEOUT:-30}
DAEMON_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 LC_ALL=C.UTF-8)

cg_usable() { [[ -d $CG_ROOT && -w $CG_ROOT ]]; }

same_netns() { [[ $(readlink "/proc/$1/ns/net" 2>/dev/null) == "$(readlink /proc/self/ns/net)" ]]; }

# pids of corosync/pacemaker daemons in the root netns that are not ours
foreign_daemons() {
    local p ours=" "
    ours+="$(pidfile_pid "$COROSYNC_PID" || true) $(pidfile_pid "$PCMKD_PID" || true) "
    if [[ -r $CG/cgroup.procs ]]; then ours+="$(tr '\n' ' ' <"$CG/cgroup.procs") "; fi
    if [[ -s $SUBD_PIDS ]]; then ours+="$(tr '\n' ' ' <"$SUBD_PIDS") "; fi
    # (pgrep patterns are matched against the 15-char comm: pacemaker-contr...)
    for p in $(pgrep -x corosync || true) $(pgrep '^pacemaker' || true); do
        [[ $ours == *" $p "* ]] && continue
        same_netns "$p" && echo "$p"
    done
    return 0
}

pcmk_ready() {
    local x re_dc="<current_dc present=\"true\"[^>]*name=\"$NODE\"" re_on="<node name=\"$NODE\"[^>]*online=\"true\""
    x=$(crm_mon -1 --output-as=xml 2>/dev/null) || return 1
    [[ $x =~ $re_dc ]] || return 1
    [[ $x =~ $re_on ]] || return 1
}

quorate() {
    local out
    out=$(corosync-quorumtool -s 2>/dev/null) || true
    [[ $out =~ Quorate:[[:space:]]+Yes ]]
}

is_running() { pidfile_pid "$COROSYNC_PID" >/dev/null && pidfile_pid "$PCMKD_PID" >/dev/null; }
anything_running() {
    pidfile_pid "$COROSYNC_PID" >/dev/null && return 0
    pidfile_pid "$PCMKD_PID" >/dev/null && return 0
    [[ -n $(cg_pids) ]]
}

write_corosync_conf() {
    if [[ ! -e $CONF_ORIG && ! -e $CONF_ABSENT ]]; then
        if [[ -e $CONF ]]; then
            cp -a "$CONF" "$CONF_ORIG"
        else
            : >"$CONF_ABSENT"
        fi
    fi
    mkdir -p /etc/corosync
    {
        echo "# written by ocf-mariadb tests/pacemaker/single-node.sh; the original is"
        echo "# restored by 'single-node.sh stop' (from $CONF_ORIG)"
        corosync_conf ocfm-single "$DIR/corosync.log" on "" "$NODE:1:127.0.0.1"
    } >"$CONF.tmp"
    mv -f "$CONF.tmp" "$CONF"
}

restore_corosync_conf() {
    if [[ -e $CONF_ORIG ]]; then
        mv -f "$CONF_ORIG" "$CONF"
        log "restored $CONF"
    elif [[ -e $CONF_ABSENT ]]; then
        rm -f "$CONF" "$CONF_ABSENT"
        log "removed $CONF (there was none before)"
    fi
}

seed_cib() {
    mkdir -p "$CIBDIR"
    # keep a pre-existing CIB that is not ours (restored by stop)
    if [[ ! -e $CIB_BACKUP && ! -e $DIR/cib-owned ]] && compgen -G "$CIBDIR/*" >/dev/null; then
        mkdir -p "$CIB_BACKUP"
        mv "$CIBDIR"/* "$CIB_BACKUP"/
        log "moved a pre-existing CIB to $CIB_BACKUP (restored by stop)"
    fi
    rm -f "$CIBDIR"/cib*
    : >"$DIR/cib-owned"
    cib_seed "$SEED" stonith-enabled=false dc-deadtime=2s no-quorum-policy=ignore \
        cluster-recheck-interval=10s || die "cannot write the seed CIB $SEED"
    install -o hacluster -g haclient -m 0600 "$SEED" "$CIBDIR/cib.xml"
}

clean_pacemaker_files() {
    if [[ -e $DIR/cib-owned ]]; then
        rm -f "$CIBDIR"/*
        if [[ -d $CIB_BACKUP ]]; then
            compgen -G "$CIB_BACKUP/*" >/dev/null && mv "$CIB_BACKUP"/* "$CIBDIR"/
            rmdir "$CIB_BACKUP"
            log "restored the original CIB from $CIB_BACKUP"
        fi
    fi
    # pacemakerd chowns /var/lib/pacemaker to hacluster; corosync writes ringid_N
    if [[ -s $DIR/varlib-owner ]]; then
        chown "$(<"$DIR/varlib-owner")" /var/lib/pacemaker 2>/dev/null || true
    fi
    if [[ -e $DIR/corosync-varlib.before ]]; then
        local f
        for f in /var/lib/corosync/ringid_*; do
            [[ -e $f ]] || continue
            grep -qxF "${f##*/}" "$DIR/corosync-varlib.before" || rm -f "$f"
        done
    fi
    if [[ -e $DIR/started ]]; then
        find /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox -type f -newer "$DIR/started" -delete 2>/dev/null || true
        local cores
        cores=$(find /var/lib/pacemaker/cores -type f -newer "$DIR/started" 2>/dev/null || true)
        [[ -n $cores ]] && log "WARNING: core files written while running (kept): $cores"
    fi
    return 0
}

cg_pids() { [[ -r $CG/cgroup.procs ]] && cat "$CG/cgroup.procs"; return 0; }

kill_leftovers() {
    local pids=() p
    if [[ -d $CG ]]; then
        mapfile -t pids < <(cg_pids)
    elif [[ -s $SUBD_PIDS ]]; then
        # no cgroup: only subdaemons we recorded, still pacemaker-*, older than the list
        while read -r p; do
            [[ $(cat "/proc/$p/comm" 2>/dev/null) == pacemaker-* ]] || continue
            pid_predates_file "$p" "$SUBD_PIDS" && pids+=("$p")
        done <"$SUBD_PIDS"
    fi
    (( ${#pids[@]} )) || return 0
    log "terminating leftover pids: ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    alive() { local q; for q in "${pids[@]}"; do pid_alive "$q" && return 1; done; return 0; }
    if ! _wait_quiet 10 alive; then
        log "SIGKILL leftovers"
        kill -KILL "${pids[@]}" 2>/dev/null || true
        _wait_quiet 10 alive || log "WARNING: some leftover pids survived SIGKILL: ${pids[*]}"
    fi
}

do_stop() {
    local t0; t0=$(now_us)
    local did=0
    if [[ -e $PCMKD_PID ]]; then
        did=1
        local pp timeout=$STOP_TIMEOUT q adopted=0 st
        if pp=$(pidfile_pid "$PCMKD_PID"); then
            for q in $(cg_pids; cat "$SUBD_PIDS" 2>/dev/null || true); do
                [[ $(cat "/proc/$q/comm" 2>/dev/null) == pacemaker-* ]] || continue
                st=$(cat "/proc/$q/stat" 2>/dev/null) || continue
                read -r -a st <<<"${st##*) }"
                [[ ${st[1]} == "$pp" ]] || adopted=1
            done
            if (( adopted )); then
                # a restarted pacemakerd that adopted running subdaemons polls them
                # only every 5 s: its shutdown takes ~25 s more
                (( timeout < 60 )) && timeout=60
                log "pacemakerd adopted its subdaemons (was restarted): shutdown polls every 5 s, allowing ${timeout}s"
            fi
        fi
        log "stopping pacemakerd (SIGTERM, up to ${timeout}s; resources are stopped first)"
        kill_pidfile "$PCMKD_PID" "$timeout"
    fi
    if [[ -e $COROSYNC_PID ]]; then
        did=1
        log "stopping corosync"
        kill_pidfile "$COROSYNC_PID" "$STOP_TIMEOUT"
    fi
    kill_leftovers
    if [[ -d $CG ]]; then
        _wait_quiet 5 rmdir "$CG" || log "WARNING: could not remove cgroup $CG (not empty?)"
    fi
    restore_corosync_conf
    clean_pacemaker_files
    if [[ -d $DIR ]]; then
        did=1
        if [[ -n ${KEEP_LOGS:-} ]]; then
            find "$DIR" -mindepth 1 -maxdepth 1 ! -name '*.log' ! -name '*.out' -exec rm -rf {} +
            log "logs kept in $DIR"
        else
            rm -rf "$DIR"
        fi
    fi
    rmdir "$OCFM_STATE" 2>/dev/null || true
    if (( did )); then
        log "stopped in $(since "$t0") s"
    else
        log "not running (nothing to stop)"
    fi
}

show_log_tails() {
    local f
    for f in "$DIR"/corosync.out "$DIR"/corosync.log "$DIR"/pacemakerd.out "$DIR"/pacemaker.log; do
        [[ -s $f ]] || continue
        log "---- last lines of $f"
        tail -n 15 "$f" >&2
    done
}

CGOPT=()
cg_setup() {
    if cg_usable; then
        mkdir -p "$CG"
        CGOPT=(-c "$CG")
    else
        CGOPT=()
        log "WARNING: $CG_ROOT not usable: leftovers are tracked by recorded pids only"
    fi
}

start_pacemakerd() {
    cg_setup
    run_guarded "${CGOPT[@]}" -l "$DIR/pacemakerd.out" "$PCMKD_PID" -- "${DAEMON_ENV[@]}" \
        PCMK_logfile="$DIR/pacemaker.log" PCMK_logfacility=none PCMK_debug=no pacemakerd
    # record subdaemon pids (fallback tracking when there is no cgroup); they
    # are forked within ~0.1 s
    local pid; pid=$(pidfile_pid "$PCMKD_PID") || return 0
    _wait_quiet 5 pgrep -P "$pid" >/dev/null || true
    sleep 0.2
    { [[ -s $SUBD_PIDS ]] && cat "$SUBD_PIDS"; pgrep -P "$pid"; } 2>/dev/null | sort -un >"$SUBD_PIDS.new" || true
    mv -f "$SUBD_PIDS.new" "$SUBD_PIDS"
}

do_start() {
    need_root
    need_cmd corosync pacemakerd corosync-quorumtool crm_mon cibadmin crm_attribute setpriv setsid
    local t0; t0=$(now_us)
    if is_running && pcmk_ready; then
        log "already running (node $NODE online, DC elected): nothing to do"
        return 0
    fi
    if is_running; then
        log "daemons running, waiting for node Online + DC"
        wait_until "$START_TIMEOUT" "crm_mon -1: node $NODE Online and DC elected" pcmk_ready
        return
    fi
    if pidfile_pid "$COROSYNC_PID" >/dev/null && [[ -e $DIR/started ]]; then
        # pacemakerd died or was killed: a new one adopts the running subdaemons
        log "corosync is running but pacemakerd is not: starting pacemakerd only"
        on_failure 'show_log_tails; do_stop'
        start_pacemakerd
        wait_until "$START_TIMEOUT" "crm_mon -1: node $NODE Online and DC elected" pcmk_ready
        on_failure ''
        log "pacemakerd back in $(since "$t0") s"
        return 0
    fi
    if anything_running; then
        log "partially running (no corosync): stopping the leftovers first"
        do_stop
    fi
    local f
    f=$(foreign_daemons)
    [[ -z $f ]] || die "corosync/pacemaker processes not started by this script run in this namespace (pids: $(echo $f)); refusing"
    local udp
    udp=$(ss -Hlun 'sport = :5405' 2>/dev/null || true)
    if [[ -n $udp ]]; then
        die "UDP port 5405 is in use (another corosync?); refusing"
    fi

    on_failure 'show_log_tails; do_stop'
    mkdir -p "$DIR"
    chmod 0755 "$OCFM_STATE" "$DIR"
    touch "$DIR/started"
    # remember what pacemaker/corosync change outside the state dir
    stat -c '%u:%g' /var/lib/pacemaker >"$DIR/varlib-owner" 2>/dev/null || true
    ls /var/lib/corosync/ >"$DIR/corosync-varlib.before" 2>/dev/null || true
    write_corosync_conf
    seed_cib
    # pacemaker's subdaemons run as hacluster and must be able to write the log
    install -o hacluster -g haclient -m 0660 /dev/null "$DIR/pacemaker.log"

    cg_setup
    log "starting corosync"
    run_guarded "${CGOPT[@]}" -l "$DIR/corosync.out" "$COROSYNC_PID" -- "${DAEMON_ENV[@]}" corosync -f
    wait_until 20 "corosync quorate (corosync-quorumtool -s)" quorate
    log "corosync quorate after $(since "$t0") s; starting pacemakerd"
    start_pacemakerd
    wait_until "$START_TIMEOUT" "crm_mon -1: node $NODE Online and DC elected" pcmk_ready
    on_failure ''
    log "up in $(since "$t0") s: node $NODE Online, DC $NODE"
}

do_status() {
    if ! anything_running; then
        echo "single-node pacemaker: not running"
        return 3
    fi
    echo "corosync pid $(pidfile_pid "$COROSYNC_PID" || echo -), pacemakerd pid $(pidfile_pid "$PCMKD_PID" || echo -)"
    crm_mon -1
}

no_resources_idle() {
    local x
    x=$(crm_mon -1 --output-as=xml 2>/dev/null) || return 1
    [[ $x != *"<resource "* ]] || return 1
    [[ $(crmadmin -q -S "$NODE" 2>&1) == *S_IDLE* ]]
}

do_reset() {
    is_running || die "not running (use: $0 start)"
    local t0; t0=$(now_us)
    [[ -s $SEED ]] || die "seed CIB $SEED missing"
    local conf keep="" name val nodes="" id uname _rest
    conf=$(CIB_file=$SEED cibadmin --query --scope configuration)
    # keep the properties the controller maintains
    for name in dc-version cluster-infrastructure cluster-name have-watchdog; do
        val=$(crm_attribute --type crm_config --name "$name" --query --quiet 2>/dev/null) || continue
        [[ -n $val ]] || continue
        keep+="<nvpair id=\"cib-bootstrap-options-$name\" name=\"$name\" value=\"$val\"/>"
    done
    # node entries without permanent attributes
    while read -r id uname _rest; do
        [[ -n $uname ]] && nodes+="<node id=\"$id\" uname=\"$uname\"/>"
    done < <(crm_node -l 2>/dev/null)
    [[ -n $nodes ]] || nodes="<node id=\"1\" uname=\"$NODE\"/>"
    conf=${conf//$'\n'/}
    conf=${conf/"</cluster_property_set>"/"$keep</cluster_property_set>"}
    conf=${conf/"<nodes/>"/"<nodes>$nodes</nodes>"}
    cibadmin --replace --scope configuration --xml-text "$conf"
    log "configuration replaced by the seed; waiting for orphaned resources to stop"
    wait_until 60 "all (orphaned) resources stopped and controller idle" no_resources_idle \
        || log "WARNING: continuing anyway"
    crm_resource --cleanup >/dev/null 2>&1 || true
    # transient node attributes left by agents (not Pacemaker's own "#..." ones)
    local n a
    while read -r n a; do
        attrd_updater --delete --name "$a" --node "$n" >/dev/null 2>&1 || true
    done < <(cibadmin --query --scope status 2>/dev/null | awk '
        /<node_state / { match($0, /uname="[^"]*"/); node = substr($0, RSTART + 7, RLENGTH - 8) }
        /<transient_attributes/ { t = 1 } /<\/transient_attributes>/ { t = 0 }
        t && /<nvpair / { match($0, /name="[^"]*"/); a = substr($0, RSTART + 6, RLENGTH - 7)
                          if (a !~ /^#/) print node, a }')
    wait_until 30 "controller idle after cleanup" no_resources_idle || log "WARNING: continuing anyway"
    log "reset done in $(since "$t0") s"
}

# concurrent runs (two test scripts at once) queue up instead of racing
case ${1:-} in start|stop|reset) ocfm_lock "$(readlink -f "${BASH_SOURCE[0]}")" ;; esac

case ${1:-} in
    start) do_start ;;
    stop) need_root; do_stop ;;
    status) do_status ;;
    reset) do_reset ;;
    *) echo "usage: $0 start|stop|status|reset" >&2; exit 2 ;;
esac
