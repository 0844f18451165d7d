#!/usr/bin/env python3
"""Reloads while `luascale run` ticks (see RELIABILITY.md, "Reloads"):
  1. 100 SIGHUPs 10 ms apart on a policy at 250 ms (each tick in flight 40 ms, fetching a slow
     signal) whose script counts its evaluations in
     ctx.state.n and steps the count file by one each tick: after SIGTERM the count moved by
     exactly the persisted n (every evaluation applied once, none lost, none evaluated twice),
     and no n appears twice in the log; reloads never make it tick more often than its interval;
  2. a reload that points the policy at another target starts a fresh guardrail history: the
     new target goes where the policy asks (10 -> 11), not to the old target's 20, and the log
     says so;
  3. a password_file rotated in place is picked up by the file poller (the config unchanged):
     the Redis source reconnects with the new password.
Usage: reload_tick.py LUASCALE [SIGHUPS]"""
import http.server, json, os, re, signal, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Checks, LoopbackServer, Run, read_count, wait_for, write_json

luascale = sys.argv[1]
sighups = int(sys.argv[2]) if len(sys.argv) > 2 else 100
check = Checks()


class AuthRedis(LoopbackServer):
    """A RESP server on loopback that takes AUTH <password> and answers LLEN with 7 to
    clients that authenticated with the current password (errors otherwise)."""

    def __init__(self, password):
        self.password = password
        self.auths = []  # passwords clients tried
        super().__init__(16)

    def serve(self, c):
        buf, authed = b"", False
        while True:
            data = c.recv(4096)
            if not data:
                return
            buf += data
            while True:
                parts = self._command(buf)
                if parts is None:
                    break
                args, buf = parts
                if args[0].upper() == b"AUTH":
                    self.auths.append(args[-1].decode())
                    authed = args[-1].decode() == self.password
                    c.sendall(b"+OK\r\n" if authed else b"-WRONGPASS invalid password\r\n")
                elif not authed:
                    c.sendall(b"-NOAUTH Authentication required.\r\n")
                else:
                    c.sendall(b":7\r\n")

    @staticmethod
    def _command(buf):
        if not buf.startswith(b"*") or b"\r\n" not in buf:
            return None
        head, rest = buf.split(b"\r\n", 1)
        args = []
        for _ in range(int(head[1:])):
            if b"\r\n" not in rest:
                return None
            size_line, rest = rest.split(b"\r\n", 1)
            n = int(size_line[1:])
            if len(rest) < n + 2:
                return None
            args.append(rest[:n])
            rest = rest[n + 2:]
        return args, rest


class SlowJson(http.server.BaseHTTPRequestHandler):
    """Answers {"v": 1} after 40 ms: a tick spends that long in flight, fetching."""

    def do_GET(self):
        time.sleep(0.04)
        body = b'{"v": 1}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


slow = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowJson)
threading.Thread(target=slow.serve_forever, daemon=True).start()

