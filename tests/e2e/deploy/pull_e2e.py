"""Pull mode end to end: two `quarry-runtime --control-plane` processes follow
the control plane (kubernetes target). Deploy, call both with the Python MCP
client, change the SQL, deploy, and time until both serve the new result.

    pull_e2e.py --quarry URL --runtime-url URL --runtime-url URL
"""

import argparse
import asyncio
import sys
import time

import httpx

from deploy_e2e import AUTH, call_tool, check, checks, wait_for


async def calls_during(mcp_url, action):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client
    results = []
    async with streamablehttp_client(mcp_url, headers=AUTH) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            deploy = asyncio.create_task(asyncio.to_thread(action))
            end = None
            while end is None or time.monotonic() < end:
                r = await session.call_tool("scale", {"n": 21})
                text = "".join(c.text for c in r.content if getattr(c, "text", None))
                results.append("error: " + text if r.isError else "".join(ch for ch in text if ch.isdigit()))
                if deploy.done() and end is None:
                    end = time.monotonic() + 1.0
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quarry", required=True)
    ap.add_argument("--runtime-url", action="append", required=True)
    a = ap.parse_args()
    api = httpx.Client(base_url=a.quarry + "/api/v1", timeout=60, headers={"X-Quarry-Request": "1"})
    api.post("/auth/setup", json={"username": "admin", "password": "correct horse battery"})
    conn = api.post("/connections", json={"name": "pg", "db_type": "postgresql", "host": "127.0.0.1", "port": 5432,
                                          "database": "postgres", "username": "postgres", "ssl_mode": "disable"}).json()["id"]
    tool = api.post("/tools", json={"connection_id": conn, "name": "scale", "description": "Multiplies n",
                                    "sql_query": "SELECT :n::int * 2 AS result",
                                    "parameters": [{"name": "n", "type": "integer", "description": "a number"}]}).json()["id"]
    r = api.post("/deploy")
    check("deploy → release 1", r.status_code == 201, r.text)
    AUTH["Authorization"] = "Bearer " + r.json().get("token", "")
    st = wait_for(lambda: (lambda s: (s["status"] == "running" and len(s["instances"]) == 2, s))(api.get("/deploy/status").json()), 30)
    check("both runtimes report release 1", st[0], st[1])
    for url in a.runtime_url:
        _, is_error, text = asyncio.run(call_tool(url + "/mcp", "scale", {"n": 21}))
        check(f"{url}: 21 → 42", not is_error and "42" in text, text)

    api.patch(f"/tools/{tool}", json={"sql_query": "SELECT :n::int * 3 AS result"})
    started = time.monotonic()
    r = api.post("/deploy")
    check("deploy → release 2", r.status_code == 201, r.text)
    pending = set(a.runtime_url)
    deadline = started + 10
    while pending and time.monotonic() < deadline:
        for url in list(pending):
            _, is_error, text = asyncio.run(call_tool(url + "/mcp", "scale", {"n": 21}))
            if not is_error and "63" in text:
                pending.discard(url)
    took = time.monotonic() - started
    check(f"both runtimes serve the new SQL {took:.2f}s after deploy", not pending and took < 5, pending)
    st = api.get("/deploy/status").json()
    check("status: running, 2 instances on release 2",
          st["status"] == "running" and all(i["release"] == 2 for i in st["instances"]), st)

    # Calls keep flowing through a swap: none fails, each sees the old or the new SQL.
    api.patch(f"/tools/{tool}", json={"sql_query": "SELECT :n::int * 4 AS result"})
    results = asyncio.run(calls_during(a.runtime_url[0] + "/mcp", lambda: api.post("/deploy")))
    bad = [r for r in results if r not in ("63", "84")]
    check(f"{len(results)} calls across the swap, none dropped, then the new SQL", results and not bad and results[-1] == "84",
          bad[:5])
    print(f"pull-e2e: {checks['passed']} passed, {checks['failed']} failed", flush=True)
    sys.exit(1 if checks["failed"] else 0)


if __name__ == "__main__":
    main()
