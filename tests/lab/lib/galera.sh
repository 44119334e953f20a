# shellcheck shell=bash
# tests/lab/lib/galera.sh - a real 3-node Galera (MariaDB 10.11 + Galera 4 from Debian) inside
# the nodes, in the stock Debian layout: /etc/mysql/mariadb.conf.d/60-galera.cnf,
# /var/lib/mysql, /run/mysqld/mysqld.sock, 0.0.0.0:3306, gcomm 10.200.0.N:4567, rsync SST.

galera_conf() {
    local n=$1 notify="" m addrs=""
    for m in "${NODES[@]}"; do addrs+="${addrs:+,}$(node_ip "$m")"; done
    if [[ ${LAB_WSREP_NOTIFY:-1} == 1 ]]; then
        # seed 002's hook, done by the galera-sync agent (no pcs node standby, no ACLs)
        notify="wsrep_notify_cmd = $OCF_MARIADB/galera-sync wsrep-notify"
    fi
    cat <<EOF
# written by tests/lab/lab for node $n
[galera]
wsrep_on                 = ON
wsrep_provider           = /usr/lib/galera/libgalera_smm.so
wsrep_cluster_name       = mariadb-lab
wsrep_cluster_address    = gcomm://$addrs
wsrep_node_address       = $(node_ip "$n")
wsrep_node_name          = $n
wsrep_sst_method         = rsync
binlog_format            = row
default_storage_engine   = InnoDB
innodb_autoinc_lock_mode = 2
bind-address             = 0.0.0.0
max_connections          = 20
max_connect_errors       = 4294967295
innodb_buffer_pool_size  = 64M
$notify
EOF
}

# mariadb client inside a node, as root over the unix socket
sql() { local n=$1; shift; in_node "$n" mariadb --connect-timeout=3 -N -B "$@"; }

wsrep_status() { # NODE VAR
    sql "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{print $2}'
}
galera_synced() { [[ $(wsrep_status "$1" wsrep_local_state_comment) == Synced ]]; }

galera_write_conf() {
    local n=$1 d; d=$(node_dir "$n")
    mkdir -p "$d/etc.upper/mysql/mariadb.conf.d"
    galera_conf "$n" >"$d/etc.upper/mysql/mariadb.conf.d/60-galera.cnf"
}

mariadbd_start() { # NODE [--wsrep-new-cluster]
    local n=$1; shift
    node_daemon "$n" mariadbd mariadbd --user=mysql "$@"
}

galera_up() {
    local n t0; t0=$(now_us)
    if [[ ${LAB_WSREP_NOTIFY:-1} == 1 ]] && ! agent_ok galera-sync; then
        log "galera: galera-sync agent not installed: wsrep_notify_cmd left out"
        LAB_WSREP_NOTIFY=0
    fi
    echo "${LAB_WSREP_NOTIFY:-1}" >"$LAB/wsrep-notify"
    for n in "${NODES[@]}"; do galera_write_conf "$n"; done
    in_node_env n1 mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db \
        --auth-root-authentication-method=socket >"$(node_dir n1)/install-db.out" 2>&1 \
        || { tail -5 "$(node_dir n1)/install-db.out" >&2; return 1; }
    mariadbd_start n1 --wsrep-new-cluster
    wait_until 30 "galera n1 Synced (bootstrap)" galera_synced n1 || return 1
    sql n1 <<EOF
CREATE USER IF NOT EXISTS 'lab'@'%' IDENTIFIED BY '$LAB_PW';
CREATE USER IF NOT EXISTS 'lab'@'localhost' IDENTIFIED BY '$LAB_PW';
CREATE DATABASE IF NOT EXISTS lab;
GRANT ALL ON lab.* TO 'lab'@'%';
GRANT ALL ON lab.* TO 'lab'@'localhost';
CREATE TABLE IF NOT EXISTS lab.t (id INT PRIMARY KEY, v VARCHAR(32));
CREATE USER IF NOT EXISTS 'maxscale'@'%' IDENTIFIED BY '$MXS_DB_PW';
GRANT SELECT ON mysql.* TO 'maxscale'@'%';
GRANT SHOW DATABASES, REPLICATION CLIENT ON *.* TO 'maxscale'@'%';
EOF
    log "galera: n1 bootstrapped after $(since "$t0") s"
    for n in "${NODES[@]:1}"; do
        mariadbd_start "$n"
        wait_until 60 "galera $n Synced (SST from the cluster)" galera_synced "$n" || return 1
        log "galera: $n joined and Synced after $(since "$t0") s"
    done
    log "galera: ${#NODES[@]} nodes Synced, cluster size $(wsrep_status n1 wsrep_cluster_size), after $(since "$t0") s"
}

