"""Faults around the control plane, with real processes:
- `kill -9` of the local runtime under load: the supervisor brings it back and
  no call hangs past its timeout;
- SIGTERM of `quarry` with a long-poll, a log stream and a local runtime: all
  end at once and the process exits within 3 s;
- `kill -9` of `quarry` during a burst of writes, on SQLite and on PostgreSQL:
  after a restart every acknowledged write is there with its history entry,
  and nothing is there half-written;
- the control plane down: a pulling runtime keeps serving its release and takes
  the next one when the plane is back."""

import asyncio
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import httpx
import websockets

from plane import PG_PORT, Plane
from support import RUNTIME, Mcp, check, free_port, ok_result, port_open, spawn, stop, wait_until

CALL_TIMEOUT = 10.0


async def call_once(url, tool="probe"):
    async with httpx.AsyncClient() as http:
        s = await Mcp(http, url).open()
        return await s.call(tool, timeout=CALL_TIMEOUT)


def serving(url, tool="probe", want=None):
    try:
        r = asyncio.run(call_once(url, tool))
    except Exception:  # noqa: BLE001 — not serving yet
        return False
    return ok_result(r) and (want is None or want in json.dumps(r))


async def load_until(url, stop_at, log, workers=8):
    async def worker():
        async with httpx.AsyncClient() as http:
            s = None
            while time.monotonic() < stop_at:
                t0 = time.monotonic()
                try:
                    s = s or await Mcp(http, url).open()
                    r = await s.call("probe", timeout=CALL_TIMEOUT)
                    good = ok_result(r)
                    if not good:
                        s = None  # a new runtime knows no old session
                    log.append((t0, time.monotonic(), good, ""))
                except (httpx.TimeoutException, asyncio.TimeoutError) as e:
                    log.append((t0, time.monotonic(), False, f"timeout {e!r}"))
                    s = None
                except Exception as e:  # noqa: BLE001 — refused while the runtime restarts
                    log.append((t0, time.monotonic(), False, repr(e)))
                    s = None
                    await asyncio.sleep(0.05)
    await asyncio.gather(*(worker() for _ in range(workers)))


def runtime_killed_and_shutdown():
    plane = Plane(tempfile.mkdtemp(prefix="quarry-faults-plane-")).start()
    plane.open_access()
    mcp = f"http://127.0.0.1:{plane.runtime_port}/mcp"
    try:
        plane.pg_tool()
        plane.deploy()
        check("local: the deployed runtime serves the tool", wait_until(lambda: serving(mcp), 30, 0.2))
        pid = plane.runtime_pid()
        log = []
        start = time.monotonic()
        t = threading.Thread(target=lambda: asyncio.run(load_until(mcp, start + 8, log)))
        t.start()
        time.sleep(2)
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        t.join()
        back = min((e[1] for e in log if e[0] > killed_at and e[2]), default=None)
        check(f"local: after kill -9 of the runtime the supervisor restores service "
              f"({back - killed_at if back else -1:.2f} s)", back is not None and back - killed_at < 5)
        slowest = max(e[1] - e[0] for e in log)
        check(f"local: no call hangs past its timeout ({len(log)} calls, slowest {slowest:.2f} s)",
              slowest < CALL_TIMEOUT and not any(e[3].startswith("timeout") for e in log))
        check("local: the runtime runs under a new pid", plane.runtime_pid() != pid)
        shutdown(plane)
    finally:
        stop(plane.proc)


