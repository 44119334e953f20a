# tests/lib/galera-node.sh - a one-node Galera cluster of a test's own on 127.0.0.1 (sourced,
# after common.sh), for the tests and benchmarks that run ocf:mariadb:galera outside a cluster.
#
#   galera_node_config DIR NAME SQL GM IST SST   writes DIR/my.cnf (ports: SQL, group
#                                                communication, IST, SST)
#   galera_node_history DIR SOCK PIDFILE GM      creates DIR/data and gives it a cluster history:
#                                                bootstrapped once by hand, stopped cleanly
# The agent never creates a cluster history (a node without a trusted position is never
# elected), so a new cluster is bootstrapped once by hand, as the agent's README says users do.

galera_node_config() {
    local dir=$1 name=$2 sql=$3 gm=$4 ist=$5 sst=$6
    cat >"$dir/my.cnf" <<CNF
[mysqld]
user = mysql
port = $sql
bind-address = 127.0.0.1
skip-name-resolve
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
performance_schema = OFF
binlog_format = ROW
innodb_autoinc_lock_mode = 2
wsrep_on = ON
wsrep_provider = /usr/lib/galera/libgalera_smm.so
wsrep_cluster_name = $name
wsrep_node_address = 127.0.0.1:$gm
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$gm;ist.recv_addr=127.0.0.1:$ist;gcache.size=16M"
wsrep_sst_receive_address = 127.0.0.1:$sst
wsrep_sst_method = rsync
CNF
}

galera_node_history() {
    local dir=$1 sock=$2 pidfile=$3 gm=$4 boot
    mariadb-install-db --no-defaults --user=mysql --skip-test-db \
        --auth-root-authentication-method=socket --datadir="$dir/data" >"$dir/install.out" 2>&1 \
        || die "mariadb-install-db: $(tail -5 "$dir/install.out")"
    setpriv --bounding-set -sys_boot /usr/sbin/mariadbd --defaults-file="$dir/my.cnf" \
        --datadir="$dir/data" --socket="$sock" --pid-file="$pidfile" \
        --log-error="$dir/mysqld.err" --wsrep-cluster-address="gcomm://127.0.0.1:$gm" \
        --wsrep-new-cluster >/dev/null 2>&1 &
    boot=$!
    if ! wait_until 60 "the bootstrap answers SQL" \
        mariadb --no-defaults -uroot -S "$sock" -e 'select 1'; then
        kill -KILL "$boot" 2>/dev/null
        die "the bootstrap did not answer SQL: $(tail -5 "$dir/mysqld.err")"
    fi
    kill -TERM "$boot"
    wait "$boot"
    grep '^seqno: *[0-9]' "$dir/data/grastate.dat" >/dev/null || die "no clean grastate.dat after the stop"
}
