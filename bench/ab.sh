#!/usr/bin/env bash
# Same-run A/B of quarry-runtime on the shared harness (../shared/bench, or BENCH_DIR): a baseline
# revision (A = BASE, built in a throwaway git worktree with its own CARGO_TARGET_DIR, so the repo's
# target is not touched) against the current working tree (B, built in the repo's target or
# CARGO_TARGET_DIR; or, with NEW=<rev>, that revision built like A, e.g. NEW=HEAD to leave out
# uncommitted edits). Both run at once on different ports with bench/manifest.json and
# QUARRY_LOG=warn, are pre-warmed, then measured in interleaved rounds A B, B A, A B, ... of
# `orders_by_customer` at c=16, each after quiet_wait, with PID= so server CPU-ms/call is recorded.
# Prints per arm median calls/s, server CPU-ms/call and p99, and the B/A ratio of CPU per call
# (median and min..max of the per-rep ratios), via bench/ab_table.py.
#   bench/ab.sh                 env: BASE=feee314 NEW= REPS=4 DUR=15 C=16 (or CS="1 16 64") PREWARM=5
#                                    A_PORT=8091 B_PORT=8092; PROTOCOL=2026-07-28 NO_INIT=1 with
#                                    MCPLOAD=$(bench/mcpload_2026.sh) measures stateless requests
#                                    AB_TARGET=$BENCH_VAR/ab-target (CARGO_TARGET_DIR of the worktree builds, kept)
#                                    A_BIN= / B_BIN=: a prebuilt binary for that arm instead of a build;
#                                    A_ARGS= / B_ARGS=: the arm's runtime arguments instead of --manifest bench/manifest.json
# Raw results: $BENCH_VAR/results/ab-<stamp>/ (results-c<C>.jsonl, rounds.txt, build.txt, table.md).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR=${BENCH_DIR:-$(cd "$repo/../shared/bench" && pwd)}
. "$BENCH_DIR/env.sh"; . "$BENCH_DIR/lib.sh"
BASE=${BASE:-feee314}; REPS=${REPS:-4}; DUR=${DUR:-15}; C=${C:-16}; export WARMUP=${WARMUP:-3}
NEW=${NEW:-}; a_port=${A_PORT:-8091}; b_port=${B_PORT:-8092}; ab_target=${AB_TARGET:-$BENCH_VAR/ab-target}
stamp=$(date +%Y%m%d-%H%M%S); od="$BENCH_VAR/results/ab-$stamp"; mkdir -p "$od/bin"
export OUT="$od/results.jsonl"
echo "results in $od"

wts=()
cleanup() {
  stop_peer quarry-a >/dev/null || true; stop_peer quarry-b >/dev/null || true
  for wt in "${wts[@]}"; do git -C "$repo" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"; done
  git -C "$repo" worktree prune
}
trap cleanup EXIT

# build_rev REV ARM : build REV in a throwaway worktree (target AB_TARGET) into $od/bin/quarry-runtime-ARM.
# Binaries are copied into the results so a rebuild elsewhere cannot swap them mid-run.
build_rev() {
  local rev wt; rev=$(git -C "$repo" rev-parse --verify "$1^{commit}")
  wt=$(mktemp -d "${TMPDIR:-/tmp}/quarry-ab-$2.XXXXXX"); wts+=("$wt")
  git -C "$repo" worktree add -q --detach "$wt" "$rev"
  (cd "$wt" && CARGO_TARGET_DIR="$ab_target" cargo build --release -q -p mcp-runtime --bin quarry-runtime)
  cp "$ab_target/release/quarry-runtime" "$od/bin/quarry-runtime-$2"
  echo "$2 = $1 ($rev)" >>"$od/build.txt"
}
if [ -n "${A_BIN:-}" ]; then cp "$A_BIN" "$od/bin/quarry-runtime-A"; echo "A = $A_BIN (prebuilt)" >>"$od/build.txt"
else build_rev "$BASE" A; fi
if [ -n "${B_BIN:-}" ]; then cp "$B_BIN" "$od/bin/quarry-runtime-B"; echo "B = $B_BIN (prebuilt)" >>"$od/build.txt"
elif [ -n "$NEW" ]; then build_rev "$NEW" B; else
  head=$(git -C "$repo" rev-parse HEAD)
  dirty=$(git -C "$repo" status --porcelain -uno | grep -q . && echo ' + uncommitted changes' || true)
  (cd "$repo" && cargo build --release -q -p mcp-runtime --bin quarry-runtime)
  cp "${CARGO_TARGET_DIR:-$repo/target}/release/quarry-runtime" "$od/bin/quarry-runtime-B"
  echo "B = working tree at $head$dirty" >>"$od/build.txt"
fi
(cd "$od/bin" && sha256sum quarry-runtime-A quarry-runtime-B) >>"$od/build.txt"; cat "$od/build.txt"

[ -x "$MCPLOAD" ] || (cd "$BENCH_DIR/loadgen" && CARGO_TARGET_DIR="$BENCH_HOME/loadgen-target" cargo build --release -q)
"$BENCH_DIR/setup_db.sh" >/dev/null
stop_peer quarry-a >/dev/null; stop_peer quarry-b >/dev/null

ARGS_C='{"customer_id":{{rand:1:10000}}}'
# What an arm serves: bench/manifest.json, or A_ARGS / B_ARGS (e.g. --control-plane URL, see bench/telemetry_ab.sh).
arm_args() { local v="${1}_ARGS"; echo "${!v:---manifest $repo/bench/manifest.json}"; }
declare -A URL=([A]=http://127.0.0.1:$a_port/mcp [B]=http://127.0.0.1:$b_port/mcp) PID
for arm in A B; do
  port=${URL[$arm]#http://127.0.0.1:}; port=${port%/mcp}; name=quarry-${arm,,}
  start_peer "$name" "${URL[$arm]}" orders_by_customer "$ARGS_C" -- env QUARRY_LOG=warn \
    QUARRY_RUNTIME_BIND=127.0.0.1:$port "$od/bin/quarry-runtime-$arm" $(arm_args "$arm") | tee -a "$od/rounds.txt"
  PID[$arm]=$(cat "$BENCH_VAR/$name.pid")
done
for arm in A B A B; do  # pre-warm (not recorded): pools, statement caches, allocator
  OUT=/dev/null WATCH_PG=0 WARMUP=0 "$BENCH_DIR/run.sh" "${URL[$arm]}" orders_by_customer "$ARGS_C" "$C" "${PREWARM:-5}" >/dev/null || true
done
for C in ${CS:-$C}; do  # CS="1 16 64": one table per concurrency, same servers, same invocation
  export OUT="$od/results-c$C.jsonl"
  for rep in $(seq 1 "$REPS"); do
    order="A B"; [ $((rep % 2)) = 0 ] && order="B A"
    for arm in $order; do
      busy=$(quiet_wait)
      echo "-- $arm c=$C rep=$rep machine_busy_before=$busy load=$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$od/rounds.txt"
      LABEL="$arm rep$rep" PID=${PID[$arm]} "$BENCH_DIR/run.sh" "${URL[$arm]}" orders_by_customer "$ARGS_C" "$C" "$DUR" | sed 's/^/   /' || true
    done
  done
  echo "c=$C" | tee -a "$od/table.md"
  python3 "$repo/bench/ab_table.py" "$OUT" "$od/build.txt" | tee -a "$od/table.md"
done
