#!/usr/bin/env python3
"""Neighbours that misbehave (see RELIABILITY.md, "Neighbours"), against a real `luascale run`:
  1. two policies share one Redis connection (same URL); one key's reply is malformed (":1.5"):
     only that policy's fetches fail, naming its key; the other never fails and scales;
  2. a token in an http-json URL's query string (and an API key, a password) never appears in
     the log, /decisions or /metrics: the URL is printed with "<redacted>" values;
  3. an http-json number sent as the string "0x10" is an error, not 16.
Usage: neighbours.py LUASCALE [SECONDS]"""
import http.server, os, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Checks, LoopbackServer, Run, read_count, wait_for, write_json

luascale = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5
check = Checks()
SECRETS = ["tok-5ecret-1", "k3y-5ecret-2", "pa55-5ecret-3"]


class MalformedRedis(LoopbackServer):
    """RESP on loopback: LLEN bad -> ":1.5" (malformed), LLEN good -> ":7"; counts connections."""

    def serve(self, c):
        buf = b""
        while True:
            try:
                data = c.recv(4096)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\r\n" in buf:
                # *2 $4 LLEN $n key: five lines per command
                lines = buf.split(b"\r\n")
                if len(lines) < 6:
                    break
                key = lines[4]
                buf = b"\r\n".join(lines[5:])
                try:
                    c.sendall(b":1.5\r\n" if key == b"bad" else b":7\r\n")
                except OSError:
                    return


class Json(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"n": "0x10", "ok": 4}' if self.path.startswith("/ok") else b"nope"
        self.send_response(200 if self.path.startswith("/ok") else 500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


redis = MalformedRedis()
web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Json)
threading.Thread(target=web.serve_forever, daemon=True).start()

with tempfile.TemporaryDirectory(prefix="luascale-neighbours-") as d:
    open(os.path.join(d, "p.lua"), "w").write(
        "return { decide = function(ctx)\n"
        "  local q = ctx:signal('q')\n"
        "  if q == nil then return nil end\n"
        "  return { replicas = math.floor(q) }\nend }\n")

    def pol(name, signal, interval="200ms"):
        return {"name": name, "script": "p.lua", "interval": interval,
                "target": {"kind": "file", "path": os.path.join(d, name), "replicas": 2},
                "signals": {"q": signal}}

    url = f"redis://127.0.0.1:{redis.port}"
    web_url = f"http://127.0.0.1:{web.server_address[1]}"
    policies = [
        # The good policy asks twice as often: a backoff the bad key caused would catch it.
        pol("good", {"source": "redis", "url": url, "command": "llen", "key": "good"}, "100ms"),
        pol("bad", {"source": "redis", "url": url, "command": "llen", "key": "bad"}),
        pol("secret", {"source": "http-json", "pointer": "/ok",
                       "url": f"{web_url}/fail?token={SECRETS[0]}&queue=jobs&api_key={SECRETS[1]}"
                              f"&password={SECRETS[2]}"}),
        pol("hex", {"source": "http-json", "url": f"{web_url}/ok", "pointer": "/n"}),
    ]
    config = os.path.join(d, "config.json")
    write_json(config, {"policies": policies, "server": {"listen": "127.0.0.1:0"}})
    run = Run(luascale, config)
    check(run.addr is not None, "run started")
    time.sleep(seconds)
    _, metrics = run.get("/metrics")
    _, decisions = run.get("/decisions")

    def errors(policy):
        for line in metrics.splitlines():
            if line.startswith(f'luascale_signal_fetch_errors_total{{policy="{policy}",signal="q"}}'):
                return int(line.split()[-1])

    def evaluations(policy):
        return sum(int(line.split()[-1]) for line in metrics.splitlines()
                   if line.startswith(f'luascale_evaluations_total{{policy="{policy}",'))

    rc = run.stop()
    check(rc == 0, f"SIGTERM: exit 0 (rc {rc})")
    good_ticks, bad_ticks = evaluations("good"), evaluations("bad")
    check(errors("good") == 0 and good_ticks >= 5,
          f"good: {errors('good')} failed fetches in {good_ticks} ticks while its neighbour's "
          f"reply was malformed on every tick")
    check(read_count(os.path.join(d, "good")) == 7, "good: scaled to its value (2 -> 7)")
    check(errors("bad") == bad_ticks and bad_ticks >= 5,
          f"bad: {errors('bad')} failed fetches in {bad_ticks} ticks")
    bad_errors = {e["msg"] for e in run.events("signal_error") if e.get("policy") == "bad"}
    good_errors = [e for e in run.events("signal_error") if e.get("policy") == "good"]
    check(bad_errors and all("LLEN bad: protocol error" in m for m in bad_errors) and
          not good_errors, f"bad's error names its key: {sorted(bad_errors)[:1]}")
    check(redis.connections <= bad_ticks + 2,
          f"{redis.connections} Redis connections for {bad_ticks} malformed replies (one each)")

    everything = "\n".join(run.log()) + metrics + decisions
    leaks = sum(everything.count(s) for s in SECRETS)
    shown = [e["msg"] for e in run.events("signal_error") if e.get("policy") == "secret"]
    check(leaks == 0, f"secrets in the log, /decisions and /metrics: {leaks}")
    check(shown and "token=<redacted>&queue=jobs&api_key=<redacted>&password=<redacted>" in shown[0],
          f"the URL is printed redacted: {shown[0] if shown else None}")
    hex_errors = {e["msg"] for e in run.events("signal_error") if e.get("policy") == "hex"}
    check(any('is the string "0x10", not a decimal number' in m for m in hex_errors) and
          not os.path.exists(os.path.join(d, "hex")),
          "\"0x10\" is an error, the target untouched (not 16)")

web.shutdown()
check.exit()
