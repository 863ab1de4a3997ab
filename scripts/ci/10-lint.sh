#!/usr/bin/env bash
# CI stage: formatting and lints, warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
