#!/usr/bin/env bash
# Two-factor login over the HTTP API with an independent TOTP implementation
# (PyPI pyotp, pinned) in a reusable venv under the target dir. Called by
# stage 30 after the control plane is built; starts its own quarry.
set -euo pipefail
cd "$(dirname "$0")/../.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
venv=$target_dir/py-e2e
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import pyotp' 2>/dev/null ||
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input pyotp==2.9.0
"$venv/bin/python" tests/e2e/two_factor_login.py "$target_dir/debug/quarry"
