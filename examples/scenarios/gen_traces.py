#!/usr/bin/env python3
"""Generates the synthetic traces of the seed scenarios (examples/scenarios/*/trace.csv).

Deterministic (fixed seeds): running it again reproduces the committed files byte for byte.
Every trace starts on Monday 2024-03-25 00:00 UTC and has one row per minute. What each column
models is written in the scenario's README.md. Usage: python3 gen_traces.py [OUTPUT_ROOT]
"""
import math
import os
import random
import sys

T0 = 1711324800  # Monday 2024-03-25 00:00:00 UTC
DAY = 1440       # minutes


def diurnal(minute, low, high, peak_hour=14.0):
    """A daily sine between low and high, peaking at peak_hour UTC."""
    h = (minute % DAY) / 60.0
    return low + (high - low) * 0.5 * (1 + math.cos((h - peak_hour) / 24.0 * 2 * math.pi))


def write(root, name, header, rows):
    path = os.path.join(root, name, "trace.csv")
    with open(path, "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(fmt(x) for x in r) + "\n")
    print(f"{path}: {len(rows)} rows")


def fmt(x):
    if isinstance(x, int):
        return str(x)
    return f"{x:.3f}".rstrip("0").rstrip(".")


def long_running_api(rng):
    # API request rate 20..100 req/s over the day; a Redis list of tasks that gets a batch of
    # 1,000 tasks at 02:00 and 14:00, drained at 2,000 tasks/min.
    rows, tasks = [], 0
    for m in range(DAY):
        rps = diurnal(m, 20, 100) * (1 + rng.uniform(-0.05, 0.05))
        if m % 720 == 120:
            tasks += 1000
        tasks = max(0, tasks - 2000 // 60)
        rows.append((T0 + 60 * m, round(rps, 1), tasks))
    return ["timestamp", "api_rps", "tasks"], rows


def llm_chat(rng):
    # 1,000 users x 3 req/min = 50 req/s off-peak, up to 3x at the daily peak; CPU and memory
    # utilization as the backend reports them (CPU tracks load per pod, memory mostly flat).
    rows = []
    for m in range(DAY):
        users = diurnal(m, 1000, 3000)
        rps = users * 3 / 60 * (1 + rng.uniform(-0.05, 0.05))
        cpu = 40 + 25 * (users - 1000) / 2000 + rng.uniform(-3, 3)
        mem = 60 + 5 * (users - 1000) / 2000 + rng.uniform(-1, 1)
        rows.append((T0 + 60 * m, round(rps, 1), round(cpu, 1), round(mem, 1)))
    return ["timestamp", "rps", "cpu", "memory"], rows


def autoscaling_week(rng):
    # The three load tests back to back, 90 minutes each, then quiet:
    #  sustained: 1,000 req/s for 60 min;  spike: 100 -> 10,000 (5 min) -> 100 req/s;
    #  ramp: 500 -> 5,000 req/s over 60 min.  Jobs: a queue of 5,000 jobs at minute 300 drained
    #  at 100 jobs per worker-minute by the 50 workers the policy asks for.
    rows, jobs = [], 0
    for m in range(6 * 60):
        if m < 90:
            rps = 1000 if m < 60 else 100
        elif m < 180:
            k = m - 90
            rps = 10000 if 30 <= k < 35 else 100
        elif m < 270:
            k = m - 180
            rps = 500 + 4500 * min(k, 60) / 60 if k < 75 else 500
        else:
            rps = 100
        rps *= 1 + rng.uniform(-0.02, 0.02)
        if m == 300:
            jobs = 5000
        elif jobs > 0 and m > 300:
            jobs = max(0, jobs - 50 * 100)
        rows.append((T0 + 60 * m, round(rps, 1), jobs))
    return ["timestamp", "rps", "jobs"], rows


def agentic_backend(rng):
    # Agent requests at 2..10 req/s with 5 s mean response time (3..7 s), over one day.
    rows = []
    for m in range(DAY):
        rps = diurnal(m, 2, 10) * (1 + rng.uniform(-0.05, 0.05))
        latency = 5 + rng.uniform(-2, 2)
        rows.append((T0 + 60 * m, round(rps, 2), round(latency, 2)))
    return ["timestamp", "rps", "latency_seconds"], rows


def media_asset_manager(rng):
    # EC2 Auto Scaling group: CPU and memory in percent as CloudWatch reports them, request count
    # per target (alarm threshold 1,000), and an SQS-like backlog of messages for the workers.
    rows = []
    for m in range(DAY):
        load = diurnal(m, 0.2, 1.0, peak_hour=15)
        cpu = 15 + 70 * load + rng.uniform(-4, 4)
        mem = 50 + 25 * load + rng.uniform(-2, 2)
        req = 1100 * load * (1 + rng.uniform(-0.1, 0.1))
        msgs = int(600 * load * (1 + rng.uniform(-0.2, 0.2)))
        rows.append((T0 + 60 * m, round(cpu, 1), round(mem, 1), round(req), msgs))
    return ["timestamp", "cpu", "memory", "requests", "messages"], rows


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for i, (name, gen) in enumerate([
        ("long-running-api", long_running_api),
        ("llm-chat", llm_chat),
        ("autoscaling-week", autoscaling_week),
        ("agentic-backend", agentic_backend),
        ("media-asset-manager", media_asset_manager),
    ]):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        header, rows = gen(random.Random(1000 + i))
        write(root, name, header, rows)


if __name__ == "__main__":
    main()
