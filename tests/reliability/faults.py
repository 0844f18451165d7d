#!/usr/bin/env python3
"""Fault injection: one real `luascale run` with one policy per (adapter, fault) pair, against
tests/reliability/fault_server.py, which injects HTTP 500, 429 with Retry-After, never-answered
requests, resets mid-response, truncated bodies, slow-loris responses, cut-but-well-framed
bodies and refused connections (and for Redis: resets, truncated replies, silence, wrong reply
types, refused connections). After DURATION seconds it checks, per scenario:
  - no crash: the process ran the whole time, answers /healthz, exits 0 on SIGTERM, and wrote no
    sanitizer report;
  - no wrong actuation: a policy whose signal is faulty never moves its (healthy) target: no
    PATCH reaches the server and the count stays 3; an actuator whose reads are faulty never
    writes; one whose writes are faulty only ever writes the policy's decision (5);
  - bounded retries: the requests the server received for the scenario, per tick started, stay
    under the adapter's documented bound;
  - the errors are counted on /metrics (luascale_signal_fetch_errors_total,
    luascale_actuation_errors_total), and the fault-free controls scale to 5 with no error.
Usage: faults.py LUASCALE [DURATION_SECONDS] [EXTRA run ARGS...]   (e.g. --threads 4)"""
import json, os, re, signal, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_server import FaultServer, HTTP_FAULTS, REDIS_FAULTS, closed_port, write_kubeconfig, VALUE  # noqa: E402

luascale = sys.argv[1]
DURATION = float(sys.argv[2]) if len(sys.argv) > 2 else 12
EXTRA = sys.argv[3:]
MAX_WAIT = 60
START = 3  # every target's count before the run

# Requests one tick may cause, per adapter (the bounds the adapters document):
#   http sources: 1 request, +1 when a reused keep-alive connection was closed before answering;
#   kubernetes source (replicas): GET scale + GET object, each possibly resent once;
#   redis: 1 command, +1 resend on a reused connection closed before replying;
#   kubernetes actuator: read + apply, each retried with backoff (200 ms doubling, jittered down
#     to half) inside its 2 s budget here: <= 5 attempts of <= 2 requests each, + the object GET;
#   aws-asg: Describe (read) + Describe and SetDesiredCapacity (apply), 3 attempts per call;
#   cloudwatch, sqs: one call (the value is on the first page), 3 attempts.
BOUND = {"prometheus": 2, "http-json": 2, "kubernetes": 4, "redis": 2, "kube-actuator": 22, "aws-asg": 9,
         "cloudwatch": 3, "sqs": 3}

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def metric(text, name, policy):
    total, seen = 0.0, False
    for m in re.finditer(r"^%s\{([^}]*)\} (\S+)$" % re.escape(name), text, re.M):
        if f'policy="{policy}"' in m.group(1):
            total += float(m.group(2))
            seen = True
    return total if seen else None


