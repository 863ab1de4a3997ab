#!/usr/bin/env bash
# Builds the shared load generator (../shared/bench/loadgen) with
# bench/mcpload-2026-07-28.patch applied: with `--protocol 2026-07-28` (and
# `--no-init`) each tools/call is a stateless request of that revision (the
# per-request `_meta`, the `Mcp-Method`/`Mcp-Name` headers), which quarry-runtime
# answers with one JSON body. The copy and its build live under BENCH_HOME, beside
# the unpatched mcpload. Prints the binary's path; use it as
#   MCPLOAD=$(bench/mcpload_2026.sh) PROTOCOL=2026-07-28 NO_INIT=1 bench/ab.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR=${BENCH_DIR:-$(cd "$repo/../shared/bench" && pwd)}
. "$BENCH_DIR/env.sh"
src="$BENCH_HOME/loadgen-2026"
rm -rf "$src" && mkdir -p "$src"
cp -r "$BENCH_DIR/loadgen/src" "$BENCH_DIR/loadgen/Cargo.toml" "$BENCH_DIR/loadgen/Cargo.lock" "$src/"
patch -s -d "$src" -p1 <"$repo/bench/mcpload-2026-07-28.patch"
(cd "$src" && CARGO_TARGET_DIR="$BENCH_HOME/loadgen-2026-target" cargo build --release -q) >&2
echo "$BENCH_HOME/loadgen-2026-target/release/mcpload"
