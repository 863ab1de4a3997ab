"""The official Python MCP client (PyPI `mcp`, 1.x or 2.x) against
quarry-runtime serving the seeded `orders` table on the real PostgreSQL and
MariaDB.

    client_py.py URL MANIFEST RUNTIME_PID

Lists the tools, calls the SQL tools on both databases and checks the rows,
a read-only refusal and an invalid argument. Then it deploys a manifest
without `my_delete_all` (rewrites MANIFEST and sends the runtime SIGHUP),
waits for the list-changed notification, lists again, and restores the
manifest the same way. The 1.x SDK speaks the session revision (initialize,
`notifications/tools/list_changed` on the GET stream); 2.x probes
`server/discover`, so it speaks the stateless 2026-07-28 revision (the
notification arrives on a `subscriptions/listen` stream). Prints one line
per check and exits 1 if any failed.
"""

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version
from typing import Any

SDK_MAJOR = int(version("mcp").split(".")[0])
NOTIFY_TIMEOUT = 10
failed = 0


def check(name, ok, detail=""):
    global failed
    failed += 0 if ok else 1
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)


@dataclass
class Result:
    """A tool result in the shape both SDK majors can give."""

    is_error: bool
    structured: Any
    text: str


def result(r):
    text = "".join(c.text for c in r.content if getattr(c, "text", None))
    if SDK_MAJOR >= 2:
        return Result(r.is_error, r.structured_content, text)
    return Result(r.isError, r.structuredContent, text)


async def sql_checks(call, tool_names):
    names = await tool_names()
    want = [f"{p}_{t}" for p in ("pg", "my") for t in ("orders_by_customer", "orders_by_status", "delete_all")]
    check("tools/list lists the SQL tools in manifest order", names == want, names)
    for prefix in ("pg", "my"):
        r = await call(f"{prefix}_orders_by_customer", {"customer_id": 7})
        sc = r.structured or {}
        # Parse the text block with Decimal so NUMERIC digits are compared exactly.
        rows = json.loads(r.text, parse_float=Decimal)
        got = [(row["id"], row["status"], str(row["amount"])) for row in rows]
        check(
            f"{prefix}: orders_by_customer returns the customer's rows",
            not r.is_error and got == [(1, "paid", "12.50"), (2, "open", "3.00"), (4, "void", "0.00")],
            f"{r.is_error} {got}",
        )
        check(f"{prefix}: structured content has columns and count",
              sc.get("columns") == ["id", "status", "amount"] and sc.get("row_count") == 3, sc)
        r = await call(f"{prefix}_orders_by_status", {"statuses": ["paid", "void"]})
        ids = [row["id"] for row in (r.structured or {}).get("rows", [])]
        check(f"{prefix}: an array argument binds as a list", ids == [1, 3, 4], f"{r.is_error} {r.text}")
        r = await call(f"{prefix}_delete_all", {})
        check(f"{prefix}: a read-only tool cannot delete", r.is_error, r.text)
        r = await call(f"{prefix}_orders_by_customer", {"customer_id": 0})
        check(f"{prefix}: an invalid argument is a tool error naming it",
              r.is_error and "customer_id" in r.text, r.text)
        r = await call(f"{prefix}_orders_by_customer", {"customer_id": 8})
        check(f"{prefix}: the data is unchanged",
              [row["id"] for row in (r.structured or {}).get("rows", [])] == [3], r.text)


class Deploy:
    """Rewrites the runtime's manifest file and reloads it with SIGHUP."""

    def __init__(self, path, pid):
        self.path, self.pid = path, pid
        with open(path) as f:
            self.original = f.read()

    def without(self, tool):
        manifest = json.loads(self.original)
        manifest["tools"] = [t for t in manifest["tools"] if t["name"] != tool]
        self._write(json.dumps(manifest))

    def restore(self):
        self._write(self.original)

    def _write(self, text):
        with open(self.path, "w") as f:
            f.write(text)
        os.kill(self.pid, signal.SIGHUP)


async def reload_checks(deploy, changes, tool_names):
    """`changes` waits for the next list-changed notification (False on timeout)."""
    deploy.without("my_delete_all")
    check("a deploy that removes a tool notifies the client", await changes(), "no notification")
    names = await tool_names()
    check("after the notification the tool list lacks the removed tool", "my_delete_all" not in names, names)
    deploy.restore()
    check("restoring the manifest notifies the client again", await changes(), "no notification")
    check("the restored tool is listed again", "my_delete_all" in await tool_names())


async def main_v1(url, deploy):
    import mcp.types as types
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    changed = asyncio.Queue()

    async def on_message(message):
        if isinstance(message, types.ServerNotification) and isinstance(message.root, types.ToolListChangedNotification):
            changed.put_nowait(True)

    async def changes():
        try:
            return await asyncio.wait_for(changed.get(), NOTIFY_TIMEOUT)
        except asyncio.TimeoutError:
            return False

    async with streamablehttp_client(url) as (read, write, _):
        async with ClientSession(read, write, message_handler=on_message) as session:
            init = await session.initialize()
            check("initialize names the server", init.serverInfo.name == "quarry-e2e", init.serverInfo)

            async def call(name, args):
                return result(await session.call_tool(name, args))

            async def tool_names():
                return [t.name for t in (await session.list_tools()).tools]

            await sql_checks(call, tool_names)
            await reload_checks(deploy, changes, tool_names)


async def main_v2(url, deploy):
    from mcp import Client
    from mcp.shared.subscriptions import ToolsListChanged

    async with Client(url) as client:
        check("auto mode negotiates the stateless revision", client.protocol_version == "2026-07-28",
              client.protocol_version)
        check("discovery names the server", client.server_info and client.server_info.name == "quarry-e2e",
              client.server_info)

        async def call(name, args):
            return result(await client.call_tool(name, args))

        async def tool_names():
            return [t.name for t in (await client.list_tools()).tools]

        await sql_checks(call, tool_names)
        async with client.listen(tools_list_changed=True) as sub:
            events = aiter(sub)

            async def changes():
                try:
                    return isinstance(await asyncio.wait_for(anext(events), NOTIFY_TIMEOUT), ToolsListChanged)
                except asyncio.TimeoutError:
                    return False

            await reload_checks(deploy, changes, tool_names)


async def main(url, manifest, pid):
    deploy = Deploy(manifest, pid)
    try:
        await (main_v2 if SDK_MAJOR >= 2 else main_v1)(url, deploy)
    finally:
        deploy.restore()
    print(f"python mcp client {version('mcp')}: {'all passed' if not failed else f'{failed} failed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
