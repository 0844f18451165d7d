#!/usr/bin/env python3
"""Writes a one-year demand trace at 15 s steps (2,102,400 rows: a daily sine plus seeded noise)
for the closed-loop replay benchmark (build-bench/bench/year_bench runs the same measurement with
a baseline, as part of `make bench`), by hand:

    python3 tests/bench/year_trace.py /tmp/year.csv
    /usr/bin/time -v build/luascale replay examples/whatif/config.json --trace /tmp/year.csv \\
        --policy policies/hpa.lua --policy examples/quickstart/llm.lua --jobs 2 --quiet
"""
import math
import random
import sys

random.seed(1)
with open(sys.argv[1] if len(sys.argv) > 1 else "year.csv", "w") as f:
    f.write("timestamp,requests_per_second\n")
    t0 = 1672531200
    for i in range(2102400):
        t = t0 + i * 15
        day = (t % 86400) / 86400
        f.write("%d,%.2f\n" % (t, 20 + 15 * math.sin(2 * math.pi * day) + random.random() * 5))