threads_at_least() { (( $(wsrep_status "$1" Threads_connected) >= $2 )); }

galera_exhaust_pidfile() { echo "$(node_dir "$1")/exhaust.pid"; }

galera_release() {
    local n=$1 pf pid ids
    pf=$(galera_exhaust_pidfile "$n")
    if pid=$(pidfile_pid "$pf"); then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        _wait_quiet 5 pid_dead "$pid" || kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$pf"
    # and whatever connection of the user lab is left
    ids=$(sql "$n" -e "SELECT id FROM information_schema.processlist WHERE user='lab'" 2>/dev/null) || true
    for pid in $ids; do sql "$n" -e "KILL CONNECTION $pid" 2>/dev/null || true; done
}

# the pid of the mariadbd running in NODE, whoever started it (the lab, ocf:mariadb:galera,
# or ocf:heartbeat:galera's mysqld_safe), or fail
galera_pid() {
    local p
    for p in $(pgrep -x mariadbd 2>/dev/null); do
        pid_in_node "$p" "$1" && { echo "$p"; return 0; }
    done
    return 1
}
galera_running() { galera_pid "$1" >/dev/null; }
galera_any_running() { local n; for n in "${NODES[@]}"; do galera_running "$n" && return 0; done; return 1; }

# the current setup runs Galera under Pacemaker
galera_by_pacemaker() {
    local s; s=$(cat "$LAB/setup" 2>/dev/null) || return 1
    [[ -f $LAB_HOME/setups/$s.sh ]] && setup_galera_by_pacemaker "$s"
}

# the lab's own mariadbd on NODE stopped cleanly (SIGTERM, as `systemctl stop` does)
galera_stop_own() {
    local n=$1 pid
    pid=$(galera_pid "$n") || return 0
    kill_pid "$pid" 90 "(mariadbd on $n)"
    rm -f "$(node_dir "$n")/mariadbd.pid"
}

# `lab galera NODE stale`: NODE stops (a node out for maintenance) while the others commit
# STALE_ROWS more rows, so its position is behind theirs
galera_make_stale() {
    local n=$1 m w="" i rows=${STALE_ROWS:-50} vals=""
    if galera_by_pacemaker; then
        in_node n1 crm node standby "$n" >/dev/null 2>&1 || die "crm node standby $n failed"
        _wait_quiet 120 eval '! galera_running '"$n" || die "mariadbd on $n still runs 120 s after standby"
    else
        galera_stop_own "$n"
    fi
    for m in "${NODES[@]}"; do [[ $m != "$n" ]] && galera_synced "$m" && { w=$m; break; }; done
    [[ -n $w ]] || die "no Synced node left to commit on"
    local base; base=$(sql "$w" -e "SELECT COALESCE(MAX(id), 0) FROM lab.t") || die "cannot read lab.t on $w"
    for ((i = 1; i <= rows; i++)); do vals+="${vals:+,}($((base + i)),'stale-$n')"; done
    sql "$w" -e "INSERT INTO lab.t VALUES $vals" || die "the commits on $w failed"
    log "galera $n: stopped$(galera_by_pacemaker && echo ' (crm node standby)'); $rows rows committed on $w after it: $n is behind ($(galera_position "$n"))"
}

# uuid:seqno from NODE's grastate.dat (what a stopped node knows of itself)
galera_position() {
    in_node "$1" awk '/^uuid:/ { u = $2 } /^seqno:/ { s = $2 } END { print u ":" s }' /var/lib/mysql/grastate.dat 2>/dev/null
}

