#!/usr/bin/env bash
# packaging/build.sh - build the .deb and the .rpm of resource-agents-mariadb into target/packages/
#
#   packaging/build.sh
#
# 1. installs the packaging tools when missing (cargo install --locked cargo-deb
#    cargo-generate-rpm; from crates.io, built from source, a few minutes the first time);
# 2. builds the three agents in release mode, the way tests/setup/install-agents.sh does
#    (cargo build --release; vip linked statically);
# 3. checks that packaging/man/ holds what the agents print (`<agent> --man`) and gzips the
#    pages for the .rpm (cargo-deb gzips its own copies);
# 4. cargo deb --no-build and cargo generate-rpm (which never builds) with the metadata of
#    packaging/Cargo.toml;
# 5. prints the paths of both packages (stdout, one per line).
#
# Runs as any user; needs cargo (rustup) on PATH or in ~/.cargo/bin, gzip. Honours
# CARGO_TARGET_DIR. Env: CARGO_DEB_VERSION, CARGO_GENERATE_RPM_VERSION (the versions installed
# when missing; defaults are the ones this metadata was written for).
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$top"
export PATH="$HOME/.cargo/bin:$PATH"

CARGO_DEB_VERSION=${CARGO_DEB_VERSION:-3.8.0}
CARGO_GENERATE_RPM_VERSION=${CARGO_GENERATE_RPM_VERSION:-0.21.1}
AGENTS=(vip maxscale galera-sync galera)
PKG=resource-agents-mariadb

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v cargo >/dev/null || die "cargo not found (install the Rust toolchain, >= 1.85)"
command -v gzip >/dev/null || die "gzip not found"

# --- 1. packaging tools ---------------------------------------------------------------------
install_tool() { # install_tool SUBCOMMAND CRATE VERSION
    if cargo "$1" --version >/dev/null 2>&1; then
        return 0
    fi
    say "installing $2 $3 (cargo install --locked; takes a few minutes once)"
    local log
    log=$(mktemp /tmp/packaging-cargo-install.XXXXXX.log)
    # --debug: the tools only write archives, and an unoptimised build takes a fraction of the
    # time on a fresh CI machine.
    if ! cargo install --locked --debug --quiet --version "$3" "$2" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "cargo install $2 failed (log: $log)"
    fi
    rm -f "$log"
    cargo "$1" --version >/dev/null 2>&1 || die "cargo $1 still unavailable after installing $2"
}
install_tool deb cargo-deb "$CARGO_DEB_VERSION"
install_tool generate-rpm cargo-generate-rpm "$CARGO_GENERATE_RPM_VERSION"
say "$(cargo deb --version), $(cargo generate-rpm --version)"

# --- 2. release binaries --------------------------------------------------------------------
# Built exactly as the tests and the lab install them (tests/setup/install-agents.sh: cargo
# build --release for maxscale, galera-sync and galera, vip linked statically); its copy goes to a
# scratch directory, the packages take target/release/<agent>.
target=${CARGO_TARGET_DIR:-$top/target}
[[ $target == /* ]] || target=$top/$target
say "building the agents (release) as tests/setup/install-agents.sh does"
OCF_AGENT_DIR="$target/packaging-stage" tests/setup/install-agents.sh \
    || die "building the agents failed (run tests/setup/install-agents.sh to see why)"
for a in "${AGENTS[@]}"; do
    [[ -x $target/release/$a ]] || die "$target/release/$a was not built"
    cmp -s "$target/release/$a" "$target/packaging-stage/$a" \
        || die "$target/release/$a is not the binary install-agents.sh built"
done

# --- 3. man pages for the rpm ---------------------------------------------------------------
install -d "$target/release/man"
for a in "${AGENTS[@]}"; do
    src=packaging/man/ocf_mariadb_$a.7
    # the checked-in page must be what this build of the agent prints (never ship a stale one)
    if ! "$target/release/$a" --man | cmp -s - "$src"; then
        die "$src is missing or out of date: run cargo run -q -p $PKG --bin gen-docs"
    fi
    gzip -9 -n -c "$src" >"$target/release/man/ocf_mariadb_$a.7.gz"
done

# --- 4. packages ----------------------------------------------------------------------------
out=$target/packages
install -d "$out"
rm -f "$out/${PKG}"_*.deb "$out/${PKG}"-*.rpm

say "cargo deb -p $PKG --no-build"
cargo deb -p "$PKG" --no-build --output "$out/" >/dev/null
say "cargo generate-rpm -p packaging"
cargo generate-rpm -p packaging --output "$out/"

# --- 5. result ------------------------------------------------------------------------------
shopt -s nullglob
debs=("$out/${PKG}"_*.deb)
rpms=("$out/${PKG}"-*.rpm)
(( ${#debs[@]} == 1 )) || die "expected one .deb in $out, found ${#debs[@]}"
(( ${#rpms[@]} == 1 )) || die "expected one .rpm in $out, found ${#rpms[@]}"
printf '%s\n' "${debs[0]}" "${rpms[0]}"
