# shellcheck shell=bash
# tests/lib/cluster-conf.sh - the configuration files every test cluster starts from, written
# once for the single-node Pacemaker (tests/pacemaker/single-node.sh) and the lab (tests/lab).

# corosync_conf CLUSTER LOGFILE TIMESTAMP TOKEN NODE...: a corosync.conf for Corosync 3 (knet,
# no crypto) on stdout. NODE is name:nodeid:ring0_addr; TOKEN empty keeps Corosync's default.
corosync_conf() {
    local cluster=$1 logfile=$2 timestamp=$3 token=$4 node name id addr; shift 4
    echo "totem {"
    echo "    version: 2"
    echo "    cluster_name: $cluster"
    echo "    transport: knet"
    echo "    crypto_cipher: none"
    echo "    crypto_hash: none"
    [[ -z $token ]] || echo "    token: $token"
    echo "}"
    echo "nodelist {"
    for node in "$@"; do
        IFS=: read -r name id addr <<<"$node"
        printf '    node {\n        name: %s\n        nodeid: %s\n        ring0_addr: %s\n    }\n' \
            "$name" "$id" "$addr"
    done
    echo "}"
    # two nodes: each keeps quorum alone (two_node implies wait_for_all: a node that boots
    # alone has none until it has seen its peer once); fencing decides who survives a split
    cat <<EOC
quorum {
    provider: corosync_votequorum$( (( $# == 2 )) && printf '\n    two_node: 1')
}
logging {
    fileline: off
    to_stderr: no
    to_syslog: no
    to_logfile: yes
    logfile: $logfile
    timestamp: $timestamp
}
EOC
}

# cib_seed FILE OPTION=VALUE...: an empty CIB with these cluster options (crm_config), so the
# first DC election does not wait for the 20 s default dc-deadtime.
cib_seed() {
    local file=$1 kv; shift
    cibadmin --empty >"$file"
    for kv in "$@"; do
        CIB_file=$file crm_attribute --type crm_config --name "${kv%%=*}" --update "${kv#*=}" \
            >/dev/null || return 1
    done
}
