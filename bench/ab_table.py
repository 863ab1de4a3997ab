#!/usr/bin/env python3
"""The table of bench/ab.sh from its results.jsonl (labels "A repN" / "B repN").
usage: ab_table.py RESULTS.jsonl [BUILD.txt]
Per arm: medians over reps of calls/s, server CPU-ms per call (= the harness's cpu_s_per_1k),
p99, postgres CPU-ms per call and the foreign load; then B/A of server CPU per call, per rep
(A and B of one rep run back to back, with the foreign load of both windows: other tenants' CPU)
with the median and min..max, and the ratio of the medians."""
import json
import statistics
import sys
from collections import defaultdict

runs = defaultdict(dict)  # arm -> rep -> result
for line in open(sys.argv[1]):
    if line.strip():
        r = json.loads(line)
        arm, _, rep = (r.get("label") or "?").partition(" rep")
        runs[arm][rep] = r


def srv(r):
    return r.get("watched", {}).get("server", {}).get("cpu_s_per_1k")


def pg(r):
    return r.get("watched", {}).get("postgres", {}).get("cpu_s_per_1k")


def med(rs, get):
    v = [x for x in map(get, rs) if x is not None and x == x]
    return statistics.median(v) if v else float("nan")


def span(rs, get, nd):
    v = [x for x in map(get, rs) if x is not None and x == x]
    return f"{min(v):.{nd}f}..{max(v):.{nd}f}" if v else "-"


if len(sys.argv) > 2:
    print("".join(f"    {l}" for l in open(sys.argv[2])))
print("| arm | n | calls/s (median) | server CPU ms/call (median, min..max) | p99 ms (median) "
      "| postgres CPU ms/call | foreign load, cores (median, max) | errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for arm in sorted(runs):
    rs = list(runs[arm].values())
    fl = lambda r: r.get("foreign_cpu_cores")
    print(f"| {arm} | {len(rs)} | {med(rs, lambda r: r['throughput']):,.0f} | {med(rs, srv):.4f} ({span(rs, srv, 4)}) "
          f"| {med(rs, lambda r: r['p99_ms']):.2f} | {med(rs, pg):.4f} | {med(rs, fl):.2f} ({max(map(fl, rs)):.2f}) "
          f"| {sum(r['errors'] for r in rs)} |")

if "A" in runs and "B" in runs:
    reps = sorted(set(runs["A"]) & set(runs["B"]), key=lambda s: int(s) if s.isdigit() else s)
    ratios = [srv(runs["B"][k]) / srv(runs["A"][k]) for k in reps]
    print()
    fl = lambda r: r.get("foreign_cpu_cores") or 0.0
    print("B/A server CPU per call, per rep (foreign load A/B in cores): " + ", ".join(
        f"rep{k} {x:.3f} ({fl(runs['A'][k]):.2f}/{fl(runs['B'][k]):.2f})" for k, x in zip(reps, ratios)))
    if ratios:
        print(f"B/A median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}, n={len(ratios)}); "
              f"ratio of the arm medians {med(runs['B'].values(), srv) / med(runs['A'].values(), srv):.3f}")
