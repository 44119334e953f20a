# shellcheck shell=bash
# tests/lab/lib/keepalived.sh - seeds 001/004 literally: Keepalived (Debian's) in node
# namespaces, the maxscale agent's `keepalived-check` as vrrp_script and `keepalived-notify`
# as notify script, both reading /etc/keepalived/maxscale.params (key=value lines).

keepalived_conf() { # NODE STATE PRIORITY
    local n=$1 state=$2 prio=$3
    cat <<EOF
# written by tests/lab/lab for node $n (seeds 001/004 with ocf:mariadb:maxscale's modes)
global_defs {
    router_id $n
    enable_script_security
    script_user root
}

vrrp_script chk_maxscale {
    script "$OCF_MARIADB/maxscale keepalived-check --params /etc/keepalived/maxscale.params"
    interval 1
    timeout 2
    fall 2
    rise 2
}

vrrp_instance VI_1 {
    state $state
    interface eth0
    virtual_router_id 51
    priority $prio
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass mypass
    }
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
    track_script {
        chk_maxscale
    }
    notify "$OCF_MARIADB/maxscale keepalived-notify --params /etc/keepalived/maxscale.params"
}
EOF
}

keepalived_params() {
    cat <<EOF
# read by: maxscale keepalived-check / keepalived-notify --params FILE (same names as the OCF parameters)
admin_host=127.0.0.1
admin_port=8989
admin_user=admin
servers=galera1,galera2,galera3
EOF
}

keepalived_start() { # NODE STATE PRIORITY
    local n=$1
    if node_daemon_pid "$n" keepalived >/dev/null; then
        log "keepalived on $n already running"
        return 0
    fi
    keepalived_conf "$@" | in_node "$n" sh -c 'mkdir -p /etc/keepalived && cat >/etc/keepalived/keepalived.conf'
    keepalived_params | in_node "$n" sh -c 'cat >/etc/keepalived/maxscale.params'
    node_daemon "$n" keepalived keepalived --vrrp --dont-fork --log-console --log-detail \
        --use-file=/etc/keepalived/keepalived.conf --pid=/run/keepalived.pid --vrrp_pid=/run/keepalived-vrrp.pid
}

keepalived_stop() {
    local n=$1
    [[ -e $(node_dir "$n")/keepalived.pid ]] || return 0
    kill_pidfile "$(node_dir "$n")/keepalived.pid" 10
    # its VRRP child, should it outlive the parent
    local p
    for p in $(pgrep -x keepalived); do
        pid_in_node "$p" "$n" && kill -KILL "$p" 2>/dev/null
    done
    return 0
}

# MASTER/BACKUP/FAULT of a node, from keepalived's log
keepalived_state() {
    local f; f=$(node_dir "$1")/keepalived.out
    [[ -s $f ]] || { echo -; return; }
    grep -Eo 'Entering (MASTER|BACKUP|FAULT) STATE' "$f" | tail -1 | awk '{print $2}'
}
