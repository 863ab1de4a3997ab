#!/usr/bin/env bash
# CI stage: the control plane's API suite again, with its store on PostgreSQL
# (each test creates and drops its own database).
set -euo pipefail
cd "$(dirname "$0")/../.."
QUARRY_TEST_STORE=postgres cargo nextest run -p control-plane --test api --locked --no-fail-fast
