#!/usr/bin/env bash
# CI stage: the control plane's API suite again, with its store on PostgreSQL
# (each test creates and drops its own database). The trace test (`traces::`)
# starts its own binary on its own SQLite store, so it runs once, in stage 20.
set -euo pipefail
cd "$(dirname "$0")/../.."
QUARRY_TEST_STORE=postgres cargo nextest run -p control-plane --test api --locked --no-fail-fast \
  -E 'not test(/^traces::/)'