# galera NODE|all ACTION
galera_cmd() {
    local n=$1 a=$2 pid
    if [[ $n == all ]]; then
        case $a in
            kill)
                local pids=() m
                for m in "${NODES[@]}"; do pid=$(galera_pid "$m") && pids+=("$pid"); done
                (( ${#pids[@]} )) || die "no mariadbd running"
                kill -KILL "${pids[@]}"
                log "galera: every mariadbd killed at once (SIGKILL: ${pids[*]})" ;;
            stop)
                for m in "${NODES[@]}"; do galera_stop_own "$m"; done
                log "galera: every mariadbd stopped (SIGTERM, one after the other)" ;;
            *) die "galera all kill|stop" ;;
        esac
        return
    fi
    # every action says what it did, like the other faults (SQL errors go to stderr as they are)
    case $a in
        desync) sql "$n" -e "SET GLOBAL wsrep_desync=ON" &&
            log "galera $n: wsrep_desync=ON: $(wsrep_status "$n" wsrep_local_state_comment) (galera-sync goes to 0 at its next monitor)" ;;
        resync) sql "$n" -e "SET GLOBAL wsrep_desync=OFF" &&
            log "galera $n: wsrep_desync=OFF: $(wsrep_status "$n" wsrep_local_state_comment)" ;;
        isolate) sql "$n" -e "SET GLOBAL wsrep_provider_options='gmcast.isolate=1'" &&
            log "galera $n: isolated (gmcast.isolate=1): non-Primary once the others' suspect timeout (5 s) passes" ;;
        unisolate) sql "$n" -e "SET GLOBAL wsrep_provider_options='gmcast.isolate=0'" &&
            log "galera $n: isolation lifted (gmcast.isolate=0): rejoins the Primary component" ;;
        stop)
            galera_stop_own "$n"
            log "galera $n: mariadbd stopped (SIGTERM)" ;;
        stale) galera_make_stale "$n" ;;
        kill)
            pid=$(galera_pid "$n") || die "mariadbd on $n is not running"
            kill -KILL "$pid"
            log "galera $n: mariadbd (pid $pid) killed (SIGKILL)" ;;
        start)
            if galera_by_pacemaker; then
                die "setup $(cat "$LAB/setup") runs mariadbd under Pacemaker: crm node online $n / crm resource cleanup"
            elif galera_running "$n"; then
                log "mariadbd on $n already running"
            else
                mariadbd_start "$n" && log "galera $n: mariadbd started (joins the cluster: IST or SST)"
            fi ;;
        exhaust)
            local max cur k
            max=$(sql "$n" -e "SELECT @@max_connections") || die "mariadbd on $n does not answer"
            cur=$(wsrep_status "$n" Threads_connected)
            k=$(( max - cur + 1 ))
            (( k > 0 )) || k=1
            # idle client sessions of the (non-SUPER) user lab until no ordinary connection is left;
            # MariaDB keeps one extra connection for SUPER (root over the socket still gets in)
            run_guarded -c "$(node_cg "$n")" -l "$(node_dir "$n")/exhaust.out" "$(galera_exhaust_pidfile "$n")" -- \
                nsenter --net="/run/netns/$NSP-$n" --mount="$NSDIR/$n.mnt" --uts="$NSDIR/$n.uts" -- \
                sh -c 'i=0; while [ $i -lt '"$k"' ]; do sleep 3600 | mariadb -u lab -p'"$LAB_PW"' lab & i=$((i+1)); done; wait' \
                2>/dev/null
            _wait_quiet 10 threads_at_least "$n" "$max" \
                || log "WARNING: $n: fewer than $max connections held"
            log "galera $n: $(wsrep_status "$n" Threads_connected) connections of max_connections=$max in use" ;;
        release) galera_release "$n"; log "galera $n: the idle sessions of user lab closed" ;;
        *) die "galera NODE desync|resync|stop|start|kill|stale|isolate|unisolate|exhaust|release; galera all kill|stop" ;;
    esac
}

