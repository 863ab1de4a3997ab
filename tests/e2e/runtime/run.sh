#!/usr/bin/env bash
# The runtime with the official MCP clients, end to end: per-run databases on
# the real PostgreSQL and MariaDB seeded with `orders`, quarry-runtime (debug
# build) serving them, then the Python SDK clients (1.x and 2.x; each also
# redeploys the manifest and waits for the list-changed notification) and the
# Inspector CLI.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
bin_path=$(tests/e2e/runtime/setup.sh)
port=${QUARRY_E2E_CLIENTS_PORT:-18951}
db=quarry_e2e_$$_$(date +%s)
dir=$(mktemp -d)
pg() { psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"; }
my() { mysql -h 127.0.0.1 -u root "$@"; }
cleanup() {
  [[ -n ${pid:-} ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  pg -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  my -e "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
pg -d postgres -c "CREATE DATABASE $db" && pg -d "$db" -f tests/e2e/runtime/seed.sql
my -e "CREATE DATABASE $db" && my "$db" <tests/e2e/runtime/seed.sql
tests/e2e/runtime/manifest.sh "$db" "$db" >"$dir/manifest.json"

QUARRY_RUNTIME_BIND=127.0.0.1:$port $CARGO_TARGET_DIR/debug/quarry-runtime --manifest "$dir/manifest.json" >"$dir/runtime.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "the runtime never became ready"; cat "$dir/runtime.log"; exit 1; }

url=http://127.0.0.1:$port/mcp
status=0
for venv in venv venv2; do
  echo "python mcp client ($(.cache/runtime-e2e/$venv/bin/pip show mcp 2>/dev/null | sed -n 's/^Version: //p')):"
  .cache/runtime-e2e/$venv/bin/python tests/e2e/runtime/client_py.py "$url" "$dir/manifest.json" "$pid" || status=1
done
echo "mcp inspector cli:"
PATH=$bin_path:$PATH tests/e2e/runtime/inspector_cli.sh "$url" || status=1
((status == 0)) || { echo "--- runtime log"; tail -30 "$dir/runtime.log"; }
exit $status
