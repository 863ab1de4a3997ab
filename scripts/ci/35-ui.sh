#!/usr/bin/env bash
# CI stage: the web UI. Installs its locked dependencies; fails when the
# committed OpenAPI snapshot (ui/openapi.json) differs from what the server
# documents, or the TypeScript client types differ from what the snapshot
# generates; then typechecks, runs the unit tests and builds ui/dist.
# (The UI's browser test, tests/browser/ui.test.mjs, runs in stage 30, which builds the UI first.)
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd ui && npm ci --no-audit --no-fund --loglevel=error)

echo "--- OpenAPI snapshot matches the server"
# `openapi` opens the store, so it needs a writable data dir; logs go to stdout, so they are off.
mkdir "$tmp/data"
QUARRY_LOG=off QUARRY_DATA_DIR="$tmp/data" cargo run --locked -q -p control-plane --bin quarry -- openapi >"$tmp/openapi.json"
canonical() { python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True, indent=1))' "$1"; }
if ! diff -u <(canonical ui/openapi.json) <(canonical "$tmp/openapi.json") >"$tmp/openapi.diff"; then
  head -n 80 "$tmp/openapi.diff"
  echo "ui/openapi.json is out of date with the server's API (diff above: - snapshot, + server). Update it with:" >&2
  echo "  QUARRY_LOG=off QUARRY_DATA_DIR=\$(mktemp -d) cargo run -q -p control-plane --bin quarry -- openapi > ui/openapi.json" >&2
  echo "  (cd ui && npm run gen:api && npm run typecheck)" >&2
  exit 1
fi

echo "--- src/lib/api/schema.d.ts matches the snapshot"
(cd ui && node scripts/gen-api.mjs "$tmp/schema.d.ts")
if ! diff -u ui/src/lib/api/schema.d.ts "$tmp/schema.d.ts" | head -n 80; then :; fi
if ! cmp -s ui/src/lib/api/schema.d.ts "$tmp/schema.d.ts"; then
  echo "ui/src/lib/api/schema.d.ts is stale; run (cd ui && npm run gen:api) and commit it." >&2
  exit 1
fi

cd ui
echo "--- typecheck"
npm run -s typecheck
echo "--- unit tests"
npm test -s
echo "--- build"
npm run -s build
ls -l dist dist/assets
