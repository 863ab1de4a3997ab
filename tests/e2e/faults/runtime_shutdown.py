"""SIGTERM of `quarry-runtime`: it stops accepting at once, lets a call in
flight finish within `QUARRY_RUNTIME_SHUTDOWN_GRACE`, abandons one that would
outlast the grace, and exits. Runs on the machine's PostgreSQL (`pg_sleep`,
read-only)."""

import asyncio
import os
import signal
import tempfile
import time

import httpx

from support import Mcp, check, manifest, ok_result, pg_connection, port_open, result_text, start_runtime, stop

PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5432"))


def tools():
    return [{"name": "sleep", "connection": "pg", "sql": "SELECT pg_sleep(:s)::text AS slept",
             "parameters": [{"name": "s", "type": "number"}],
             "limits": {"max_rows": 1, "max_bytes": 4096, "timeout_seconds": 30}}]


async def drain(grace, sleep_s):
    tmp = tempfile.mkdtemp(prefix="quarry-faults-rt-")
    proc, port = start_runtime(manifest([pg_connection(PG_PORT)], tools()), tmp,
                               {"QUARRY_RUNTIME_SHUTDOWN_GRACE": str(grace)})
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        async with httpx.AsyncClient() as http:
            s = await Mcp(http, url).open()
            call = asyncio.create_task(s.call("sleep", {"s": sleep_s}, timeout=30))
            await asyncio.sleep(0.4)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            refused = not await asyncio.to_thread(port_open, port)
            try:
                result = await call
            except Exception as e:  # noqa: BLE001 — the abandoned call's connection is closed
                result = {"exception": repr(e)}
            exit_code = await asyncio.to_thread(proc.wait, 15)
            return refused, result, time.monotonic() - t0, exit_code
    finally:
        stop(proc)


def main():
    refused, result, took, code = asyncio.run(drain(grace=5, sleep_s=1.5))
    check("runtime SIGTERM: new connections are refused at once", refused)
    check("runtime SIGTERM: a 1.5 s call in flight finishes with its result", ok_result(result), result)
    check(f"runtime SIGTERM: exits cleanly right after the call ({took:.2f} s)", code == 0 and took < 2.5, (code, took))
    refused, result, took, code = asyncio.run(drain(grace=1, sleep_s=20))
    check("runtime SIGTERM: a call outlasting the 1 s grace is abandoned (no result)", not ok_result(result),
          result_text(result) if isinstance(result, dict) and "result" in result else result)
    check(f"runtime SIGTERM: exits once the grace is over ({took:.2f} s, grace 1 s)", code == 0 and took < 3,
          (code, took))


if __name__ == "__main__":
    import support
    main()
    raise SystemExit(support.summary())
