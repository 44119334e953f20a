#!/usr/bin/env bash
# tests/setup/install-deps.sh - install what the ocf-mariadb test tiers need
# (Debian 12, root).  Idempotent and quiet: when everything is present it only
# checks and prints one summary line.
#
# * apt-get update runs only when something must be installed AND the package
#   lists are older than APT_MAX_AGE_S (3600) or a wanted package is unknown to
#   the local cache.
# * another apt or dpkg at work (unattended-upgrades on a fresh VM, another terminal) holds
#   the dpkg lock: wait for it, saying who holds it, at most APT_LOCK_WAIT_S (900) seconds.
# * apt-get install -y --no-install-recommends of the missing packages, with a
#   temporary /usr/sbin/policy-rc.d (exit 101) if none exists, so that no
#   postinst script starts a service (a started MariaDB would take :3306).
#   The temporary file is removed afterwards (only if this script created it).
# * mkdir /run/resource-agents (HA_RSCTMP; normally made by systemd-tmpfiles).
# * system user/group `maxscale` (for the MaxScale tests).
# * checks the Rust toolchain (cargo on PATH); never downloads rustup.
#
# Env: EXTRA_PKGS="pkg ..." (added to the list), APT_MAX_AGE_S, APT_LOCK_WAIT_S, SKIP_RUST=1.
# apt's output goes to a temporary log, shown (tail) and kept only on failure.
set -euo pipefail
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/common.sh"

need_root
T0=$(now_us)

PKGS=(pacemaker corosync crmsh pcs resource-agents pacemaker-cli-utils
      mariadb-server mariadb-client galera-4 rsync arping iproute2 iputils-ping
      socat procps psmisc util-linux libxml2-utils libcap2-bin hyperfine
      keepalived time curl man-db groff-base rpm python3 strace openssl)
# shellcheck disable=SC2206
[[ -n ${EXTRA_PKGS:-} ]] && PKGS+=(${EXTRA_PKGS})

APTLOG=$(mktemp /tmp/ocfm-install-deps.XXXXXX.log)   # kept only on failure

