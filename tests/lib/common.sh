# shellcheck shell=bash
# tests/lib/common.sh - shared helpers for the ocf-mariadb shell test tooling.
#
# Source it (bash only):   . "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
#
# Provides
#   top                         the repository's root (where this file is tests/lib)
#   OCFM_STATE                  state root (default /tmp/ocf-mariadb), exported
#   LOG_TAG                     prefix used by log (default: the script's name)
#   log MSG...                  "HH:MM:SS.mmm [tag] MSG" to stderr
#   die MSG...                  log "ERROR: MSG" and exit 1
#   now_us / since START_US     microsecond clock; "12.3" seconds since START_US
#   wait_until T DESC CMD...    run CMD (output discarded) every 0.1 s until it
#                               succeeds; after T seconds log "timed out after Ts
#                               waiting for: DESC" and return 1.  External
#                               commands are run under `timeout` (WAIT_CMD_TIMEOUT,
#                               default 10 s) so one hung attempt cannot block.
#   pid_alive PID               true if PID exists and is not a zombie
#   pidfile_pid PIDFILE         print the pid if the recorded process is alive AND
#                               is the one that wrote the file (not a reused pid)
#   pid_predates_file PID FILE  PID alive and started before FILE was written
#   run_guarded [-q] [-c CGDIR] [-l LOG] PIDFILE [--] CMD...
#                               start CMD detached (setsid -f), stdin /dev/null,
#                               stdout+stderr appended to LOG (default /dev/null),
#                               WITHOUT CAP_SYS_BOOT in its bounding set, pid
#                               written by the launcher just before exec (so it
#                               is the daemon's pid), optionally inside the
#                               cgroup-v1 directory CGDIR (-c repeatable: one
#                               per hierarchy, e.g. pids and freezer).  Verifies CapBnd bit 22
#                               is clear; kills the process and dies otherwise.
#                               -q: no "started ..." log line.  Returns 3 (pid
#                               file kept) if CMD exited before the check.
#   kill_pidfile PIDFILE [T]    SIGTERM the recorded pid, wait up to T s (30),
#                               SIGKILL if needed, remove the file.  Missing or
#                               stale file: just removed, returns 0.
#   kill_pid PID [T] [WHAT]     the same for a pid found otherwise (WHAT names it in the log)
#   on_failure 'SHELL CODE'     code to eval if the script exits non-zero or is
#                               interrupted (INT/TERM/HUP); on_failure '' clears it.
#   need_root, need_cmd CMD...  preconditions
#   netns_destroy NS...         SIGKILL every process in each network namespace, delete it
#   cargo_progress CARGO-ARGS... run cargo with its output in a temporary log; after
#                               10 s and then once a minute, one line of progress
#                               (crates compiled so far, the last one, elapsed);
#                               on failure the log's tail. A first build takes
#                               minutes, and silence looks like a hang.
#   ocfm_lock FILE              serialize concurrent runs of a script: flock on
#                               FILE (e.g. the script itself) through fd 9, waiting
#                               at most OCFM_LOCK_TIMEOUT s (600); run_guarded
#                               closes fd 9 for the daemons it starts
#
# Assertion library (results on stdout):
#   t_begin NAME                start a test (closes an open one: passed unless failed)
#   t_pass                      end the current test as passed (unless an assertion failed it)
#   t_fail MSG                  mark the current test failed (counted once per test)
#   assert_eq EXPECTED ACTUAL [MSG]
#   assert_rc EXPECTED CMD...   run CMD, compare its exit code
#   t_summary                   close the open test, print "N passed, N failed",
#                               return 1 if any failed
# Assertions return 0/1, so `assert_rc 0 foo || return` works.  Used outside
# t_begin, every assertion counts as its own test.

[[ -n ${_OCFM_COMMON_SH:-} ]] && return 0
_OCFM_COMMON_SH=1

top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)

