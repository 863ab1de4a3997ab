#!/usr/bin/env bash
# Agents end to end, `local` target: the Python MCP SDK as an agent builds a
# tool from nothing against a per-run PostgreSQL database, once with an agent
# token and once as an OAuth client (client credentials, discovered from the
# 401), and calls it through the runtime (tests/e2e/deploy/agent_e2e.py); then
# the MCP Inspector CLI lists the agent tools. Needs the debug binaries, the
# venv and the Inspector (see scripts/ci/50-deploy-e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
bin_path=$(tests/e2e/runtime/setup.sh)
port=${QUARRY_E2E_AGENT_PORT:-18960}
rport=${QUARRY_E2E_AGENT_RUNTIME_PORT:-18961}
db=quarry_agent_e2e_$$_$(date +%s)
dir=$(mktemp -d)
log=$dir/quarry.log
pg() { psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"; }
cleanup() {
  [[ -n ${pid:-} ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  pg -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
pg -d postgres -c "CREATE DATABASE $db" && pg -d "$db" -f tests/e2e/runtime/seed.sql

QUARRY_BIND=127.0.0.1:$port QUARRY_DATA_DIR=$dir QUARRY_DEPLOY_TARGET=local \
  QUARRY_RUNTIME_BIND=127.0.0.1:$rport QUARRY_RUNTIME_BIN=$CARGO_TARGET_DIR/debug/quarry-runtime \
  $CARGO_TARGET_DIR/debug/quarry >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
out=$dir/agent.out
.cache/venv-e2e/bin/python tests/e2e/deploy/agent_e2e.py --quarry "http://127.0.0.1:$port" --database "$db" |
  tee "$out" | grep -v '^AGENT_TOKEN=' || { echo "--- quarry log"; tail -50 "$log"; exit 1; }
token=$(sed -n 's/^AGENT_TOKEN=//p' "$out")

# The Inspector keeps state under HOME: give it a throwaway one.
export HOME=$dir/home MCP_CATALOG_PATH=$dir/home/mcp.json CI=1 NO_COLOR=1 npm_config_yes=true
mkdir -p "$HOME"
list=$(PATH=$bin_path:$PATH timeout 60 mcp-inspector --cli "http://127.0.0.1:$port/agent/mcp" --transport http \
  --header "Authorization: Bearer $token" --method tools/list </dev/null)
count=$(jq '.tools | length' <<<"$list")
if ((count >= 44)) && jq -e '.tools | all(.inputSchema and .outputSchema and .annotations)' >/dev/null <<<"$list"; then
  echo "  ok   inspector cli lists the $count agent tools, each with its schemas and annotations"
else
  echo "  FAIL inspector cli: $list"; exit 1
fi
