"""The chart's HA topology as real processes on this machine: two control
planes on one PostgreSQL store, Debian's nginx as the load balancer
(round-robin, no affinity), three runtimes pulling releases through it with
`QUARRY_RUNTIME_SESSIONS=off` (the chart's default), and the official Python MCP
client (PyPI `mcp`) calling a tool through the balancer for the whole test.

Checks, in order:
- a deploy through one control plane is served by every runtime within 5 s;
- a deploy through the other one too;
- kill -9 of a control plane: deploys and pulls go on through the other;
- kill -9 of a runtime under load: no failed call beyond those in flight on it;
- a rolling restart (SIGTERM, start again) of every runtime: no failed call, with
  the one retry a client may make of a read-only tool when the balancer answered
  502/503 or the connection broke before an answer;
- a stop: every runtime unloads.

Run with the venv of tests/e2e/deploy/requirements.txt:
    topology.py          (binaries from $CARGO_TARGET_DIR/debug, nginx on PATH)
"""

import asyncio
import base64
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "faults"))
from plane import PG_PORT, Plane  # noqa: E402
from support import RUNTIME, check, free_port, port_open, spawn, stop, summary, wait_until  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WORKERS = 4  # concurrent client calls through the balancer
PICKUP = 5.0  # seconds a release may take to reach every runtime


def key():
    """A fresh base64 32-byte key, shared by both control planes (and the runtimes, for the runtime key)."""
    return base64.b64encode(os.urandom(32)).decode()


def psql(sql):
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-qc", sql], check=True)


