#!/usr/bin/env bash
# CI stage: deploy end to end, with the real PostgreSQL and the official Python
# MCP client (PyPI `mcp`, in a venv under .cache/):
#   - local target: quarry supervises a quarry-runtime child (tests/e2e/deploy/run-local.sh);
#   - agents: the Python SDK builds a tool over the agent MCP with an agent token and as an OAuth
#     client (client credentials, discovered from the 401), calls it through the runtime; the
#     MCP Inspector CLI lists the agent tools (tests/e2e/deploy/run-agent.sh);
#   - Quarry as the authorization server of MCP clients: the Python SDK's OAuthClientProvider from the 401 to
#     tools/call, users signing in through a real OpenID provider (npm oidc-provider) or the admin account on the
#     consent page (tests/e2e/oauth/run-as.sh);
#   - the user's whole journey through the UI in chromium, ending with the Python client
#     (tests/browser/journey.e2e.mjs, named so that stage 30 does not pick it up);
#   - pull mode: two quarry-runtime --control-plane processes follow releases (run-pull.sh);
#   - docker target: quarry builds the runtime image FROM scratch from a static
#     quarry-runtime through the Engine API and runs it (tests/e2e/deploy/run-docker.sh).
# Installs docker.io and starts dockerd (no iptables, no bridge: host networking) when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

VENV=$PWD/.cache/venv-e2e
source scripts/lib/venv.sh
ensure_venv "$VENV" tests/e2e/deploy/requirements.txt

cargo build -p control-plane -p mcp-runtime --bins
echo "--- local target"
tests/e2e/deploy/run-local.sh
echo "--- agents: agent token and OAuth client (Python MCP SDK), the Inspector CLI"
tests/e2e/deploy/run-agent.sh
echo "--- Quarry as authorization server: Python SDK OAuthClientProvider, upstream oidc-provider, consent, revocation"
tests/e2e/oauth/run-as.sh
echo "--- the whole journey in the browser: setup → PostgreSQL → tool → deploy → Python MCP client → redeploy → rollback"
[ -f ui/dist/index.html ] || (cd ui && npm run -s build)
(cd tests/browser && JOURNEY_PYTHON=$VENV/bin/python SCREENSHOT_DIR=$CARGO_TARGET_DIR/screenshots node --test journey.e2e.mjs)
echo "--- pull mode (kubernetes target): two quarry-runtime --control-plane processes"
tests/e2e/deploy/run-pull.sh

echo "--- docker target"
scripts/docker-up
# The image is FROM scratch: the runtime must be statically linked.
RUSTFLAGS="-C target-feature=+crt-static" cargo build --target x86_64-unknown-linux-gnu -p mcp-runtime --bin quarry-runtime
STATIC_RUNTIME=$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/debug/quarry-runtime tests/e2e/deploy/run-docker.sh
