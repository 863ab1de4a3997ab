"""End to end: an AI agent builds a tool in Quarry through the agent MCP
endpoint with the official Python MCP SDK, then calls it through the runtime.

    agent_e2e.py --quarry URL --database NAME

Twice, from nothing each time (its own connection and tool) against the real
PostgreSQL database NAME (seeded with `orders`):
  (a) with an agent token (`Authorization: Bearer qag_…`);
  (b) as an OAuth client through the SDK's client-credentials provider:
      the 401 → protected-resource metadata → authorization-server metadata →
      /oauth/token → the call, all discovered by the SDK.
Each run: list_tables → list_columns → preview_sql → create_tool → deploy
(local target) → get_server_settings for the runtime's MCP URL → the new tool
called through the runtime with its bearer token, asserting on the rows.
Prints one line per check, 'N passed, M failed', and on the last line an agent
token holding every scope (for the Inspector CLI step) as `AGENT_TOKEN=…`.
"""

import argparse
import asyncio
import json
import time

import httpx
from mcp import ClientSession
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.streamable_http import streamablehttp_client

checks = {"passed": 0, "failed": 0}
BUILDER_SCOPES = ["connections:read", "connections:write", "preview", "tools:read", "tools:write", "deploy",
                  "server:read"]
# The runtime's MCP bearer token: minted by the first deploy and returned once, to the agent that deployed.
RUNTIME = {}


def check(name, ok, detail=""):
    checks["passed" if ok else "failed"] += 1
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
    return ok


class MemoryTokens:
    """The SDK's TokenStorage, in memory: the client starts with no token and must discover how to get one."""

    def __init__(self):
        self.tokens, self.client = None, None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info):
        self.client = client_info


async def call(session, name, args):
    """Calls agent tool `name`; its structured result, or raises with the tool error's text."""
    r = await session.call_tool(name, args)
    text = "".join(c.text for c in r.content if getattr(c, "text", None))
    if r.isError:
        raise RuntimeError(f"{name}: {text}")
    return r.structuredContent if r.structuredContent is not None else json.loads(text)


async def runtime_rows(mcp_url, tool, args):
    async with streamablehttp_client(mcp_url, headers={"Authorization": "Bearer " + RUNTIME["token"]}) as (r, w, _):
        async with ClientSession(r, w) as s:
            await s.initialize()
            names = [t.name for t in (await s.list_tools()).tools]
            if tool not in names:
                return None
            result = await s.call_tool(tool, args)
            return None if result.isError else result.structuredContent


