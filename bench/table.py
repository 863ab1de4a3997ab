#!/usr/bin/env python3
"""The README table from bench/run.sh's outputs.
usage: table.py RESULTS.jsonl STARTUP.txt RSS.txt
One row per server and concurrency (mean over repetitions): calls/s (and the share of pgbench's),
p50/p99, server CPU-ms per call, postgres CPU-ms per call, server RSS peak under load; then
quarry-runtime's time to ready and idle RSS."""
import json
import re
import statistics
import sys
from collections import defaultdict

results, startup, rss = sys.argv[1:4]
groups = defaultdict(list)
for line in open(results):
    if line.strip():
        r = json.loads(line)
        peer = (r.get("label") or "?").partition(" rep")[0]
        groups[(peer, r["concurrency"])].append(r)


def mean(rs, get):
    v = [x for x in (get(r) for r in rs) if x is not None and x == x]
    return statistics.mean(v) if v else None


def fmt(x, nd):
    return "-" if x is None else f"{x:,.{nd}f}"


order = {"quarry": 0, "pgbench": 1, "dbhub": 2, "fastmcp": 3}
print("| server | c | calls/s | % of pgbench | p50 ms | p99 ms | server CPU ms/call | postgres CPU ms/call "
      "| server RSS peak MiB | errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (peer, c), rs in sorted(groups.items(), key=lambda kv: (kv[0][1], order.get(kv[0][0], 9))):
    tput = mean(rs, lambda r: r["throughput"])
    base = mean(groups.get(("pgbench", c), []), lambda r: r["throughput"])
    share = f"{100 * tput / base:.0f}%" if tput and base and peer != "pgbench" else "-"
    srv = mean(rs, lambda r: r.get("watched", {}).get("server", {}).get("cpu_s_per_1k"))
    pg = mean(rs, lambda r: r.get("watched", {}).get("postgres", {}).get("cpu_s_per_1k"))
    peak = mean(rs, lambda r: r.get("watched", {}).get("server", {}).get("rss_peak_kb"))
    name = "quarry-runtime" if peer == "quarry" else peer
    print(f"| {name} | {c} | {fmt(tput, 0)} | {share} | {fmt(mean(rs, lambda r: r['p50_ms']), 2)} "
          f"| {fmt(mean(rs, lambda r: r['p99_ms']), 2)} | {fmt(srv, 3)} | {fmt(pg, 3)} "
          f"| {fmt(peak / 1024 if peak else None, 1)} | {sum(r['errors'] for r in rs)} |")

starts = [float(m) for m in re.findall(r"startup_s=([0-9.]+)", open(startup).read())]
idle = [float(m) for m in re.findall(r"idle5s_rss_mib=([0-9.]+)", open(startup).read())]
print()
if starts:
    print(f"quarry-runtime time to ready (start → first successful tools/call, {len(starts)} runs): "
          f"median {1000 * statistics.median(starts):.0f} ms (min {1000 * min(starts):.0f}, max {1000 * max(starts):.0f})")
if idle:
    print(f"quarry-runtime idle RSS 5 s after start: {statistics.median(idle):.1f} MiB")
for line in open(rss):
    if line.startswith("idle"):
        print(line.strip())
