# shellcheck shell=bash
# Helpers for tests that run our agents on the real single-node Pacemaker of
# tests/pacemaker/single-node.sh. Source after tests/lib/common.sh.

PCMK_SINGLE=${PCMK_SINGLE:-$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/single-node.sh}

# rsc_running RSC: Pacemaker reports RSC started on some node
rsc_running() { crm_resource --locate -r "$1" 2>/dev/null | grep 'is running on' >/dev/null; }

# rsc_stopped RSC: Pacemaker reports RSC running nowhere
rsc_stopped() { crm_resource --locate -r "$1" 2>&1 | grep 'is NOT running' >/dev/null; }

# fail_count RSC: the resource's fail count on this node (0 when none)
fail_count() {
  local v
  v=$(crm_failcount --query -r "$1" -N "$(uname -n)" 2>/dev/null | sed -n 's/.*value=\([0-9A-Za-z]*\).*/\1/p')
  echo "${v:-0}"
}
fail_count_at_least() { local n; n=$(fail_count "$1"); [[ $n == INFINITY ]] || (( n >= $2 )); }

# crm_mon_has TEXT: the one-shot status (with failed actions) mentions TEXT
crm_mon_has() { crm_mon -1 --show-detail 2>/dev/null | grep -F -- "$1" >/dev/null; }

pcmk_start() { "$PCMK_SINGLE" start; }
pcmk_reset() { "$PCMK_SINGLE" reset; }
pcmk_stop() { "$PCMK_SINGLE" stop; }

# pcmk_acquire starts the single-node cluster unless it already runs; pcmk_release stops it only
# if pcmk_acquire started it, so a test leaves a cluster it found running as it found it.
PCMK_STARTED_HERE=0
pcmk_acquire() {
  "$PCMK_SINGLE" status >/dev/null 2>&1 && return 0
  pcmk_start || return 1
  PCMK_STARTED_HERE=1
}
pcmk_release() {
  (( PCMK_STARTED_HERE )) || return 0
  pcmk_stop >/dev/null 2>&1 || log "WARNING: single-node Pacemaker did not stop cleanly"
}

# Pacemaker records a successful reload-agent in the CIB as a start, so what ran is read from
# the executor's log. log_mark: the log's size now; ops_since MARK RSC: the operations the
# executor ran for RSC (or an instance of the clone RSC) since MARK, one a line.
PCMK_LOG=${OCFM_STATE:-/tmp/ocf-mariadb}/pcmk/pacemaker.log
log_mark() { stat -c %s "$PCMK_LOG"; }
ops_since() {
  tail -c +$(( $1 + 1 )) "$PCMK_LOG" |
    sed -n "s/.*executing - rsc:$2[:0-9]* action:\([a-z-]*\) .*/\1/p"
}
# settle: until the transition a change caused is over (bounded)
settle() { crm_resource --wait --timeout=60s >/dev/null 2>&1 || t_fail "the cluster did not settle"; }
