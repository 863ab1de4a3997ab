#!/usr/bin/env bash
# CI stage: Quarry's pages in Debian's headless chromium. Starts a control
# plane on a free port with a throw-away data dir; screenshots go to target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
# metrics.test.mjs deploys a real runtime (the local target).
cargo build --locked -p control-plane --bin quarry -p mcp-runtime --bin quarry-runtime
# tests/browser/ui.test.mjs drives the web UI, which the control plane serves from ui/dist.
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run -s build)
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
QUARRY_BIND=127.0.0.1:$port QUARRY_DATA_DIR=$data "$target_dir/debug/quarry" serve >"$data/quarry.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
export QUARRY_URL=http://127.0.0.1:$port
export SCREENSHOT_DIR=$target_dir/screenshots
(cd tests/browser && node --test)
echo "--- two-factor login with pyotp (its own quarry)"
bash tests/e2e/two_factor_pyotp.sh
ls -l "$SCREENSHOT_DIR"
