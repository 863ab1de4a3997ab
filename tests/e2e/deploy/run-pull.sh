#!/usr/bin/env bash
# Pull mode end to end: quarry with the kubernetes target (it only publishes)
# and two quarry-runtime --control-plane processes, as the Helm chart runs them.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
port=${QUARRY_E2E_PORT:-18945}
dir=$(mktemp -d)
token=pull-e2e-$RANDOM$RANDOM
key=$(head -c 32 /dev/urandom | base64)
QUARRY_BIND=127.0.0.1:$port QUARRY_DATA_DIR=$dir QUARRY_DEPLOY_TARGET=kubernetes \
  QUARRY_RUNTIME_TOKEN=$token QUARRY_RUNTIME_KEY=$key $CARGO_TARGET_DIR/debug/quarry >"$dir/quarry.log" 2>&1 &
pids=($!)
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
urls=()
for i in 1 2; do
  rport=$((port + i))
  QUARRY_RUNTIME_BIND=127.0.0.1:$rport QUARRY_RUNTIME_TOKEN=$token QUARRY_RUNTIME_KEY=$key QUARRY_RUNTIME_INSTANCE=pod-$i \
    $CARGO_TARGET_DIR/debug/quarry-runtime --control-plane "http://127.0.0.1:$port" >"$dir/runtime-$i.log" 2>&1 &
  pids+=($!)
  urls+=(--runtime-url "http://127.0.0.1:$rport")
done
cd tests/e2e/deploy
../../../.cache/venv-e2e/bin/python pull_e2e.py --quarry "http://127.0.0.1:$port" "${urls[@]}" \
  || { echo "--- quarry log"; tail -30 "$dir/quarry.log"; tail -20 "$dir/runtime-1.log"; exit 1; }
