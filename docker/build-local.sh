#!/usr/bin/env bash
# Builds the images from binaries already built on this host (no registry needed: FROM scratch).
#   docker/build-local.sh [runtime|quarry|all]      (default: all)
# Expects static binaries in $BIN_DIR (default target/x86_64-unknown-linux-gnu/release), built with
#   RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --target x86_64-unknown-linux-gnu \
#     --bin quarry --bin quarry-runtime
# and, for the quarry image, the built UI in $UI_DIST (default ui/dist).
# Tags: $RUNTIME_IMAGE (default quarry-runtime:latest), $QUARRY_IMAGE (default quarry:latest).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
BIN_DIR=${BIN_DIR:-target/x86_64-unknown-linux-gnu/release}
UI_DIST=${UI_DIST:-ui/dist}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
RUNTIME_IMAGE=${RUNTIME_IMAGE:-quarry-runtime:latest}
QUARRY_IMAGE=${QUARRY_IMAGE:-quarry:latest}

need_static() {
  local bin=$BIN_DIR/$1
  [ -x "$bin" ] || { echo "missing $bin: build it with RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release --target x86_64-unknown-linux-gnu --bin $1" >&2; exit 1; }
  # A dynamically linked binary would start in scratch only to fail with "no such file or directory".
  if file "$bin" 2>/dev/null | grep -q 'dynamically linked'; then
    echo "$bin is dynamically linked: rebuild it with RUSTFLAGS=\"-C target-feature=+crt-static\"" >&2; exit 1
  fi
}

stage() { # a small context with just what the Dockerfile copies
  local ctx
  ctx=$(mktemp -d)
  mkdir -p "$ctx/rootfs/etc" "$ctx/rootfs/data"
  cp docker/rootfs/etc/passwd docker/rootfs/etc/group "$ctx/rootfs/etc/"
  cp "$CA_BUNDLE" "$ctx/ca-certificates.crt"
  echo "$ctx"
}

build_runtime() {
  need_static quarry-runtime
  local ctx; ctx=$(stage)
  cp "$BIN_DIR/quarry-runtime" "$ctx/"
  cp docker/Dockerfile.runtime.local "$ctx/Dockerfile"
  docker build -t "$RUNTIME_IMAGE" "$ctx"
  rm -rf "$ctx"
  docker image ls "$RUNTIME_IMAGE" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
}

build_quarry() {
  need_static quarry
  need_static quarry-runtime
  [ -f "$UI_DIST/index.html" ] || { echo "missing $UI_DIST/index.html: build the UI (cd ui && npm ci && npm run build)" >&2; exit 1; }
  local ctx; ctx=$(stage)
  cp "$BIN_DIR/quarry" "$BIN_DIR/quarry-runtime" "$ctx/"
  cp -r "$UI_DIST" "$ctx/ui"
  cp docker/Dockerfile.quarry.local "$ctx/Dockerfile"
  docker build -t "$QUARRY_IMAGE" "$ctx"
  rm -rf "$ctx"
  docker image ls "$QUARRY_IMAGE" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
}

case $what in
  runtime) build_runtime ;;
  quarry) build_quarry ;;
  all) build_runtime; build_quarry ;;
  *) echo "usage: $0 [runtime|quarry|all]" >&2; exit 2 ;;
esac