def shutdown(plane):
    """SIGTERM with a long-poll and a log follower open and a local runtime running."""
    token = plane.file("runtime.token")
    etag = httpx.get(plane.url + "/api/v1/runtime/manifest", headers={"authorization": f"Bearer {token}"}).headers["etag"]
    result = {}

    def long_poll():
        t0 = time.monotonic()
        try:
            r = httpx.get(plane.url + "/api/v1/runtime/manifest?wait=25", timeout=40,
                          headers={"authorization": f"Bearer {token}", "if-none-match": etag})
            result["poll"] = (r.status_code, time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001
            result["poll"] = (repr(e), time.monotonic() - t0)

    async def follow_logs():
        ws_url = plane.url.replace("http", "ws") + "/api/v1/deploy/logs"
        async with websockets.connect(ws_url, additional_headers={"Cookie": plane.cookie()}) as ws:
            result["ws_open"] = True
            try:
                while True:
                    await ws.recv()
            except websockets.ConnectionClosed as e:
                result["ws"] = (e.rcvd.code if e.rcvd else None, time.monotonic())

    threads = [threading.Thread(target=long_poll), threading.Thread(target=lambda: asyncio.run(follow_logs()))]
    for t in threads:
        t.start()
    time.sleep(1)
    t0 = time.monotonic()
    plane.proc.send_signal(signal.SIGTERM)
    try:
        code = plane.proc.wait(15)
    except subprocess.TimeoutExpired:
        code = None
    took = time.monotonic() - t0
    for t in threads:
        t.join(30)
    check(f"SIGTERM: quarry exits within 3 s ({took:.2f} s, exit {code})", code == 0 and took < 3, plane.log()[-1500:])
    poll = result.get("poll")
    check(f"SIGTERM: the long-poll is answered at once ({poll})", poll and poll[0] == 304 and poll[1] < 3)
    ws = result.get("ws")
    check(f"SIGTERM: the log stream closes with 1001 going away ({ws and ws[0]})",
          result.get("ws_open") and ws and ws[0] == 1001 and ws[1] - t0 < 3)
    check("SIGTERM: the local runtime is stopped with it", not port_open(plane.runtime_port))


def acknowledged_writes_survive(name, database_url=None):
    data = tempfile.mkdtemp(prefix="quarry-faults-store-")
    plane = Plane(data, target="kubernetes", database_url=database_url).start()
    acked, stop_at = [], time.monotonic() + 60

    async def writer(w):
        async with httpx.AsyncClient(base_url=plane.url + "/api/v1", cookies=plane.api.cookies, timeout=10) as api:
            i = 0
            while time.monotonic() < stop_at:
                name_ = f"w{w}_{i}"
                i += 1
                try:
                    r = await api.post("/connections", json={"name": name_, "db_type": "postgresql",
                                                             "host": "127.0.0.1", "port": PG_PORT,
                                                             "database": "postgres", "username": "postgres",
                                                             "password": "s3cret", "ssl_mode": "disable"})
                except httpx.HTTPError:
                    return
                if r.status_code == 201:
                    acked.append((name_, r.json()["id"]))

    async def burst():
        await asyncio.wait_for(asyncio.gather(*(writer(w) for w in range(8))), 30)

    t = threading.Thread(target=lambda: asyncio.run(burst()))
    t.start()
    wait_until(lambda: len(acked) >= 40, 30, 0.01)
    plane.proc.send_signal(signal.SIGKILL)
    plane.proc.wait()
    t.join(40)
    plane.start()
    items = []
    while True:
        page = plane.api.get("/connections", params={"skip": len(items), "limit": 100}).json()
        items += page["items"]
        if len(items) >= page["total"] or not page["items"]:
            break
    present = {c["name"]: c for c in items}
    missing = [n for n, _ in acked if n not in present]
    check(f"{name} store: all {len(acked)} acknowledged writes are present after kill -9", acked and not missing,
          missing[:5])
    extra = [n for n in present if n not in {a for a, _ in acked}]
    check(f"{name} store: at most one unacknowledged write per writer committed ({len(extra)})", len(extra) <= 8, extra)
    partial = []
    for c in items:
        h = plane.api.get(f"/history/connection/{c['id']}").json()
        if h.get("total", 0) < 1 or not c.get("has_password"):
            partial.append((c["name"], h.get("total"), c.get("has_password")))
    check(f"{name} store: every connection present is whole (row, sealed password, history entry)", not partial,
          partial[:5])
    r = plane.api.post("/connections", json={"name": "after_restart", "db_type": "postgresql", "host": "127.0.0.1",
                                             "port": PG_PORT, "database": "postgres", "username": "postgres",
                                             "ssl_mode": "disable"})
    check(f"{name} store: writes work after the restart", r.status_code == 201, r.text)
    stop(plane.proc)


def plane_down_runtime_keeps_serving():
    data = tempfile.mkdtemp(prefix="quarry-faults-pull-")
    plane = Plane(data, target="kubernetes").start()
    plane.open_access()
    tool_id = plane.pg_tool(sql="SELECT 'first' AS v")
    plane.deploy()
    rport = free_port()
    env = {"QUARRY_RUNTIME_BIND": f"127.0.0.1:{rport}", "QUARRY_RUNTIME_TOKEN": plane.file("runtime.token"),
           "QUARRY_RUNTIME_KEY": plane.file("runtime.key"), "QUARRY_LOG": "warn", "QUARRY_RUNTIME_INSTANCE": "pull-1"}
    runtime = spawn([RUNTIME, "--control-plane", plane.url], env, os.path.join(data, "runtime.log"))
    mcp = f"http://127.0.0.1:{rport}/mcp"
    try:
        check("pull: the runtime serves release 1", wait_until(lambda: serving(mcp, want="first"), 30, 0.2))
        plane.proc.send_signal(signal.SIGKILL)
        plane.proc.wait()
        time.sleep(2)
        ok = all(serving(mcp, want="first") for _ in range(10))
        check("pull: with the control plane killed the runtime keeps serving release 1", ok)
        time.sleep(2)
        plane.start()
        r = plane.api.patch(f"/tools/{tool_id}", json={"sql_query": "SELECT 'second' AS v"})
        assert r.status_code == 200, r.text
        plane.deploy()
        t0 = time.monotonic()
        got = wait_until(lambda: serving(mcp, want="second"), 40, 0.3)
        check(f"pull: when the plane is back the runtime takes release 2 ({time.monotonic() - t0:.1f} s)", got)
    finally:
        stop(runtime)
        stop(plane.proc)


def main():
    runtime_killed_and_shutdown()
    acknowledged_writes_survive("SQLite")
    db = f"quarry_faults_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-qc", f"CREATE DATABASE {db}"],
                   check=True)
    try:
        acknowledged_writes_survive("PostgreSQL", f"postgres://postgres@127.0.0.1:{PG_PORT}/{db}")
    finally:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-qc",
                        f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"])
    plane_down_runtime_keeps_serving()


if __name__ == "__main__":
    import support
    main()
    raise SystemExit(support.summary())
