#!/usr/bin/env bash
# The official MCP Inspector in CLI mode against quarry-runtime serving the
# seeded `orders` table: tools/list, then SQL tools on PostgreSQL and MariaDB,
# asserting on the returned rows with jq.
#   inspector_cli.sh URL      (mcp-inspector and a Node >= 22.19 `node` on PATH)
set -euo pipefail
url=$1
# The Inspector keeps a catalog and state under HOME: give it a throwaway one
# so the run never prompts, never reads a user's config and leaves nothing behind.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME=$home MCP_CATALOG_PATH=$home/mcp.json CI=1 NO_COLOR=1 npm_config_yes=true
failed=0
inspect() { timeout 60 mcp-inspector --cli "$url" --transport http "$@" </dev/null; }
check() { # name jq-filter json
  if jq -e "$2" >/dev/null 2>&1 <<<"$3"; then echo "  ok   $1"; else echo "  FAIL $1: $3"; failed=$((failed + 1)); fi
}

list=$(inspect --method tools/list)
check "tools/list lists the six SQL tools in order" \
  '[.tools[].name] == ["pg_orders_by_customer","pg_orders_by_status","pg_delete_all","my_orders_by_customer","my_orders_by_status","my_delete_all"]' "$list"
check "tools carry their input schema and read-only hint" \
  '.tools[0].inputSchema.required == ["customer_id"] and .tools[0].annotations.readOnlyHint == true' "$list"
for p in pg my; do
  r=$(inspect --method tools/call --tool-name ${p}_orders_by_customer --tool-arg customer_id=7)
  check "$p: orders_by_customer returns the customer's rows" \
    '.isError == false and [.structuredContent.rows[] | [.id, .status]] == [[1,"paid"],[2,"open"],[4,"void"]]' "$r"
  check "$p: amounts keep their digits in the text block" '.content[0].text | test("\"amount\":12\\.50")' "$r"
  r=$(inspect --method tools/call --tool-name ${p}_orders_by_status --tool-arg 'statuses=["paid","void"]')
  check "$p: an array argument binds as a list" '[.structuredContent.rows[].id] == [1,3,4]' "$r"
  r=$(inspect --method tools/call --tool-name ${p}_delete_all 2>/dev/null || true)
  check "$p: a read-only tool cannot delete" '.isError == true' "$r"
done
echo "inspector cli: $([ $failed = 0 ] && echo 'all passed' || echo "$failed failed")"
exit $((failed > 0))
