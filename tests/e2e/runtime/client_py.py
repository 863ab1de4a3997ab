"""The official Python MCP client (PyPI `mcp`) against quarry-runtime serving
the seeded `orders` table on the real PostgreSQL and MariaDB.

    client_py.py URL

Lists the tools, calls the SQL tools on both databases and checks the rows,
a read-only refusal and an invalid argument. Prints one line per check and
exits 1 if any failed.
"""

import asyncio
import json
import sys
from decimal import Decimal

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

failed = 0


def check(name, ok, detail=""):
    global failed
    failed += 0 if ok else 1
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)


def text_of(result):
    return "".join(c.text for c in result.content if getattr(c, "text", None))


async def main(url):
    async with streamablehttp_client(url) as (read, write, _):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check("initialize names the server", init.serverInfo.name == "quarry-e2e", init.serverInfo)
            names = [t.name for t in (await session.list_tools()).tools]
            want = [f"{p}_{t}" for p in ("pg", "my") for t in ("orders_by_customer", "orders_by_status", "delete_all")]
            check("tools/list lists the SQL tools in manifest order", names == want, names)
            for prefix in ("pg", "my"):
                r = await session.call_tool(f"{prefix}_orders_by_customer", {"customer_id": 7})
                sc = r.structuredContent or {}
                # Parse the text block with Decimal so NUMERIC digits are compared exactly.
                rows = json.loads(text_of(r), parse_float=Decimal)
                got = [(row["id"], row["status"], str(row["amount"])) for row in rows]
                check(
                    f"{prefix}: orders_by_customer returns the customer's rows",
                    not r.isError and got == [(1, "paid", "12.50"), (2, "open", "3.00"), (4, "void", "0.00")],
                    f"{r.isError} {got}",
                )
                check(f"{prefix}: structured content has columns and count",
                      sc.get("columns") == ["id", "status", "amount"] and sc.get("row_count") == 3, sc)
                r = await session.call_tool(f"{prefix}_orders_by_status", {"statuses": ["paid", "void"]})
                ids = [row["id"] for row in (r.structuredContent or {}).get("rows", [])]
                check(f"{prefix}: an array argument binds as a list", ids == [1, 3, 4], f"{r.isError} {text_of(r)}")
                r = await session.call_tool(f"{prefix}_delete_all", {})
                check(f"{prefix}: a read-only tool cannot delete", r.isError, text_of(r))
                r = await session.call_tool(f"{prefix}_orders_by_customer", {"customer_id": 0})
                check(f"{prefix}: an invalid argument is a tool error naming it",
                      r.isError and "customer_id" in text_of(r), text_of(r))
                r = await session.call_tool(f"{prefix}_orders_by_customer", {"customer_id": 8})
                check(f"{prefix}: the data is unchanged",
                      [row["id"] for row in (r.structuredContent or {}).get("rows", [])] == [3], text_of(r))
    print(f"python mcp client: {'all passed' if not failed else f'{failed} failed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
