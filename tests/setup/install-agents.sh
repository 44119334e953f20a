#!/usr/bin/env bash
# Builds the agents in release mode and installs them where Pacemaker looks for OCF agents:
# /usr/lib/ocf/resource.d/mariadb/<agent>. Used by the tests and the lab; packages do the same
# for users (packaging/).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dest=${OCF_AGENT_DIR:-/usr/lib/ocf/resource.d/mariadb}
agents=()
for dir in "$top"/agents/*/; do
  agents+=("$(basename "$dir")")
done
pkgs=()
for a in "${agents[@]}"; do pkgs+=(-p "$a"); done
(cd "$top" && cargo build --release --quiet "${pkgs[@]}")
target=${CARGO_TARGET_DIR:-$top/target}
install -d -m 0755 "$dest"
for a in "${agents[@]}"; do
  install -m 0755 "$target/release/$a" "$dest/$a"
done
echo "installed ${agents[*]} into $dest" >&2
