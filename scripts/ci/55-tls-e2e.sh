#!/usr/bin/env bash
# CI stage: TLS end to end against Debian's pebble on loopback (tests/e2e/tls/run.sh):
# ACME HTTP-01 issuance, HTTPS on the control plane and the runtime, renewal without restart.
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=()
command -v pebble >/dev/null || missing+=(pebble)
command -v jq >/dev/null || missing+=(jq)
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cargo build -p control-plane -p mcp-runtime --bins
tests/e2e/tls/run.sh
