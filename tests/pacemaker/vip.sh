#!/usr/bin/env bash
# ocf:mariadb:vip on a real single-node Pacemaker, configured the way users type it (crmsh and
# pcs). The VIPs live on the loopback interface of the root namespace (127.0.0.0/8 only), the
# one interface a test may touch outside its own namespaces.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/../lib/common.sh"
. "$here/lib.sh"
need_root
need_cmd crm pcs crm_mon crm_resource ip

VIP1=127.0.0.77 VIP2=127.0.0.78 VIP3=127.0.0.79 VIP4=127.0.0.80
AGENT=/usr/lib/ocf/resource.d/mariadb/vip
[[ -x $AGENT ]] || die "$AGENT missing (run tests/setup/install-agents.sh)"

cleanup() {
  crm configure delete --force v_crm v_pcs v_rl v_bad >/dev/null 2>&1
  pcmk_release
  for a in $VIP1 $VIP2 $VIP3 $VIP4; do ip addr del "$a/32" dev lo 2>/dev/null; done
}
trap cleanup EXIT
pcmk_acquire || die "single-node Pacemaker did not start"
pcmk_reset || die "cannot reset the CIB"

on_lo() { ip -o addr show dev lo | grep " $1/32 " >/dev/null; }
# log_mark and ops_since: tests/pacemaker/lib.sh

t_begin "crm configure primitive starts the VIP"
crm configure primitive v_crm ocf:mariadb:vip \
  params ip=$VIP1 cidr_netmask=32 nic=lo op monitor interval=1s
wait_until 20 "v_crm started" rsc_running v_crm || t_fail "not started"
assert_rc 0 on_lo $VIP1

t_begin "an address deleted by hand is detected (monitor 7) and repaired"
ip addr del $VIP1/32 dev lo
wait_until 10 "fail count of v_crm" fail_count_at_least v_crm 1 || t_fail "failure not detected"
wait_until 10 "address back" on_lo $VIP1 || t_fail "address not restored"
wait_until 10 "v_crm running again" rsc_running v_crm || t_fail "not running again"
crm_mon_has "not running" || t_fail "crm_mon shows no 'not running' failed action"

t_begin "crm resource cleanup clears the failure"
crm resource cleanup v_crm >/dev/null 2>&1
wait_until 10 "fail count cleared" test "$(fail_count v_crm)" = 0 || t_fail "fail count stays"

t_begin "crm resource stop removes the address"
crm resource stop v_crm
wait_until 20 "v_crm stopped" rsc_stopped v_crm || t_fail "not stopped"
assert_rc 1 on_lo $VIP1
crm configure delete v_crm >/dev/null 2>&1

t_begin "pcs resource create works the same"
pcs resource create v_pcs ocf:mariadb:vip ip=$VIP2 cidr_netmask=32 nic=lo \
  op monitor interval=1s >/dev/null
wait_until 20 "v_pcs started" rsc_running v_pcs || t_fail "not started"
assert_rc 0 on_lo $VIP2
pcs resource disable v_pcs
wait_until 20 "v_pcs stopped" rsc_stopped v_pcs || t_fail "not stopped"
assert_rc 1 on_lo $VIP2
pcs resource delete v_pcs >/dev/null 2>&1

t_begin "changing a reloadable parameter (arp_count) runs reload-agent: no stop, no start"
[[ -r $PCMK_LOG ]] || t_fail "no Pacemaker log at $PCMK_LOG"
pcs resource create v_rl ocf:mariadb:vip ip=$VIP3 cidr_netmask=32 nic=lo \
  op monitor interval=1s >/dev/null
wait_until 20 "v_rl started" rsc_running v_rl || t_fail "not started"
mark=$(log_mark)
pcs resource update v_rl arp_count=2 probe_wait=100 >/dev/null
# Until the transition that the change caused is over (bounded).
crm_resource --wait --timeout=30s >/dev/null 2>&1 || t_fail "the cluster did not settle"
ops=$(ops_since "$mark" v_rl | tr '\n' ' ')
[[ $ops =~ (^| )reload-agent( |$) ]] || t_fail "no reload-agent after the change: $ops"
[[ $ops =~ (^| )(stop|start)( |$) ]] && t_fail "the VIP was restarted: $ops"
assert_rc 0 on_lo $VIP3
assert_rc 0 rsc_running v_rl
[[ $(fail_count v_rl) == 0 ]] || t_fail "fail count $(fail_count v_rl)"

t_begin "changing ip restarts the VIP on the new address"
mark=$(log_mark)
pcs resource update v_rl ip=$VIP4 >/dev/null
crm_resource --wait --timeout=30s >/dev/null 2>&1 || t_fail "the cluster did not settle"
wait_until 20 "$VIP4 on lo" on_lo $VIP4 || t_fail "the new address is not there"
assert_rc 1 on_lo $VIP3
ops=$(ops_since "$mark" v_rl | tr '\n' ' ')
[[ $ops =~ (^| )stop\ (.* )?start( |$) ]] || t_fail "no stop then start: $ops"
[[ $ops =~ reload-agent ]] && t_fail "reload-agent for an ip change: $ops"
pcs resource delete v_rl >/dev/null 2>&1
wait_until 20 "$VIP4 removed" eval '! on_lo $VIP4' || t_fail "$VIP4 left behind"

t_begin "a malformed ip is a configuration error shown with its reason in crm_mon"
pcs resource create v_bad ocf:mariadb:vip ip=300.1.2.3 nic=lo --force >/dev/null 2>&1
wait_until 20 "failed action for v_bad" crm_mon_has "v_bad" || t_fail "no failed action"
wait_until 10 "exit reason shown" crm_mon_has "300.1.2.3" || {
  crm_mon -1 --show-detail
  t_fail "exit reason naming the address not shown"
}
crm_mon_has "not configured" || t_fail "not reported as 'not configured'"
assert_rc 1 rsc_running v_bad

t_summary
