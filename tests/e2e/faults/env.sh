# Sourced by CI stages 32 and 34 from the repository root: the venv with the
# pinned requirements (FAULTS_PY) and both binaries built.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
source scripts/lib/venv.sh
ensure_venv "$PWD/.cache/venv-faults" tests/e2e/faults/requirements.txt
FAULTS_PY=$PWD/.cache/venv-faults/bin/python
cargo build -q -p control-plane -p mcp-runtime --bins
