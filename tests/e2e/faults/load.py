"""Load on one runtime: 1,000 MCP sessions held at once (each initializes,
then calls a PostgreSQL tool every few seconds), with the latency
percentiles printed and no error allowed; and a full queue answering "busy,
retry" at once instead of making the caller wait.

    load.py [--sessions N] [--calls K]"""

import argparse
import asyncio
import os
import random
import resource
import statistics
import tempfile
import time

import httpx

from support import Mcp, check, manifest, ok_result, pg_connection, result_text, start_runtime, stop

PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5432"))


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(want, 65536)), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


async def sessions_held(url, n, calls):
    rng = random.Random(7)
    inits, lat, errors = [], [], []
    # One connection per session, as 1,000 separate agents would hold (plain HTTP: no TLS context to build).
    clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=60, verify=False) for _ in range(n)]
    opened = []

    async def open_one(http):
        t0 = time.monotonic()
        try:
            s = await Mcp(http, url).open()
            inits.append(time.monotonic() - t0)
            opened.append(s)
            return s
        except Exception as e:  # noqa: BLE001
            errors.append(f"initialize: {e!r}")

    t_open = time.monotonic()
    sem = asyncio.Semaphore(100)

    async def gated(http):
        async with sem:
            return await open_one(http)

    sessions = await asyncio.gather(*(gated(c) for c in clients))
    open_took = time.monotonic() - t_open
    all_open = len(opened)

    async def agent(s, k):
        await asyncio.sleep(rng.random() * 3)
        for _ in range(calls):
            t0 = time.monotonic()
            try:
                r = await s.call("orders", {"customer_id": rng.randint(1, 50)}, timeout=30)
                if ok_result(r):
                    lat.append(time.monotonic() - t0)
                else:
                    errors.append(result_text(r))
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
            await asyncio.sleep(1 + rng.random() * 2)

    t_calls = time.monotonic()
    await asyncio.gather(*(agent(s, i) for i, s in enumerate(sessions) if s))
    calls_took = time.monotonic() - t_calls
    for c in clients:
        await c.aclose()
    return all_open, open_took, inits, lat, errors, calls_took


async def busy(url):
    async with httpx.AsyncClient(timeout=30) as http:
        ss = [await Mcp(http, url).open() for _ in range(4)]
        held = [asyncio.create_task(s.call("hold", timeout=30)) for s in ss[:2]]
        # Wait until one call runs and one waits: the line is full.
        stats = url.replace("/mcp", "/internal/stats")
        for _ in range(200):
            c = (await http.get(stats)).json()["connections"][0]
            if c["active"] >= 1 and c["waiting"] >= 1:
                break
            await asyncio.sleep(0.05)
        t0 = time.monotonic()
        r = await ss[2].call("hold", timeout=30)
        took = time.monotonic() - t0
        results = await asyncio.gather(*held)
        return r, took, results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--calls", type=int, default=3)
    a = ap.parse_args()
    fds = raise_fd_limit()
    tmp = tempfile.mkdtemp(prefix="quarry-faults-load-")
    conn = pg_connection(PG_PORT, pool={"min": 2, "max": 8},
                         queue={"max_concurrent_queries": 8, "queue_timeout_seconds": 10, "max_waiters": 2000})
    tools = [{"name": "orders", "connection": "pg", "parameters": [{"name": "customer_id", "type": "integer"}],
              "sql": "SELECT g AS id, :customer_id::int AS customer_id, g * 1.5 AS amount "
                     "FROM generate_series(1, 20) AS g"}]
    proc, port = start_runtime(manifest([conn], tools), tmp)
    try:
        n_open, open_took, inits, lat, errors, calls_took = asyncio.run(
            sessions_held(f"http://127.0.0.1:{port}/mcp", a.sessions, a.calls))
        rss = int(open(f"/proc/{proc.pid}/status").read().split("VmRSS:")[1].split()[0]) // 1024
        server = httpx.get(f"http://127.0.0.1:{port}/internal/stats").json()["tools"][0]
        print(f"  runtime-side (tool call, /internal/stats): {server['calls']} calls, p50 {server['p50_ms']} ms, "
              f"p95 {server['p95_ms']} ms, p99 {server['p99_ms']} ms, max {server['max_ms']} ms", flush=True)
        print(f"  {a.sessions} sessions (fd limit {fds}): opened in {open_took:.1f} s, initialize p50 "
              f"{pct(inits, 50):.1f} ms p99 {pct(inits, 99):.1f} ms; {len(lat)} calls in {calls_took:.1f} s "
              f"({len(lat) / calls_took:.0f}/s), seen by this Python client: p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms, "
              f"max {max(lat) * 1000:.1f} ms, mean {statistics.mean(lat) * 1000:.1f} ms; runtime RSS {rss} MiB",
              flush=True)
        check(f"load: {a.sessions} sessions held at once", n_open == a.sessions, errors[:3])
        check(f"load: {a.sessions * a.calls} calls without an error ({len(errors)} errors)",
              not errors and len(lat) == a.sessions * a.calls, errors[:3])
    finally:
        stop(proc)
    conn = pg_connection(PG_PORT, pool={"min": 0, "max": 1},
                         queue={"max_concurrent_queries": 1, "queue_timeout_seconds": 10, "max_waiters": 1})
    hold = [{"name": "hold", "connection": "pg", "sql": "SELECT pg_sleep(2)::text AS held"}]
    proc, port = start_runtime(manifest([conn], hold), tmp, name="busy")
    try:
        r, took, held = asyncio.run(busy(f"http://127.0.0.1:{port}/mcp"))
        text = result_text(r)
        check(f"load: a full queue answers busy, retry at once ({took * 1000:.0f} ms)",
              "busy" in text and "retry" in text and took < 0.3, text)
        check("load: the calls holding the queue still finish", all(ok_result(h) for h in held), held)
    finally:
        stop(proc)


if __name__ == "__main__":
    import support
    main()
    raise SystemExit(support.summary())
