#!/usr/bin/env python3
"""Summarises a `luascale replay --out` decisions CSV per policy, for the scenario golden files.

Reads columns by header name (timestamp, policy, replicas), so the CSV may gain columns.
Per policy: ticks, min / mean / max / final replicas, replica-hours (each tick's count held until
the next tick), number of count changes, and the first time the count reached its maximum
(seconds after the first tick).
"""
import csv
import sys


def main(path):
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["policy"], []).append((float(r["timestamp"]), int(r["replicas"])))
    for policy in sorted(rows):
        ts = rows[policy]
        counts = [c for _, c in ts]
        seconds = sum((ts[i + 1][0] - ts[i][0]) * ts[i][1] for i in range(len(ts) - 1))
        changes = sum(1 for i in range(1, len(ts)) if ts[i][1] != ts[i - 1][1])
        peak = max(counts)
        first_peak = next(t for t, c in ts if c == peak) - ts[0][0]
        print(f"{policy}: ticks={len(ts)} min={min(counts)} mean={sum(counts) / len(counts):.2f} "
              f"max={peak} final={counts[-1]} replica_hours={seconds / 3600:.1f} changes={changes} "
              f"max_reached_after_s={first_peak:.0f}")


if __name__ == "__main__":
    main(sys.argv[1])
