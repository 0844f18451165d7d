#!/usr/bin/env python3
"""Load: POLICIES policies (INTERVAL s apart) in one `luascale run` for SECONDS seconds. Samples RSS
(/proc/PID/status VmRSS) and /metrics after a warm-up (WARMUP s) and at the end, and reports
ratios: RSS end/warm-up, evaluations done / evaluations due, missed ticks per 1,000 due, and
mean evaluation time in the last window / first window. Exits 1 when a bound is broken
(RSS ratio > MAX_RSS_RATIO, or fewer than MIN_DONE of the due evaluations done).
The warm-up must outlast the fills that are expected growth, not leaks: the /decisions ring (50
decisions per policy = 50 intervals) and HPA's 300 s window of recommendations.
Usage: load.py LUASCALE [POLICIES] [SECONDS] [WARMUP] [INTERVAL] [MIN_DONE]"""
import json, os, re, subprocess, sys, tempfile, time, urllib.request

luascale = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 40
WARMUP = float(sys.argv[4]) if len(sys.argv) > 4 else 10
INTERVAL = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0  # seconds
MAX_RSS_RATIO = 3.0  # generous: CI windows end before the /decisions ring is full
MIN_DONE = float(sys.argv[6]) if len(sys.argv) > 6 else 0.5  # share of due evaluations done

def metrics(base):
    text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    sums = {}
    for line in text.splitlines():
        m = re.match(r"^(luascale_[a-z_]+)(\{[^}]*\})? ([0-9.eE+-]+)$", line)
        if m:
            sums[m.group(1)] = sums.get(m.group(1), 0.0) + float(m.group(3))
    return sums

def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

with tempfile.TemporaryDirectory(prefix="luascale-load-") as d:
    with open(os.path.join(d, "work.lua"), "w") as f:
        f.write("""return { params = { per = 10 }, decide = function(ctx, p)
  local s = ctx.state
  s.hist = s.hist or {}
  s.hist[#s.hist % 30 + 1] = ctx.now % 97      -- bounded ring in ctx.state
  local total = 0
  for _, v in ipairs(s.hist) do total = total + v end
  return { replicas = 3 + math.floor(total / #s.hist) % 2 * 0, reason = "load" }
end }
""")
    pols = [{"name": f"p{i:04d}", "script": "work.lua", "interval": f"{int(INTERVAL * 1000)}ms",
             "target": {"kind": "log", "path": os.path.join(d, "actuations.jsonl"), "replicas": 3},
             "minReplicas": 1, "maxReplicas": 10} for i in range(N)]
    cfg = os.path.join(d, "config.json")
    json.dump({"policies": pols}, open(cfg, "w"))
    p = subprocess.Popen([luascale, "run", cfg, "--listen", "127.0.0.1:0", "--no-reload",
                          "--state", os.path.join(d, "state.json")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = None
        deadline = time.time() + 60
        while base is None and time.time() < deadline:
            line = p.stderr.readline()
            if not line:
                break
            m = re.search(r"serving .* on (127\.0\.0\.1:[0-9]+)", line)
            if m:
                base = "http://" + m.group(1)
        assert base, "server did not start"
        # Keep draining stderr so the process never blocks on a full pipe.
        import threading
        threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
        t_start = time.time()
        time.sleep(WARMUP)
        m1, r1, t1 = metrics(base), rss_kib(p.pid), time.time()
        time.sleep(max(0, SECONDS - WARMUP))
        m2, r2, t2 = metrics(base), rss_kib(p.pid), time.time()
        assert p.poll() is None, "luascale run exited"
    finally:
        p.terminate()
        p.wait(timeout=30)
    due = N * (t2 - t1) / INTERVAL  # one evaluation per policy per interval
    done = m2.get("luascale_evaluations_total", 0) - m1.get("luascale_evaluations_total", 0)
    missed = m2.get("luascale_missed_ticks_total", 0) - m1.get("luascale_missed_ticks_total", 0)
    c1, s1 = m1.get("luascale_evaluation_duration_seconds_count", 0), m1.get("luascale_evaluation_duration_seconds_sum", 0)
    c2, s2 = m2.get("luascale_evaluation_duration_seconds_count", 0), m2.get("luascale_evaluation_duration_seconds_sum", 0)
    mean_first = s1 / c1 if c1 else float("nan")
    mean_last = (s2 - s1) / (c2 - c1) if c2 > c1 else float("nan")
    result = {"policies": N, "interval_s": INTERVAL, "window_s": round(t2 - t1, 1), "rss_warm_kib": r1, "rss_end_kib": r2,
              "rss_ratio": round(r2 / r1, 3), "done_over_due": round(done / due, 3),
              "missed_per_1000_due": round(1000 * missed / due, 2),
              "eval_mean_first_ms": round(mean_first * 1e3, 3), "eval_mean_last_ms": round(mean_last * 1e3, 3),
              "eval_mean_ratio_last_over_first": round(mean_last / mean_first, 3)}
    print("load:", json.dumps(result))
    ok = result["rss_ratio"] <= MAX_RSS_RATIO and result["done_over_due"] >= MIN_DONE
    sys.exit(0 if ok else 1)
