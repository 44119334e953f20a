#!/usr/bin/env bash
# tests/galera/ocf-tester.sh - resource-agents' ocf-tester and crm_resource --validate on the
# installed ocf:mariadb:galera (tests/setup/install-agents.sh installs it).
#
# ocf-tester runs start, promote, demote and stop for real, so it gets a real one-node Galera
# cluster: a datadir of its own under /tmp, 127.0.0.1 ports 35950-35953. The datadir is
# bootstrapped once by hand first (the agent never creates a cluster history: a node without a
# trusted position is never elected). There is no cluster either, so the Pacemaker tools the
# agent calls are the stand-ins of tests/lib/pcmk-standin (attributes and scores in files).
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
. "$here/../lib/galera-node.sh"
need_root
need_cmd ocf-tester xmllint crm_resource mariadb-install-db mariadb
[[ -e /usr/lib/galera/libgalera_smm.so ]] || die "galera-4 missing (tests/setup/install-deps.sh)"

AGENT=/usr/lib/ocf/resource.d/mariadb/galera
[[ -x $AGENT ]] || die "$AGENT missing (run tests/setup/install-agents.sh)"
NAME=galera-ocf-tester
SQL=35950 GM=35951 IST=35952 SST=35953
work=$(mktemp -d /tmp/ocf-mariadb-galera-tester.XXXXXX)
chmod 755 "$work"
mkdir "$work/data" "$work/pcmk"
chown mysql:mysql "$work" "$work/data"
node=$(uname -n)

export PATH="$top/tests/lib/pcmk-standin:$PATH" FAKE_PCMK_DIR=$work/pcmk
params=(-o "wsrep_cluster_address=gcomm://127.0.0.1:$GM"
    -o "cluster_host_map=$node:127.0.0.1:$GM"
    -o "config=$work/my.cnf" -o "datadir=$work/data" -o "socket=$work/mysqld.sock"
    -o "pid=$work/mysqld.pid" -o "log=$work/mysqld.err")

cleanup() {
    # The agent's own stop (SIGTERM, then SIGKILL): nothing of ours keeps running.
    env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=$NAME OCF_RESKEY_CRM_meta_timeout=60000 \
        OCF_RESKEY_wsrep_cluster_address="gcomm://127.0.0.1:$GM" \
        OCF_RESKEY_cluster_host_map="$node:127.0.0.1:$GM" OCF_RESKEY_config="$work/my.cnf" \
        OCF_RESKEY_datadir="$work/data" OCF_RESKEY_socket="$work/mysqld.sock" \
        OCF_RESKEY_pid="$work/mysqld.pid" "$AGENT" stop >/dev/null 2>&1
    rm -rf "$work" "/run/resource-agents/galera-$NAME.state"
}
trap cleanup EXIT

galera_node_config "$work" "ocf-tester-$$" "$SQL" "$GM" "$IST" "$SST"

t_begin "a one-node cluster is created by hand (bootstrap once, clean stop)"
galera_node_history "$work" "$work/mysqld.sock" "$work/mysqld.pid" "$GM"

t_begin "ocf-tester passes (start, promote = bootstrap, demote, stop)"
out=$(ocf-tester -v -n "$NAME" "${params[@]}" "$AGENT" 2>&1)
assert_ocf_tester $? "$out"

t_begin "mariadbd is stopped and no state file is left behind"
assert_rc 1 test -e "/run/resource-agents/galera-$NAME.state"
assert_rc 1 test -e "$work/mysqld.pid"

t_begin "crm_resource --validate: good parameters 0, bad ones 6, missing password file 2"
validate() {
    crm_resource --validate --class ocf --provider mariadb --agent galera \
        --option "wsrep_cluster_address=gcomm://127.0.0.1:$GM" \
        --option "cluster_host_map=$node:127.0.0.1:$GM" --option "config=$work/my.cnf" \
        --option "datadir=$work/data" "$@" >"$work/validate.out" 2>&1
}
assert_rc 0 validate || sed 's/^/    /' "$work/validate.out"
assert_rc 6 validate --option additional_parameters=--wsrep-new-cluster
assert_rc 6 validate --option wsrep_cluster_address=gcomm://
assert_rc 6 validate --option min_reports=-1
assert_rc 2 validate --option check_passwd_file=/nonexistent/galera.pw
assert_rc 5 validate --option binary=/nonexistent/mariadbd

t_summary
