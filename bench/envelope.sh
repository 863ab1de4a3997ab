#!/usr/bin/env bash
# What the read-only envelope costs PostgreSQL: the orders_by_customer query bare, wrapped in the
# five envelope statements sent one Sync at a time, the same five pipelined behind one Sync (with
# set_config, and with SET LOCAL statement_timeout), quarry's pipeline today (the session's timeout,
# the unlock inside the transaction: envelope-session-timeout), and BEGIN READ ONLY + query + ROLLBACK
# pipelined. Each runs through the shared harness's pgbench runner
# (-M prepared, c=16), twice, interleaved; compare "postgres … cpu-s/1k" within one invocation.
#   bench/envelope.sh                env: DUR=8 C=16
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_DIR:-$(cd "$repo/../shared/bench" && pwd)}
"$bench/setup_db.sh" >/dev/null
for rep in 1 2; do
  for f in bare envelope-one-sync-each envelope-pipelined envelope-set-local envelope-session-timeout begin-query-rollback-pipelined; do
    printf '%-32s ' "$f"
    OUT=/dev/null LABEL="$f rep$rep" "$bench/peers/pgbench/run.sh" "${C:-16}" "${DUR:-8}" "$repo/bench/envelope/$f.sql" |
      grep -o 'c=.*tps\|postgres [0-9.]* cpu-s/1k' | tr '\n' ' '
    echo
  done
done
