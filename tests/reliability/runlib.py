"""tests/reliability/runlib.py — what the `luascale run` reliability scripts share: a run in a
private temp folder with its JSON Lines log collected, HTTP gets against it, polling with a
deadline, /metrics parsing, and a check list that sets the exit status."""
import json, os, re, signal, socket, subprocess, threading, time, urllib.error, urllib.request


class Checks:
    """ok/FAIL lines; the script exits 1 when any failed."""

    def __init__(self):
        self.failures = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)
        return cond

    def exit(self):
        raise SystemExit(1 if self.failures else 0)


def wait_for(pred, timeout, step=0.05):
    """Polls pred() until it is true or the deadline passes; returns its last value."""
    end = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() > end:
            return v
        time.sleep(step)


class Run:
    """A `luascale run CONFIG [args]` process; its stderr (JSON Lines) is collected in .log."""

    def __init__(self, luascale, config, *args, listen=True):
        cmd = [luascale, "run", config] + list(args)
        if not listen:
            cmd += ["--listen", "off"]
        self.started = time.time()  # before the process exists: every time it logs is later
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.pid = self.p.pid
        self.lines = []
        self.addr = None
        self._lock = threading.Lock()
        self._serving = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        if listen:
            self._serving.wait(30)

    def _read(self):
        for line in self.p.stderr:
            with self._lock:
                self.lines.append(line.rstrip("\n"))
            m = re.search(r"serving .* on (127\.0\.0\.1:[0-9]+)", line)
            if m:
                self.addr = m.group(1)
                self._serving.set()
        self._serving.set()

    def log(self):
        with self._lock:
            return list(self.lines)

    def events(self, event=None):
        out = []
        for line in self.log():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if event is None or rec.get("event") == event:
                out.append(rec)
        return out

    def get(self, path, timeout=10):
        try:
            with urllib.request.urlopen(f"http://{self.addr}{path}", timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metric(self, name, labels=""):
        """The value of one /metrics series (labels as printed, e.g. 'policy="a"'), or None."""
        _, text = self.get("/metrics")
        key = name + ("{" + labels + "}" if labels else "")
        for line in text.splitlines():
            if line.startswith(key + " "):
                return float(line.split()[-1])
        return None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self._thread.join(5)
        return self.p.returncode


def run_once(luascale, config, *args, timeout=60):
    """`luascale run CONFIG --once --listen off [args]`: (exit status, stderr)."""
    r = subprocess.run([luascale, "run", config, "--once", "--listen", "off"] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stderr


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def read_count(path):
    with open(path) as f:
        return int(f.read().strip())


class LoopbackServer:
    """A TCP server on a free loopback port (`port`), a thread per connection: a subclass
    defines serve(conn). `connections` counts the connections accepted."""

    def __init__(self, backlog=64):
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()
