# Sourced by CI stages: `ensure_venv DIR REQUIREMENTS` makes DIR a venv with the
# pinned requirements, rebuilt only when the requirements file changed.
ensure_venv() {
  local venv=$1 req=$2
  if ! cmp -s "$req" "$venv/requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$req"
    cp "$req" "$venv/requirements.txt"
  fi
}
