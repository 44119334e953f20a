#!/usr/bin/env bash
# tests/galera/local-cluster.sh - a real 3-node Galera cluster (MariaDB 10.11 +
# galera-4 from Debian) on 127.0.0.1, no namespaces, no systemd.
#
# Usage: local-cluster.sh COMMAND [ARGS]
#   up                  mariadb-install-db + bootstrap g1 (--wsrep-new-cluster),
#                       create users/db on it, join g2 then g3 (rsync SST), wait
#                       until all are Synced with size 3.  ~10 s.  No-op if all
#                       run; otherwise starts the missing nodes.
#   down                release exhaust holders, SIGTERM all nodes (30 s, then
#                       SIGKILL), kill leftovers in the nodes' pids cgroups,
#                       remove $OCFM_STATE/galera.  Succeeds if already down.
#   status              per node: pid, wsrep_local_state + comment,
#                       wsrep_cluster_status, wsrep_cluster_size, wsrep_ready
#   desync N on|off     SET GLOBAL wsrep_desync=ON|OFF (waits for
#                       Donor/Desynced | Synced)
#   stop-node N         SIGTERM (graceful), bounded wait (30 s), then SIGKILL
#   start-node N        start a stopped node (joins by IST/SST; bootstraps a new
#                       cluster from it if no other node runs); waits for Synced
#   kill-node N         SIGKILL (crash; grastate seqno stays -1)
#   isolate N           SET GLOBAL wsrep_provider_options='gmcast.isolate=1'
#                       (waits until N is non-Primary)
#   unisolate N         ...'gmcast.isolate=0' (waits until N is Synced again)
#   exhaust N           open connections to N as the non-SUPER user ocfexhaust
#                       until max_connections (20) is reached; they are held by
#                       background processes (recorded pids) until `release N`.
#                       While held, other non-SUPER logins (ocftest) get
#                       ERROR 1040 Too many connections; root over the socket
#                       still gets the one extra SUPER connection.
#   release N           free the connections held by `exhaust N`
#   sql N "SQL" [ARGS]  run the mariadb client as root over node N's unix socket
#                       (mariadb --no-defaults -uroot -S SOCK ARGS -e "SQL");
#                       without SQL, reads statements from stdin.  E.g.
#                       local-cluster.sh sql 2 "SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'" -N
#
# Nodes (N = 1, 2, 3; name gN, wsrep_node_name gN):
#   node  mysqld          gcomm   IST    SST (rsync)
#   g1    127.0.0.1:3311  4567    4568   4444
#   g2    127.0.0.1:3312  4577    4578   4454
#   g3    127.0.0.1:3313  4587    4588   4464
# Files: $OCFM_STATE/galera/gN/ (OCFM_STATE defaults to /tmp/ocf-mariadb)
#   my.cnf        the node's only option file (use --defaults-file=)
#   data/         datadir (owner mysql)
#   mysqld.sock   unix socket          mysqld.pid  pid file written by mariadbd (late)
#   exec.pid      pid recorded at exec time by this script (use this one)
#   mysqld.err    error log            mariadbd.out  stdout/stderr of mariadbd
# Each mariadbd runs in the pids cgroup /sys/fs/cgroup/pids/ocf-mariadb-galera-gN
# (with its SST scripts/rsync daemons), emptied by stop-node/kill-node/down.
# Accounts: root@localhost (unix_socket auth: OS root over the socket)
#   ocftest@localhost, ocftest@127.0.0.1   password ocftest-pw
#       GRANT USAGE, PROCESS, REPLICATION CLIENT ON *.*  + SELECT ON ocft.*
#   ocfexhaust@localhost, @127.0.0.1      password ocfexhaust-pw (USAGE only;
#       used by exhaust)
# Data: database ocft, table ocft.t (id INT AUTO_INCREMENT PK, v VARCHAR(64)), 1 row.
# Server settings: wsrep_sst_method=rsync, binlog_format=ROW,
#   innodb_autoinc_lock_mode=2, innodb_buffer_pool_size=32M, max_connections=20,
#   gcache.size=32M, cluster name ocfm-local.
# Env: OCFM_STATE; WSREP_NOTIFY_CMD=/path (read when `up` creates the nodes:
#   adds wsrep_notify_cmd=... to every node's my.cnf; it runs as user mysql);
#   GALERA_SYNC_TIMEOUT (120) s for a node to reach Synced;
#   GALERA_STOP_TIMEOUT (30) s after SIGTERM before SIGKILL (stop-node, down);
#   KEEP_ON_FAILURE=1: a failed `up` leaves everything for inspection.
set -euo pipefail
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/common.sh"

