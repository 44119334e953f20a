#!/usr/bin/env bash
# Builds the agents in release mode and installs them where Pacemaker looks for OCF agents:
# /usr/lib/ocf/resource.d/mariadb/<agent>. Used by the tests and the lab; packages do the same
# for users (packaging/build.sh).
#
# vip is linked statically (+crt-static): it resolves no names, and skipping the dynamic loader
# takes its monitor from ~1.05 ms to ~0.8 ms (tests/bench/vip.sh). The others stay dynamic:
# they may resolve host names, which static glibc cannot do reliably (NSS).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
LOG_TAG=install-agents
. "$top/tests/lib/common.sh"
dest=${OCF_AGENT_DIR:-/usr/lib/ocf/resource.d/mariadb}
target=${CARGO_TARGET_DIR:-$top/target}
agents=()
for dir in "$top"/agents/*/; do
  agents+=("$(basename "$dir")")
done
cd "$top"
for a in "${agents[@]}"; do
  if [[ $a == vip ]]; then
    # Only the final link differs, so the shared dependencies are reused.
    cargo_progress rustc --release -p vip --bin vip -- -C target-feature=+crt-static
    bin="$target/release/vip"
  else
    cargo_progress build --release -p "$a"
    bin="$target/release/$a"
  fi
  install -d -m 0755 "$dest"
  install -m 0755 "$bin" "$dest/$a"
done
echo "installed ${agents[*]} into $dest" >&2
