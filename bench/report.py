#!/usr/bin/env python3
"""Helpers for bench/run.sh (standard library only).

  report.py pct LOGFILE...      p50 and p99 latency (ms) from pgbench -l per-transaction logs
                                (3rd column = latency in microseconds); prints "p50 p99 count"
  report.py parse OUTFILE       tps, average latency (ms), failed count from pgbench's summary
  report.py table CSV           markdown tables: median of the rounds per (workload, target)
"""
import csv
import math
import re
import statistics
import sys

TARGET_ORDER = ["direct", "pgbouncer", "articdbm"]


def percentile(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    # nearest-rank percentile
    k = max(0, min(len(sorted_vals) - 1, math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


def cmd_pct(files):
    lats = []
    for f in files:
        with open(f) as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():  # failed txns log "failed"/"skipped"
                    lats.append(int(parts[2]))
    lats.sort()
    print(f"{percentile(lats, 50) / 1000:.3f} {percentile(lats, 99) / 1000:.3f} {len(lats)}")


def cmd_parse(outfile):
    text = open(outfile, errors="replace").read()
    tps = re.search(r"^tps = ([0-9.]+)", text, re.M)
    lat = re.search(r"^latency average = ([0-9.]+) ms", text, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", text, re.M)
    print(" ".join([
        tps.group(1) if tps else "NA",
        lat.group(1) if lat else "NA",
        failed.group(1) if failed else "0",
    ]))


def fnum(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def cmd_table(path):
    rows = list(csv.DictReader(open(path)))
    workloads = []
    for r in rows:
        key = (r["workload"], r["clients"])
        if key not in workloads:
            workloads.append(key)
    targets = [t for t in TARGET_ORDER if any(r["target"] == t for r in rows)]
    targets += sorted({r["target"] for r in rows} - set(targets))
    skip_notes = {}

    def cell(wl, target, field):
        rs = [r for r in rows if (r["workload"], r["clients"]) == wl and r["target"] == target]
        vals = [fnum(r[field]) for r in rs if r["status"] == "ok" and fnum(r[field]) is not None]
        if not vals:
            for r in rs:
                if r["note"]:
                    skip_notes.setdefault(f"{target}: {r['note']}", []).append(f"{wl[0]}")
            return None, ("skipped" if rs else "-")
        med = statistics.median(vals)
        spread = (max(vals) - min(vals)) / 2 / med * 100 if med else 0.0
        n = f" n={len(vals)}" if len(vals) != len(rs) else ""
        return med, spread, n

    def fmt(res, digits):
        if res[0] is None:
            return res[1]
        med, spread, n = res
        return f"{med:,.{digits}f} ±{spread:.0f}%{n}"

    out = []
    out.append("TPS, median of rounds (± = half the min–max range, in % of the median):\n")
    hdr = ["workload", "clients"] + targets
    ratio_cols = []
    if "direct" in targets and "pgbouncer" in targets:
        ratio_cols.append(("pgbouncer", "direct"))
    if "articdbm" in targets and "pgbouncer" in targets:
        ratio_cols.append(("articdbm", "pgbouncer"))
    if "articdbm" in targets and "direct" in targets:
        ratio_cols.append(("articdbm", "direct"))
    hdr += [f"{a}/{b}" for a, b in ratio_cols]
    out.append("| " + " | ".join(hdr) + " |")
    out.append("|" + "---|" * len(hdr))
    for wl in workloads:
        meds = {t: cell(wl, t, "tps") for t in targets}
        line = [wl[0], wl[1]] + [fmt(meds[t], 0) for t in targets]
        for a, b in ratio_cols:
            ma, mb = meds[a][0], meds[b][0]
            line.append(f"{ma / mb:.2f}" if ma is not None and mb else "-")
        out.append("| " + " | ".join(line) + " |")

    out.append("\nAverage latency in ms (pgbench `latency average`), median of rounds:\n")
    hdr = ["workload", "clients"] + targets
    out.append("| " + " | ".join(hdr) + " |")
    out.append("|" + "---|" * len(hdr))
    for wl in workloads:
        out.append("| " + " | ".join([wl[0], wl[1]] + [fmt(cell(wl, t, "lat_avg_ms"), 3) for t in targets]) + " |")

    pct_wls = [wl for wl in workloads if any(
        (r["workload"], r["clients"]) == wl and r["p50_ms"] for r in rows)]
    if pct_wls:
        out.append("\nPer-transaction latency percentiles in ms (from `pgbench -l`), median of rounds:\n")
        hdr = ["workload", "clients"] + [f"{t} p50" for t in targets] + [f"{t} p99" for t in targets]
        out.append("| " + " | ".join(hdr) + " |")
        out.append("|" + "---|" * len(hdr))
        for wl in pct_wls:
            line = [wl[0], wl[1]]
            line += [fmt(cell(wl, t, "p50_ms"), 3) for t in targets]
            line += [fmt(cell(wl, t, "p99_ms"), 3) for t in targets]
            out.append("| " + " | ".join(line) + " |")
    failed = sum(int(r["failed"] or 0) for r in rows if r["status"] == "ok")
    errors = [r for r in rows if r["status"] == "error"]
    if skip_notes:
        out.append("\nSkipped:")
        for note, wls in skip_notes.items():
            out.append(f"- {note} ({', '.join(sorted(set(wls), key=wls.index))})")
    ok = [r for r in rows if r["status"] == "ok"]
    bgs = [max(x for x in (fnum(r.get("bg_cpu_pct")), fnum(r.get("bg_after_pct"))) if x is not None)
           for r in ok if fnum(r.get("bg_cpu_pct")) is not None or fnum(r.get("bg_after_pct")) is not None]
    if bgs:
        bgs.sort()
        out.append(f"\nCPU busy with work other than the benchmark in the second before/after each run "
                   f"(max of bg_cpu_pct, bg_after_pct): median {statistics.median(bgs):.0f}%, max {bgs[-1]:.0f}%; "
                   f"{sum(1 for b in bgs if b >= 20)} of {len(bgs)} runs at 20% or more.")
    out.append(f"\nFailed transactions in all runs: {failed}. Runs that errored: {len(errors)}.")
    for r in errors:
        out.append(f"- {r['workload']}/{r['clients']} {r['target']} round {r['round']}: {r['note']}")
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "pct":
        cmd_pct(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "parse":
        cmd_parse(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        cmd_table(sys.argv[2])
    else:
        sys.exit(__doc__)
