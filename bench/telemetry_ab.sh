#!/usr/bin/env bash
# The request log's cost per call, as deployed: two control planes (the debug `quarry` is enough, its CPU is not
# measured) publish the benchmark's `orders_by_customer` to a pulling quarry-runtime each, with metrics delivery on in
# both, the request log off in A and on in B, and no OTLP endpoint. Then the same-run comparisons of bench/ab.sh
# (server CPU per call, interleaved rounds at c=C) and of bench/callgrind_ab.sh (instructions per call) — the latter
# with MODE=callgrind. The runtime binary is the same in both arms.
#   bench/telemetry_ab.sh RUNTIME_BIN     env: QUARRY_BIN (default target/debug/quarry), MODE=ab|callgrind,
#                                              and what ab.sh / callgrind_ab.sh take (REPS, DUR, C, ...)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 1 ] || { sed -n 2,8p "$0"; exit 2; }
runtime=$1
quarry=${QUARRY_BIN:-${CARGO_TARGET_DIR:-$repo/target}/debug/quarry}
mode=${MODE:-ab}
dir=$(mktemp -d)
export QUARRY_RUNTIME_TOKEN=bench-telemetry-$RANDOM$RANDOM QUARRY_RUNTIME_KEY=$(head -c 32 /dev/urandom | base64)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT

# control_plane ARM PORT REQUEST_LOG: a control plane whose release serves orders_by_customer with that setting.
control_plane() {
  local arm=$1 port=$2 log=$3
  mkdir -p "$dir/$arm"
  QUARRY_BIND=127.0.0.1:$port QUARRY_DATA_DIR=$dir/$arm QUARRY_DEPLOY_TARGET=kubernetes QUARRY_LOG=warn \
    QUARRY_ADMIN_USERNAME=admin QUARRY_ADMIN_PASSWORD=bench-telemetry-1 "$quarry" >"$dir/$arm.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
  python3 - "http://127.0.0.1:$port/api/v1" "$log" "$repo/bench/manifest.json" <<'EOF'
import json, sys, urllib.request
from http.cookiejar import CookieJar
base, log, manifest = sys.argv[1], sys.argv[2] == "on", json.load(open(sys.argv[3]))
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"content-type": "application/json", "x-quarry-request": "1"})
    with web.open(req) as r:
        return json.loads(r.read() or b"null")
call("POST", "/auth/login", {"username": "admin", "password": "bench-telemetry-1"})
call("PATCH", "/server/config", {"auth_mode": "none", "request_log": log,
                                 "allow_unauthenticated_network_access": True})
c = manifest["connections"][0]
conn = call("POST", "/connections", {"name": "bench", "db_type": "postgresql", "host": c["host"], "port": c["port"],
                                     "database": c["database"], "username": c["username"], "ssl_mode": "disable",
                                     "pool_max_size": c["pool"]["max"], "max_concurrent_queries": 10})["id"]
t = next(t for t in manifest["tools"] if t["name"] == "orders_by_customer")
call("POST", "/tools", {"connection_id": conn, "name": t["name"], "description": "Orders of a customer",
                        "sql_query": t["sql"], "parameters": t["parameters"]})
print("release", call("POST", "/deploy")["release"]["number"], "request_log", log)
EOF
}
control_plane a 8191 off
control_plane b 8192 on
export A_ARGS="--control-plane http://127.0.0.1:8191" B_ARGS="--control-plane http://127.0.0.1:8192"
if [ "$mode" = callgrind ]; then
  "$repo/bench/callgrind_ab.sh" "$runtime" "$runtime"
else
  A_BIN=$runtime B_BIN=$runtime "$repo/bench/ab.sh"
fi
echo "request-log rows in B's store:"; sqlite3 "$dir/b/quarry.db" 'SELECT count(*) FROM request_log' 2>/dev/null || true
