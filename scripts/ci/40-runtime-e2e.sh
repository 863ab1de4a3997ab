#!/usr/bin/env bash
# Runtime end-to-end stage: the runtime's integration tests (real PostgreSQL and
# MariaDB required), the official MCP conformance suite (Node 22 via npx)
# against quarry-runtime serving the conformance fixture manifest with the
# test-only fixtures switched on, then the official clients (PyPI `mcp`, the
# MCP Inspector CLI) calling SQL tools on both databases (tests/e2e/runtime).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

export REQUIRE_DB_TESTS=${REQUIRE_DB_TESTS:-1}
cargo test -p shared-model -p mcp-runtime
cargo build -p mcp-runtime --bin quarry-runtime

port=${CONFORMANCE_PORT:-18931}
log=$(mktemp)
QUARRY_RUNTIME_CONFORMANCE_FIXTURES=1 QUARRY_RUNTIME_BIND=127.0.0.1:$port \
  $CARGO_TARGET_DIR/debug/quarry-runtime --manifest tests/fixtures/manifests/valid/conformance.json >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

out=$(mktemp)
npx -y -p node@22 -p @modelcontextprotocol/conformance@0.1.16 -- \
  conformance server --url "http://127.0.0.1:$port/mcp" | tee "$out" | grep -E '^(✓|✗|Total)' || true
total=$(grep -E '^Total:' "$out" || true)
rm -f "$out"
echo "conformance: $total"
[[ $total =~ Total:\ ([0-9]+)\ passed,\ 0\ failed ]] && (( BASH_REMATCH[1] > 0 )) || { cat "$log"; exit 1; }

tests/e2e/runtime/run.sh