def main():
    srv = FaultServer(initial_replicas=START, initial_capacity=START)
    dead = closed_port()
    base = f"http://127.0.0.1:{srv.http_port}"
    with tempfile.TemporaryDirectory(prefix="luascale-faults-") as d:
        for name, server in (("kubeconfig", base), ("kubeconfig-refused", f"http://127.0.0.1:{dead}")):
            write_kubeconfig(os.path.join(d, name), server)
        kc, kc_dead = os.path.join(d, "kubeconfig"), os.path.join(d, "kubeconfig-refused")
        with open(os.path.join(d, "sig.lua"), "w") as f:
            f.write("""return { decide = function(ctx)
  local v = ctx:signal("x")
  if v == nil then return nil end
  return { replicas = math.floor(v), reason = "signal " .. v }
end }
""")
        with open(os.path.join(d, "const.lua"), "w") as f:
            f.write("return { decide = function(ctx) return { replicas = 5, reason = 'constant' } end }\n")

        policies, scenarios = [], []

        def kube_target(name, kubeconfig=kc):
            return {"kind": "kubernetes", "resource": f"deployments/{name}", "kubeconfig": kubeconfig,
                    "timeout": "2s", "replicas": START}

        # Signal scenarios: a faulty source, a healthy kubernetes target.
        for source in ("prometheus", "http-json", "kubernetes", "redis", "cloudwatch", "sqs"):
            faults = (REDIS_FAULTS if source == "redis" else HTTP_FAULTS) + ["refused"]
            for fault in faults:
                pol = f"sig-{source}-{fault}"
                if source == "prometheus":
                    url = f"http://127.0.0.1:{dead}/f/ok" if fault == "refused" else f"{base}/f/{fault}"
                    spec = {"source": "prometheus", "url": url, "query": "up"}
                    key = ("prometheus", "ok" if fault == "refused" else fault)
                elif source == "http-json":
                    url = f"http://127.0.0.1:{dead}/f/ok/metric" if fault == "refused" else f"{base}/f/{fault}/metric"
                    spec = {"source": "http-json", "url": url, "pointer": "/value"}
                    key = ("http-json", "ok" if fault == "refused" else fault)
                elif source == "kubernetes":
                    name = f"a-{fault}-src"
                    spec = {"source": "kubernetes", "query": "replicas", "resource": f"deployments/{name}",
                            "field": "replicas", "kubeconfig": kc_dead if fault == "refused" else kc}
                    key = ("k8s", name)
                elif source in ("cloudwatch", "sqs"):
                    name = f"a-{fault}-{source}"
                    endpoint = f"http://127.0.0.1:{dead}" if fault == "refused" else base
                    spec = {"source": source, "region": "us-east-1", "endpoint": endpoint, "retry_backoff": "100ms"}
                    if source == "cloudwatch":
                        spec.update({"namespace": "Faults", "metric_name": name})
                        key = ("aws:GetMetricData", name)
                    else:
                        spec.update({"queue": name, "account": "123456789012"})
                        key = ("aws:GetQueueAttributes", name)
                else:
                    port = dead if fault == "refused" else srv.redis_port(fault)
                    spec = {"source": "redis", "url": f"redis://127.0.0.1:{port}", "command": "llen", "key": "q"}
                    key = ("redis", fault)
                spec["timeout"] = "1s"
                target = f"tgt-{source}-{fault}"
                policies.append({"name": pol, "script": "sig.lua", "interval": "1s", "signals": {"x": spec},
                                 "target": kube_target(target), "minReplicas": 1, "maxReplicas": 50})
                scenarios.append({"policy": pol, "kind": "signal", "adapter": source, "fault": fault,
                                  "key": None if fault == "refused" else key, "target": target})

        # Actuator scenarios: a constant policy (7), a faulty target.
        for adapter in ("kube-actuator", "aws-asg"):
            for mode in ("a", "w"):
                for fault in HTTP_FAULTS + (["refused"] if mode == "a" else []):
                    if mode == "w" and fault == "ok":
                        continue
                    name = f"{mode}-{fault}-act"
                    pol = f"act-{adapter}-{name}"
                    if adapter == "kube-actuator":
                        target = kube_target(name, kc_dead if fault == "refused" else kc)
                    else:
                        endpoint = f"http://127.0.0.1:{dead}" if fault == "refused" else base
                        target = {"kind": "aws-asg", "group": name, "region": "us-east-1", "endpoint": endpoint,
                                  "timeout": "1s", "retry_backoff": "100ms", "replicas": START}
                    policies.append({"name": pol, "script": "const.lua", "interval": "1s", "target": target,
                                     "minReplicas": 1, "maxReplicas": 50})
                    scenarios.append({"policy": pol, "kind": "actuator", "adapter": adapter, "fault": fault,
                                      "mode": mode, "target": name})

        config = os.path.join(d, "config.json")
        with open(config, "w") as f:
            json.dump({"policies": policies, "server": {"listen": "127.0.0.1:0"}}, f)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAFAULTS", AWS_SECRET_ACCESS_KEY="faults/secret")
        for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_AUTO_SCALING",
                  "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_SQS", "KUBECONFIG"):
            env.pop(k, None)
        errlog = open(os.path.join(d, "stderr"), "a+")  # O_APPEND: our reads move the offset the child shares
        t_start = time.monotonic()
        p = subprocess.Popen([luascale, "run", config, "--no-reload", "--log-format", "text"] + EXTRA,
                             stdout=subprocess.DEVNULL, stderr=errlog, env=env)
        try:
            addr = None
            deadline = time.time() + 120  # a sanitizer build on a loaded machine starts slowly
            while time.time() < deadline and addr is None and p.poll() is None:
                errlog.seek(0)
                m = re.search(r"serving .* on (127\.0\.0\.1:[0-9]+)", errlog.read())
                addr = m.group(1) if m else None
                time.sleep(0.05)
            check(addr is not None, "luascale run started and serves /metrics")
            if addr is None:
                errlog.seek(0)
                print(f"exit status {p.poll()}; stderr:\n" + errlog.read()[-3000:])
                return
            # The clock starts once every policy is built ("start running N policies"): building
            # 83 policies' adapters (each Kubernetes one loads the system CA store) takes over a
            # minute in a sanitizer build on a loaded machine.
            started = False
            while time.time() < deadline + 120 and not started and p.poll() is None:
                errlog.seek(0)
                started = re.search(r" start running [0-9]+ polic", errlog.read()) is not None
                time.sleep(0.1)
            check(started, f"every policy built ({time.monotonic() - t_start:.0f} s after the start)")
            t_ready = time.monotonic()
            # At least DURATION, then until every policy has finished two ticks (a loaded machine
            # stretches the slow scenarios), at most MAX_WAIT seconds in all.
            alive, waited_for = True, []
            while alive:
                alive = p.poll() is None
                elapsed = time.monotonic() - t_ready
                if elapsed >= DURATION:
                    with urllib.request.urlopen(f"http://{addr}/metrics", timeout=10) as r:
                        text = r.read().decode()
                    waited_for = [sc["policy"] for sc in scenarios
                                  if (metric(text, "luascale_evaluations_total", sc["policy"]) or 0) < 2]
                    if not waited_for or elapsed > MAX_WAIT:
                        break
                time.sleep(0.5)
            check(alive and p.poll() is None, f"still running after {time.monotonic() - t_start:.0f} s of faults")
            check(not waited_for, f"every policy finished two ticks within {MAX_WAIT} s (not: {waited_for})")
            with urllib.request.urlopen(f"http://{addr}/healthz", timeout=10) as r:
                check(r.status == 200, "/healthz answers during the faults")
            with urllib.request.urlopen(f"http://{addr}/metrics", timeout=10) as r:
                text = r.read().decode()
            with srv.lock:
                reqs = list(srv.requests)
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                rc = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                rc = "hung"
            srv.stop()
        check(rc == 0, f"exits 0 on SIGTERM (got {rc})")
        errlog.seek(0)
        log = errlog.read()
        check("Sanitizer" not in log and "runtime error" not in log, "no sanitizer report")

        def requests_for(key):
            kind, name = key
            if kind == "k8s":
                return [r for r in reqs if r["kind"].startswith("k8s") and r["name"] == name]
            if kind == "redis":
                return [r for r in reqs if r["kind"] == "redis" and r["fault"] == name]
            return [r for r in reqs if r["kind"] == kind and r["name"] == name]

        rows = []
        for sc in scenarios:
            pol = sc["policy"]
            evals = metric(text, "luascale_evaluations_total", pol) or 0
            ticks = evals + 1  # finished ticks + at most one in flight
            fetch_errors = metric(text, "luascale_signal_fetch_errors_total", pol)
            act_errors = metric(text, "luascale_actuation_errors_total", pol) or 0
            actuations = metric(text, "luascale_actuations_total", pol) or 0
            label = f"{pol}:"
            if sc["kind"] == "signal":
                writes = [r for r in reqs if r["name"] == sc["target"] and r["write"]]
                count = srv.replicas_of(sc["target"])
                n = len(requests_for(sc["key"])) if sc["key"] else 0
                bound = BOUND[sc["adapter"]]
                if sc["fault"] == "ok":
                    check(fetch_errors == 0 and count == VALUE and [w["value"] for w in writes] == [VALUE],
                          f"{label} control scales 3 -> 5 with one PATCH, no fetch error "
                          f"(count {count}, writes {[w['value'] for w in writes]}, fetch errors {fetch_errors})")
                else:
                    check(not writes and count == START,
                          f"{label} target held at {START} (count {count}, writes {[w['value'] for w in writes]})")
                    check(fetch_errors is not None and fetch_errors >= max(1, evals - 1),
                          f"{label} fetch errors counted on /metrics ({fetch_errors} for {evals:.0f} evaluations)")
                check(n <= bound * ticks, f"{label} {n} requests for {ticks:.0f} ticks (bound {bound}/tick)")
                rows.append((pol, evals, fetch_errors, act_errors, n / ticks, len(writes)))
            else:
                name = sc["target"]
                rs = [r for r in reqs if r["name"] == name and (r["kind"].startswith("k8s") if sc["adapter"] == "kube-actuator" else r["kind"].startswith("aws:"))]
                writes = [r for r in rs if r["write"]]
                count = srv.replicas_of(name) if sc["adapter"] == "kube-actuator" else srv.capacity_of(name)
                bound = BOUND[sc["adapter"]]
                if sc["fault"] == "ok":
                    check(count == VALUE and [w["value"] for w in writes] == [VALUE] and act_errors == 0 and actuations >= 1,
                          f"{label} control scales 3 -> 5 with one write (writes {[w['value'] for w in writes]}, "
                          f"actuation errors {act_errors})")
                elif sc["mode"] == "a":
                    check(not writes and count == START,
                          f"{label} unreadable target never written (count {count}, writes {[w['value'] for w in writes]})")
                    check(act_errors >= max(1, evals - 1),
                          f"{label} actuation errors counted on /metrics ({act_errors} for {evals:.0f} evaluations)")
                else:
                    check(writes and all(w["value"] == VALUE for w in writes) and count in (START, VALUE),
                          f"{label} only the decision is written (count {count}, writes {[w['value'] for w in writes]})")
                    # A write whose answer was lost may have been applied: the retry (or the next
                    # tick) reads the count back and finds nothing left to do, which is a success.
                    check(act_errors >= 1 or (count == VALUE and actuations >= 1),
                          f"{label} failed writes counted on /metrics, or the retry found the count applied "
                          f"({act_errors} errors, {actuations:.0f} actuations)")
                check(len(rs) <= bound * ticks, f"{label} {len(rs)} requests for {ticks:.0f} ticks (bound {bound}/tick)")
                rows.append((pol, evals, fetch_errors, act_errors, len(rs) / ticks, len(writes)))
        print(f"\n{'scenario':40} {'evals':>5} {'fetch_err':>9} {'act_err':>7} {'req/tick':>8} {'writes':>6}")
        for pol, evals, fe, ae, rpt, w in rows:
            print(f"{pol:40} {evals:5.0f} {'-' if fe is None else int(fe):>9} {ae:7.0f} {rpt:8.2f} {w:6d}")
        print(f"\n{len(scenarios)} scenarios, {len(reqs)} requests served, {time.monotonic() - t_start:.1f} s")
        if failures:
            print("\nlast log lines:\n" + "\n".join(log.splitlines()[-40:]))
            # The first log lines of each policy a failed check names: what went wrong there.
            for pol in sorted({f.split(":")[0] for f in failures if ":" in f}):
                lines = [l for l in log.splitlines() if f"policy={pol} " in l][:3]
                if lines:
                    print(f"\nfirst log lines of {pol}:\n" + "\n".join(lines))


main()
if failures:
    print(f"\n{len(failures)} check(s) failed")
    sys.exit(1)
print("all fault checks passed")
