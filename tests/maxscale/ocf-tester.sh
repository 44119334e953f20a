#!/usr/bin/env bash
# tests/maxscale/ocf-tester.sh - resource-agents' ocf-tester on ocf:mariadb:maxscale, with the
# MaxScale simulator (or MAXSCALE_BIN) as the binary:
#   * builds the agent and the simulator (release) and installs the agent at
#     /usr/lib/ocf/resource.d/mariadb/maxscale (ocf-tester runs meta-data as nobody);
#   * ocf-tester -v -n ms-test as a primitive (it also runs the demote/promote sequence);
#   * ocf-tester as a promotable clone (-o CRM_meta_promotable=true), which also runs the
#     demote/promote sequence, with a fake crm_attribute on PATH;
#   * crm_resource --validate with good and bad parameters (0, 6, 5);
#   * checks that no MaxScale is left running.
# VERBOSE=1 prints ocf-tester's whole output (always printed on failure).
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
. "$here/env.sh"
need_root
need_cmd ocf-tester xmllint cargo python3

AGENT_DIR=${OCF_AGENT_DIR:-/usr/lib/ocf/resource.d/mariadb}
AGENT=$AGENT_DIR/maxscale
WORK=$(mktemp -d /tmp/ocfm-ms-tester.XXXXXX)
chmod 0755 "$WORK"
trap 'ms_cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building the agent and the simulator; installing the agent at $AGENT"
(cd "$top" && cargo build --release --quiet -p maxscale -p maxscale-sim) || die "build failed"
install -d -m 0755 "$AGENT_DIR"
install -m 0755 "${CARGO_TARGET_DIR:-$top/target}/release/maxscale" "$AGENT"

ms_setup "$WORK/ms"
export PATH=$MS_DIR/bin:$PATH

tester() {
    local name=$1; shift
    t_begin "ocf-tester $name"
    local out rc=0
    out=$(ocf-tester -v -n ms-test "${MS_OPTS[@]}" "$@" "$AGENT" 2>&1) || rc=$?
    assert_ocf_tester "$rc" "$out" || return
    if [[ -s $MS_DIR/run/maxscale.pid ]] && kill -0 "$(cat "$MS_DIR/run/maxscale.pid")" 2>/dev/null; then
        t_fail "MaxScale still running after ocf-tester"
    fi
}
tester primitive
tester "promotable clone" -o CRM_meta_promotable=true
if grep -q -- '--update 100' "$MS_DIR/crm_attribute.log" 2>/dev/null; then
    log "promotion scores set: $(sort -u "$MS_DIR/crm_attribute.log" | tr '\n' ';')"
else
    t_begin "promotable clone sets a promotion score"
    t_fail "no crm_attribute --update 100 call recorded"
fi

if command -v crm_resource >/dev/null; then
    validate() {
        local want=$1 what=$2; shift 2
        t_begin "crm_resource --validate: $what"
        local args=() o out rc=0
        for o in "$@"; do args+=(--option "$o"); done
        out=$(crm_resource --validate --class ocf --provider mariadb --agent maxscale \
            "${args[@]}" 2>&1) || rc=$?
        assert_eq "$want" "$rc" "exit code ($out)" || return
        [[ $want -eq 0 ]] || grep -q "returned $want " <<<"$out" || t_fail "no 'returned $want': $out"
    }
    validate 0 good "binary=$MS_BINARY" "config=$MS_DIR/maxscale.cnf" "piddir=$MS_DIR/run" "admin_port=$MS_PORT"
    validate 6 "admin_port not a number" "binary=$MS_BINARY" "config=$MS_DIR/maxscale.cnf" admin_port=http
    validate 5 "binary missing" binary=/nonexistent/maxscale "config=$MS_DIR/maxscale.cnf"
fi
t_summary
