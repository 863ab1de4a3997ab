#!/usr/bin/env bash
# CI stage: every Rust test, with the control-plane store on SQLite (default);
# REQUIRE_DB_TESTS=1 turns a missing database into a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
export REQUIRE_DB_TESTS=1
cargo nextest run --workspace --locked --no-fail-fast
