#!/usr/bin/env bash
# Deploy end-to-end, `local` target: quarry supervises a quarry-runtime child
# that pulls releases over loopback. Needs the debug binaries and the venv
# (see scripts/ci/50-deploy-e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
port=${QUARRY_E2E_PORT:-18940}
rport=${QUARRY_E2E_RUNTIME_PORT:-18941}
dir=$(mktemp -d)
log=$dir/quarry.log
QUARRY_BIND=127.0.0.1:$port QUARRY_DATA_DIR=$dir QUARRY_DEPLOY_TARGET=local \
  QUARRY_RUNTIME_BIND=127.0.0.1:$rport QUARRY_RUNTIME_BIN=$CARGO_TARGET_DIR/debug/quarry-runtime \
  $CARGO_TARGET_DIR/debug/quarry >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
.cache/venv-e2e/bin/python tests/e2e/deploy/deploy_e2e.py --quarry "http://127.0.0.1:$port" --target local \
  --runtime-url "http://127.0.0.1:$rport" || { echo "--- quarry log"; tail -50 "$log"; exit 1; }