G=$OCFM_STATE/galera
NODES=(1 2 3)
SYNC_TIMEOUT=${GALERA_SYNC_TIMEOUT:-120}
STOP_TIMEOUT=${GALERA_STOP_TIMEOUT:-30}
CLUSTER_ADDR=gcomm://127.0.0.1:4567,127.0.0.1:4577,127.0.0.1:4587

nd()        { echo "$G/g$1"; }
port()      { echo $(( 3310 + $1 )); }
gcomm()     { echo $(( 4557 + 10 * $1 )); }
ist()       { echo $(( 4558 + 10 * $1 )); }
sst()       { echo $(( 4434 + 10 * $1 )); }
sock()      { echo "$(nd "$1")/mysqld.sock"; }

check_n() {
    [[ ${1:-} =~ ^[123]$ ]] || die "node must be 1, 2 or 3 (got '${1:-}')"
}

node_pid() { pidfile_pid "$(nd "$1")/exec.pid"; }
node_running() { node_pid "$1" >/dev/null; }

# q N SQL : root over the socket, no headers, tab separated, at most 15 s
q() {
    timeout -k 2 15 mariadb --no-defaults --connect-timeout=5 -uroot -S "$(sock "$1")" -N -B -e "$2" 2>/dev/null
}

status_var() {
    local out
    out=$(q "$1" "SHOW GLOBAL STATUS LIKE '$2'") || return 1
    printf '%s\n' "${out#*$'\t'}"
}

is_synced() {
    [[ $(status_var "$1" wsrep_local_state) == 4 ]] &&
        [[ $(status_var "$1" wsrep_cluster_status) == Primary ]]
}

write_cnf() {
    local n=$1 d; d=$(nd "$n")
    mkdir -p "$d/data"
    cat >"$d/my.cnf" <<EOF
# written by ocf-mariadb tests/galera/local-cluster.sh (node g$n)
[mysqld]
user = mysql
datadir = $d/data
socket = $d/mysqld.sock
pid-file = $d/mysqld.pid
log-error = $d/mysqld.err
port = $(port "$n")
bind-address = 127.0.0.1
skip-name-resolve
max_connections = 20
# small footprint
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
innodb_log_buffer_size = 4M
innodb_flush_log_at_trx_commit = 2
key_buffer_size = 1M
aria_pagecache_buffer_size = 8M
table_open_cache = 200
performance_schema = OFF
# galera
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
wsrep_on = ON
wsrep_provider = /usr/lib/galera/libgalera_smm.so
wsrep_cluster_name = ocfm-local
wsrep_cluster_address = $CLUSTER_ADDR
wsrep_node_name = g$n
wsrep_node_address = 127.0.0.1:$(gcomm "$n")
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$(gcomm "$n");ist.recv_addr=127.0.0.1:$(ist "$n");gcache.size=32M"
wsrep_sst_receive_address = 127.0.0.1:$(sst "$n")
wsrep_sst_method = rsync
EOF
    if [[ -n ${WSREP_NOTIFY_CMD:-} ]]; then
        echo "wsrep_notify_cmd = $WSREP_NOTIFY_CMD" >>"$d/my.cnf"
    fi
    chown mysql:mysql "$d" "$d/data"
    chmod 0755 "$d"
}

