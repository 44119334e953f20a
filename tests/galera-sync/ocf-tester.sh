#!/usr/bin/env bash
# tests/galera-sync/ocf-tester.sh - resource-agents' ocf-tester and crm_resource --validate on
# the installed ocf:mariadb:galera-sync (tests/setup/install-agents.sh installs it).
#
# ocf-tester runs the agent without a cluster, so attrd_updater cannot reach attrd: start and
# monitor log a warning and still succeed (the resource is "started"; the value is retried at
# the next monitor). No MariaDB is needed either: an unreachable server is the value 0, not a
# failure. The socket given does not exist on purpose.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
need_root
need_cmd ocf-tester xmllint crm_resource

AGENT=/usr/lib/ocf/resource.d/mariadb/galera-sync
[[ -x $AGENT ]] || die "$AGENT missing (run tests/setup/install-agents.sh)"
SOCK=/tmp/ocf-mariadb-ocf-tester-no-such.sock
# an instance name of its own: its state file cannot collide with a real resource
NAME=gs-ocf-tester

cleanup() { rm -f "/run/resource-agents/galera-sync-$NAME.state"; }
trap cleanup EXIT

t_begin "ocf-tester passes"
out=$(ocf-tester -v -n "$NAME" -o socket="$SOCK" -o attribute=gs-ocf-tester "$AGENT" 2>&1)
assert_ocf_tester $? "$out"

t_begin "ocf-tester with TCP parameters passes"
out=$(ocf-tester -n "$NAME" -o host=127.0.0.1 -o port=1 -o donor_ok=true \
    -o connections_reserve=0 -o dampen=2s "$AGENT" 2>&1)
assert_ocf_tester $? "$out"

t_begin "no state file is left behind"
assert_rc 1 test -e "/run/resource-agents/galera-sync-$NAME.state"

t_begin "crm_resource --validate: good parameters 0, bad ones 6, missing password file 2"
assert_rc 0 crm_resource --validate --class ocf --provider mariadb --agent galera-sync \
    --option socket="$SOCK"
assert_rc 6 crm_resource --validate --class ocf --provider mariadb --agent galera-sync \
    --option connections_reserve=-1
assert_rc 6 crm_resource --validate --class ocf --provider mariadb --agent galera-sync \
    --option dampen=soon
assert_rc 2 crm_resource --validate --class ocf --provider mariadb --agent galera-sync \
    --option password_file=/nonexistent/galera-sync.pw

t_summary