class Balancer:
    """nginx with two upstreams: the control planes and the runtimes."""

    def __init__(self, tmp, planes, runtimes):
        self.tmp, self.cp_port, self.rt_port = tmp, free_port(), free_port()
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(tmp, d), exist_ok=True)
        # max_fails=0: a server that refused a connection is tried again on the next request rather than set aside
        # for a while; each request still moves on to the next server when a connect fails.
        servers = lambda ports: "".join(f"    server 127.0.0.1:{p} max_fails=0;\n" for p in ports)  # noqa: E731
        location = """
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_read_timeout 60s;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout;"""
        conf = f"""worker_processes 1;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log {tmp}/access.log;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  upstream planes {{
{servers(planes)}    keepalive 16;
  }}
  upstream runtimes {{
{servers(runtimes)}    keepalive 32;
  }}
  server {{ listen 127.0.0.1:{self.cp_port}; location / {{ proxy_pass http://planes;{location} }} }}
  server {{ listen 127.0.0.1:{self.rt_port}; location / {{ proxy_pass http://runtimes;{location} }} }}
}}
"""
        self.conf = os.path.join(tmp, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen([NGINX, "-p", tmp, "-c", self.conf, "-g", "daemon off;"],
                                     stdout=open(os.path.join(tmp, "nginx.out"), "ab"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        if not wait_until(lambda: port_open(self.cp_port) and port_open(self.rt_port), 10):
            raise RuntimeError(open(os.path.join(tmp, "nginx.out")).read())


class Runtime:
    """`quarry-runtime --control-plane <balancer>` on a fixed port, restartable."""

    def __init__(self, tmp, name, plane_url, env):
        self.tmp, self.name, self.plane_url, self.env = tmp, name, plane_url, env
        self.port, self.proc = free_port(), None

    def start(self):
        env = dict(self.env, QUARRY_RUNTIME_BIND=f"127.0.0.1:{self.port}", QUARRY_RUNTIME_INSTANCE=self.name,
                   QUARRY_RUNTIME_SESSIONS="off", QUARRY_LOG="warn")
        self.proc = spawn([RUNTIME, "--control-plane", self.plane_url], env, os.path.join(self.tmp, f"{self.name}.log"))
        return self

    def release(self):
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).json().get("release", 0)
        except Exception:  # noqa: BLE001 — not listening
            return None


def accepts(runtime, token):
    """Whether `runtime` takes `token` (an MCP initialize straight to it, not through the balancer)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "topology", "version": "1"}}}
    try:
        r = httpx.post(f"http://127.0.0.1:{runtime.port}/mcp", json=body, timeout=2, headers={
            "authorization": f"Bearer {token}", "accept": "application/json, text/event-stream"})
        return r.status_code == 200
    except Exception:  # noqa: BLE001 — not listening
        return False


def all_serve(runtimes, release, limit=PICKUP):
    t0 = time.monotonic()
    ok = wait_until(lambda: all(r.release() == release for r in runtimes), limit, 0.05)
    return ok, time.monotonic() - t0


class Client:
    """Official MCP client sessions calling `probe` through the balancer until stopped; each call is
    logged as (start, end, outcome, text) with outcome ok, retried (ok on the one retry) or failed."""

    def __init__(self, url, token):
        self.url, self.headers = url, {"Authorization": f"Bearer {token}"}
        self.log, self.stopping = [], threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.main()), daemon=True)

    async def once(self):
        async with streamablehttp_client(self.url, headers=self.headers, timeout=10) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                r = await asyncio.wait_for(session.call_tool("probe", {}), 15)
                text = "".join(c.text for c in r.content if getattr(c, "text", None))
                if r.isError:
                    raise RuntimeError(f"tool error: {text}")
                return text

    async def worker(self):
        while not self.stopping.is_set():
            t0 = time.monotonic()
            try:
                text = await self.once()
                self.log.append((t0, time.monotonic(), "ok", text))
            except Exception as first:  # noqa: BLE001 — a broken connection or a 502/503 from the balancer
                try:
                    # probe is read-only (readOnlyHint): calling it again, after a short pause, is safe.
                    await asyncio.sleep(0.2)
                    text = await self.once()
                    self.log.append((t0, time.monotonic(), "retried", text))
                except Exception as second:  # noqa: BLE001
                    self.log.append((t0, time.monotonic(), "failed", f"{first!r} / {second!r}"[:300]))

    async def main(self):
        await asyncio.gather(*(self.worker() for _ in range(WORKERS)))

    def failed(self, t_from, t_to):
        return [e for e in self.log if e[2] == "failed" and e[1] >= t_from and e[0] <= t_to]

    def outcomes(self, t_from, t_to):
        window = [e for e in self.log if e[1] >= t_from and e[0] <= t_to]
        return {k: sum(1 for e in window if e[2] == k) for k in ("ok", "retried", "failed")}


def main():
    if not os.path.exists(NGINX):
        print(f"nginx is missing ({NGINX}): apt-get install nginx", file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="quarry-topology-")
    db = f"quarry_topology_{uuid.uuid4().hex[:8]}"
    psql(f"CREATE DATABASE {db}")
    store = f"postgres://postgres@127.0.0.1:{PG_PORT}/{db}"
    shared = {"QUARRY_ENCRYPTION_KEY": key(), "QUARRY_JWT_SECRET": key(), "QUARRY_RUNTIME_TOKEN": key(),
              "QUARRY_RUNTIME_KEY": key(), "QUARRY_FOLLOW_INTERVAL_MS": "500"}
    procs = []
    client = lb = None
    try:
        a = Plane(os.path.join(tmp, "a"), target="kubernetes", database_url=store, extra_env=shared)
        b = Plane(os.path.join(tmp, "b"), target="kubernetes", database_url=store, extra_env=shared)
        for p in (a, b):
            os.makedirs(p.data_dir)
        # Both start at once on the empty store: migrations take turns under the advisory lock.
        started = [threading.Thread(target=p.start) for p in (a, b)]
        for t in started:
            t.start()
        for t in started:
            t.join()
        procs += [a.proc, b.proc]
        check("two control planes started together on one empty PostgreSQL store",
              a.api is not None and b.api is not None)
        runtimes = [Runtime(tmp, f"rt-{i}", "", {"QUARRY_RUNTIME_TOKEN": shared["QUARRY_RUNTIME_TOKEN"],
                                                  "QUARRY_RUNTIME_KEY": shared["QUARRY_RUNTIME_KEY"]})
                    for i in range(3)]
        lb = Balancer(tmp, [a.port, b.port], [r.port for r in runtimes])
        procs.append(lb.proc)
        lb_plane = f"http://127.0.0.1:{lb.cp_port}"
        for r in runtimes:
            r.plane_url = lb_plane
            r.start()
        procs += [r.proc for r in runtimes]

        tool = a.pg_tool(sql="SELECT 'one' AS v")
        t0 = time.monotonic()
        token = a.deploy()["token"]
        ok, took = all_serve(runtimes, 1)
        check(f"a deploy through control plane A reaches all 3 runtimes within {PICKUP:.0f} s ({took:.2f} s)", ok)

        # The token minted by the first deploy reaches the runtimes with the access document, apart from the release.
        t_token = time.monotonic()
        ok = wait_until(lambda: all(accepts(r, token) for r in runtimes), PICKUP, 0.05)
        check(f"the token minted by the deploy is accepted by all 3 runtimes within {PICKUP:.0f} s "
              f"({time.monotonic() - t_token:.2f} s)", ok)

        client = Client(f"http://127.0.0.1:{lb.rt_port}/mcp", token)
        client.thread.start()
        check("the Python MCP client is served through the balancer",
              wait_until(lambda: any(e[2] == "ok" and "one" in e[3] for e in client.log), 20, 0.1),
              client.log[-3:])

        r = b.api.patch(f"/tools/{tool}", json={"sql_query": "SELECT 'two' AS v"})
        assert r.status_code == 200, r.text
        b.deploy()
        ok, took = all_serve(runtimes, 2)
        check(f"a deploy through control plane B reaches all 3 runtimes within {PICKUP:.0f} s ({took:.2f} s)", ok)
        check("the client sees release 2", wait_until(lambda: "two" in client.log[-1][3], 10, 0.1), client.log[-1])

        # kill -9 control plane A; the balancer sends everything to B.
        stop(a.proc, signal.SIGKILL)
        via_lb = httpx.Client(base_url=lb_plane + "/api/v1", timeout=30, cookies=b.api.cookies)
        r = via_lb.patch(f"/tools/{tool}", json={"sql_query": "SELECT 'three' AS v"})
        check("with A killed, an edit through the balancer succeeds", r.status_code == 200, r.text)
        r = via_lb.post("/deploy", json={})
        check("with A killed, a deploy through the balancer succeeds", r.status_code == 201, r.text)
        ok, took = all_serve(runtimes, 3)
        check(f"with A killed, all 3 runtimes pull release 3 within {PICKUP:.0f} s ({took:.2f} s)", ok)

        # kill -9 one runtime under load.
        time.sleep(1)
        victim = runtimes[0]
        t_kill = time.monotonic()
        stop(victim.proc, signal.SIGKILL)
        time.sleep(3)
        lost = client.failed(t_kill - 0.5, time.monotonic())
        check(f"kill -9 of a runtime under load fails at most the {WORKERS} calls that can be in flight on it "
              f"({len(lost)} failed)", len(lost) <= WORKERS, lost)
        calm = client.failed(t_kill + 1.0, time.monotonic())
        check("after it, calls go to the other runtimes without failing", not calm, calm)
        victim.start()
        procs.append(victim.proc)
        ok, took = all_serve(runtimes, 3, 20)
        check(f"the killed runtime comes back on release 3 ({took:.2f} s)", ok)

        # Rolling restart: one runtime at a time, SIGTERM (drain), start again, wait until it serves.
        t_roll = time.monotonic()
        for rt in runtimes:
            stop(rt.proc, signal.SIGTERM)
            rt.start()
            procs.append(rt.proc)
            if not wait_until(lambda: rt.release() == 3, 20, 0.05):
                check(f"{rt.name} serves again after its restart", False)
            time.sleep(1)  # calls reach the restarted runtime before the next one goes
        t_rolled = time.monotonic()
        time.sleep(1)
        counts = client.outcomes(t_roll, t_rolled)
        failed = client.failed(t_roll, t_rolled)
        check(f"a rolling restart of every runtime in {t_rolled - t_roll:.1f} s fails no call ({counts['ok']} ok, "
              f"{counts['retried']} retried once, {counts['failed']} failed)", not failed and counts["ok"] > 0, failed[:3])

        client.stopping.set()
        client.thread.join(30)
        r = via_lb.post("/deploy/stop", json={})
        check("a stop through the balancer succeeds", r.status_code in (200, 202, 204), r.text)
        ok, took = all_serve(runtimes, 0)
        check(f"after the stop every runtime unloads within {PICKUP:.0f} s ({took:.2f} s)", ok)
        total = {k: sum(1 for e in client.log if e[2] == k) for k in ("ok", "retried", "failed")}
        elsewhere = [e for e in client.log if e[2] == "failed" and not (e[1] >= t_kill - 0.5 and e[0] <= t_kill + 3)]
        check("outside the runtime's kill -9, no call of the whole test failed", not elsewhere, elsewhere[:3])
        print(f"client calls through the balancer: {total}", flush=True)
        for e in client.log:
            if e[2] != "ok":
                print(f"  {e[2]} at +{e[0] - t0:.2f}..{e[1] - t0:.2f} s: {e[3][:160]}", flush=True)
        print(f"  (marks: A killed ~ deploy 3; runtime killed at +{t_kill - t0:.2f} s; roll +{t_roll - t0:.2f}"
              f"..{t_rolled - t0:.2f} s)", flush=True)
    finally:
        if client:
            client.stopping.set()
        if lb:
            # nginx's master stops and reaps its workers on SIGTERM (a killed master would leave them behind).
            stop(lb.proc, signal.SIGTERM)
        for p in procs:
            # The whole process group, should anything of it be left.
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            stop(p, signal.SIGKILL)
        try:
            psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        except Exception as e:  # noqa: BLE001
            print(f"could not drop {db}: {e}", file=sys.stderr)
        if checks_failed():
            for name in ("error.log", "a/quarry.log", "b/quarry.log", "rt-0.log", "rt-1.log", "rt-2.log"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    print(f"--- {name} (tail)\n{open(path, errors='replace').read()[-2500:]}", flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


def checks_failed():
    from support import checks
    return checks["failed"] > 0


if __name__ == "__main__":
    sys.exit(main())
