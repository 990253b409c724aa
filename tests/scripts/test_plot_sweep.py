#!/usr/bin/python3
"""scripts/plot_sweep.py: the Pareto front against brute force, and both charts written as PNG and SVG."""
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "plot_sweep.py")
sys.path.insert(0, os.path.dirname(SCRIPT))
from plot_sweep import pareto_front  # noqa: E402


def brute_front(pts):
    return sorted(i for i, p in enumerate(pts)
                  if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in pts))


def check(cond, what):
    if not cond:
        sys.exit("FAILED: " + what)


rng = random.Random(7)
for trial in range(300):
    n = rng.randint(1, 40)
    # small integer grids make ties and duplicates common
    pts = [(rng.randint(0, 9), rng.randint(0, 9)) for _ in range(n)]
    got = pareto_front(pts)
    # duplicates of a front point: the front keeps one of them
    want = brute_front(pts)
    check(sorted({pts[i] for i in got}) == sorted({pts[i] for i in want}), f"front of {pts}")
    check(all(pts[a][0] < pts[b][0] for a, b in zip(got, got[1:])), "front sorted by x, one point per x")

with tempfile.TemporaryDirectory() as d:
    sweep = os.path.join(d, "sweep.csv")
    rows = [("0", "a", "1", "9"), ("1", "a", "2", "4"), ("2", "a", "3", "5"), ("3", "b", "1", "20"), ("4", "b", "4", "2")]
    with open(sweep, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["point", "workload.model", "area_mm2", "latency_us"])
        w.writerows(rows)
    out = subprocess.run([sys.executable, SCRIPT, "pareto", sweep, "--x", "area_mm2", "--y", "latency_us", "--group",
                          "workload.model", "--out", os.path.join(d, "p")], check=True, capture_output=True, text=True).stdout
    front = [r["point"] for r in csv.DictReader(io.StringIO(out.split("\n", 1)[1]))]
    check(sorted(front) == ["0", "1", "3", "4"], f"per-group fronts, got {front}")  # point 2 is dominated by 1
    for ext in ("png", "svg"):
        check(os.path.getsize(os.path.join(d, "p." + ext)) > 1000, "pareto " + ext)
    bad = subprocess.run([sys.executable, SCRIPT, "pareto", sweep, "--x", "area", "--y", "latency_us"], capture_output=True, text=True)
    check(bad.returncode != 0 and "no column 'area'" in bad.stderr, "unknown column named")

    rl = os.path.join(d, "r.json")
    with open(rl, "w") as f:
        json.dump({"program": "t", "bandwidth": 32, "clock_mhz": 1000,
                   "rows": [{"op": "fc1", "unit": "array", "ops": 1000, "bytes": 10, "intensity": 100, "peak": 512,
                             "roofline_cycles": 2, "mapped_cycles": 3},
                            {"op": "rq", "unit": "ppu", "ops": 10, "bytes": 20, "intensity": 0.5, "peak": 16,
                             "roofline_cycles": 1, "mapped_cycles": 1}]}, f)
    subprocess.run([sys.executable, SCRIPT, "roofline", rl, "--out", os.path.join(d, "r")], check=True, capture_output=True)
    for ext in ("png", "svg"):
        check(os.path.getsize(os.path.join(d, "r." + ext)) > 1000, "roofline " + ext)
    svg = open(os.path.join(d, "r.svg")).read()
    check("arithmetic intensity" in svg, "roofline axis label in the SVG")
print("plot_sweep: all checks passed")
