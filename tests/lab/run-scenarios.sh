#!/usr/bin/env bash
# tests/lab/run-scenarios.sh [SCENARIO...] - the lab's scenario tests (issue 5, items a-e)
# against one lab: `lab up` once (or reuse a running lab), each scenario configures its own
# setup (`lab configure` resets the cluster first), then `lab down` (unless the lab was already
# up, or LAB_KEEP=1). A lab marked up whose daemons are gone (a reboot, a killed run) is taken
# down and brought up again; LAB_FRESH=1 never reuses one. Scenarios whose agents are not
# installed are reported as skipped.
# Exit 0 when no scenario failed (and, with SCENARIOS_STRICT=1, none was skipped: the test
# command sets it). Per-scenario time limit: SCENARIO_TIMEOUT, else the scenario's
# `# scenario-timeout:` line, else 600 s.
#
#   tests/lab/run-scenarios.sh                 # all of tests/lab/scenarios/*.sh
#   tests/lab/run-scenarios.sh b d             # only b-*.sh and d-*.sh
set -euo pipefail
LAB_HOME=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
TOP=$(cd "$LAB_HOME/../.." && pwd)
LOG_TAG=scenarios
. "$TOP/tests/lib/common.sh"
. "$LAB_HOME/lib/env.sh"

need_root
T0=$(now_us)
scripts=()
if (( $# )); then
    for a in "$@"; do
        read -r f < <(compgen -G "$LAB_HOME/scenarios/${a}*.sh") || f=
        [[ -n $f ]] || die "no scenario matches '$a'"
        scripts+=("$f")
    done
else
    scripts=("$LAB_HOME"/scenarios/*.sh)
fi

brought_up=0
finish() {
    local rc=$?
    if (( brought_up )) && [[ -z ${LAB_KEEP:-} ]]; then
        "$LAB_HOME/lab" down || true
    fi
    exit "$rc"
}
trap finish EXIT
trap 'log "interrupted"; exit 130' INT TERM

# LAB_FRESH=1 (the test command): always a lab of our own, never what an earlier run left.
if [[ -z ${LAB_FRESH:-} ]] && lab_is_up && lab_all_alive; then
    log "using the running lab"
else
    if lab_is_up; then
        log "a lab is marked up, but LAB_FRESH is set or its daemons are gone: taking it down"
        "$LAB_HOME/lab" down
    fi
    LAB_SETUP=none "$LAB_HOME/lab" up >/dev/null
    brought_up=1
fi

results=()
failed=0
for s in "${scripts[@]}"; do
    name=${s##*/}; name=${name%.sh}
    log "==== scenario $name"
    t=$(now_us)
    rc=0
    # a scenario may need longer (the Galera ones run two setups): `# scenario-timeout: S`
    limit=$(sed -n 's/^# scenario-timeout: *\([0-9]*\).*/\1/p' "$s")
    limit=${SCENARIO_TIMEOUT:-${limit:-600}}
    timeout -k 15 "$limit" "$s" || rc=$?
    case $rc in
        0) verdict=PASS ;;
        77) verdict=SKIP ;;
        124|137) verdict="FAIL (time limit $limit s)"; failed=$((failed + 1)) ;;
        *) verdict="FAIL (rc $rc)"; failed=$((failed + 1)) ;;
    esac
    results+=("$(printf '%-22s %-28s %6s s' "$name" "$verdict" "$(since "$t")")")
done

echo
echo "== lab scenarios ($(since "$T0") s in total)"
printf '   %s\n' "${results[@]}"
passed=$(printf '%s\n' "${results[@]}" | grep -c ' PASS ' || true)
skipped=$(printf '%s\n' "${results[@]}" | grep -c ' SKIP ' || true)
echo "$passed passed, $failed failed, $skipped skipped"
# The test command installs every agent, so there a skipped scenario is a failure.
if [[ -n ${SCENARIOS_STRICT:-} ]] && (( skipped > 0 )); then
    echo "SCENARIOS_STRICT: $skipped scenario(s) skipped"
    exit 1
fi
(( failed == 0 ))
