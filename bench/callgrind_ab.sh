#!/usr/bin/env bash
# Instructions per call, A/B, under callgrind: a measure this noisy two-core machine cannot disturb (CPU time
# per call moves by ±5 % between runs; executed instructions do not). Each arm runs quarry-runtime under
# `valgrind --tool=callgrind` with instrumentation off, is warmed up, then instrumented for a window of
# `orders_by_customer` calls at c=C; its instructions (Ir) are divided by the calls the load generator counted.
# Both arms run in the same invocation, one after the other, against the same database.
#   bench/callgrind_ab.sh BIN_A BIN_B     env: C=4 DUR=20 WARM=5 PORT=8093
#                                         TOOL=orders_by_customer ARGS=<mcpload args> FIXTURES=
# TOOL=test_simple_text ARGS='{}' FIXTURES=1 measures the no-database floor (the conformance fixture tool).
# Prints Ir/call per arm and B/A; the callgrind files stay in $BENCH_VAR/results/cg-<stamp>/ for
# `callgrind_annotate` (per-function costs; build with symbols, as release builds are by default).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR=${BENCH_DIR:-$(cd "$repo/../shared/bench" && pwd)}
. "$BENCH_DIR/env.sh"
[ $# -eq 2 ] || { sed -n 2,9p "$0"; exit 2; }
C=${C:-4}; DUR=${DUR:-20}; WARM=${WARM:-5}; port=${PORT:-8093}
od="$BENCH_VAR/results/cg-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$od"
url=http://127.0.0.1:$port/mcp tool=${TOOL:-orders_by_customer} args=${ARGS:-'{"customer_id":{{rand:1:10000}}}'}
command -v valgrind >/dev/null || { echo "install valgrind" >&2; exit 2; }
"$BENCH_DIR/setup_db.sh" >/dev/null

# What an arm serves: bench/manifest.json, or A_ARGS / B_ARGS (e.g. --control-plane URL, see bench/telemetry_ab.sh).
arm_args() { local v="${1}_ARGS"; echo "${!v:---manifest $repo/bench/manifest.json}"; }
declare -A IR CALLS
for arm in A B; do
  bin=$1; shift
  QUARRY_LOG=warn QUARRY_RUNTIME_BIND=127.0.0.1:$port QUARRY_RUNTIME_CONFORMANCE_FIXTURES=${FIXTURES:-} \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$od/callgrind.$arm" \
    "$bin" $(arm_args "$arm") >"$od/runtime-$arm.log" 2>&1 &
  vg=$!
  "$MCPLOAD" --probe --url "$url" --tool "$tool" --args "$args" -d 120 --timeout 30 >/dev/null
  "$MCPLOAD" --url "$url" --tool "$tool" --args "$args" -c "$C" -d "$WARM" --warmup 0 --quiet >/dev/null || true
  callgrind_control -i on "$vg" >/dev/null
  "$MCPLOAD" --url "$url" --tool "$tool" --args "$args" -c "$C" -d "$DUR" --warmup 0 --quiet \
    --json "$od/load-$arm.jsonl" >/dev/null || true
  callgrind_control -i off "$vg" >/dev/null
  callgrind_control -d "$vg" >/dev/null
  kill "$vg"; wait "$vg" 2>/dev/null || true
  CALLS[$arm]=$(python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print(r["ok"])' "$od/load-$arm.jsonl")
  # The dump taken while running holds the instrumented window; sum its totals.
  IR[$arm]=$(cat "$od"/callgrind."$arm"* | awk '/^totals:/{s+=$2} END{print s}')
  echo "$arm: $bin calls=${CALLS[$arm]} Ir=${IR[$arm]}" | tee -a "$od/summary.txt"
done
python3 - "${IR[A]}" "${CALLS[A]}" "${IR[B]}" "${CALLS[B]}" <<'EOF' | tee -a "$od/summary.txt"
import sys
ia, ca, ib, cb = map(float, sys.argv[1:])
a, b = ia / ca, ib / cb
print(f"Ir/call A {a:,.0f}  B {b:,.0f}  B/A {b / a:.3f}")
EOF
echo "files in $od"
