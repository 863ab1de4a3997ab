#!/usr/bin/env bash
# Runtime end-to-end stage: the runtime's doc tests (its unit and integration
# tests run in stage 20, once), the official MCP conformance suite (Node 22 via npx; the
# stable 0.1.16 and the 2026-07-28 requirements of the pinned pre-release)
# against quarry-runtime serving the conformance fixture manifest with the
# test-only fixtures switched on, then the official clients (PyPI `mcp` 1.x
# and 2.x, the MCP Inspector CLI) calling SQL tools on both databases and
# seeing a reload announced (tests/e2e/runtime), and the runtime as an OAuth
# resource server for the tokens of a real OpenID provider, with the Python
# SDK's OAuthClientProvider as two users (tests/e2e/oauth).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

export REQUIRE_DB_TESTS=${REQUIRE_DB_TESTS:-1}
cargo test --doc -p shared-model -p mcp-runtime
cargo build -p mcp-runtime --bin quarry-runtime

port=${CONFORMANCE_PORT:-18931}
log=$(mktemp)
QUARRY_RUNTIME_CONFORMANCE_FIXTURES=1 QUARRY_RUNTIME_BIND=127.0.0.1:$port \
  $CARGO_TARGET_DIR/debug/quarry-runtime --manifest tests/fixtures/manifests/valid/conformance.json >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# The stable suite must pass entirely; the 2026-07-28 pre-release must pass
# every scenario that revision requires. The only failures it may report are
# the scenarios it marks "(extension)" (the tasks extension, not implemented).
conformance() {
  local out; out=$(mktemp)
  npx -y -p node@22 -p "@modelcontextprotocol/conformance@$1" -- \
    conformance server --url "http://127.0.0.1:$port/mcp" "${@:2}" >"$out" 2>&1 || true
  grep -E '^(✓|✗|Total)' "$out" | grep -v '(extension)' || true
  local total unexpected=()
  total=$(grep -E '^Total:' "$out" || true)
  while read -r name; do
    [[ -n $name ]] && ! grep -qF "✗ $name (extension)" "$out" && unexpected+=("$name")
  done < <(sed -n 's/^✗ \([^:]*\):.*/\1/p' "$out")
  rm -f "$out"
  echo "conformance $1 ${*:2}: $total; unexpected failures: ${unexpected[*]:-none}"
  [[ $total =~ Total:\ ([0-9]+)\ passed ]] && ((BASH_REMATCH[1] > 0)) && ((${#unexpected[@]} == 0)) || { cat "$log"; exit 1; }
}
conformance 0.1.16
conformance 0.2.0-alpha.12 --requirements 2026-07-28

tests/e2e/runtime/run.sh
# Auth mode oauth with real peers: oidc-provider as the external issuer, the
# Python SDK's OAuthClientProvider as alice and bob (tests/e2e/oauth).
tests/e2e/oauth/run.sh
