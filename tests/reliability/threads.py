#!/usr/bin/env python3
"""Threads: `luascale run --threads N` with many policies that share scripts, sources and actuators
(http-json and redis signals from tests/reliability/fault_server.py, some of them faulty; file,
log and kubernetes targets), while the test scrapes /metrics and /decisions and reloads the config
(SIGHUP, and a changed file) from outside. Checks: it keeps evaluating, answers every scrape,
reloads, exits 0 on SIGTERM, and stderr holds no sanitizer report. Built with -DLUASCALE_TSAN=ON
this is the ThreadSanitizer run (RELIABILITY.md); built normally it checks thread mode works.
Usage: threads.py LUASCALE [THREADS] [POLICIES] [SECONDS]"""
import json, os, re, signal, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_server import FaultServer, write_kubeconfig  # noqa: E402

luascale = sys.argv[1]
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 4
N = int(sys.argv[3]) if len(sys.argv) > 3 else 200
SECONDS = float(sys.argv[4]) if len(sys.argv) > 4 else 20

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def get(url):
    with urllib.request.urlopen(url, timeout=20) as r:
        return r.status, r.read().decode()


def total(text, name):
    return sum(float(m.group(1)) for m in re.finditer(r"^%s\{[^}]*\} (\S+)$" % re.escape(name), text, re.M))


