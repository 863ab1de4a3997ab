"""Shared pieces of the fault, fuzz and load checks: real processes on free
ports, a minimal MCP streamable-HTTP client (httpx), private PostgreSQL and
MariaDB instances the checks own (the machine's shared ones are never
restarted), and the `check` counter that prints 'N passed, M failed'."""

import asyncio
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import httpx

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN_DIR = os.environ.get("FAULTS_BIN_DIR", os.path.join(TARGET, "debug"))
QUARRY = os.path.join(BIN_DIR, "quarry")
RUNTIME = os.path.join(BIN_DIR, "quarry-runtime")

checks = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    checks["passed" if ok else "failed"] += 1
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
    return ok


def summary():
    print(f"{checks['passed']} passed, {checks['failed']} failed", flush=True)
    return 1 if checks["failed"] else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(fn, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fn():
            return True
        time.sleep(step)
    return False


def spawn(cmd, env, log_path):
    """A child in its own process group, output to `log_path`."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("QUARRY_")}
    full.update(env)
    return subprocess.Popen(cmd, env=full, stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def stop(proc, sig=signal.SIGKILL):
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_runtime(manifest, tmp, extra_env=None, name="runtime"):
    """`quarry-runtime --manifest` on a free port; returns (proc, port)."""
    path = os.path.join(tmp, f"{name}.json")
    with open(path, "w") as f:
        json.dump(manifest, f)
    port = free_port()
    env = {"QUARRY_RUNTIME_BIND": f"127.0.0.1:{port}", "QUARRY_LOG": "warn"}
    env.update(extra_env or {})
    proc = spawn([RUNTIME, "--manifest", path], env, os.path.join(tmp, f"{name}.log"))
    if not wait_until(lambda: port_open(port) or proc.poll() is not None, 20) or proc.poll() is not None:
        raise RuntimeError(f"quarry-runtime did not start: {open(os.path.join(tmp, name + '.log')).read()[-2000:]}")
    return proc, port


def manifest(connections, tools, release=1):
    return {"format_version": 1, "release": release,
            "server": {"name": "quarry-faults", "expose_db_errors": True},
            "connections": connections, "tools": tools}


def pg_connection(port, database="postgres", **extra):
    return {"id": "pg", "db_type": "postgresql", "host": "127.0.0.1", "port": port, "database": database,
            "username": "postgres", "ssl_mode": "disable", **extra}


def maria_connection(port, database="mysql", **extra):
    return {"id": "maria", "db_type": "mysql", "host": "127.0.0.1", "port": port, "database": database,
            "username": "root", "ssl_mode": "disable", **extra}


class Mcp:
    """One MCP session over streamable HTTP: initialize, then requests."""

    def __init__(self, http, url, token=None):
        self.http, self.url, self.sid, self.next = http, url, None, 1
        self.headers = {"accept": "application/json, text/event-stream"}
        if token:
            self.headers["authorization"] = f"Bearer {token}"

    async def post(self, body, timeout=10.0):
        headers = dict(self.headers)
        if self.sid:
            headers.update({"mcp-session-id": self.sid, "mcp-protocol-version": "2025-06-18"})
        r = await self.http.post(self.url, json=body, headers=headers, timeout=timeout)
        if "mcp-session-id" in r.headers:
            self.sid = r.headers["mcp-session-id"]
        return r, parse_messages(r)

    async def request(self, method, params=None, timeout=10.0):
        rid = self.next
        self.next += 1
        body = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            body["params"] = params
        r, msgs = await self.post(body, timeout)
        return next((m for m in msgs if isinstance(m, dict) and m.get("id") == rid), {"http": r.status_code, "raw": r.text})

    async def open(self):
        init = await self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                                 "clientInfo": {"name": "faults", "version": "1"}})
        if "result" not in init:
            raise RuntimeError(f"initialize failed: {init}")
        await self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return self

    async def call(self, tool, args=None, timeout=10.0):
        return await self.request("tools/call", {"name": tool, "arguments": args or {}}, timeout)


def parse_messages(r):
    """JSON-RPC messages of a response: a JSON body or SSE `data:` lines."""
    ctype = r.headers.get("content-type", "")
    if ctype.startswith("text/event-stream"):
        out = []
        for line in r.text.splitlines():
            if line.startswith("data:") and line[5:].strip():
                try:
                    out.append(json.loads(line[5:].strip()))
                except ValueError:
                    out.append({"unparsable": line})
        return out
    if ctype.startswith("application/json") and r.text:
        try:
            v = r.json()
        except ValueError:
            return [{"unparsable": r.text}]
        return v if isinstance(v, list) else [v]
    return []


def ok_result(resp):
    return isinstance(resp, dict) and "result" in resp and not resp["result"].get("isError")


def result_text(resp):
    content = (resp.get("result") or {}).get("content") or []
    return "".join(c.get("text", "") for c in content) or json.dumps(resp)[:300]


class PrivatePg:
    """A PostgreSQL cluster of our own (initdb + pg_ctl as `postgres`), trust auth."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="quarry-faults-pg-")
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        self._as_pg([f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres"])
        self.start()

    def _as_pg(self, cmd):
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        subprocess.run(cmd, check=True, capture_output=True)

    def start(self):
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_pg([f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-o", opts, "-l", f"{self.dir}/log", "-w", "start"])

    def stop(self):
        self._as_pg([f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop"])

    def close(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateMaria:
    """A MariaDB server of our own (mariadb-install-db + mariadbd); grant tables skipped, so root needs no password."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="quarry-faults-maria-")
        shutil.chown(self.dir, "mysql", "mysql")
        self.port = free_port()
        subprocess.run(["mariadb-install-db", f"--datadir={self.dir}/data", "--user=mysql", "--skip-test-db",
                        "--auth-root-authentication-method=normal"], check=True, capture_output=True)
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={self.dir}/data", f"--socket={self.dir}/sock",
             f"--port={self.port}", "--bind-address=127.0.0.1", "--user=mysql", "--skip-grant-tables",
             f"--pid-file={self.dir}/pid", "--skip-log-bin", "--innodb-buffer-pool-size=16M"],
            stdout=open(f"{self.dir}/log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_until(lambda: port_open(self.port), 30, 0.1):
            raise RuntimeError(open(f"{self.dir}/log").read()[-2000:])

    def stop(self):
        stop(self.proc, signal.SIGKILL)

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def run(coro):
    return asyncio.run(coro)