installed() {
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

missing=()
for p in "${PKGS[@]}"; do
    installed "$p" || missing+=("$p")
done

POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
remove_policy() {
    if (( CREATED_POLICY )); then
        rm -f "$POLICY"
        CREATED_POLICY=0
    fi
}
on_failure 'remove_policy; log "apt output (last 30 lines of $APTLOG, kept):"; tail -n 30 "$APTLOG" >&2'

apt_q() {
    # should another apt start between our wait and this call, dpkg's own wait covers it
    DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >>"$APTLOG" 2>&1
}

# The holders of apt's and dpkg's locks (fcntl locks, listed in /proc/locks by device and
# inode), as "pid (command)"; nothing when they are free.
APT_LOCKS=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
apt_lock_holders() {
    local f ids=() maj min ino
    for f in "${APT_LOCKS[@]}"; do
        [[ -e $f ]] || continue
        read -r maj min ino < <(stat -c '%Hd %Ld %i' "$f") || continue
        ids+=("$(printf '%02x:%02x:%s' "$maj" "$min" "$ino")")
    done
    (( ${#ids[@]} )) || return 0
    awk -v ids=" ${ids[*]} " '$2 == "POSIX" || $2 == "OFDLCK" { if (index(ids, " " $6 " ")) print $5 }' /proc/locks |
        sort -u | while read -r pid; do
            [[ $pid =~ ^[0-9]+$ && -e /proc/$pid ]] || continue
            printf '%s (%s) ' "$pid" "$(tr '\0\n' '  ' <"/proc/$pid/cmdline" | cut -c1-60 | sed 's/ *$//')"
        done
}

wait_for_apt() {
    local limit=${APT_LOCK_WAIT_S:-900} t0=$SECONDS next=0 who
    while who=$(apt_lock_holders) && [[ -n $who ]]; do
        if (( SECONDS - t0 >= limit )); then
            die "another apt/dpkg still holds the package lock after ${limit} s: ${who}(wait for it to finish, then run this again; APT_LOCK_WAIT_S sets the wait)"
        fi
        if (( SECONDS - t0 >= next )); then
            log "waiting for another apt/dpkg to finish: ${who}(unattended-upgrades on a fresh machine takes a few minutes; at most ${limit} s)"
            next=$(( next + 30 ))
        fi
        sleep 2
    done
    (( SECONDS - t0 < 2 )) || log "the package lock is free after $(( SECONDS - t0 )) s"
}

newly=()
if (( ${#missing[@]} )); then
    log "missing packages: ${missing[*]}"
    wait_for_apt
    # are the package lists fresh enough and do they know every wanted package?
    need_update=0
    newest=0
    for f in /var/lib/apt/lists/*_InRelease /var/lib/apt/lists/*_Release; do
        [[ -e $f ]] || continue
        m=$(stat -c %Y "$f")
        (( m > newest )) && newest=$m
    done
    (( $(date +%s) - newest > ${APT_MAX_AGE_S:-3600} )) && need_update=1
    for p in "${missing[@]}"; do
        cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
        [[ -z $cand || $cand == "(none)" ]] && need_update=1
    done
    if (( need_update )); then
        log "apt-get update"
        apt_q update || die "apt-get update failed"
    fi
    if [[ ! -e $POLICY ]]; then
        printf '#!/bin/sh\n# temporary, from ocf-mariadb tests/setup/install-deps.sh\nexit 101\n' >"$POLICY"
        chmod 0755 "$POLICY"
        CREATED_POLICY=1
        log "created temporary $POLICY (exit 101): postinst scripts start no service"
    fi
    log "apt-get install ${missing[*]}"
    before=$(dpkg-query -W -f='${binary:Package} ${db:Status-Status}\n' | awk '$2=="installed"{print $1}' | sort)
    apt_q install -y --no-install-recommends "${missing[@]}" || die "apt-get install failed"
    after=$(dpkg-query -W -f='${binary:Package} ${db:Status-Status}\n' | awk '$2=="installed"{print $1}' | sort)
    mapfile -t newly < <(comm -13 <(echo "$before") <(echo "$after"))
    remove_policy
    for p in "${missing[@]}"; do
        installed "$p" || die "package $p is still not installed"
    done
fi

# HA_RSCTMP for resource agents (systemd-tmpfiles would create it)
install -d -m 0755 /run/resource-agents

# maxscale system user/group
made_user=""
if ! getent passwd maxscale >/dev/null; then
    if getent group maxscale >/dev/null; then
        useradd --system --no-create-home --shell /usr/sbin/nologin -g maxscale maxscale
    else
        useradd --system --no-create-home --shell /usr/sbin/nologin maxscale
    fi
    made_user="created system user maxscale ($(id maxscale))"
fi

# Rust toolchain (never downloaded here)
rust_msg=""
if [[ -z ${SKIP_RUST:-} ]]; then
    if command -v cargo >/dev/null 2>&1; then
        rust_msg="$(cargo --version 2>/dev/null || echo 'cargo: version unknown')"
    elif [[ -x $HOME/.cargo/bin/cargo ]]; then
        rust_msg="cargo is installed but not on PATH: run  export PATH=\"\$HOME/.cargo/bin:\$PATH\"  (or  . \"\$HOME/.cargo/env\")"
        log "WARNING: $rust_msg"
    else
        on_failure ''
        rm -f "$APTLOG"
        die "no Rust toolchain (cargo not on PATH, no ~/.cargo/bin/cargo); install rustup/cargo >= 1.85 yourself (SKIP_RUST=1 to skip this check)"
    fi
fi

on_failure ''
rm -f "$APTLOG"
if (( ${#missing[@]} )); then
    log "installed: ${missing[*]} (${#newly[@]} new packages in total)"
else
    log "all ${#PKGS[@]} packages already installed"
fi
[[ -n $made_user ]] && log "$made_user"
[[ -n $rust_msg ]] && log "rust: $rust_msg"
log "install-deps done in $(since "$T0") s"
