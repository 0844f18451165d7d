#!/usr/bin/env python3
"""HTTP surface: against a real `luascale run` with a bearer token configured, sends malformed
requests, a huge request line, huge headers, binary garbage and many idle connections (more than
the 256 connection limit), and checks: the token is enforced (401 without or with a wrong one,
/healthz and /readyz open), the process survives every attack, it still answers afterwards, its
RSS stays bounded, and the policies keep evaluating on time during the attacks.
Usage: http_surface.py LUASCALE"""
import json, os, re, socket, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

luascale = sys.argv[1]
TOKEN = "s3cret-token"

def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def get(base, path, token=None):
    req = urllib.request.Request(base + path)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def raw(host, port, payload, read=True):
    """Sends bytes, returns the status line ('' if the server closed without answering)."""
    s = socket.create_connection((host, port), timeout=10)
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not read:
            return ""
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        return data.split(b"\r\n")[0].decode(errors="replace")
    finally:
        s.close()

def evaluations(base):
    _, text = get(base, "/metrics", TOKEN)
    return sum(float(m.group(1)) for m in re.finditer(r"^luascale_evaluations_total\{[^}]*\} (\S+)$", text, re.M))

failures = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)

with tempfile.TemporaryDirectory(prefix="luascale-http-") as d:
    open(os.path.join(d, "p.lua"), "w").write("return { decide = function(ctx) return { replicas = 2 } end }\n")
    pols = [{"name": f"p{i}", "script": "p.lua", "interval": "200ms",
             "target": {"kind": "log", "path": os.path.join(d, "a.jsonl"), "replicas": 2}} for i in range(5)]
    cfg = os.path.join(d, "config.json")
    json.dump({"policies": pols, "server": {"listen": "127.0.0.1:0", "token": TOKEN}}, open(cfg, "w"))
    p = subprocess.Popen([luascale, "run", cfg, "--no-reload"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    try:
        addr = None
        while addr is None:
            line = p.stderr.readline()
            if not line:
                break
            m = re.search(r"serving .* on (127\.0\.0\.1:[0-9]+)", line)
            if m:
                addr = m.group(1)
        assert addr, "server did not start"
        threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
        host, port = addr.rsplit(":", 1)
        port = int(port)
        base = f"http://{addr}"

        # Token.
        check(get(base, "/metrics")[0] == 401, "/metrics without a token is 401")
        check(get(base, "/metrics", "wrong")[0] == 401, "/metrics with a wrong token is 401")
        check(get(base, "/decisions")[0] == 401, "/decisions without a token is 401")
        check(get(base, "/metrics", TOKEN)[0] == 200, "/metrics with the token is 200")
        check(get(base, "/healthz")[0] == 200, "/healthz needs no token")
        check(raw(host, port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic czNjcmV0\r\n\r\n")
              .startswith("HTTP/1.1 401"), "Basic auth with the right secret is still 401")

        rss0 = rss_kib(p.pid)
        # Malformed requests: each must get a 4xx or a closed connection, never a crash.
        attacks = {
            "binary garbage": bytes(range(256)) * 8 + b"\r\n\r\n",
            "no method": b"\r\n\r\n",
            "bad request line": b"GET\r\n\r\n",
            "bad version": b"GET / HTTP/9.9\r\n\r\n",
            "bad header": b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
            "huge request line": b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\n\r\n",
            "huge header": b"GET /metrics HTTP/1.1\r\nX-Big: " + b"b" * 1_000_000 + b"\r\n\r\n",
            "many headers": b"GET /metrics HTTP/1.1\r\n" + b"X: y\r\n" * 50_000 + b"\r\n",
            "huge body announced": b"POST /metrics HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\nabc",
            "chunked nonsense": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "path traversal": b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        }
        for name, payload in attacks.items():
            status = raw(host, port, payload)
            good = status == "" or re.match(r"HTTP/1\.[01] (4\d\d)", status) is not None
            check(good and p.poll() is None, f"{name}: answered {status or 'by closing'}, still running")

        # Many connections: 600 idle sockets (the limit is 256), then normal requests still work
        # once they are gone.
        ev0, t0 = evaluations(base), time.time()
        socks = []
        for _ in range(600):
            try:
                socks.append(socket.create_connection((host, port), timeout=5))
            except OSError:
                break
        check(p.poll() is None, f"{len(socks)} idle connections held open, still running")
        time.sleep(3)  # policies must keep ticking while the connections are held
        rss_mid = rss_kib(p.pid)
        for s in socks:
            s.close()
        deadline = time.time() + 20
        status = 0
        while time.time() < deadline:
            try:
                status = get(base, "/metrics", TOKEN)[0]
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        check(status == 200, "/metrics answers after the connection flood")
        rss1, ev1, t1 = rss_kib(p.pid), evaluations(base), time.time()
        due = len(pols) * (t1 - t0) / 0.2
        print(f"http: rss {rss0} KiB -> {rss_mid} KiB (600 idle conns) -> {rss1} KiB after; "
              f"ratio {rss1 / rss0:.3f}; evaluations while flooded {ev1 - ev0:.0f} of {due:.0f} due "
              f"({(ev1 - ev0) / due:.3f})")
        check(rss_mid < rss0 + 128 * 1024 and rss1 < rss0 + 64 * 1024, "RSS bounded (< +128 MiB during, < +64 MiB after)")
        check((ev1 - ev0) >= 0.5 * due, "policies kept evaluating during the connection flood (>= half the due ticks)")
    finally:
        p.terminate()
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    check(p.returncode == 0, f"clean exit on SIGTERM (rc {p.returncode})")
sys.exit(1 if failures else 0)