with tempfile.TemporaryDirectory(prefix="luascale-reload-") as d:
    # 1. The reload storm, on ticks that are in flight 40 ms each (a slow signal).
    open(os.path.join(d, "step.lua"), "w").write(
        "return { decide = function(ctx)\n"
        "  ctx.state.n = (ctx.state.n or 0) + 1\n"
        "  return { replicas = ctx.target.replicas + 1, reason = 'n=' .. ctx.state.n }\nend }\n")
    count = os.path.join(d, "count")
    state = os.path.join(d, "state.json")
    config = os.path.join(d, "config.json")
    write_json(config, {"policies": [{"name": "step", "script": "step.lua", "interval": "250ms",
                                      "minReplicas": 0, "maxReplicas": 100000000,
                                      "target": {"kind": "file", "path": count, "replicas": 1},
                                      "signals": {"slow": {
                                          "source": "http-json", "pointer": "/v",
                                          "url": f"http://127.0.0.1:{slow.server_address[1]}/"}}}],
                        "state_file": state})
    run = Run(luascale, config, "--no-reload", listen=False)
    wait_for(lambda: any(e["event"] == "start" for e in run.events()), 30)
    time.sleep(0.6)
    t0 = time.time()
    for _ in range(sighups):
        run.p.send_signal(signal.SIGHUP)
        time.sleep(0.01)
    storm = time.time() - t0
    time.sleep(0.6)
    alive = time.time() - run.started
    rc = run.stop()
    check(rc == 0, f"SIGTERM after {sighups} SIGHUPs: exit 0 (rc {rc})")
    n = json.load(open(state))["policies"]["step"]["ctx_state"]["n"]
    steps = read_count(count) - 1
    scaled = [re.search(r"n=(\d+)", e["msg"]).group(1) for e in run.events("scaled")]
    duplicates = len(scaled) - len(set(scaled))
    reloads = len(run.events("reloaded"))
    queued = len([e for e in run.events("reload") if "handing over" in e["msg"]])
    check(n == steps, f"{sighups} SIGHUPs in {storm:.2f} s: {steps} steps applied, n = {n} persisted")
    check(steps <= alive / 0.25 + 1,
          f"reloads kept the schedule: {steps} ticks in {alive:.2f} s at 250 ms (at most "
          f"{int(alive / 0.25) + 1})")
    check(duplicates == 0 and len(scaled) == steps,
          f"every n logged once ({len(scaled)} scale events, {duplicates} repeated)")
    check(reloads >= 1, f"{reloads} reloads done, {queued} requests folded into the next one")

    # 2. A changed target starts a fresh guardrail history.
    open(os.path.join(d, "q.lua"), "w").write(
        "return { decide = function(ctx)\n"
        "  ctx.state.n = (ctx.state.n or 0) + 1\n"
        "  return { replicas = ctx.params.want }\nend }\n")
    a, b = os.path.join(d, "a"), os.path.join(d, "b")
    with open(b, "w") as f:
        f.write("10\n")

    def target_config(path, want):
        write_json(config, {"policies": [{"name": "q", "script": "q.lua", "interval": "200ms",
                                          "params": {"want": want}, "maxReplicas": 50,
                                          "target": {"kind": "file", "path": path,
                                                     "replicas": 3}}],
                            "state_file": state})

    target_config(a, 20)
    run = Run(luascale, config, "--no-reload", listen=False)
    check(wait_for(lambda: os.path.exists(a) and read_count(a) == 20, 20),
          "the first target climbs to 20 (3 -> 6 -> 12 -> 20)")
    target_config(b, 11)
    run.p.send_signal(signal.SIGHUP)
    wait_for(lambda: read_count(b) != 10, 10)
    time.sleep(0.6)
    rc = run.stop()
    said = [e for e in run.events("reload") if "target changed" in e.get("msg", "")]
    check(read_count(b) == 11 and read_count(a) == 20,
          f"the new target goes where the policy asks: 10 -> {read_count(b)} (the old target's "
          f"history would have held it at 20)")
    check(len(said) == 1, "the log says the guardrail history starts fresh")
    check(json.load(open(state))["policies"]["q"]["ctx_state"]["n"] > 5,
          "ctx.state carried over across the reload")

    # 3. A rotated password_file.
    redis = AuthRedis("first-secret")
    secret = os.path.join(d, "redis-password")
    with open(secret, "w") as f:
        f.write("first-secret\n")
    open(os.path.join(d, "r.lua"), "w").write(
        "return { decide = function(ctx)\n"
        "  local q = ctx:signal('q')\n"
        "  if q == nil then return nil end\n"
        "  return { replicas = q }\nend }\n")
    rcount = os.path.join(d, "rcount")
    write_json(config, {"policies": [{"name": "r", "script": "r.lua", "interval": "200ms",
                                      "target": {"kind": "file", "path": rcount, "replicas": 2},
                                      "signals": {"q": {"source": "redis",
                                                        "url": f"redis://127.0.0.1:{redis.port}",
                                                        "password_file": secret, "command": "llen",
                                                        "key": "q"}}}]})
    run = Run(luascale, config, listen=False)  # the file poller on (every 2 s)
    check(wait_for(lambda: os.path.exists(rcount) and read_count(rcount) == 7, 20),
          "authenticated with the first password: 2 -> 7")
    os.remove(rcount)
    redis.password = "second-secret"  # the server's password is rotated, then the file
    with open(secret, "w") as f:
        f.write("second-secret\n")
    t0 = time.time()
    picked = wait_for(lambda: "second-secret" in redis.auths, 15)
    took = time.time() - t0
    check(picked, f"the rotated password_file was picked up by the poller in {took:.1f} s "
                  f"(no SIGHUP)")
    check(wait_for(lambda: os.path.exists(rcount) and read_count(rcount) == 7, 10),
          "and the signal reads again with the new password")
    check(any("redis-password changed" in e["msg"] for e in run.events("reload")),
          "the log names the changed file")
    check(all("second-secret" not in line and "first-secret" not in line for line in run.log()),
          "no password in the log")
    check(run.stop() == 0, "clean exit")

check.exit()
