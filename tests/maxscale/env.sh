# shellcheck shell=bash
# tests/maxscale/env.sh - sourced by the maxscale test scripts: a throw-away MaxScale
# installation for ocf:mariadb:maxscale on free loopback ports.
#
#   ms_setup DIR      write DIR/maxscale.cnf (admin API + a readwritesplit listener on free
#                     127.0.0.1 ports, two servers, a mariadbmon), create DIR/{log,data,cache,
#                     persist} owned by user maxscale (created if missing), DIR/rsctmp, and a
#                     fake crm_attribute in DIR/bin that logs to DIR/crm_attribute.log.
#                     Sets MS_DIR, MS_PORT, MS_LISTENER, MS_BINARY (MAXSCALE_BIN or the
#                     simulator), MS_OPTS (ocf-tester -o options) and exports the OCF_RESKEY_*
#                     of the installation.
#   ms_cleanup        SIGKILL whatever DIR/run/maxscale.pid names; remove MS_DIR.
#   free_port         a free TCP port on 127.0.0.1.
#   ms_install_agent  build the agent and the simulator (release) and install the agent into
#                     AGENT_DIR (default /usr/lib/ocf/resource.d/mariadb); dies on failure.

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ms_install_agent() {
    local dir=${AGENT_DIR:-/usr/lib/ocf/resource.d/mariadb}
    log "building the agent and the simulator (release); installing the agent"
    (cd "$top" && cargo build --release --quiet -p maxscale -p maxscale-sim) || die "build failed"
    install -D -m 0755 "${CARGO_TARGET_DIR:-$top/target}/release/maxscale" "$dir/maxscale"
}

ms_setup() {
    MS_DIR=$1
    MS_BINARY=${MAXSCALE_BIN:-${CARGO_TARGET_DIR:-$top/target}/release/maxscale-sim}
    [[ -x $MS_BINARY ]] || die "$MS_BINARY missing (cargo build --release -p maxscale-sim)"
    id maxscale >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin maxscale \
        || die "cannot create user maxscale"
    MS_PORT=$(free_port)
    MS_LISTENER=$(free_port)
    install -d -m 0755 "$MS_DIR" "$MS_DIR/bin" "$MS_DIR/rsctmp"
    install -d -m 0755 -o maxscale -g maxscale "$MS_DIR/log" "$MS_DIR/data" "$MS_DIR/cache" "$MS_DIR/persist"
    cat >"$MS_DIR/bin/crm_attribute" <<EOS
#!/bin/sh
echo "\$*" >> "$MS_DIR/crm_attribute.log"
EOS
    chmod 0755 "$MS_DIR/bin/crm_attribute"
    cat >"$MS_DIR/maxscale.cnf" <<EOS
[maxscale]
threads=1
admin_host=127.0.0.1
admin_port=$MS_PORT
admin_secure_gui=false

[server1]
type=server
address=127.0.0.1
port=3306

[server2]
type=server
address=127.0.0.1
port=3307

[Monitor]
type=monitor
module=mariadbmon
servers=server1,server2
user=maxscale
password=maxscale
monitor_interval=1000ms

[Router]
type=service
router=readwritesplit
servers=server1,server2
user=maxscale
password=maxscale

[Listener]
type=listener
service=Router
port=$MS_LISTENER
address=127.0.0.1
EOS
    local k v
    MS_OPTS=()
    for k in binary config piddir logdir datadir cachedir persistdir admin_port; do
        case $k in
            binary) v=$MS_BINARY ;;
            config) v=$MS_DIR/maxscale.cnf ;;
            piddir) v=$MS_DIR/run ;;
            logdir) v=$MS_DIR/log ;;
            datadir) v=$MS_DIR/data ;;
            cachedir) v=$MS_DIR/cache ;;
            persistdir) v=$MS_DIR/persist ;;
            admin_port) v=$MS_PORT ;;
        esac
        MS_OPTS+=(-o "$k=$v")
        export "OCF_RESKEY_$k=$v"
    done
    export HA_RSCTMP=$MS_DIR/rsctmp
}

ms_cleanup() {
    [[ -n ${MS_DIR:-} && -d $MS_DIR ]] || return 0
    local pid
    pid=$(cat "$MS_DIR/run/maxscale.pid" 2>/dev/null)
    if [[ $pid =~ ^[0-9]+$ ]]; then
        kill -CONT "$pid" 2>/dev/null
        kill -KILL "$pid" 2>/dev/null
    fi
    rm -rf "$MS_DIR"
}

# ms_pcmk_begin NAME: how a MaxScale test on the single-node Pacemaker begins: $WORK (a fresh
# directory), $NODE, the agent built and installed, Pacemaker acquired. At exit: the caller's
# ms_delete_resources (its own resources only), the simulator killed, $WORK removed, Pacemaker
# released.
ms_pcmk_begin() {
    WORK=$(mktemp -d "/tmp/ocfm-$1.XXXXXX")
    chmod 0755 "$WORK"
    NODE=$(uname -n)
    trap _ms_pcmk_end EXIT
    trap 'exit 130' INT TERM HUP
    ms_install_agent
    pcmk_acquire || die "single-node Pacemaker did not start"
}
_ms_pcmk_end() {
    local rc=$?
    ms_delete_resources
    ms_cleanup
    rm -rf "$WORK"
    pcmk_release
    exit "$rc"
}