initialized() { [[ -d $(nd "$1")/data/mysql ]]; }

install_db() {
    local n=$1 d t0; d=$(nd "$n"); t0=$(now_us)
    log "g$n: mariadb-install-db"
    mariadb-install-db --defaults-file="$d/my.cnf" --user=mysql --skip-test-db \
        --auth-root-authentication-method=socket >"$d/install-db.log" 2>&1 \
        || { tail -n 20 "$d/install-db.log" >&2; die "g$n: mariadb-install-db failed (see $d/install-db.log)"; }
    log "g$n: datadir initialized in $(since "$t0") s"
}

# start_mariadbd N [bootstrap]
start_mariadbd() {
    local n=$1 boot=${2:-} d args=(); d=$(nd "$n")
    if [[ $boot == bootstrap ]]; then
        args=(--wsrep-new-cluster)
        if [[ -f $d/data/grastate.dat ]] && grep -q '^safe_to_bootstrap: 0' "$d/data/grastate.dat"; then
            sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$d/data/grastate.dat"
            log "g$n: set safe_to_bootstrap: 1 in grastate.dat (test cluster)"
        fi
    fi
    chown mysql:mysql "$d" "$d/data"
    local cgopt=()
    if [[ -d $CG_ROOT && -w $CG_ROOT ]]; then
        cg_cleanup "$n"          # leftovers of an earlier (killed) instance
        mkdir -p "$(cg_dir "$n")"
        cgopt=(-c "$(cg_dir "$n")")
    fi
    run_guarded "${cgopt[@]}" -l "$d/mariadbd.out" "$d/exec.pid" -- mariadbd --defaults-file="$d/my.cnf" "${args[@]}"
}

synced_or_dead() { is_synced "$1" || ! node_running "$1"; }

wait_synced() {
    local n=$1 t0=$2 d; d=$(nd "$n")
    if ! _wait_quiet "$SYNC_TIMEOUT" synced_or_dead "$n"; then
        tail -n 20 "$d/mysqld.err" >&2 2>/dev/null || true
        die "g$n: not Synced/Primary after ${SYNC_TIMEOUT}s (log: $d/mysqld.err)"
    fi
    if ! node_running "$n"; then
        tail -n 25 "$d/mysqld.err" >&2 2>/dev/null || true
        rm -f "$d/exec.pid"
        die "g$n: mariadbd exited during start (log: $d/mysqld.err)"
    fi
    log "g$n: Synced in $(since "$t0") s"
}

others_running() {
    local m
    for m in "${NODES[@]}"; do
        [[ $m == "$1" ]] && continue
        node_running "$m" && return 0
    done
    return 1
}

start_node() {
    local n=$1 t0; t0=$(now_us)
    if node_running "$n"; then
        log "g$n: already running (pid $(node_pid "$n"))"
        return 0
    fi
    [[ -f $(nd "$n")/my.cnf ]] || die "g$n: not created (run: $0 up)"
    if others_running "$n"; then
        log "g$n: starting (joins the running cluster)"
        start_mariadbd "$n"
    else
        initialized "$n" || install_db "$n"
        log "g$n: starting with --wsrep-new-cluster (no other node runs)"
        start_mariadbd "$n" bootstrap
    fi
    wait_synced "$n" "$t0"
}

ports_free() {
    local n p busy="" out
    for n in "${NODES[@]}"; do
        for p in "$(port "$n")" "$(gcomm "$n")" "$(ist "$n")" "$(sst "$n")"; do
            out=$(ss -Hltn "sport = :$p" 2>/dev/null || true)
            [[ -z $out ]] || busy+=" $p"
        done
    done
    [[ -z $busy ]] || die "TCP ports in use on this host:$busy (another Galera/MariaDB?); refusing"
}

