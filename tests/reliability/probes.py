#!/usr/bin/env python3
"""Probes that stay up (see RELIABILITY.md, "Probes under slow clients"): ~300 connections trickle
partial request headers (one byte per second each; the connection limit is 256), reopened as
soon as the server drops them, for SECONDS; meanwhile /healthz and /readyz are asked every 0.5 s
as a Kubernetes probe would (a fresh connection, 1 s timeout). Checks: every probe answered 200
within its timeout, the policies kept evaluating, the process still answers /metrics after, RSS
stays bounded, SIGTERM exits 0. Prints the probe latencies.
Usage: probes.py LUASCALE [SECONDS] [CONNECTIONS]"""
import os, re, socket, sys, tempfile, threading, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Checks, Run, wait_for, write_json

luascale = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30
slow_count = int(sys.argv[3]) if len(sys.argv) > 3 else 300
check = Checks()


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def probe(addr, path):
    t0 = time.time()
    try:
        with urllib.request.urlopen(f"http://{addr}{path}", timeout=1) as r:
            return r.status, time.time() - t0
    except Exception as e:  # a probe that fails is what is measured here
        return getattr(e, "code", 0), time.time() - t0


def evaluations(run, timeout=20):
    """luascale_evaluations_total summed; retried until the deadline (None if never answered)."""
    def once():
        try:
            _, text = run.get("/metrics", timeout=2)
        except OSError:
            return None
        return sum(float(m.group(1)) for m in
                   re.finditer(r"^luascale_evaluations_total\{[^}]*\} (\S+)$", text, re.M))
    return wait_for(once, timeout, step=0.2)


class SlowClients:
    """`count` connections, each sending one more byte of an endless request head per second."""

    def __init__(self, host, port, count):
        self.host, self.port, self.count = host, port, count
        self.reopened = 0
        self.stop = threading.Event()
        self.socks = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _open(self):
        try:
            s = socket.create_connection((self.host, self.port), timeout=2)
            s.setblocking(False)
            s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            return s
        except OSError:
            return None

    def _run(self):
        self.socks = [self._open() for _ in range(self.count)]
        while not self.stop.wait(1.0):
            for i, s in enumerate(self.socks):
                alive = s is not None
                if alive:
                    try:
                        s.send(b"a")
                        if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                            alive = False
                    except BlockingIOError:
                        pass
                    except OSError:
                        alive = False
                if not alive:
                    if s is not None:
                        s.close()
                    self.socks[i] = self._open()
                    self.reopened += 1
        for s in self.socks:
            if s is not None:
                s.close()

    def open_now(self):
        return sum(1 for s in self.socks if s is not None)


with tempfile.TemporaryDirectory(prefix="luascale-probes-") as d:
    open(os.path.join(d, "p.lua"), "w").write(
        "return { decide = function(ctx) return { replicas = 2 } end }\n")
    pols = [{"name": f"p{i}", "script": "p.lua", "interval": "200ms",
             "target": {"kind": "log", "path": os.path.join(d, "a.jsonl"), "replicas": 2}}
            for i in range(5)]
    config = os.path.join(d, "config.json")
    write_json(config, {"policies": pols, "server": {"listen": "127.0.0.1:0"}})
    run = Run(luascale, config, "--no-reload")
    check(run.addr is not None, "run started")
    host, port = run.addr.rsplit(":", 1)
    time.sleep(0.5)
    rss0 = rss_kib(run.pid)
    ev0, t0 = evaluations(run), time.time()
    slow = SlowClients(host, int(port), slow_count)
    time.sleep(2)  # let them take the connections
    results = {"/healthz": [], "/readyz": []}
    held = []
    end = time.time() + seconds
    while time.time() < end:
        for path in results:
            results[path].append(probe(run.addr, path))
        held.append(slow.open_now())
        time.sleep(0.5)
    rss_mid = rss_kib(run.pid)
    t1 = time.time()
    slow.stop.set()
    slow.thread.join(10)
    ev1 = evaluations(run)  # counted by the process itself, read once the clients are gone
    check(ev1 is not None, "/metrics answers after the slow clients leave")
    for path, rs in results.items():
        ok = [lat for code, lat in rs if code == 200]
        lat = sorted(lat for _, lat in rs)
        check(len(ok) == len(rs),
              f"{path}: {len(ok)}/{len(rs)} probes answered 200 within 1 s while ~{max(held)} "
              f"slow clients held connections (latency p50 {lat[len(lat) // 2] * 1000:.0f} ms, "
              f"max {lat[-1] * 1000:.0f} ms)")
    due = len(pols) * (t1 - t0) / 0.2
    ev1 = ev1 or 0
    check(ev1 - ev0 >= 0.5 * due,
          f"policies kept evaluating: {ev1 - ev0:.0f} of {due:.0f} due ({(ev1 - ev0) / due:.2f})")
    print(f"probes: {slow.reopened} slow connections dropped by the server and reopened; "
          f"rss {rss0} KiB -> {rss_mid} KiB under the slow clients")
    check(rss_mid < rss0 + 128 * 1024, "RSS bounded (< +128 MiB)")
    rc = run.stop()
    check(rc == 0, f"SIGTERM: exit 0 (rc {rc})")

check.exit()
