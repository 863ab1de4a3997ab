"""A real control plane (`quarry`) for the fault checks: start it on a data
dir (admin bootstrapped from the environment), log in, make a PostgreSQL tool,
deploy."""

import os
import time

import httpx

from support import QUARRY, RUNTIME, free_port, port_open, spawn, wait_until

ADMIN = ("admin", "correct horse battery")
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5432"))


class Plane:
    def __init__(self, data_dir, target="local", database_url=None, port=None, runtime_port=None, extra_env=None):
        self.data_dir, self.target, self.database_url = data_dir, target, database_url
        self.extra_env = extra_env or {}
        self.port = port or free_port()
        self.runtime_port = runtime_port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc, self.api = None, None

    def start(self):
        env = {"QUARRY_BIND": f"127.0.0.1:{self.port}", "QUARRY_DATA_DIR": self.data_dir,
               "QUARRY_DEPLOY_TARGET": self.target, "QUARRY_RUNTIME_BIN": RUNTIME,
               "QUARRY_RUNTIME_BIND": f"127.0.0.1:{self.runtime_port}", "QUARRY_LOG": "warn",
               "QUARRY_ADMIN_USERNAME": ADMIN[0], "QUARRY_ADMIN_PASSWORD": ADMIN[1]}
        if self.database_url:
            env["QUARRY_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        self.proc = spawn([QUARRY, "serve"], env, os.path.join(self.data_dir, "quarry.log"))
        if not wait_until(lambda: port_open(self.port) or self.proc.poll() is not None, 60, 0.1) \
                or self.proc.poll() is not None:
            raise RuntimeError(self.log()[-3000:])
        self.api = httpx.Client(base_url=self.url + "/api/v1", timeout=30)
        r = self.api.post("/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        if r.status_code != 200:
            raise RuntimeError(f"login: {r.status_code} {r.text}")
        return self

    def log(self):
        with open(os.path.join(self.data_dir, "quarry.log"), errors="replace") as f:
            return f.read()

    def cookie(self):
        return "; ".join(f"{k}={v}" for k, v in self.api.cookies.items())

    def file(self, name):
        with open(os.path.join(self.data_dir, name)) as f:
            return f.read().strip()

    def pg_tool(self, name="probe", sql="SELECT 1 AS v"):
        r = self.api.post("/connections", json={"name": f"pg_{name}", "db_type": "postgresql", "host": "127.0.0.1",
                                                "port": PG_PORT, "database": "postgres", "username": "postgres",
                                                "ssl_mode": "disable"})
        assert r.status_code == 201, r.text
        r = self.api.post("/tools", json={"connection_id": r.json()["id"], "name": name, "description": "probe",
                                          "sql_query": sql, "parameters": []})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def open_access(self):
        """MCP without client auth (these tests are about faults, not auth; the default is bearer)."""
        r = self.api.patch("/server/config", json={"auth_mode": "none", "allow_unauthenticated_network_access": True})
        assert r.status_code == 200, r.text

    def deploy(self):
        r = self.api.post("/deploy", json={})
        assert r.status_code == 201, r.text
        return r.json()

    def runtime_pid(self):
        return int(self.api.get("/deploy/status").json()["process"]["id"])


def elapsed_since(t0):
    return time.monotonic() - t0
