#!/usr/bin/env bash
# TLS end to end against Debian's pebble (a test ACME server) on loopback:
#   1. quarry obtains a certificate for quarry.test by ACME HTTP-01
#      (pebble resolves every name to 127.0.0.1 through pebble-challtestsrv's DNS);
#   2. quarry serves HTTPS with it (QUARRY_TLS_CERT/KEY), challenges on a plain-HTTP listener;
#   3. renewal: with a renewal window longer than the validity, the background task
#      renews, and the served certificate changes without a restart;
#   4. quarry-runtime serves HTTPS with the same certificate; its healthcheck passes.
# Needs: pebble, openssl, curl, the debug binaries. Prints 'N passed, M failed'.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
command -v pebble >/dev/null || { echo "pebble is missing: apt-get install pebble (scripts/ci/55-tls-e2e.sh does)" >&2; exit 1; }

base=${QUARRY_TLS_E2E_PORT:-18960}
acme_port=$((base)) mgmt_port=$((base + 1)) dns_port=$((base + 2)) quarry_port=$((base + 3)) challenge_port=$((base + 4)) runtime_port=$((base + 5))
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "  ok   $*"; }
ko() { failed=$((failed + 1)); echo "  FAIL $*"; }

# Pebble's own HTTPS listener needs a certificate: a throwaway CA for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pebble-test-ca -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$dir/pebble.key" -out "$dir/pebble.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
openssl x509 -req -in "$dir/pebble.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
  -extfile "$dir/san.ext" -out "$dir/pebble.pem" 2>/dev/null
cat >"$dir/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$acme_port", "managementListenAddress": "127.0.0.1:$mgmt_port",
  "certificate": "$dir/pebble.pem", "privateKey": "$dir/pebble.key",
  "httpPort": $challenge_port, "tlsPort": $((base + 9)), "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$dns_port" -http01 "" -https01 "" \
  -tlsalpn01 "" -management "127.0.0.1:$((base + 8))" >"$dir/challtestsrv.log" 2>&1 &
pids+=($!)
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "$dir/pebble.json" -dnsserver "127.0.0.1:$dns_port" \
  >"$dir/pebble.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -sf --cacert "$dir/ca.pem" "https://127.0.0.1:$acme_port/dir" >/dev/null && break; sleep 0.2; done

start_quarry() { # extra env as arguments
  env QUARRY_BIND=127.0.0.1:$quarry_port QUARRY_DATA_DIR=$dir/data QUARRY_DEPLOY_TARGET=kubernetes \
    QUARRY_ADMIN_USERNAME=admin QUARRY_ADMIN_PASSWORD='correct horse battery' \
    QUARRY_ACME_DIRECTORY=https://127.0.0.1:$acme_port/dir QUARRY_ACME_CA_FILE=$dir/ca.pem \
    QUARRY_HTTP_CHALLENGE_BIND=127.0.0.1:$challenge_port QUARRY_ALLOWED_HOSTS=quarry.test "$@" $CARGO_TARGET_DIR/debug/quarry >>"$dir/quarry.log" 2>&1 &
  quarry_pid=$!
  pids+=($quarry_pid)
}
stop_quarry() { kill "$quarry_pid"; wait "$quarry_pid" 2>/dev/null || true; }
api() { # METHOD PATH [BODY] over $scheme
  curl -s -b "$dir/cookies" -c "$dir/cookies" --cacert "$dir/pebble-roots.pem" --resolve "quarry.test:$quarry_port:127.0.0.1" \
    -X "$1" -H 'Content-Type: application/json' ${3:+-d "$3"} "$scheme://quarry.test:$quarry_port/api/v1$2"
}
login() { api POST /auth/login '{"username":"admin","password":"correct horse battery"}' >/dev/null; }
serial() { # the serial of the certificate served on host:port
  openssl s_client -connect "127.0.0.1:$1" -servername quarry.test </dev/null 2>/dev/null | openssl x509 -noout -serial
}

scheme=http
: >"$dir/pebble-roots.pem"
start_quarry
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$quarry_port/api/health" >/dev/null && break; sleep 0.1; done
login
status=$(api GET /server/ssl/status)
[[ $(jq -r .acme.status <<<"$status") == none ]] && ok "no certificate yet" || ko "status before issuance: $status"
out=$(api POST /server/ssl/issue '{"domains":["quarry.test"],"email":"ops@quarry.test"}')
if [[ $(jq -r .acme.status <<<"$out") == issued && $(jq -r '.acme.domains[0]' <<<"$out") == quarry.test ]]; then
  ok "ACME HTTP-01 issuance from pebble ($(jq -r .acme.days_remaining <<<"$out") days)"
else
  ko "issuance: $out"; tail -20 "$dir/pebble.log"
fi
[[ $(stat -c %a "$dir/data/tls/key.pem") == 600 ]] && ok "private key is 0600" || ko "key mode $(stat -c %a "$dir/data/tls/key.pem")"
bad=$(api POST /server/ssl/issue '{"domains":["not a domain"]}')
[[ $(jq -r '.problems[0].path' <<<"$bad") == domains ]] && ok "a bad domain is refused" || ko "bad domain: $bad"

# HTTPS with the issued certificate; pebble's issuing roots from its management API.
curl -sf --cacert "$dir/ca.pem" "https://127.0.0.1:$mgmt_port/roots/0" >"$dir/pebble-roots.pem"
curl -sf --cacert "$dir/ca.pem" "https://127.0.0.1:$mgmt_port/intermediates/0" >>"$dir/pebble-roots.pem" || true
stop_quarry
scheme=https
start_quarry QUARRY_TLS_CERT="$dir/data/tls/cert.pem" QUARRY_TLS_KEY="$dir/data/tls/key.pem" \
  QUARRY_PUBLIC_URL="https://quarry.test:$quarry_port" QUARRY_ACME_RENEW_BEFORE_DAYS=100000 QUARRY_ACME_RENEW_CHECK_SECONDS=3
