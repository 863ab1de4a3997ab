#!/usr/bin/env bash
# What is left for the MCP server once PostgreSQL and the load generator have had their share of the CPU.
# At c=16 the 2-core machine is CPU-bound, so calls/s = 2 cores / (CPU of everything per call). Interleaved
# in one invocation: raw pgbench on the orders_by_customer query; quarry-runtime on that query; and
# quarry-runtime on a tool with no database at all (the conformance fixture `test_simple_text`), which is
# the cost of MCP over HTTP alone — server and load generator. The last lines turn the measured
# PostgreSQL and load-generator costs into the server CPU budget a given share of pgbench allows.
# With STATELESS=<mcpload built by bench/mcpload_2026.sh> both quarry runs are repeated as stateless
# 2026-07-28 requests (one JSON body per response) next to the session ones (SSE).
#   bench/floor.sh                   env: DUR=10 REPS=2 C=16 (or CS="1 16 64") SHARE=0.7 QUARRY_PORT=8090
#                                    STATELESS= QUARRY_BIN= (a built binary instead of building the tree)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR=${BENCH_DIR:-$(cd "$repo/../shared/bench" && pwd)}
. "$BENCH_DIR/env.sh"; . "$BENCH_DIR/lib.sh"
STATELESS=${STATELESS:-}; DUR=${DUR:-10}; REPS=${REPS:-2}; C=${C:-16}; SHARE=${SHARE:-0.7}; port=${QUARRY_PORT:-8090}; export WARMUP=${WARMUP:-2}
od="$BENCH_VAR/results/quarry-floor-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$od"; export OUT="$od/results.jsonl"
. "$repo/bench/quarry_peer.sh"
OUT=/dev/null WATCH_PG=0 WARMUP=0 "$BENCH_DIR/run.sh" "$url" orders_by_customer "$ARGS_C" 16 3 >/dev/null || true
for C in ${CS:-$C}; do  # CS="1 16 64": every run at each concurrency, labels "<run> c<C> rep<N>"
for rep in $(seq 1 "$REPS"); do
  quiet_wait >/dev/null
  LABEL="pgbench c$C rep$rep" "$BENCH_DIR/peers/pgbench/run.sh" "$C" "$DUR" "$BENCH_DIR/peers/pgbench/query.sql" >/dev/null || true
  quiet_wait >/dev/null
  LABEL="quarry-sql c$C rep$rep" PID=$pid "$BENCH_DIR/run.sh" "$url" orders_by_customer "$ARGS_C" "$C" "$DUR" >/dev/null || true
  quiet_wait >/dev/null
  LABEL="quarry-nodb c$C rep$rep" PID=$pid "$BENCH_DIR/run.sh" "$url" test_simple_text '{}' "$C" "$DUR" >/dev/null || true
  [ -n "$STATELESS" ] || continue
  for run in "quarry-sql-stateless orders_by_customer $ARGS_C" "quarry-nodb-stateless test_simple_text {}"; do
    read -r label tool args <<<"$run"
    quiet_wait >/dev/null
    LABEL="$label c$C rep$rep" PID=$pid MCPLOAD=$STATELESS PROTOCOL=2026-07-28 NO_INIT=1 \
      "$BENCH_DIR/run.sh" "$url" "$tool" "$args" "$C" "$DUR" >/dev/null || true
  done
done
done
stop_peer quarry >/dev/null
python3 - "$OUT" "$SHARE" "${CS:-$C}" <<'PY'
import json, statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    if line.strip():
        r = json.loads(line); rows[r["label"].partition(" rep")[0]].append(r)
def cpu(r, who):  # CPU-ms per call of one watched process (group)
    return r.get("watched", {}).get(who, {}).get("cpu_s_per_1k")
def m(label, f):
    v = [x for x in map(f, rows[label]) if x is not None]
    return statistics.mean(v) if v else float("nan")
tps = lambda label: m(label, lambda r: r.get("throughput"))
print("| run | c | calls/s | server CPU ms/call | load generator CPU ms/call | postgres CPU ms/call | p99 ms |")
print("|---|---:|---:|---:|---:|---:|---:|")
share = float(sys.argv[2])
for c in sys.argv[3].split():
    for run in ("pgbench", "quarry-sql", "quarry-sql-stateless", "quarry-nodb", "quarry-nodb-stateless"):
        label = f"{run} c{c}"
        if not rows[label]:
            continue
        print(f"| {run} | {c} | {tps(label):,.0f} | {m(label, lambda r: cpu(r, 'server')):.3f} | "
              f"{m(label, lambda r: r.get('loadgen_cpu_per_1k')):.3f} | {m(label, lambda r: cpu(r, 'postgres')):.3f} | "
              f"{m(label, lambda r: r.get('p99_ms')):.2f} |")
    pg = m(f"pgbench c{c}", lambda r: cpu(r, "postgres"))
    gen = m(f"quarry-sql c{c}", lambda r: r.get("loadgen_cpu_per_1k"))
    budget = 2 / (share * tps(f"pgbench c{c}")) * 1000  # CPU-ms per call the whole machine may spend at that share
    print(f"\nc={c}: {share:.0%} of pgbench = {share * tps(f'pgbench c{c}'):,.0f} calls/s = {budget:.3f} CPU-ms per call"
          f" on 2 cores; PostgreSQL at pgbench's cost ({pg:.3f}) and the load generator ({gen:.3f}) leave the server"
          f" {budget - pg - gen:.3f} ms, against {m(f'quarry-nodb c{c}', lambda r: cpu(r, 'server')):.3f} ms for MCP"
          f" over HTTP with no database at all. PostgreSQL per call, quarry/pgbench:"
          f" {m(f'quarry-sql c{c}', lambda r: cpu(r, 'postgres')) / pg:.3f} (session),"
          f" {m(f'quarry-sql-stateless c{c}', lambda r: cpu(r, 'postgres')) / pg:.3f} (stateless).\n")
PY
