#!/usr/bin/env bash
# Deploy end-to-end, `docker` target: quarry builds the runtime image FROM
# scratch out of the static quarry-runtime binary through the Engine API and
# runs it as a container (host network, bound to 127.0.0.1) that pulls releases.
# Needs a running dockerd, the debug quarry binary, a static quarry-runtime in
# $STATIC_RUNTIME and the venv (see scripts/ci/50-deploy-e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
port=${QUARRY_E2E_PORT:-18950}
rport=${QUARRY_E2E_RUNTIME_PORT:-18951}
static=${STATIC_RUNTIME:-$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/debug/quarry-runtime}
dir=$(mktemp -d)
log=$dir/quarry.log
docker rm -f quarry-runtime >/dev/null 2>&1 || true
QUARRY_BIND=127.0.0.1:$port QUARRY_DATA_DIR=$dir QUARRY_DEPLOY_TARGET=docker \
  QUARRY_RUNTIME_BIND=127.0.0.1:$rport QUARRY_RUNTIME_BIN=$(realpath "$static") \
  $CARGO_TARGET_DIR/debug/quarry >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; docker rm -f quarry-runtime >/dev/null 2>&1; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
.cache/venv-e2e/bin/python tests/e2e/deploy/deploy_e2e.py --quarry "http://127.0.0.1:$port" --target docker \
  --runtime-url "http://127.0.0.1:$rport" || { echo "--- quarry log"; tail -60 "$log"; exit 1; }
docker image ls quarry-runtime:quarry-local --format 'image {{.Repository}}:{{.Tag}} {{.Size}}'