for _ in $(seq 100); do api GET /auth/status >/dev/null 2>&1 && break; sleep 0.1; done
health=$(curl -s --cacert "$dir/pebble-roots.pem" --resolve "quarry.test:$quarry_port:127.0.0.1" "https://quarry.test:$quarry_port/api/health")
[[ $(jq -r .status <<<"$health" 2>/dev/null) == ok ]] && ok "control plane serves HTTPS with the issued certificate (verified)" || ko "https health: $health"
QUARRY_BIND=127.0.0.1:$quarry_port QUARRY_TLS_CERT="$dir/data/tls/cert.pem" QUARRY_TLS_KEY="$dir/data/tls/key.pem" \
  QUARRY_DATA_DIR=$dir/data $CARGO_TARGET_DIR/debug/quarry healthcheck && ok "quarry healthcheck over HTTPS" || ko "quarry healthcheck"
login
[[ $(jq -r .https <<<"$(api GET /server/ssl/status)") == true ]] && ok "ssl status says HTTPS" || ko "ssl status"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: quarry.test" "http://127.0.0.1:$challenge_port/api/health")
[[ $code == "308 https://quarry.test:$quarry_port/api/health" ]] && ok "plain HTTP redirects to HTTPS" || ko "redirect: $code"

# Renewal: the window (100000 days) is longer than any validity, so the task renews at once.
first=$(serial "$quarry_port")
renewed=""
for _ in $(seq 120); do
  sleep 0.5
  now=$(serial "$quarry_port")
  if [[ -n $now && $now != "$first" ]]; then renewed=$now; break; fi
done
[[ -n $renewed ]] && ok "renewed and reloaded without a restart ($first → $renewed)" || ko "no renewal seen ($first); $(tail -5 "$dir/quarry.log")"

# The runtime serves HTTPS with the same certificate.
cat >"$dir/empty.json" <<JSON
{"format_version": 1, "release": 1, "server": {"name": "tls"}}
JSON
QUARRY_RUNTIME_BIND=127.0.0.1:$runtime_port QUARRY_RUNTIME_TLS_CERT="$dir/data/tls/cert.pem" \
  QUARRY_RUNTIME_TLS_KEY="$dir/data/tls/key.pem" QUARRY_RUNTIME_ALLOWED_HOSTS=quarry.test \
  $CARGO_TARGET_DIR/debug/quarry-runtime --manifest "$dir/empty.json" >"$dir/runtime.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s --cacert "$dir/pebble-roots.pem" --resolve "quarry.test:$runtime_port:127.0.0.1" "https://quarry.test:$runtime_port/healthz" >/dev/null && break; sleep 0.1; done
body=$(curl -s --cacert "$dir/pebble-roots.pem" --resolve "quarry.test:$runtime_port:127.0.0.1" "https://quarry.test:$runtime_port/healthz")
[[ $body == ok ]] && ok "runtime serves HTTPS with the certificate (verified)" || ko "runtime https: $body $(tail -3 "$dir/runtime.log")"
QUARRY_RUNTIME_BIND=127.0.0.1:$runtime_port QUARRY_RUNTIME_TLS_CERT=x QUARRY_RUNTIME_TLS_KEY=x \
  $CARGO_TARGET_DIR/debug/quarry-runtime healthcheck && ok "quarry-runtime healthcheck over HTTPS" || ko "runtime healthcheck"

# A supervised (local) runtime pulls over HTTPS from the control plane and serves HTTPS itself.
stop_quarry
start_quarry QUARRY_TLS_CERT="$dir/data/tls/cert.pem" QUARRY_TLS_KEY="$dir/data/tls/key.pem" \
  QUARRY_PUBLIC_URL="https://quarry.test:$quarry_port" QUARRY_DEPLOY_TARGET=local \
  QUARRY_RUNTIME_BIN="$CARGO_TARGET_DIR/debug/quarry-runtime" QUARRY_RUNTIME_BIND=127.0.0.1:$((base + 6)) \
  QUARRY_RUNTIME_TLS_CERT="$dir/data/tls/cert.pem" QUARRY_RUNTIME_TLS_KEY="$dir/data/tls/key.pem" \
  QUARRY_RUNTIME_PULL_CA_FILE="$dir/pebble-roots.pem"
for _ in $(seq 100); do api GET /auth/status >/dev/null 2>&1 && break; sleep 0.1; done
login
api POST /deploy >/dev/null
st=""
for _ in $(seq 100); do st=$(api GET /deploy/status); [[ $(jq -r .status <<<"$st") == running ]] && break; sleep 0.2; done
[[ $(jq -r .status <<<"$st") == running ]] && ok "local runtime pulled its release over HTTPS" || ko "local over https: $st"
health=$(api GET /server/health)
[[ $(jq -r .up_to_date <<<"$health") == true ]] && ok "server health reaches the runtime over HTTPS" || ko "health: $health"
[[ $(jq -r .mcp_url <<<"$(api GET /server/config)") == "https://127.0.0.1:$((base + 6))/mcp" ]] && ok "MCP URL is https" || ko "mcp url"
api POST /deploy/stop >/dev/null

echo "tls-e2e: $passed passed, $failed failed"
[[ $failed == 0 ]] || { echo "--- quarry log"; tail -30 "$dir/quarry.log"; exit 1; }
