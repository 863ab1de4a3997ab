#!/usr/bin/env bash
# quarry-runtime in auth mode oauth against real peers: two oidc-provider
# instances (idp.mjs; the runtime trusts only the first, through its JWKS),
# a PostgreSQL table with one owner per row, and the official Python MCP
# client (PyPI `mcp`, OAuthClientProvider) logging in as alice and as bob
# (oauth_e2e.py). Uses the venv and Node 22 of tests/e2e/runtime/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
bin_path=$(tests/e2e/runtime/setup.sh)
here=tests/e2e/oauth
(cd $here && PATH=$bin_path:$PATH npm ci --no-audit --no-fund --loglevel=error >&2)
port=${QUARRY_E2E_OAUTH_PORT:-18961}
idp_port=$((port + 1)) other_port=$((port + 2))
db=quarry_oauth_$$_$(date +%s)
dir=$(mktemp -d)
pids=()
pg() { psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
pg -d postgres -c "CREATE DATABASE $db"
pg -d "$db" -c "CREATE TABLE notes (id INT PRIMARY KEY, owner TEXT NOT NULL, body TEXT NOT NULL);
  INSERT INTO notes VALUES (1, 'alice@example.com', 'a1'), (2, 'bob@example.com', 'b1'),
                           (3, 'alice@example.com', 'a2'), (4, 'bob@example.com', 'b2'), (5, 'carol@example.com', 'c1');"

resource=http://127.0.0.1:$port/mcp
for p in $idp_port $other_port; do
  PATH=$bin_path:$PATH node $here/idp.mjs "$p" "$resource" >"$dir/idp-$p.log" 2>&1 &
  pids+=($!)
done
cat >"$dir/manifest.json" <<JSON
{"format_version": 1, "release": 1, "server": {"name": "quarry-oauth-e2e", "expose_db_errors": true},
 "auth": {"mode": "oauth", "resource": "$resource",
          "issuers": [{"issuer": "http://127.0.0.1:$idp_port", "jwks_uri": "http://127.0.0.1:$idp_port/jwks"}]},
 "connections": [{"id": "pg", "db_type": "postgresql", "host": "127.0.0.1", "port": 5432, "database": "$db",
                  "username": "postgres", "ssl_mode": "disable"}],
 "tools": [{"name": "my_notes", "connection": "pg", "description": "The caller's own notes.",
            "sql": "SELECT id, owner, body FROM notes WHERE owner = :user_email ORDER BY id",
            "parameters": [{"name": "user_email", "type": "string", "from_claim": "email"}]}]}
JSON
QUARRY_LOG=debug QUARRY_RUNTIME_BIND=127.0.0.1:$port \
  $CARGO_TARGET_DIR/debug/quarry-runtime --manifest "$dir/manifest.json" >"$dir/runtime.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && curl -sf "http://127.0.0.1:$idp_port/jwks" >/dev/null &&
    curl -sf "http://127.0.0.1:$other_port/jwks" >/dev/null && break
  sleep 0.2
done
status=0
.cache/runtime-e2e/venv/bin/python $here/oauth_e2e.py "$resource" "http://127.0.0.1:$other_port" "$dir/runtime.log" || status=1
((status == 0)) || { echo "--- runtime log"; tail -30 "$dir/runtime.log"; for p in $idp_port $other_port; do echo "--- idp $p"; tail -20 "$dir/idp-$p.log"; done; }
exit $status
