"""A database restarted under load: a runtime serves a tool on a private
PostgreSQL (then MariaDB) while 16 sessions call it back to back; the database
is killed for 3 s and started again. While it is down every call must come
back (an error, never a hang); within 5 s of its return calls succeed again;
afterwards 16 parallel calls all succeed (no pool slot was left stuck)."""

import asyncio
import time

import httpx

from support import (Mcp, PrivateMaria, PrivatePg, check, maria_connection, manifest, ok_result, pg_connection,
                     start_runtime, stop)

CONCURRENCY = 16
DOWN_SECONDS = 3.0
CALL_TIMEOUT = 15.0  # the HTTP client's; a call taking this long counts as a hang


async def load(url, ready, stop_at, log):
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=64)) as http:
        sessions = [await Mcp(http, url).open() for _ in range(CONCURRENCY)]
        ready.set()
        await stop_at.wait()
        stop_at = stop_at.at

        async def worker(s):
            while time.monotonic() < stop_at:
                t0 = time.monotonic()
                try:
                    r = await s.call("one", timeout=CALL_TIMEOUT)
                    log.append((t0, time.monotonic(), ok_result(r), r))
                except Exception as e:  # noqa: BLE001 — a transport failure is what we count
                    log.append((t0, time.monotonic(), False, {"exception": repr(e)}))
                await asyncio.sleep(0.01)

        await asyncio.gather(*(worker(s) for s in sessions))
        burst = await asyncio.gather(*(s.call("one", timeout=CALL_TIMEOUT) for s in sessions), return_exceptions=True)
        return burst


async def scenario(name, server, connection):
    tool = {"name": "one", "connection": connection["id"], "sql": "SELECT 1 AS one",
            "limits": {"max_rows": 10, "max_bytes": 65536, "timeout_seconds": 2}}
    tmp = server.dir
    proc, port = start_runtime(manifest([connection], [tool]), tmp, name=f"runtime-{name}")
    url = f"http://127.0.0.1:{port}/mcp"
    log = []
    try:
        ready, timeline = asyncio.Event(), asyncio.Event()
        loop = asyncio.create_task(load(url, ready, timeline, log))
        await ready.wait()
        timeline.at = time.monotonic() + 2 + DOWN_SECONDS + 7
        timeline.set()
        await asyncio.sleep(2)
        stopping_at = time.monotonic()
        await asyncio.to_thread(server.stop)
        down_at = time.monotonic()  # once it is really down (pg_ctl can take a while on a busy machine)
        await asyncio.sleep(DOWN_SECONDS)
        # The server accepts connections before its start command returns: "down" ends when the start begins.
        starting_at = time.monotonic()
        await asyncio.to_thread(server.start)
        back_at = time.monotonic()
        burst = await loop
    finally:
        stop(proc)
    before = [e for e in log if e[1] < stopping_at]
    during = [e for e in log if down_at < e[0] and e[1] < starting_at]
    after = [e for e in log if e[0] > back_at]
    check(f"{name}: calls succeed before the outage ({len(before)} calls)", before and all(e[2] for e in before),
          [e[3] for e in before if not e[2]][:2])
    check(f"{name}: while it is down calls fail cleanly ({len(during)} errors, none a transport failure)",
          during and not any(e[2] for e in during) and all("exception" not in e[3] for e in during),
          [(round(e[0] - down_at, 3), round(e[1] - down_at, 3), e[3]) for e in during if e[2] or "exception" in e[3]][:3])
    slowest = max(e[1] - e[0] for e in log)
    check(f"{name}: no call hangs (slowest {slowest:.2f} s, bound {CALL_TIMEOUT} s)", slowest < CALL_TIMEOUT - 1)
    first_ok = min((e[1] for e in after if e[2]), default=None)
    recovered = first_ok is not None and first_ok - back_at < 5
    check(f"{name}: calls succeed again {first_ok - back_at if first_ok else -1:.2f} s after it returns", recovered,
          [e[3] for e in after][-2:])
    late = [e for e in after if e[0] > back_at + 5]
    check(f"{name}: every call from 5 s after its return succeeds ({len(late)} calls)",
          late and all(e[2] for e in late), [e[3] for e in late if not e[2]][:2])
    check(f"{name}: afterwards 16 parallel calls all succeed (no stuck pool slot)",
          all(not isinstance(b, Exception) and ok_result(b) for b in burst), burst[:2])


def main():
    pg = PrivatePg()
    try:
        asyncio.run(scenario("postgresql", pg, pg_connection(pg.port, pool={"min": 0, "max": 8})))
    finally:
        pg.close()
    maria = PrivateMaria()
    try:
        asyncio.run(scenario("mariadb", maria, maria_connection(maria.port, pool={"min": 0, "max": 8})))
    finally:
        maria.close()


if __name__ == "__main__":
    import support
    main()
    raise SystemExit(support.summary())