srv = FaultServer()
base = f"http://127.0.0.1:{srv.http_port}"
with tempfile.TemporaryDirectory(prefix="luascale-threads-") as d:
    write_kubeconfig(os.path.join(d, "kubeconfig"), base)
    with open(os.path.join(d, "p.lua"), "w") as f:
        f.write("""return { params = { per = 1 }, decide = function(ctx, p)
  ctx.state.n = (ctx.state.n or 0) + 1
  ctx.state.ring = ctx.state.ring or {}
  ctx.state.ring[ctx.state.n % 8 + 1] = ctx.now
  local v = ctx:signal("x")
  if v == nil then return nil end
  ctx:log("value " .. v)
  return { replicas = math.max(1, math.floor(v / p.per)), reason = "x=" .. v }
end }
""")
    sources = [
        lambda i: {"source": "http-json", "url": f"{base}/f/ok/metric", "pointer": "/value", "timeout": "1s"},
        lambda i: {"source": "http-json", "url": f"{base}/f/{['500', 'reset', 'timeout'][i % 3]}/metric",
                   "pointer": "/value", "timeout": "1s"},
        lambda i: {"source": "redis", "url": f"redis://127.0.0.1:{srv.redis_port('ok')}", "command": "llen",
                   "key": f"q{i % 5}", "timeout": "1s"},
        lambda i: {"source": "redis", "url": f"redis://127.0.0.1:{srv.redis_port('reset')}", "command": "llen",
                   "key": "q", "timeout": "1s"},
    ]
    targets = [
        lambda i: {"kind": "file", "path": os.path.join(d, f"count-{i}"), "replicas": 3},
        lambda i: {"kind": "log", "replicas": 3},
        lambda i: {"kind": "kubernetes", "resource": f"deployments/t-{i}", "kubeconfig": os.path.join(d, "kubeconfig"),
                   "timeout": "2s", "replicas": 3},
    ]

    def write_config(per):
        pols = [{"name": f"p{i}", "script": "p.lua", "interval": "200ms", "params": {"per": per},
                 "signals": {"x": sources[i % len(sources)](i)}, "target": targets[i % len(targets)](i),
                 "minReplicas": 1, "maxReplicas": 50} for i in range(N)]
        cfg = os.path.join(d, "config.json")
        with open(cfg + ".new", "w") as f:
            json.dump({"policies": pols, "server": {"listen": "127.0.0.1:0"}, "state_file": os.path.join(d, "state.json")}, f)
        os.replace(cfg + ".new", cfg)
        return cfg

    cfg = write_config(1)
    errlog = open(os.path.join(d, "stderr"), "a+")  # O_APPEND: our reads move the offset the child shares
    t0 = time.monotonic()
    p = subprocess.Popen([luascale, "run", cfg, "--threads", str(THREADS), "--log-format", "text"],
                         stdout=subprocess.DEVNULL, stderr=errlog)
    scrapes, scrape_errors, stop = [0], [], threading.Event()
    try:
        addr, deadline = None, time.time() + 120
        while addr is None and time.time() < deadline and p.poll() is None:
            errlog.seek(0)
            m = re.search(r"serving .* on (127\.0\.0\.1:[0-9]+)", errlog.read())
            addr = m and m.group(1)
            time.sleep(0.1)
        check(bool(addr), "started")
        if addr:
            def scraper(path):
                while not stop.is_set():
                    try:
                        status, _ = get(f"http://{addr}{path}")
                        if status != 200 and path != "/readyz":
                            scrape_errors.append(f"{path}: {status}")
                        scrapes[0] += 1
                    except urllib.error.HTTPError as e:
                        if not (path == "/readyz" and e.code == 503):  # faulty policies: not ready
                            scrape_errors.append(f"{path}: {e}")
                        scrapes[0] += 1
                    except Exception as e:  # noqa: BLE001
                        scrape_errors.append(f"{path}: {e}")
                    time.sleep(0.05)
            workers = [threading.Thread(target=scraper, args=(path,), daemon=True)
                       for path in ("/metrics", "/decisions", "/metrics", "/readyz")]
            for w in workers:
                w.start()
            def reloads_done(n):  # polls until n successful reloads (a loaded machine is slow)
                deadline = time.time() + 120
                while time.time() < deadline and p.poll() is None:
                    _, text = get(f"http://{addr}/metrics")
                    m = re.search(r'luascale_config_reloads_total\{result="success"\} ([0-9]+)', text)
                    if m and int(m.group(1)) >= n:
                        return True
                    time.sleep(0.5)
                return False

            time.sleep(SECONDS / 3)
            p.send_signal(signal.SIGHUP)  # reload while ticking
            check(reloads_done(1), "SIGHUP reload applied while ticking")
            time.sleep(SECONDS / 3)
            write_config(2)  # a changed file: the poller reloads too
            check(reloads_done(2), "changed config reloaded by the file poller while ticking")
            time.sleep(SECONDS / 3)
            stop.set()
            for w in workers:
                w.join(timeout=30)
            check(p.poll() is None, f"still running after {SECONDS:.0f} s with {THREADS} threads (rc {p.poll()})")
            try:
                _, m2 = get(f"http://{addr}/metrics")
            except Exception as e:  # noqa: BLE001
                m2 = ""
                check(False, f"final scrape: {e}")
            evals = total(m2, "luascale_evaluations_total")
            check(evals > 0, f"evaluating: {evals:.0f} evaluations counted after the reloads")
            check(not scrape_errors, f"{scrapes[0]} scrapes answered, errors: {scrape_errors[:3]}")
    finally:
        stop.set()
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            if os.environ.get("THREADS_GDB"):
                subprocess.run(["gdb", "-p", str(p.pid), "-batch", "-ex", "thread apply all bt 30"])
            p.kill()
            rc = "hung"
        srv.stop()
    check(rc == 0, f"exits 0 on SIGTERM (got {rc})")
    errlog.seek(0)
    log = errlog.read()
    reports = log.count("WARNING: ThreadSanitizer") + log.count("ERROR: AddressSanitizer") + log.count("runtime error:")
    check(reports == 0, f"no sanitizer report ({reports})")
    if reports:
        i = log.find("WARNING: ThreadSanitizer")
        print(log[i:i + 6000] if i >= 0 else log[-6000:])
    if failures:
        i = log.find("ThreadSanitizer")
        if i >= 0:
            print(log[max(0, i - 200):i + 8000])
        interesting = [l for l in log.splitlines() if " signal_error " not in l and " scaled " not in l]
        print("log (without signal errors and scalings):\n" + "\n".join(interesting[-40:]))
    print(f"threads: {N} policies, {THREADS} threads, {time.monotonic() - t0:.1f} s, {scrapes[0]} scrapes")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all thread checks passed")
