#!/usr/bin/env bash
# quarry-runtime next to its peers on the shared harness (../shared/bench, or BENCH_DIR):
# the `orders_by_customer` indexed lookup (20 rows) on PostgreSQL at c=1/16/64, side by side in
# one run with raw pgbench on the same query, DBHub and FastMCP (each pinned to one core).
# Reports calls/s, p50/p99, server CPU-ms per call, RSS idle/under load and time to ready.
#   bench/run.sh                     env: DUR=15 CONCS="1 16 64" REPS=1 PREWARM=5 QUARRY_PORT=8090
#                                         PEERS="quarry dbhub fastmcp pgbench" QUARRY_CPUS= (taskset list)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR=${BENCH_DIR:-$(cd "$repo/../shared/bench" && pwd)}
. "$BENCH_DIR/env.sh"; . "$BENCH_DIR/lib.sh"
DUR=${DUR:-15}; REPS=${REPS:-1}; CONCS=${CONCS:-"1 16 64"}; export WARMUP=${WARMUP:-3}
PEERS=${PEERS:-"quarry dbhub fastmcp pgbench"}; port=${QUARRY_PORT:-8090}
stamp=$(date +%Y%m%d-%H%M%S); od="$BENCH_VAR/results/quarry-$stamp"; mkdir -p "$od"
export OUT="$od/results.jsonl"
echo "results in $od"

(cd "$repo" && cargo build --release -q -p mcp-runtime --bin quarry-runtime)
"$BENCH_DIR/setup_db.sh" >/dev/null
"$BENCH_DIR/install_peers.sh" >/dev/null
"$BENCH_DIR/stop_peers.sh" >/dev/null
stop_peer quarry >/dev/null

# The same tools as the peers, on the bench database (pool of 10, like theirs; trust login here).
manifest="$repo/bench/manifest.json"
ARGS_C='{"customer_id":{{rand:1:10000}}}'
pin=(); [ -n "${QUARRY_CPUS:-}" ] && pin=(taskset -c "$QUARRY_CPUS")
start_quarry() {
  start_peer quarry "http://127.0.0.1:$port/mcp" orders_by_customer "$ARGS_C" -- env QUARRY_LOG=warn \
    QUARRY_RUNTIME_BIND=127.0.0.1:$port "${pin[@]}" "${CARGO_TARGET_DIR:-$repo/target}/release/quarry-runtime" --manifest "$manifest"
}

echo "== startup (3 runs): time to the first successful tools/call, RSS then and after 5 s idle" | tee "$od/startup.txt"
for i in 1 2 3; do
  line=$(start_quarry); sleep 5
  echo "$line idle5s_rss_mib=$(rss_mib "$(cat "$BENCH_VAR/quarry.pid")") run=$i" | tee -a "$od/startup.txt"
  stop_peer quarry >/dev/null
done

start_quarry | tee -a "$od/rss.txt"
# The peers as the harness runs them, each pinned to one core (a one-process server on one CPU).
[[ " $PEERS " == *" dbhub "* ]] && taskset -c 1 "$BENCH_DIR/peers/dbhub/start.sh" pg 8081 | tee -a "$od/rss.txt"
[[ " $PEERS " == *" fastmcp "* ]] && taskset -c 1 "$BENCH_DIR/peers/fastmcp/start.sh" 8082 | tee -a "$od/rss.txt"
sleep 5
declare -A PID=([quarry]=$(cat "$BENCH_VAR/quarry.pid"))
[[ " $PEERS " == *" dbhub "* ]] && PID[dbhub]=$(cat "$BENCH_VAR/dbhub-pg.pid")
[[ " $PEERS " == *" fastmcp "* ]] && PID[fastmcp]=$(cat "$BENCH_VAR/fastmcp.pid")
declare -A URL=([quarry]=http://127.0.0.1:$port/mcp [dbhub]=http://127.0.0.1:8081/mcp [fastmcp]=http://127.0.0.1:8082/mcp)
for p in "${!PID[@]}"; do echo "idle before load: $p rss_mib=$(rss_mib "${PID[$p]}")"; done | tee -a "$od/rss.txt"
for p in "${!PID[@]}"; do  # pre-warm (not recorded): JITs, caches, pools
  OUT=/dev/null WATCH_PG=0 WARMUP=0 "$BENCH_DIR/run.sh" "${URL[$p]}" orders_by_customer "$ARGS_C" 16 "${PREWARM:-5}" >/dev/null || true
done
for rep in $(seq 1 "$REPS"); do
  order=$PEERS; [ $((rep % 2)) = 0 ] && order=$(tr ' ' '\n' <<<"$PEERS" | tac | tr '\n' ' ')
  for c in $CONCS; do
    for peer in $order; do
      busy=$(quiet_wait)
      echo "-- $peer c=$c rep=$rep (machine busy before: $busy)"
      if [ "$peer" = pgbench ]; then
        LABEL="pgbench rep$rep" "$BENCH_DIR/peers/pgbench/run.sh" "$c" "$DUR" "$BENCH_DIR/peers/pgbench/query.sql" | sed 's/^/   /' || true
      else
        LABEL="$peer rep$rep" PID=${PID[$peer]} "$BENCH_DIR/run.sh" "${URL[$peer]}" orders_by_customer "$ARGS_C" "$c" "$DUR" | sed 's/^/   /' || true
      fi
    done
  done
done
sleep 5
for p in "${!PID[@]}"; do echo "idle after load: $p rss_mib=$(rss_mib "${PID[$p]}")"; done | tee -a "$od/rss.txt"
stop_peer quarry >/dev/null; "$BENCH_DIR/stop_peers.sh" >/dev/null
python3 "$repo/bench/table.py" "$OUT" "$od/startup.txt" "$od/rss.txt" | tee "$od/table.md"
