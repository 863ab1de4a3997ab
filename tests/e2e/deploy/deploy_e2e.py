"""End-to-end deploy test: a real control plane (`quarry`), real runtimes, the
real PostgreSQL, and the official Python MCP client.

    deploy_e2e.py --quarry URL --target local|docker --runtime-url URL

Walks the user's path: connection → tool with a parameter → deploy → call it
over MCP → change the SQL → deploy → the client sees the new result; the log
stream; the runtime killed → brought back; stop → status stopped and the
endpoint gone. Prints one line per check and 'N passed, M failed'.
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import httpx
import websockets
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

checks = {"passed": 0, "failed": 0}
# MCP is bearer-authenticated by default: the first deploy mints a token, set here.
AUTH = {}


def check(name, ok, detail=""):
    checks["passed" if ok else "failed"] += 1
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
    return ok


def wait_for(fn, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last[0]:
            return last
        time.sleep(step)
    return last


async def call_tool(mcp_url, name, args):
    async with streamablehttp_client(mcp_url, headers=AUTH) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            result = await session.call_tool(name, args)
            text = "".join(c.text for c in result.content if getattr(c, "text", None))
            return [t.name for t in tools.tools], result.isError, text


def call_tool_or_error(mcp_url, name, args):
    """`call_tool`, with a connection failure (the runtime still starting) as an error result."""
    try:
        return asyncio.run(call_tool(mcp_url, name, args))
    except Exception as e:  # noqa: BLE001 — any failure here means "not serving yet"
        return [], True, repr(e)


async def read_logs(ws_url, cookie, want, timeout=10):
    lines = []
    async with websockets.connect(ws_url, additional_headers={"Cookie": cookie}) as ws:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
            lines.append(json.loads(msg))
            if any(want in entry["line"] for entry in lines):
                break
    return lines


def docker_checks(api):
    cid = api.get("/deploy/status").json()["process"]["id"]
    info = json.loads(subprocess.run(["docker", "inspect", cid], capture_output=True, text=True, check=True).stdout)[0]
    hc, cfg = info["HostConfig"], info["Config"]
    check("container: host network, read-only rootfs, caps dropped, no-new-privileges",
          hc["NetworkMode"] == "host" and hc["ReadonlyRootfs"] and hc["CapDrop"] == ["ALL"]
          and "no-new-privileges" in hc["SecurityOpt"], hc)
    check("container: non-root user, memory and CPU limits, restart policy",
          cfg["User"] == "65532:65532" and hc["Memory"] > 0 and hc["NanoCpus"] > 0
          and hc["RestartPolicy"]["Name"] == "unless-stopped", (cfg["User"], hc["Memory"], hc["RestartPolicy"]))
    env_and_labels = json.dumps(cfg["Env"]) + json.dumps(cfg["Labels"])
    secret_files = [m["Source"] for m in info["Mounts"]]
    secrets = [open(p).read().strip() for p in secret_files if os.path.exists(p)]
    check("container: token and key only as mounted files, not in env or labels",
          len(secrets) == 2 and all(s and s not in env_and_labels for s in secrets), cfg["Env"])
    health = wait_for(lambda: (lambda h: (h == "healthy", h))(subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Health.Status}}", cid], capture_output=True, text=True).stdout.strip()), 40, 1)
    check("container health check reports healthy", health[0], health[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quarry", required=True)
    ap.add_argument("--target", required=True, choices=["local", "docker"])
    ap.add_argument("--runtime-url", required=True)
    a = ap.parse_args()
    api = httpx.Client(base_url=a.quarry + "/api/v1", timeout=300, headers={"X-Quarry-Request": "1"})
    mcp_url = a.runtime_url + "/mcp"

    r = api.post("/auth/setup", json={"username": "admin", "password": "correct horse battery"})
    check("admin setup", r.status_code == 200, r.text)
    r = api.post("/connections", json={"name": "pg", "db_type": "postgresql", "host": "127.0.0.1", "port": 5432,
                                       "database": "postgres", "username": "postgres", "ssl_mode": "disable"})
    check("connection to the real PostgreSQL", r.status_code == 201, r.text)
    conn = r.json()["id"]
    r = api.post("/tools", json={"connection_id": conn, "name": "scale", "description": "Multiplies n",
                                 "sql_query": "SELECT :n::int * 2 AS result",
                                 "parameters": [{"name": "n", "type": "integer", "description": "a number"}]})
    check("tool with a parameter", r.status_code == 201, r.text)
    tool = r.json()["id"]

    started = time.monotonic()
    r = api.post("/deploy")
    check("deploy → release 1", r.status_code == 201 and r.json()["release"]["number"] == 1, r.text)
    check("the first deploy mints a bearer token, shown once", r.json().get("token", "").startswith("qry_"), r.text)
    AUTH["Authorization"] = "Bearer " + r.json().get("token", "")
    st = wait_for(lambda: (lambda s: (s["status"] == "running", s))(api.get("/deploy/status").json()), 60)
    check(f"status running ({time.monotonic() - started:.1f}s after deploy)", st[0], st[1])
    check("status carries release and runtime version", st[1]["release"] == 1 and st[1]["runtime_version"], st[1])

    anonymous = httpx.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                           headers={"Accept": "application/json, text/event-stream"})
    check("MCP without the token → 401", anonymous.status_code == 401, anonymous.status_code)
    names, is_error, text = asyncio.run(call_tool(mcp_url, "scale", {"n": 21}))
    check("MCP client lists the tool", names == ["scale"], names)
    check("MCP client calls it: 21 → 42", not is_error and "42" in text, text)

    r = api.patch(f"/tools/{tool}", json={"sql_query": "SELECT :n::int * 3 AS result"})
    check("change the SQL", r.status_code == 200, r.text)
    check("status knows the change is not deployed", api.get("/deploy/status").json()["undeployed_changes"] is True)
    pid_before = api.get("/deploy/status").json()["process"].get("id")
    r = api.post("/deploy")
    check("deploy → release 2", r.status_code == 201 and r.json()["release"]["number"] == 2, r.text)
    st = wait_for(lambda: (lambda s: (s["status"] == "running" and s["release"] == 2, s))(api.get("/deploy/status").json()), 30)
    check("runtime serves release 2", st[0], st[1])
    check("handed over without a restart", st[1]["process"].get("id") == pid_before, st[1]["process"])
    _, is_error, text = asyncio.run(call_tool(mcp_url, "scale", {"n": 21}))
    check("MCP client sees the new result: 21 → 63", not is_error and "63" in text, text)

    cookie = "; ".join(f"{k}={v}" for k, v in api.cookies.items())
    ws_url = a.quarry.replace("http://", "ws://") + "/api/v1/deploy/logs"
    lines = asyncio.run(read_logs(ws_url, cookie, "Release 2 published"))
    check("log stream sends recent lines", any("Release 2 published" in l["line"] for l in lines), lines[-3:])
    check("log stream carries the runtime's output", any(l["source"] == "runtime" for l in lines), len(lines))

    if a.target == "docker":
        docker_checks(api)

    # A launch setting (log level) restarts the runtime on the next deploy; releases alone never do.
    r = api.patch("/server/config", json={"log_level": "debug"})
    check("log level set", r.status_code == 200, r.text)
    api.post("/deploy")
    st = wait_for(lambda: (lambda s: (s["status"] == "running" and s["release"] == 3, s))(api.get("/deploy/status").json()), 60)
    check("a launch-setting change restarts the runtime", st[0] and st[1]["process"].get("id") != pid_before, st[1])

    # The restarted runtime serves before it is killed (so each start has logged its line).
    served = wait_for(lambda: (lambda r: ("3" in r[2] and not r[1], r))(call_tool_or_error(mcp_url, "scale", {"n": 1})), 30)
    check("the restarted runtime serves: 1 → 3", served[0], served[1])

    # Kill the runtime: the supervisor (local) or the restart policy (docker) brings it back.
    proc = api.get("/deploy/status").json()["process"]
    if a.target == "local":
        os.kill(int(proc["id"]), signal.SIGKILL)
    else:
        pid = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", proc["id"]], capture_output=True, text=True).stdout.strip()
        os.kill(int(pid), signal.SIGKILL)
    time.sleep(0.3)
    back = wait_for(lambda: (lambda s: (s["status"] == "running" and s["process"].get("restarts", 0) >= 1, s))(api.get("/deploy/status").json()), 60)
    check("killed runtime is brought back", back[0], back[1])
    # "running" means the process is back; it listens a moment later.
    again = wait_for(lambda: (lambda r: ("6" in r[2] and not r[1], r))(call_tool_or_error(mcp_url, "scale", {"n": 2})), 30)
    check("and serves again: 2 → 6", again[0], again[1])

    lines = asyncio.run(read_logs(ws_url, cookie, "no line has this text", timeout=2))
    starts = sum("is serving /mcp" in l["line"] for l in lines)
    check(f"runtime output is captured across restarts ({starts} starts)", starts >= 3, [l["line"] for l in lines[-5:]])

    r = api.post("/deploy/stop")
    check("stop", r.status_code == 200 and r.json()["status"] == "stopped", r.text)
    try:
        httpx.get(a.runtime_url + "/healthz", timeout=2)
        gone = False
    except httpx.TransportError:
        gone = True
    check("the endpoint is gone", gone)
    health = api.get("/server/health").json()
    check("server health says unreachable", health["reachable"] is False, health)

    print(f"deploy-e2e-{a.target}: {checks['passed']} passed, {checks['failed']} failed", flush=True)
    sys.exit(1 if checks["failed"] else 0)


if __name__ == "__main__":
    main()
