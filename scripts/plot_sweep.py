#!/usr/bin/python3
"""Charts from qtsim's outputs, as PNG and SVG (Debian's python3-matplotlib).

  plot_sweep.py roofline ROOFLINE.json [--out PREFIX]
      ROOFLINE.json from `qtsim roofline CONFIG --format json`: one point per op at its arithmetic
      intensity and attained ops per cycle (ops / mapped cycles), under the DRAM bandwidth ceiling and
      each unit's compute ceiling.

  plot_sweep.py pareto SWEEP.csv --x COLUMN --y COLUMN [--group COLUMN] [--out PREFIX]
      SWEEP.csv from `qtsim sweep`: every design point, and the Pareto front (no other point is at least
      as good on both axes and better on one; both minimised) of each group (e.g. one per workload), which
      is also printed as CSV rows.

Writes PREFIX.png and PREFIX.svg (default: next to the input, named after the chart).
"""
import argparse
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only; no display
import matplotlib.pyplot as plt  # noqa: E402


def pareto_front(points):
    """Indices of the points not dominated by another (minimising both coordinates), sorted by x."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, best_y = [], float("inf")
    for i in order:
        if points[i][1] < best_y:
            front.append(i)
            best_y = points[i][1]
    return front


def save(fig, prefix):
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    for ext in ("png", "svg"):
        tmp = f"{prefix}.{ext}.tmp"
        fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight")
        os.replace(tmp, f"{prefix}.{ext}")  # never a half-written chart
    plt.close(fig)
    print(f"wrote {prefix}.png and {prefix}.svg")


def roofline(args):
    with open(args.input) as f:
        r = json.load(f)
    rows = [x for x in r["rows"] if x["ops"] > 0 and x["bytes"] > 0]
    if not rows:
        sys.exit(f"{args.input}: no op with both operations and DRAM bytes")
    bw = r["bandwidth"]
    fig, ax = plt.subplots(figsize=(7, 5))
    lo = min(x["intensity"] for x in rows) / 4
    hi = max(x["intensity"] for x in rows) * 4
    for peak in sorted({x["peak"] for x in rows}):
        units = sorted({x["unit"] for x in rows if x["peak"] == peak})
        ax.plot([lo, peak / bw, hi], [lo * bw, peak, peak], lw=1, label=f"{'/'.join(units)}: {peak:g} ops/cycle")
    for unit in sorted({x["unit"] for x in rows}):
        pts = [x for x in rows if x["unit"] == unit]
        cyc = "mapped_cycles" if "mapped_cycles" in pts[0] else "roofline_cycles"
        ax.scatter([x["intensity"] for x in pts], [x["ops"] / x[cyc] for x in pts], s=18, zorder=3, label=f"{unit} ops")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (ops per DRAM byte)")
    ax.set_ylabel("attained ops per cycle")
    ax.set_title(f"{r['program']}: roofline at {bw:g} B/cycle")
    ax.grid(True, which="both", lw=0.3)
    ax.legend(fontsize=7)
    save(fig, args.out or os.path.splitext(args.input)[0] + "_roofline")


def pareto(args):
    with open(args.input, newline="") as f:
        rows = list(csv.DictReader(f))
    for col in [args.x, args.y] + ([args.group] if args.group else []):
        if not rows or col not in rows[0]:
            sys.exit(f"{args.input}: no column '{col}' (columns: {', '.join(rows[0]) if rows else 'none'})")
    pts = [(float(r[args.x]), float(r[args.y])) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 5))
    groups = sorted({r[args.group] for r in rows}) if args.group else [None]
    front = []
    for g in groups:
        idx = [i for i, r in enumerate(rows) if g is None or r[args.group] == g]
        sc = ax.scatter([pts[i][0] for i in idx], [pts[i][1] for i in idx], s=14, alpha=0.5, label=g)
        f = [idx[j] for j in pareto_front([pts[i] for i in idx])]
        ax.plot([pts[i][0] for i in f], [pts[i][1] for i in f], "-o", color=sc.get_facecolor()[0][:3], ms=4, lw=1.2,
                label=f"{g} front" if g else "Pareto front")
        front += f
    ax.set_xlabel(args.x)
    ax.set_ylabel(args.y)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", lw=0.3)
    ax.legend(fontsize=7)
    ax.set_title(f"{os.path.basename(args.input)}: {len(front)} of {len(rows)} points on the front")
    save(fig, args.out or os.path.splitext(args.input)[0] + "_pareto")
    w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
    w.writeheader()
    for i in front:
        w.writerow(rows[i])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="chart", required=True)
    r = sub.add_parser("roofline")
    r.add_argument("input")
    r.add_argument("--out")
    q = sub.add_parser("pareto")
    q.add_argument("input")
    q.add_argument("--x", required=True)
    q.add_argument("--y", required=True)
    q.add_argument("--group")
    q.add_argument("--out")
    args = p.parse_args()
    roofline(args) if args.chart == "roofline" else pareto(args)


if __name__ == "__main__":
    main()
