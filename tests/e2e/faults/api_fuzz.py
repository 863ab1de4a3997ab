"""Schemathesis over the control plane's whole OpenAPI document with an admin
session: examples, coverage, fuzzing and stateful phases (links between
operations), a fixed seed, and two checks that must hold for every response —
no 5xx other than the documented database outcomes (502/503/504, which a
fuzzer causes by repointing a connection), and the body matches the documented
schema. A real PostgreSQL and a
real MariaDB connection exist first, so connection tests, schema browsing and
previews reach real databases. Prints the request count; fails under 2,000.

Left out, each for a reason: `auth/logout` and `PATCH auth/me` end or change
the fuzzer's own session; `deploy/logs` is a WebSocket; `server/ssl/issue`
talks to a public ACME server."""

import os
import re
import subprocess
import sys
import tempfile

from plane import PG_PORT, Plane
from support import check, stop

SEED = 20261206
ST = os.path.join(os.path.dirname(sys.executable), "st")
MARIA_PORT = int(os.environ.get("FAULTS_MYSQL_PORT", "3306"))


def fixtures(plane):
    pg = plane.api.post("/connections", json={"name": "pg", "db_type": "postgresql", "host": "127.0.0.1",
                                              "port": PG_PORT, "database": "postgres", "username": "postgres",
                                              "ssl_mode": "disable"})
    maria = plane.api.post("/connections", json={"name": "maria", "db_type": "mysql", "host": "127.0.0.1",
                                                 "port": MARIA_PORT, "database": "mysql", "username": "root",
                                                 "ssl_mode": "disable"})
    assert pg.status_code == 201 and maria.status_code == 201, (pg.text, maria.text)
    r = plane.api.post("/tools", json={"connection_id": pg.json()["id"], "name": "double", "description": "2n",
                                       "sql_query": "SELECT :n::int * 2 AS d",
                                       "parameters": [{"name": "n", "type": "integer", "description": "n"}]})
    assert r.status_code == 201, r.text
    plane.deploy()


def main():
    plane = Plane(tempfile.mkdtemp(prefix="quarry-faults-api-"), target="kubernetes").start()
    report = tempfile.mkdtemp(prefix="quarry-faults-st-")
    try:
        fixtures(plane)
        # 502/503/504 are the documented answers when the target database fails, refuses or is busy (the API's
        # database error, pool busy and timeout): the fuzzer may repoint a fixture connection anywhere, after
        # which browsing it must answer 502, not succeed. Every other 5xx is a server error.
        config = os.path.join(report, "schemathesis.toml")
        with open(config, "w") as f:
            f.write('[checks.not_a_server_error]\nexpected-statuses = ["2xx", "3xx", "4xx", "502", "503", "504"]\n')
        cmd = [ST, "--config-file", config, "run", f"{plane.url}/api/openapi.json", "--url", plane.url,
               "-H", f"Cookie: {plane.cookie()}", "--seed", str(SEED), "--workers", "2",
               "--phases", "examples,coverage,fuzzing,stateful",
               "--checks", "not_a_server_error,response_schema_conformance",
               "--max-examples", os.environ.get("FUZZ_MAX_EXAMPLES", "15"), "--request-timeout", "20",
               "--exclude-path", "/api/v1/auth/logout", "--exclude-path", "/api/v1/deploy/logs",
               "--exclude-path", "/api/v1/server/ssl/issue",
               "--exclude-by", "method == 'PATCH' and path == '/api/v1/auth/me'",
               "--continue-on-failure", "--suppress-health-check", "all", "--warnings", "off",
               "--output-truncate", "false"]
        # In a temp dir: schemathesis keeps a cache of past failures in its working directory.
        st = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=report)
        out = st.stdout + st.stderr
        with open(os.path.join(report, "schemathesis.txt"), "w") as f:
            f.write(out)
        # The failures in full, then the summary.
        print(out if st.returncode else "\n".join(out.splitlines()[-30:]), flush=True)
        found = re.search(r"(\d+) generated", out)
        cases = int(found.group(1)) if found else 0
        check(f"schemathesis: {cases} test cases (seed {SEED}), at least 2,000", cases >= 2000)
        check("schemathesis: no server error and no response outside its documented schema", st.returncode == 0,
              f"exit {st.returncode}")
    finally:
        stop(plane.proc)


if __name__ == "__main__":
    import support
    main()
    raise SystemExit(support.summary())
