#!/usr/bin/env bash
# Is PostgreSQL's extra CPU per call under quarry the read-only envelope, or the two cores it shares with the
# server and the load generator? One invocation, interleaved, REPS times:
#   1. pgbench running quarry's exact pipeline (bench/envelope/envelope-session-timeout.sql) at c=16, alone;
#   2. the same pgbench with MCP traffic that never touches PostgreSQL running beside it (the conformance
#      fixture `test_simple_text` on quarry-runtime at c=BESIDE): the server and load-generator CPU quarry's
#      own calls bring, without quarry's queries;
#   3. pgbench on the bare query, alone (the reference of the goal);
#   4. quarry-runtime on `orders_by_customer` at c=16.
# Prints PostgreSQL CPU ms per transaction/call of each, and the cores the co-load and quarry's calls took.
#   bench/pg_contention.sh        env: QUARRY_BIN= (built binary; else the tree is built) DUR=10 REPS=3 BESIDE=1
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR=${BENCH_DIR:-$(cd "$repo/../shared/bench" && pwd)}
. "$BENCH_DIR/env.sh"; . "$BENCH_DIR/lib.sh"
DUR=${DUR:-10}; REPS=${REPS:-3}; BESIDE=${BESIDE:-1}; port=${QUARRY_PORT:-8094}; export WARMUP=${WARMUP:-2}
od="$BENCH_VAR/results/pg-contention-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$od"; export OUT="$od/results.jsonl"
. "$repo/bench/quarry_peer.sh"
pgb="$BENCH_DIR/peers/pgbench/run.sh"; env_sql="$repo/bench/envelope/envelope-session-timeout.sql"
for rep in $(seq 1 "$REPS"); do
  quiet_wait >/dev/null
  LABEL="envelope alone" "$pgb" 16 "$DUR" "$env_sql" >/dev/null || true
  quiet_wait >/dev/null
  # The co-load starts first and outlasts pgbench's warm-up and window.
  OUT="$od/beside.jsonl" LABEL="co-load" PID=$pid WATCH_PG=0 WARMUP=1 \
    "$BENCH_DIR/run.sh" "$url" test_simple_text '{}' "$BESIDE" $((DUR + 4)) >/dev/null &
  co=$!; sleep 1
  LABEL="envelope beside co-load" "$pgb" 16 "$DUR" "$env_sql" >/dev/null || true
  wait "$co" || true
  quiet_wait >/dev/null
  LABEL="bare alone" "$pgb" 16 "$DUR" >/dev/null || true
  quiet_wait >/dev/null
  LABEL="quarry" PID=$pid "$BENCH_DIR/run.sh" "$url" orders_by_customer "$ARGS_C" 16 "$DUR" >/dev/null || true
done
stop_peer quarry >/dev/null
python3 - "$OUT" "$od/beside.jsonl" <<'PY'
import json, statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for f in sys.argv[1:]:
    for line in open(f):
        if line.strip():
            r = json.loads(line); rows[r["label"]].append(r)
w = lambda r, who: r.get("watched", {}).get(who, {}).get("cpu_s_per_1k")
def med(label, f):
    v = [x for x in map(f, rows[label]) if x is not None]
    return statistics.median(v) if v else float("nan")
cores = lambda r: r["throughput"] * ((w(r, "server") or 0) + (r.get("loadgen_cpu_per_1k") or 0)) / 1000
print("| run | n | per second | postgres CPU ms per txn/call | server + load generator, cores |")
print("|---|---:|---:|---:|---:|")
for label in ("bare alone", "envelope alone", "envelope beside co-load", "co-load", "quarry"):
    if rows[label]:
        pg = med(label, lambda r: w(r, "postgres"))
        c = med(label, cores) if label in ("co-load", "quarry") else float("nan")
        print(f"| {label} | {len(rows[label])} | {med(label, lambda r: r['throughput']):,.0f} | {pg:.3f} | {c:.2f} |")
bare = med("bare alone", lambda r: w(r, "postgres"))
for label in ("envelope alone", "envelope beside co-load", "quarry"):
    print(f"{label} / bare alone: {med(label, lambda r: w(r, 'postgres')) / bare:.3f}")
PY
