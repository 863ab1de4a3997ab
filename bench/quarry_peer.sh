# Sourced by bench/floor.sh and bench/pg_contention.sh (after the shared harness's env.sh and lib.sh, with `repo`
# and `port` set): builds quarry-runtime unless QUARRY_BIN names a binary, prepares the bench database, and starts
# the runtime on bench/manifest.json with the conformance fixtures on (`test_simple_text` is the no-database tool).
# Sets `pid` and `url`.
bin=${QUARRY_BIN:-}
[ -n "$bin" ] || { (cd "$repo" && cargo build --release -q -p mcp-runtime --bin quarry-runtime)
                   bin="${CARGO_TARGET_DIR:-$repo/target}/release/quarry-runtime"; }
"$BENCH_DIR/setup_db.sh" >/dev/null
[ -x "$MCPLOAD" ] || "$BENCH_DIR/install_peers.sh" >/dev/null
stop_peer quarry >/dev/null
ARGS_C='{"customer_id":{{rand:1:10000}}}'
QUARRY_LOG=warn QUARRY_RUNTIME_CONFORMANCE_FIXTURES=1 start_peer quarry "http://127.0.0.1:$port/mcp" \
  orders_by_customer "$ARGS_C" -- env QUARRY_RUNTIME_BIND=127.0.0.1:$port \
  "$bin" --manifest "$repo/bench/manifest.json" >/dev/null
pid=$(cat "$BENCH_VAR/quarry.pid"); url=http://127.0.0.1:$port/mcp
