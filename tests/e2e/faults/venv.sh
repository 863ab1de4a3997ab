# Sourced by the fuzz and fault stages: the venv under .cache/ with the pinned
# requirements, rebuilt when requirements.txt changes. Sets FAULTS_PY.
VENV=$PWD/.cache/venv-faults
REQ=tests/e2e/faults/requirements.txt
if ! cmp -s "$REQ" "$VENV/requirements.txt" 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$REQ"
  cp "$REQ" "$VENV/requirements.txt"
fi
FAULTS_PY=$VENV/bin/python