async def build(label, session, database):
    tools = (await session.list_tools()).tools
    check(f"{label}: tools/list shows the builder's tools", {"create_tool", "deploy", "preview_sql"} <=
          {t.name for t in tools}, [t.name for t in tools])
    conn = await call(session, "create_connection", {
        "name": f"shop_{label}", "db_type": "postgresql", "host": "127.0.0.1", "port": 5432, "database": database,
        "username": "postgres", "ssl_mode": "disable"})
    tables = await call(session, "list_tables", {"connection_id": conn["id"]})
    check(f"{label}: list_tables finds orders", "orders" in json.dumps(tables), tables)
    columns = await call(session, "list_columns", {"connection_id": conn["id"], "table": "orders"})
    check(f"{label}: list_columns finds customer_id", "customer_id" in json.dumps(columns), columns)
    sql = "SELECT id, status FROM orders WHERE customer_id = :customer_id ORDER BY id"
    params = [{"name": "customer_id", "type": "integer", "description": "The customer's id"}]
    preview = await call(session, "preview_sql", {"connection_id": conn["id"], "sql_query": sql,
                                                  "parameters": {"customer_id": 7}, "parameter_definitions": params})
    check(f"{label}: preview_sql returns the customer's three orders", preview.get("row_count") == 3, preview)
    name = f"orders_of_customer_{label}"
    await call(session, "create_tool", {"connection_id": conn["id"], "name": name, "sql_query": sql,
                                        "description": "Orders of one customer, oldest first", "parameters": params})
    deployed = await call(session, "deploy", {})
    check(f"{label}: deploy publishes a release", deployed["release"]["number"] >= 1, deployed)
    if deployed.get("token"):
        RUNTIME["token"] = deployed["token"]
    settings = await call(session, "get_server_settings", {})
    mcp_url = settings["mcp_url"]
    rows, deadline = None, time.monotonic() + 60
    while rows is None and time.monotonic() < deadline:
        try:
            rows = await runtime_rows(mcp_url, name, {"customer_id": 7})
        except Exception:  # the runtime still starting or reloading
            rows = None
        if rows is None:
            await asyncio.sleep(0.5)
    got = [[r["id"], r["status"]] for r in (rows or {}).get("rows", [])]
    check(f"{label}: the new tool answers through the runtime with the rows", got == [[1, "paid"], [2, "open"], [4, "void"]],
          rows)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quarry", required=True)
    ap.add_argument("--database", required=True)
    a = ap.parse_args()
    agent_url = a.quarry + "/agent/mcp"
    api = httpx.Client(base_url=a.quarry + "/api/v1", timeout=120, headers={"X-Quarry-Request": "1"})
    r = api.post("/auth/setup", json={"username": "admin", "password": "correct horse battery"})
    check("admin setup", r.status_code == 200, r.text)

    r = api.post("/agent-tokens", json={"name": "python agent", "scopes": BUILDER_SCOPES})
    check("the admin creates an agent token", r.status_code == 201, r.text)
    token = r.json()["token"]
    async with streamablehttp_client(agent_url, headers={"Authorization": f"Bearer {token}"}) as (rd, wr, _):
        async with ClientSession(rd, wr) as session:
            await session.initialize()
            await build("token", session, a.database)

    r = api.post("/oauth-clients", json={"name": "python oauth agent", "scopes": BUILDER_SCOPES})
    check("the admin creates an OAuth client", r.status_code == 201, r.text)
    client = r.json()
    anonymous = httpx.post(agent_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    check("the agent endpoint without a token → 401 naming its metadata",
          anonymous.status_code == 401 and "resource_metadata=" in anonymous.headers.get("www-authenticate", ""),
          anonymous.headers)
    issuer = httpx.get(a.quarry + "/.well-known/oauth-authorization-server").json()["issuer"]
    auth = ClientCredentialsOAuthProvider(server_url=agent_url, storage=(tokens := MemoryTokens()),
                                          client_id=client["client_id"], client_secret=client["client_secret"],
                                          scopes=" ".join(BUILDER_SCOPES), issuer=issuer)
    async with streamablehttp_client(agent_url, auth=auth) as (rd, wr, _):
        async with ClientSession(rd, wr) as session:
            await session.initialize()
            check("the SDK discovered Quarry and obtained an access token",
                  tokens.tokens is not None and tokens.tokens.access_token.count(".") == 2, tokens.tokens)
            await build("oauth", session, a.database)
    r = api.get("/agent-activity", params={"token": client["id"], "tool": "deploy"})
    check("the OAuth client's calls are in the activity log under its name",
          r.json()["total"] == 1 and r.json()["items"][0]["credential_name"] == "python oauth agent", r.text)
    r = api.get("/history", params={"actor": f"agent:{client['id']}", "entity_type": "tool"})
    check("its tool is in history with the client as actor", r.json()["total"] == 1, r.text)
    every = httpx.get(a.quarry + "/.well-known/oauth-protected-resource/agent/mcp").json()["scopes_supported"]
    r = api.post("/agent-tokens", json={"name": "inspector", "scopes": every})
    check("an agent token with every scope for the Inspector", r.status_code == 201, r.text)
    print(f"agent e2e: {checks['passed']} passed, {checks['failed']} failed")
    print(f"AGENT_TOKEN={r.json().get('token', '')}")
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
