#!/usr/bin/env bash
# CI stage: the control-plane image (docker/Dockerfile.quarry.local, FROM scratch
# with the UI) builds from static host binaries and runs: the container turns
# healthy through its own `quarry healthcheck` and serves the API and the UI.
# (The runtime image is built and run by the docker deploy target in stage 50.)
# Debug binaries keep CI short; docker/README.md has the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
scripts/docker-up
[ -f ui/dist/index.html ] || (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)
RUSTFLAGS="-C target-feature=+crt-static" cargo build --locked --target x86_64-unknown-linux-gnu --bin quarry --bin quarry-runtime
BIN_DIR=$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/debug QUARRY_IMAGE=quarry:ci docker/build-local.sh quarry

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
name=quarry-ci-$$
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
docker run -d --name "$name" --network host -e QUARRY_BIND=127.0.0.1:$port quarry:ci >/dev/null
for _ in $(seq 60); do
  state=$(docker inspect -f '{{.State.Health.Status}}' "$name")
  [ "$state" = healthy ] && break
  sleep 1
done
echo "container health: $state"
[ "$state" = healthy ] || { docker logs "$name" | tail -20; exit 1; }
curl -fsS "http://127.0.0.1:$port/api/health"; echo
curl -fsS "http://127.0.0.1:$port/" | grep -q '<div id="root">' || { echo "the UI is not served" >&2; exit 1; }
echo "UI served from the image"
user=$(docker inspect -f '{{.Config.User}}' "$name")
[ "$user" = "65532:65532" ] || { echo "runs as $user, not 65532" >&2; exit 1; }
echo "runs as uid 65532"
docker image ls quarry:ci --format 'image {{.Repository}}:{{.Tag}} {{.Size}} (debug binaries)'
