#!/usr/bin/env bash
# CI stage: every Rust test, with the control-plane store on SQLite (default);
# REQUIRE_DB_TESTS=1 turns a missing database into a failure. The API tests of
# several control planes on one store (`ha::`, always PostgreSQL) run once, in
# stage 25.
set -euo pipefail
cd "$(dirname "$0")/../.."
export REQUIRE_DB_TESTS=1
cargo nextest run --workspace --locked --no-fail-fast -E 'not (binary(api) and test(/^ha::/))'
