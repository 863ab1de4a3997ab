#!/usr/bin/env bash
# CI stage: fuzzing (issue 16, point 7), in a venv under .cache/ (PyPI schemathesis, httpx, websockets):
#   - schemathesis over the control plane's whole OpenAPI document with an admin session,
#     a fixed seed and its stateful phase, against the real PostgreSQL and MariaDB:
#     no 5xx, no response outside its documented schema (tests/e2e/faults/api_fuzz.py);
#   - a JSON-RPC fuzz of the runtime's /mcp: every answer valid JSON-RPC or a clean 4xx (mcp_fuzz.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/e2e/faults/env.sh
echo "--- schemathesis over /api/openapi.json"
"$FAULTS_PY" tests/e2e/faults/api_fuzz.py
echo "--- JSON-RPC fuzz of /mcp"
"$FAULTS_PY" tests/e2e/faults/mcp_fuzz.py