export OCFM_STATE=${OCFM_STATE:-/tmp/ocf-mariadb}
LOG_TAG=${LOG_TAG:-${0##*/}}
LOG_TAG=${LOG_TAG%.sh}

now_us() { printf '%s\n' "${EPOCHREALTIME//[.,]/}"; }

# since START_US -> seconds with one decimal
since() {
    local d=$(( ${EPOCHREALTIME//[.,]/} - $1 ))
    printf '%d.%d\n' $(( d / 1000000 )) $(( (d % 1000000) / 100000 ))
}

log() {
    local t=${EPOCHREALTIME//[.,]/}
    printf '%(%H:%M:%S)T.%03d [%s] %s\n' "${t:0:${#t}-6}" $(( 10#${t: -6} / 1000 )) \
        "$LOG_TAG" "$*" >&2
}

die() {
    log "ERROR: $*"
    exit 1
}

need_root() { [[ $EUID -eq 0 ]] || die "must run as root"; }

netns_destroy() {
    local ns
    for ns in "$@"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    return 0
}

need_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || die "missing command '$c' (run tests/setup/install-deps.sh)"
    done
}

ocfm_lock() {
    need_cmd flock
    exec 9<"$1"
    if ! flock -n 9; then
        log "waiting for another run of ${1##*/} to finish (lock)"
        flock -w "${OCFM_LOCK_TIMEOUT:-600}" 9 \
            || die "another run of ${1##*/} still holds the lock after ${OCFM_LOCK_TIMEOUT:-600}s"
    fi
}

# ---------------------------------------------------------------- building

cargo_progress() {
    local logf pid rc=0 t0=$SECONDS next=10 n last
    logf=$(mktemp /tmp/ocfm-cargo.XXXXXX.log)
    cargo "$@" >"$logf" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if (( SECONDS - t0 >= next )); then
            n=$(grep -c '^ *Compiling ' "$logf" || true)
            last=$(grep '^ *Compiling ' "$logf" | tail -n 1 | awk '{print $2, $3}')
            log "still compiling after $(( SECONDS - t0 )) s: $n crates so far${last:+, now $last} (cargo $*; a first build takes about 10 minutes on 2 cores)"
            next=$(( next < 60 ? 60 : next + 60 ))
        fi
        sleep 1
    done
    wait "$pid" || rc=$?
    if (( rc != 0 )); then
        log "cargo $* failed (rc $rc); its last lines:"
        tail -n 40 "$logf" >&2
    fi
    rm -f "$logf"
    return "$rc"
}

# ---------------------------------------------------------------- waiting

# _wait_quiet TIMEOUT_S CMD... : like wait_until, without the message
_wait_quiet() {
    local timeout=$1; shift
    local sec=${timeout%%.*} frac=0
    [[ $timeout == *.* ]] && frac=${timeout#*.}
    frac=${frac}000000; frac=${frac:0:6}
    local limit=$(( 10#${sec:-0} * 1000000 + 10#$frac ))
    local start=${EPOCHREALTIME//[.,]/}
    local external=0
    [[ $(type -t "$1") == file ]] && external=1
    while :; do
        if (( external )); then
            timeout -k 1 "${WAIT_CMD_TIMEOUT:-10}" "$@" >/dev/null 2>&1 && return 0
        else
            "$@" >/dev/null 2>&1 && return 0
        fi
        (( ${EPOCHREALTIME//[.,]/} - start >= limit )) && return 1
        sleep 0.1
    done
}

wait_until() {
    (( $# >= 3 )) || die "usage: wait_until TIMEOUT_S DESCRIPTION CMD..."
    local timeout=$1 desc=$2; shift 2
    _wait_quiet "$timeout" "$@" && return 0
    log "timed out after ${timeout}s waiting for: $desc"
    return 1
}

# ---------------------------------------------------------------- processes

pid_alive() {
    local pid=$1 stat
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }            # after the comm field
    [[ ${stat:0:1} != Z && ${stat:0:1} != X ]]
}

pid_dead() { ! pid_alive "$1"; }

# age in whole seconds of a running process (monotonic clock)
_proc_age() {
    local stat up hz f
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    read -r -a f <<<"$stat"
    # after comm: f[0]=state (field 3) ... starttime is field 22 -> f[19]
    hz=$(getconf CLK_TCK)
    read -r up _ </proc/uptime
    echo $(( ${up%.*} - f[19] / hz ))
}

# pid_predates_file PID FILE: PID is alive and was started before FILE was last
# written (5 s slack), i.e. it is not a pid reused after FILE recorded it
pid_predates_file() {
    local pid=$1 f=$2 fage page
    pid_alive "$pid" || return 1
    fage=$(( $(date +%s) - $(stat -c %Y "$f" 2>/dev/null || echo 0) ))
    page=$(_proc_age "$pid") || return 1
    (( page + 5 >= fage ))
}

pidfile_pid() {
    local pf=$1 pid
    [[ -s $pf ]] || return 1
    pid=$(<"$pf") || return 1
    pid=${pid//[[:space:]]/}
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    pid_predates_file "$pid" "$pf" || return 1
    echo "$pid"
}

# capbnd_has_sys_boot PID -> true if CAP_SYS_BOOT (bit 22) is in PID's bounding set
capbnd_has_sys_boot() {
    local cap
    cap=$(awk '/^CapBnd:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 2
    [[ -n $cap ]] || return 2
    (( (16#$cap >> 22) & 1 ))
}

run_guarded() {
    local cg="" logf=/dev/null quiet=0
    while (( $# )); do
        case $1 in
            -c) cg+="${cg:+:}$2"; shift 2 ;;
            -l) logf=$2; shift 2 ;;
            -q) quiet=1; shift ;;
            *) break ;;
        esac
    done
    local pidfile=${1:?run_guarded: PIDFILE missing}; shift
    [[ ${1:-} == -- ]] && shift
    (( $# )) || die "run_guarded: no command"
    need_cmd setsid setpriv
    rm -f "$pidfile" "$pidfile.tmp"
    # shellcheck disable=SC2016  # $$ and $1 are for the inner sh
    setsid -f setpriv --bounding-set -sys_boot -- sh -c '
        pf=$1 cgs=$2; shift 2
        IFS=:; for cg in $cgs; do echo $$ > "$cg/cgroup.procs" || exit 126; done; unset IFS
        echo $$ > "$pf.tmp" && mv -f "$pf.tmp" "$pf" || exit 126
        exec "$@"' ocfm-guard "$pidfile" "$cg" "$@" </dev/null >>"$logf" 2>&1 9<&- \
        || die "run_guarded: could not launch $1"
    if ! _wait_quiet 10 test -s "$pidfile"; then
        die "run_guarded: $1 did not start (no pid file $pidfile after 10 s; see $logf)"
    fi
    local pid; pid=$(<"$pidfile")
    local has=0
    capbnd_has_sys_boot "$pid" || has=$?
    case $has in
        1) : ;;  # bit clear: good
        0) kill -KILL "$pid" 2>/dev/null
           rm -f "$pidfile"
           die "REFUSING: $1 (pid $pid) still has CAP_SYS_BOOT in its bounding set; killed it" ;;
        *) (( quiet )) || log "run_guarded: $1 (pid $pid) exited immediately (see $logf)"
           return 3 ;;
    esac
    local a name=$1
    for a in "$@"; do   # skip "env -i VAR=x" to name the real program
        case $a in env|-*|*=*) continue ;; *) name=${a##*/}; break ;; esac
    done
    (( quiet )) || log "started $name pid $pid (CapBnd without CAP_SYS_BOOT)"
}

kill_pidfile() {
    local pf=$1 timeout=${2:-30} pid
    [[ -e $pf ]] || return 0
    if ! pid=$(pidfile_pid "$pf"); then
        rm -f "$pf"
        return 0
    fi
    kill_pid "$pid" "$timeout" "($pf)"
    rm -f "$pf"
}

kill_pid() { # PID [T] [WHAT]
    local pid=$1 timeout=${2:-30} what=${3:-}
    kill -TERM "$pid" 2>/dev/null || true
    if ! _wait_quiet "$timeout" pid_dead "$pid"; then
        log "pid $pid${what:+ $what} still alive ${timeout}s after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        _wait_quiet 10 pid_dead "$pid" || log "WARNING: pid $pid did not die after SIGKILL"
    fi
}

# ---------------------------------------------------------------- failure trap

_OCFM_ON_FAILURE=""
_ocfm_exit_trap() {
    local rc=$?
    trap - EXIT
    if (( rc != 0 )) && [[ -n $_OCFM_ON_FAILURE ]]; then
        local code=$_OCFM_ON_FAILURE
        _OCFM_ON_FAILURE=""
        log "failed (rc=$rc): cleaning up"
        set +e
        eval "$code"
    fi
    exit "$rc"
}
on_failure() {
    _OCFM_ON_FAILURE=$1
    trap _ocfm_exit_trap EXIT
    trap 'log "interrupted"; exit 130' INT
    trap 'log "terminated"; exit 143' TERM
    trap 'log "hangup"; exit 129' HUP
}

# ---------------------------------------------------------------- assertions

T_PASSED=0
T_FAILED=0
T_CURRENT=""
_T_CUR_FAILED=0

_t_close() {
    if [[ -n $T_CURRENT ]]; then
        if (( _T_CUR_FAILED )); then
            :   # already counted by t_fail
        else
            T_PASSED=$(( T_PASSED + 1 ))
            printf 'PASS %s\n' "$T_CURRENT"
        fi
    fi
    T_CURRENT=""
    _T_CUR_FAILED=0
}

t_begin() {
    _t_close
    T_CURRENT=$1
    _T_CUR_FAILED=0
    printf -- '---- %s\n' "$T_CURRENT"
}

t_pass() { _t_close; }

t_fail() {
    local name=${T_CURRENT:-(no test)}
    printf 'FAIL %s: %s\n' "$name" "$*"
    if [[ -n $T_CURRENT ]]; then
        (( _T_CUR_FAILED )) || T_FAILED=$(( T_FAILED + 1 ))
        _T_CUR_FAILED=1
    else
        T_FAILED=$(( T_FAILED + 1 ))
    fi
    return 1
}

# an assertion outside t_begin counts as its own test
_t_ok() {
    [[ -n $T_CURRENT ]] && return 0
    T_PASSED=$(( T_PASSED + 1 ))
    printf 'PASS %s\n' "$1"
}

assert_eq() {
    local exp=$1 act=$2 msg=${3:-}
    if [[ $exp == "$act" ]]; then
        _t_ok "assert_eq ${msg:-$exp}"
        return 0
    fi
    t_fail "${msg:+$msg: }expected '$exp', got '$act'"
}

# assert_ocf_tester RC OUTPUT: ocf-tester exited 0 and said "passed all tests". Prints its
# summary lines (all of its output when it failed, or with VERBOSE=1).
assert_ocf_tester() {
    local rc=$1 out=$2
    if [[ $rc -ne 0 || ${VERBOSE:-0} == 1 ]]; then
        printf '%s\n' "$out" | sed 's/^/    /'
    else
        grep -E '^(\*|.* passed all tests)' <<<"$out" | sed 's/^/    /'
    fi
    assert_eq 0 "$rc" "ocf-tester exit code" || return
    [[ $out == *"passed all tests"* ]] || t_fail "no 'passed all tests' line"
}

assert_rc() {
    local exp=$1; shift
    local rc=0
    "$@" || rc=$?
    if [[ $rc == "$exp" ]]; then
        _t_ok "assert_rc $exp $*"
        return 0
    fi
    t_fail "expected rc $exp, got $rc from: $*"
}

t_summary() {
    _t_close
    printf '%d passed, %d failed\n' "$T_PASSED" "$T_FAILED"
    (( T_FAILED == 0 ))
}

# ------------------------------------------------------------------ child processes (benchmarks)
# Run a command as `strace "${STRACE_FORKS[@]}" -o FILE CMD...`; then strace_forks FILE prints
# "processes execs": the processes it created (fork/vfork/clone without CLONE_THREAD) and the
# programs it executed (the first execve is the command itself).
STRACE_FORKS=(-f -qq -z -e trace=execve,fork,vfork,clone,clone3)
strace_forks() {
    python3 - "$1" <<'EOF'
import re, sys
procs = execs = 0
for line in open(sys.argv[1]):
    if "resumed>" in line:
        continue
    if re.search(r"\b(v?fork|clone3?)\(", line) and "CLONE_THREAD" not in line:
        procs += 1
    elif "execve(" in line:
        execs += 1
print(procs, execs)
EOF
}
