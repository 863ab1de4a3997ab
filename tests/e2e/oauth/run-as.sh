#!/usr/bin/env bash
# Quarry as the authorization server of MCP clients, end to end (tests/e2e/oauth/as_e2e.py): a real OpenID
# provider (npm oidc-provider, tests/e2e/oauth/upstream_idp.mjs, with the package pinned in tests/e2e/oauth/) as the
# upstream sign-in, the official Python MCP SDK's
# OAuthClientProvider from a quarry-runtime's 401 (auth mode oauth, trusting Quarry's JWKS) to tools/call with
# claim-bound parameters on the real PostgreSQL, a consent page driven through its API. Needs the debug `quarry` and
# `quarry-runtime` binaries and the e2e venv (see scripts/ci/50-deploy-e2e.sh). Then the MCP conformance suite's authorization-server
# scenarios (0.2.0-alpha.12 has them; 0.1.16 does not) against Quarry, the admin approving on the consent API.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
port=${QUARRY_E2E_AS_PORT:-18970}
rport=${QUARRY_E2E_AS_RESOURCE_PORT:-18971}
iport=${QUARRY_E2E_AS_IDP_PORT:-18972}
secret=idp-secret-$$-$RANDOM
dir=$(mktemp -d)
cleanup() {
  [[ -n ${qpid:-} ]] && kill "$qpid" 2>/dev/null && { wait "$qpid" 2>/dev/null || true; }
  [[ -n ${ipid:-} ]] && kill "$ipid" 2>/dev/null && { wait "$ipid" 2>/dev/null || true; }
  rm -rf "$dir"
}
trap cleanup EXIT
(cd tests/e2e/oauth && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
# oidc-provider wants Node 22; run that node itself (not under npx) so the cleanup stops it.
node22=$(npx -y -p node@22 -- node -p process.execPath)
"$node22" tests/e2e/oauth/upstream_idp.mjs "$iport" \
  "http://127.0.0.1:$port/oauth/upstream/callback" "$secret" >"$dir/idp.log" 2>&1 &
ipid=$!
# The runtime address is the MCP URL (the resource) Quarry issues tokens for; as_e2e.py starts the runtime there.
QUARRY_BIND=127.0.0.1:$port QUARRY_DATA_DIR=$dir QUARRY_RUNTIME_BIND=127.0.0.1:$rport \
  $CARGO_TARGET_DIR/debug/quarry >"$dir/quarry.log" 2>&1 &
qpid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
for _ in $(seq 300); do grep -q IDP_READY "$dir/idp.log" && break; sleep 0.1; done
.cache/venv-e2e/bin/python tests/e2e/oauth/as_e2e.py --quarry "http://127.0.0.1:$port" \
  --idp "http://127.0.0.1:$iport" --idp-secret "$secret" --resource-port "$rport" \
  --runtime-bin "$CARGO_TARGET_DIR/debug/quarry-runtime" \
  --conformance 0.2.0-alpha.12 --conformance-port "${QUARRY_E2E_AS_CONFORMANCE_PORT:-18973}" ||
  { echo "--- quarry log"; tail -40 "$dir/quarry.log"; echo "--- idp log"; tail -20 "$dir/idp.log"; exit 1; }
# Tokens never reach the log.
if grep -E -q 'qrt_|eyJ[A-Za-z0-9_-]{20,}' "$dir/quarry.log"; then echo "  FAIL a token reached quarry's log"; exit 1; fi
echo "  ok   no token in quarry's log"