# NODE's last committed seqno: grastate.dat's, or mariadbd --wsrep-recover's after a crash
galera_seqno() {
    local n=$1 pos seq
    pos=$(galera_position "$n")
    seq=${pos##*:}
    if [[ -z $seq || $seq == -1 ]]; then
        in_node_env "$n" mariadbd --user=mysql --wsrep-recover --log-error=/var/lib/mysql/lab-recover.err >/dev/null 2>&1 || true
        seq=$(in_node "$n" sed -n 's/.*WSREP: Recovered position: [^:]*:\(-\?[0-9]*\).*/\1/p' /var/lib/mysql/lab-recover.err 2>/dev/null | tail -n 1)
    fi
    echo "${seq:--1}"
}

# No mariadbd runs anywhere (a setup that ran Galera under Pacemaker was removed, or every
# node crashed): bootstrap from the node with the highest seqno, safe_to_bootstrap first on a
# tie, as an operator does by hand; the others join one at a time.
galera_bootstrap_best() {
    local n best="" bs=-2 s safe
    for n in "${NODES[@]}"; do
        s=$(galera_seqno "$n")
        safe=$(in_node "$n" sed -n 's/^safe_to_bootstrap: *//p' /var/lib/mysql/grastate.dat 2>/dev/null)
        log "galera: $n stopped at seqno $s (safe_to_bootstrap ${safe:-?})"
        if (( s > bs )) || { (( s == bs )) && [[ $safe == 1 ]]; }; then best=$n; bs=$s; fi
    done
    [[ -n $best ]] || return 1
    log "galera: no node runs mariadbd: bootstrapping $best (seqno $bs)"
    in_node "$best" sed -i 's/^safe_to_bootstrap: *0/safe_to_bootstrap: 1/' /var/lib/mysql/grastate.dat
    mariadbd_start "$best" --wsrep-new-cluster
    wait_until 60 "galera $best Synced (bootstrap)" galera_synced "$best" || return 1
    for n in "${NODES[@]}"; do
        [[ $n == "$best" ]] && continue
        mariadbd_start "$n"
        wait_until 120 "galera $n Synced (joined)" galera_synced "$n" || return 1
    done
}

# back to three Synced nodes run by the lab, whatever a scenario did
galera_restore() {
    local n
    galera_any_running || galera_bootstrap_best || return 1
    for n in "${NODES[@]}"; do
        galera_release "$n"
        if galera_running "$n"; then
            sql "$n" -e "SET GLOBAL wsrep_desync=OFF; SET GLOBAL wsrep_provider_options='gmcast.isolate=0'" 2>/dev/null || true
        else
            mariadbd_start "$n"
        fi
    done
    for n in "${NODES[@]}"; do
        wait_until 120 "galera $n Synced" galera_synced "$n" || return 1
    done
}

# `lab configure` of a setup that runs Galera under Pacemaker: the lab's own mariadbd stop
# cleanly, one node after the other (n1 last: it leaves with safe_to_bootstrap: 1), as an
# operator does before handing the nodes to the cluster; Pacemaker starts them again.
galera_hand_over() {
    local i
    for ((i = ${#NODES[@]} - 1; i >= 0; i--)); do galera_stop_own "${NODES[i]}"; done
    log "galera: the lab's mariadbd stopped on ${NODES[*]} (positions: $(for n in "${NODES[@]}"; do printf '%s=%s ' "$n" "$(galera_position "$n" | cut -d: -f2)"; done))"
}

galera_summary() {
    local n
    for n in "${NODES[@]}"; do
        if galera_running "$n"; then
            printf '  %s: %s, %s, size %s, ready %s, connections %s/%s\n' "$n" \
                "$(wsrep_status "$n" wsrep_local_state_comment)" "$(wsrep_status "$n" wsrep_cluster_status)" \
                "$(wsrep_status "$n" wsrep_cluster_size)" "$(wsrep_status "$n" wsrep_ready)" \
                "$(wsrep_status "$n" Threads_connected)" "$(sql "$n" -e 'SELECT @@max_connections' 2>/dev/null)"
        else
            printf '  %s: mariadbd not running\n' "$n"
        fi
    done
}
