#!/usr/bin/env bash
# Installs what the runtime's client end-to-end tests need, idempotently, and
# caches it under .cache/runtime-e2e: venvs with the pinned PyPI `mcp` 1.x and 2.x, and a
# local npm prefix with the pinned MCP Inspector and Node 22 (the Inspector
# needs Node >= 22.19). System tools (jq, psql, mysql, python3-venv) come from
# apt when missing. Prints the PATH entry to use for `node`/`mcp-inspector`.
set -euo pipefail
cd "$(dirname "$0")/../../.."
INSPECTOR_VERSION=2.12.0
NODE_VERSION=22
cache=.cache/runtime-e2e

missing=()
command -v jq >/dev/null || missing+=(jq)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v mysql >/dev/null || missing+=(mariadb-client)
command -v npm >/dev/null || missing+=(npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  echo "installing ${missing[*]} with apt-get" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# Two venvs: the 1.x SDK (session revision) and the 2.x SDK (stateless revision).
for pair in venv:requirements.txt venv2:requirements-v2.txt; do
  venv=${pair%%:*} req=tests/e2e/runtime/${pair#*:}
  want_py=$(sha256sum "$req" | cut -d' ' -f1)
  if [[ "$(cat $cache/$venv/.installed 2>/dev/null)" != "$want_py" ]]; then
    echo "creating $cache/$venv" >&2
    rm -rf $cache/$venv && python3 -m venv $cache/$venv
    $cache/$venv/bin/pip install -q --disable-pip-version-check -r "$req" >&2
    echo "$want_py" >$cache/$venv/.installed
  fi
done

want_npm="node@$NODE_VERSION @modelcontextprotocol/inspector@$INSPECTOR_VERSION"
if [[ "$(cat $cache/npm/.installed 2>/dev/null)" != "$want_npm" ]]; then
  echo "installing $want_npm into $cache/npm" >&2
  rm -rf $cache/npm && mkdir -p $cache/npm
  # shellcheck disable=SC2086
  npm install --no-audit --no-fund --loglevel=error --prefix $cache/npm $want_npm >&2
  echo "$want_npm" >$cache/npm/.installed
fi
echo "$PWD/$cache/npm/node_modules/.bin"
