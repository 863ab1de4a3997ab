#!/usr/bin/env bash
# CI stage: faults, shutdown and load with real processes (issue 16, points 8 and 9):
#   - PostgreSQL and MariaDB restarted under c=16 load — private instances this stage starts
#     (initdb + pg_ctl, mariadb-install-db + mariadbd) on free ports; the machine's shared
#     servers are never touched (db_restart.py);
#   - SIGTERM of quarry-runtime drains calls in flight within its grace (runtime_shutdown.py);
#   - kill -9 of the local runtime, SIGTERM of quarry, kill -9 of quarry during writes on SQLite
#     and PostgreSQL stores, the control plane down under a pulling runtime (plane_faults.py);
#   - 1,000 MCP sessions on one runtime and a full queue answering "busy" at once (load.py);
#   - the chart's HA topology as processes: 2 control planes on one PostgreSQL store, Debian's nginx
#     balancing, 3 pulling runtimes, the official Python MCP client throughout (tests/e2e/topology).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/e2e/faults/env.sh
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
for check in runtime_shutdown db_restart plane_faults load; do
  echo "--- $check"
  "$FAULTS_PY" "tests/e2e/faults/$check.py"
done
echo "--- topology"
ensure_venv "$PWD/.cache/venv-e2e" tests/e2e/deploy/requirements.txt
"$PWD/.cache/venv-e2e/bin/python" tests/e2e/topology/topology.py
