#!/usr/bin/env python3
"""Checks the Grafana dashboard the chart ships (helm/quarry/dashboards/*.json).

- each file parses as JSON and has a title, a uid and panels, each panel with a unique id;
- every metric a panel query or a template variable names exists in the runtime's Prometheus output.

The runtime's metric names are read from a real `/metrics` scrape when there is one: `--runtime BIN` starts
that quarry-runtime on a throw-away SQLite manifest and scrapes it (the names then must also equal those the
source spells, so the source reading cannot drift), `--metrics FILE` reads a saved scrape. Without either, from
the runtime's source, which spells each family once: the `# HELP`/`# TYPE` lines and the `("quarry_…", …)`
tables in mcp-runtime/src/metrics/render.rs and mcp-runtime/src/app.rs.
A histogram family also serves `_bucket`, `_sum` and `_count`.
"""
import argparse
import json
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "helm" / "quarry" / "dashboards"
SOURCES = [ROOT / "mcp-runtime" / "src" / "metrics" / "render.rs", ROOT / "mcp-runtime" / "src" / "app.rs"]
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# PromQL words that are not metric names.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
            "inf", "nan"}
LABEL_VALUES = re.compile(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,")


def names_from_scrape(text):
    """The families a scrape declares (`# TYPE`) and which of them are histograms."""
    names, histograms = set(), set()
    for m in re.finditer(r"^# TYPE (\S+) (\S+)$", text, re.M):
        names.add(m.group(1))
        if m.group(2) == "histogram":
            histograms.add(m.group(1))
    return names, histograms


def names_from_source():
    names, histograms = set(), set()
    for path in SOURCES:
        text = path.read_text()
        for m in re.finditer(r"# TYPE (quarry_[a-z0-9_]+) (\w+)", text):
            names.add(m.group(1))
            if m.group(2) == "histogram":
                histograms.add(m.group(1))
        names.update(re.findall(r'\(\s*"(quarry_[a-z0-9_]+)"\s*,', text))
    return names, histograms


def scrape(binary):
    """`/metrics` of `binary` serving one SQLite tool from a manifest file (no control plane, no auth)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "s.db"
        with sqlite3.connect(db) as c:
            c.execute("CREATE TABLE t (id INTEGER)")
        manifest = Path(tmp) / "manifest.json"
        manifest.write_text(json.dumps({
            "format_version": 1, "release": 1, "server": {"name": "dashboard-check"},
            "connections": [{"id": "c1", "db_type": "sqlite", "database": str(db)}],
            "tools": [{"name": "t_all", "connection": "c1", "sql": "SELECT id FROM t", "parameters": []}],
        }))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {"QUARRY_RUNTIME_BIND": f"127.0.0.1:{port}", "QUARRY_LOG": "warn", "PATH": "/usr/bin:/bin"}
        proc = subprocess.Popen([str(binary), "--manifest", str(manifest)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Host": "localhost"})
            for _ in range(100):
                try:
                    with urllib.request.urlopen(req, timeout=2) as r:
                        return r.read().decode()
                except OSError:
                    if proc.poll() is not None:
                        raise SystemExit(f"{binary} exited: {proc.stderr.read().decode()[:2000]}")
                    time.sleep(0.1)
            raise SystemExit(f"{binary} did not serve /metrics")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def queries(dashboard):
    """(where, expression) of every panel target and query variable, rows' nested panels included."""
    def walk(panels):
        for p in panels:
            yield p
            yield from walk(p.get("panels", []))
    for p in walk(dashboard.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                yield f'panel "{p.get("title")}" {t.get("refId")}', t["expr"]
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            yield f'variable "{v.get("name")}"', q.get("query", "") if isinstance(q, dict) else (q or "")


def metrics_in(expr):
    """Every metric name in a PromQL expression: the identifiers left once strings, label matchers, grouping
    clauses, ranges, function calls, keywords and $variables are taken out."""
    found = set(LABEL_VALUES.findall(expr))
    e = re.sub(r"label_values\([^)]*\)", " ", expr)
    e = re.sub(r'"(?:[^"\\]|\\.)*"', "", e)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\{?\w+\}?", " ", e)
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        name, call = m.group(1), m.group(2)
        if not call and name.lower() not in KEYWORDS:
            found.add(name)
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--metrics", type=Path, help="a saved /metrics scrape of a quarry-runtime")
    ap.add_argument("--runtime", type=Path, help="a quarry-runtime binary to start and scrape")
    args = ap.parse_args()
    problems = []
    if args.runtime:
        names, histograms = names_from_scrape(scrape(args.runtime))
        origin = f"a /metrics scrape of {args.runtime}"
        source = names_from_source()[0]
        if source != names:
            problems.append(f"the source spells {sorted(source ^ names)} differently from the scrape")
    elif args.metrics:
        names, histograms = names_from_scrape(args.metrics.read_text())
        origin = str(args.metrics)
    else:
        names, histograms = names_from_source()
        origin = "the runtime's source"
    served = names | {h + s for h in histograms for s in HISTOGRAM_SUFFIXES}
    if not names:
        print(f"no metric names found in {origin}", file=sys.stderr)
        return 1
    files = sorted(DASHBOARDS.glob("*.json"))
    if not files:
        problems.append(f"no dashboard in {DASHBOARDS}")
    for f in files:
        try:
            d = json.loads(f.read_text())
        except json.JSONDecodeError as e:
            problems.append(f"{f.name}: not JSON: {e}")
            continue
        for key in ("title", "uid", "panels"):
            if not d.get(key):
                problems.append(f"{f.name}: no {key}")
        ids = [p.get("id") for p in d.get("panels", [])]
        if len(ids) != len(set(ids)):
            problems.append(f"{f.name}: duplicate panel ids")
        used = 0
        for where, expr in queries(d):
            for m in sorted(metrics_in(expr)):
                used += 1
                if m not in served:
                    problems.append(f"{f.name}: {where} uses {m}, which the runtime does not serve")
        print(f"{f.name}: {used} metric references checked against {len(served)} names from {origin}")
    for p in problems:
        print(f"  {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