create_accounts() {
    log "creating users ocftest, ocfexhaust and database ocft (on g1, replicated)"
    mariadb --no-defaults -uroot -S "$(sock 1)" <<'EOF'
CREATE USER IF NOT EXISTS 'ocftest'@'localhost' IDENTIFIED BY 'ocftest-pw';
CREATE USER IF NOT EXISTS 'ocftest'@'127.0.0.1' IDENTIFIED BY 'ocftest-pw';
GRANT USAGE, PROCESS, REPLICATION CLIENT ON *.* TO 'ocftest'@'localhost', 'ocftest'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'ocfexhaust'@'localhost' IDENTIFIED BY 'ocfexhaust-pw';
CREATE USER IF NOT EXISTS 'ocfexhaust'@'127.0.0.1' IDENTIFIED BY 'ocfexhaust-pw';
CREATE DATABASE IF NOT EXISTS ocft;
CREATE TABLE IF NOT EXISTS ocft.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64) NOT NULL) ENGINE=InnoDB;
INSERT INTO ocft.t (v) VALUES ('hello');
GRANT SELECT ON ocft.* TO 'ocftest'@'localhost', 'ocftest'@'127.0.0.1';
EOF
}

all_synced_3() {
    local n
    for n in "${NODES[@]}"; do
        is_synced "$n" || return 1
        [[ $(status_var "$n" wsrep_cluster_size) == 3 ]] || return 1
    done
}

show_logs() {
    local n f
    for n in "${NODES[@]}"; do
        f=$(nd "$n")/mysqld.err
        [[ -s $f ]] || continue
        log "---- last lines of $f"
        tail -n 10 "$f" >&2
    done
}

do_up() {
    need_root
    need_cmd mariadbd mariadb mariadb-install-db rsync ss
    [[ -e /usr/lib/galera/libgalera_smm.so ]] || die "galera-4 not installed (/usr/lib/galera/libgalera_smm.so)"
    local t0 n fresh=0; t0=$(now_us)
    if all_running && all_synced_3; then
        log "already up: all 3 nodes Synced, size 3 (nothing to do)"
        return 0
    fi
    if [[ ! -f $G/g1/my.cnf ]]; then
        fresh=1
        any_running && die "nodes without config are running?"
        ports_free
        if [[ -z ${KEEP_ON_FAILURE:-} ]]; then
            # (a joiner in SST ignores SIGTERM: do not wait long for it)
            on_failure 'show_logs; STOP_TIMEOUT=5 do_down'
        fi
        mkdir -p "$G"
        chmod 0755 "$OCFM_STATE" "$G"
        for n in "${NODES[@]}"; do write_cnf "$n"; done
        install_db 1
    else
        on_failure 'show_logs'
    fi
    for n in "${NODES[@]}"; do
        start_node "$n"
        (( fresh && n == 1 )) && create_accounts
    done
    wait_until 60 "all 3 nodes Synced with cluster size 3" all_synced_3
    on_failure ''
    log "up in $(since "$t0") s: g1 g2 g3 Synced, size 3 (127.0.0.1:3311-3313)"
}

all_running() { local n; for n in "${NODES[@]}"; do node_running "$n" || return 1; done; }
any_running() { local n; for n in "${NODES[@]}"; do node_running "$n" && return 0; done; return 1; }

# stop_nodes SIGNAL TIMEOUT N... : signal all, wait (one shared deadline),
# SIGKILL the rest, then kill what is left in the nodes' cgroups (SST scripts,
# rsync daemons, notify commands)
stop_nodes() {
    local sig=$1 timeout=$2; shift 2
    local n pid pids=() names=()
    for n in "$@"; do
        if pid=$(node_pid "$n"); then
            kill "-$sig" "$pid" 2>/dev/null || true
            pids+=("$pid"); names+=("g$n")
        fi
    done
    if (( ${#pids[@]} )) && ! _wait_quiet "$timeout" pids_dead "${pids[@]}"; then
        local i
        for i in "${!pids[@]}"; do
            pid_alive "${pids[i]}" || continue
            log "${names[i]} (pid ${pids[i]}) still alive ${timeout}s after SIG$sig: SIGKILL"
            kill -KILL "${pids[i]}" 2>/dev/null || true
        done
        _wait_quiet 10 pids_dead "${pids[@]}" || log "WARNING: some of ${names[*]} survived SIGKILL"
    fi
    for n in "$@"; do
        rm -f "$(nd "$n")/exec.pid"
        cg_cleanup "$n"
    done
}

pids_dead() { local p; for p in "$@"; do pid_alive "$p" && return 1; done; return 0; }

CG_ROOT=/sys/fs/cgroup/pids
cg_dir() { echo "$CG_ROOT/ocf-mariadb-galera-g$1"; }
cg_pids() { local f; f=$(cg_dir "$1")/cgroup.procs; [[ -r $f ]] && cat "$f"; return 0; }

cg_cleanup() {
    local n=$1 cg pids=(); cg=$(cg_dir "$n")
    [[ -d $cg ]] || return 0
    mapfile -t pids < <(cg_pids "$n")
    if (( ${#pids[@]} )); then
        log "g$n: killing leftover processes of its cgroup: ${pids[*]}"
        kill -TERM "${pids[@]}" 2>/dev/null || true
        if ! _wait_quiet 5 pids_dead "${pids[@]}"; then
            kill -KILL "${pids[@]}" 2>/dev/null || true
            _wait_quiet 5 pids_dead "${pids[@]}" || log "WARNING: g$n: leftovers survived SIGKILL"
        fi
    fi
    # a killed task leaves the cgroup only once it is reaped
    _wait_quiet 5 rmdir "$cg" || log "WARNING: could not remove $cg (still has tasks: $(cg_pids "$n" | tr '\n' ' '))"
}

do_down() {
    local t0 n; t0=$(now_us)
    if [[ ! -d $G ]]; then
        for n in "${NODES[@]}"; do cg_cleanup "$n"; done
        log "not up (nothing to do)"
        return 0
    fi
    for n in "${NODES[@]}"; do release_node "$n" quiet; done
    log "stopping g1 g2 g3 (SIGTERM)"
    stop_nodes TERM "$STOP_TIMEOUT" "${NODES[@]}"
    rm -rf "$G"
    rmdir "$OCFM_STATE" 2>/dev/null || true
    log "down in $(since "$t0") s (removed $G)"
}

do_status() {
    local n pid out v
    if [[ ! -d $G ]]; then
        echo "galera local cluster: not created"
        return 3
    fi
    for n in "${NODES[@]}"; do
        if ! pid=$(node_pid "$n"); then
            printf 'g%s  port %s  down\n' "$n" "$(port "$n")"
            continue
        fi
        out=$(q "$n" "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state','wsrep_local_state_comment','wsrep_cluster_status','wsrep_cluster_size','wsrep_ready','wsrep_connected','wsrep_desync_count')") || out=""
        declare -A s=()
        while IFS=$'\t' read -r k v; do s[$k]=$v; done <<<"$out"
        printf 'g%s  port %s  pid %-7s state %s %-16s cluster %-11s size %s  ready %s  connected %s%s\n' \
            "$n" "$(port "$n")" "$pid" "${s[wsrep_local_state]:-?}" "${s[wsrep_local_state_comment]:-(no answer)}" \
            "${s[wsrep_cluster_status]:-?}" "${s[wsrep_cluster_size]:-?}" "${s[wsrep_ready]:-?}" \
            "${s[wsrep_connected]:-?}" \
            "$( [[ -s $(nd "$n")/exhaust.pid ]] && echo "  (connections exhausted)")"
        unset s
    done
}

need_running() { node_running "$1" || die "g$1 is not running"; }

do_desync() {
    local n=$1 mode=${2:-}
    need_running "$n"
    case $mode in
        on)  q "$n" "SET GLOBAL wsrep_desync=ON"
             wait_until 30 "g$n Donor/Desynced" comment_is "$n" Donor/Desynced
             log "g$n: Donor/Desynced" ;;
        off) q "$n" "SET GLOBAL wsrep_desync=OFF"
             wait_until 30 "g$n Synced" is_synced "$n"
             log "g$n: Synced" ;;
        *) die "usage: desync N on|off" ;;
    esac
}

comment_is() { [[ $(status_var "$1" wsrep_local_state_comment) == "$2" ]]; }

non_primary() { [[ $(status_var "$1" wsrep_cluster_status) != Primary ]]; }

do_isolate() {
    local n=$1 t0; t0=$(now_us)
    need_running "$n"
    q "$n" "SET GLOBAL wsrep_provider_options='gmcast.isolate=1'"
    wait_until 30 "g$n non-Primary" non_primary "$n"
    log "g$n: isolated, $(status_var "$n" wsrep_cluster_status) after $(since "$t0") s"
}

do_unisolate() {
    local n=$1 t0; t0=$(now_us)
    need_running "$n"
    q "$n" "SET GLOBAL wsrep_provider_options='gmcast.isolate=0'"
    wait_until 60 "g$n Synced and Primary again" is_synced "$n"
    log "g$n: Synced again after $(since "$t0") s"
}

do_stop_node() {
    local n=$1 t0; t0=$(now_us)
    if ! node_running "$n"; then
        log "g$n: not running"
        rm -f "$(nd "$n")/exec.pid"
        return 0
    fi
    release_node "$n" quiet
    stop_nodes TERM "$STOP_TIMEOUT" "$n"
    log "g$n: stopped in $(since "$t0") s"
}

do_kill_node() {
    local n=$1 pid
    if ! pid=$(node_pid "$n"); then
        log "g$n: not running"
        return 0
    fi
    kill -KILL "$pid"
    wait_until 10 "g$n pid $pid gone" pid_dead "$pid"
    rm -f "$(nd "$n")/exec.pid"
    cg_cleanup "$n"
    log "g$n: killed (SIGKILL pid $pid)"
}

do_start_node() {
    local n=$1
    [[ -d $G ]] || die "cluster not created (run: $0 up)"
    on_failure "stop_nodes KILL 10 $n"
    start_node "$n"
    on_failure ''
}

# ---------------------------------------------------------------- exhaust

ex_count() {
    q "$1" "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='ocfexhaust'"
}

do_exhaust() {
    local n=$1 d t0; d=$(nd "$n"); t0=$(now_us)
    need_running "$n"
    if pidfile_pid "$d/exhaust.pid" >/dev/null; then
        log "g$n: connections already exhausted (release first)"
        return 0
    fi
    local maxc; maxc=$(q "$n" "SELECT @@max_connections")
    rm -rf "$d/exhaust.d" "$d/exhaust.fifo"
    mkdir -p "$d/exhaust.d"
    mkfifo "$d/exhaust.fifo"
    on_failure "release_node $n quiet"
    # the holder keeps the fifo open (read-write, so nobody blocks on open);
    # every client reads its statements from the fifo, i.e. sits idle on an
    # open connection until the holder dies (EOF), then exits, which closes
    # its connection.
    # shellcheck disable=SC2016
    run_guarded -q "$d/exhaust.pid" -- sh -c 'exec sleep 2147483647 1<>"$1"' ocfm-exhaust "$d/exhaust.fifo"
    local i held=0 cpid rc_file
    for (( i = 1; i <= maxc + 10; i++ )); do
        # shellcheck disable=SC2016
        run_guarded -q -l "$d/exhaust.d/c$i.out" "$d/exhaust.d/c$i.pid" -- \
            sh -c 'f=$1; shift; exec "$@" <"$f"' ocfm-exhaust-client "$d/exhaust.fifo" \
            mariadb --no-defaults --connect-timeout=5 -h127.0.0.1 -P"$(port "$n")" \
            -uocfexhaust -pocfexhaust-pw -B || true   # rc 3: already exited (refused)
        cpid=$(<"$d/exhaust.d/c$i.pid")
        # connected (the server lists it) or exited (refused)
        wait_until 10 "exhaust client $i connected or refused" ex_step "$n" "$i" "$cpid"
        if pid_dead "$cpid"; then
            rc_file=$(cat "$d/exhaust.d/c$i.out")
            rm -f "$d/exhaust.d/c$i.pid"
            [[ $rc_file == *"Too many connections"* ]] || die "exhaust client $i failed: $rc_file"
            break
        fi
        held=$i
    done
    (( held > 0 )) || die "g$n: could not open any connection"
    # check: a non-SUPER login is refused now
    local probe
    probe=$(mariadb --no-defaults --connect-timeout=5 -h127.0.0.1 -P"$(port "$n")" -uocftest -pocftest-pw -e 'SELECT 1' 2>&1 || true)
    [[ $probe == *"Too many connections"* ]] || log "WARNING: ocftest could still log in: $probe"
    on_failure ''
    log "g$n: holding $held connections as ocfexhaust (max_connections=$maxc) after $(since "$t0") s; ocftest gets: ${probe//$'\n'/ }"
}

# release_node N [quiet]
release_node() {
    local n=$1 quiet=${2:-} d; d=$(nd "$n")
    if [[ ! -e $d/exhaust.pid && ! -d $d/exhaust.d ]]; then
        [[ -n $quiet ]] || log "g$n: nothing to release"
        return 0
    fi
    local t0 f; t0=$(now_us)
    kill_pidfile "$d/exhaust.pid" 5
    for f in "$d"/exhaust.d/c*.pid; do
        [[ -e $f ]] && kill_pidfile "$f" 5
    done
    rm -rf "$d/exhaust.d" "$d/exhaust.fifo"
    if node_running "$n"; then
        if ! _wait_quiet 10 ex_zero "$n"; then
            log "g$n: server still lists ocfexhaust connections: KILL CONNECTION"
            local id
            for id in $(q "$n" "SELECT ID FROM information_schema.PROCESSLIST WHERE USER='ocfexhaust'"); do
                q "$n" "KILL CONNECTION $id" || true
            done
        fi
    fi
    log "g$n: connections released in $(since "$t0") s"
}

ex_step() { [[ $(ex_count "$1") -ge $2 ]] || pid_dead "$3"; }

ex_zero() { [[ $(ex_count "$1") == 0 ]]; }

do_sql() {
    local n=$1; shift
    need_running "$n"
    if (( $# )); then
        local sql=$1; shift
        exec mariadb --no-defaults -uroot -S "$(sock "$n")" "$@" -e "$sql"
    fi
    exec mariadb --no-defaults -uroot -S "$(sock "$n")"
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

cmd=${1:-}
(( $# )) && shift
# concurrent runs queue up instead of racing (status and sql need no lock)
case $cmd in status|sql|'') ;; *) ocfm_lock "$(readlink -f "${BASH_SOURCE[0]}")" ;; esac
case $cmd in
    up) do_up ;;
    down) need_root; do_down ;;
    status) do_status ;;
    desync) check_n "${1:-}"; do_desync "$1" "${2:-}" ;;
    stop-node) check_n "${1:-}"; do_stop_node "$1" ;;
    start-node) need_root; check_n "${1:-}"; do_start_node "$1" ;;
    kill-node) check_n "${1:-}"; do_kill_node "$1" ;;
    isolate) check_n "${1:-}"; do_isolate "$1" ;;
    unisolate) check_n "${1:-}"; do_unisolate "$1" ;;
    exhaust) check_n "${1:-}"; do_exhaust "$1" ;;
    release) check_n "${1:-}"; release_node "$1" ;;
    sql) check_n "${1:-}"; do_sql "$@" ;;
    *) usage ;;
esac
