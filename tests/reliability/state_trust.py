#!/usr/bin/env python3
"""State it cannot trust, and a second copy of itself: `luascale run` (file actuator) restores a
state file written by a clock that ran ten years ahead, with counts out of range and a ctx.state
past the conversion limit, and checks (see RELIABILITY.md, "State file: trust and ownership"):
  1. nothing stamped in the future moves a target: a recommendation of 1000 (no behavior), a
     future scale event (rate limit), a future recommendation with a 0 s scale-down window, a
     future last_scale_time (cooldown 3 s: held one cooldown, not ten years); every target
     goes where its policy asks (3 -> 5, or 10 -> 5), and never past it;
  2. each dropped or clamped entry is logged with the policy and the field; the next save holds
     nothing later than its saved_at;
  3. a count of 1e300 and a ctx.state of 100,001 values reject that policy's saved state: set
     aside in <state>.rejected with the reason, the policy starts fresh and scales normally;
  4. a second `run` on the same state file exits 1 at once, naming the holder's pid, and never
     writes; once the first is SIGKILLed a new one starts;
  5. after ticks whose signal failed, the state written at SIGTERM holds the failure count of
     every one of them; the file is indented one space per level throughout.
Usage: state_trust.py LUASCALE"""
import json, os, signal, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runlib import Checks, Run, read_count, wait_for, write_json

luascale = sys.argv[1]
check = Checks()
YEARS_10 = 10 * 365 * 86400


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def indented_by_depth(text):
    """Every line starts with one space per level of nesting of what precedes it."""
    depth, in_string, escaped = 0, False, False
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        expected = depth - (1 if stripped[:1] in ("}", "]") else 0)
        if len(line) - len(stripped) != expected:
            return False
        for c in line:
            if in_string:
                if escaped:
                    escaped = False
                elif c == "\\":
                    escaped = True
                elif c == '"':
                    in_string = False
            elif c == '"':
                in_string = True
            elif c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
    return depth == 0


with tempfile.TemporaryDirectory(prefix="luascale-state-") as d:
    open(os.path.join(d, "five.lua"), "w").write(
        "return { decide = function(ctx)\n"
        "  ctx.state.n = (ctx.state.n or 0) + 1\n"
        "  return { replicas = 5, reason = 'five' }\nend }\n")
    open(os.path.join(d, "watch.lua"), "w").write(
        "return { decide = function(ctx)\n"
        "  ctx.state.n = (ctx.state.n or 0) + 1\n"
        "  local q = ctx:signal('q')\n"
        "  if q == nil then return nil end\n"
        "  return { replicas = q }\nend }\n")

    def target(name, start):
        return {"kind": "file", "path": os.path.join(d, name), "replicas": start}

    policies = [
        {"name": "ahead", "script": "five.lua", "interval": "200ms", "target": target("ahead", 3)},
        {"name": "rate", "script": "five.lua", "interval": "200ms", "target": target("rate", 3),
         "behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}},
        {"name": "down", "script": "five.lua", "interval": "200ms", "target": target("down", 10),
         "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}}},
        {"name": "cooldown", "script": "five.lua", "interval": "200ms",
         "target": target("cooldown", 3), "cooldown": "3s"},
        {"name": "huge", "script": "five.lua", "interval": "200ms", "target": target("huge", 3)},
        {"name": "bigstate", "script": "five.lua", "interval": "200ms",
         "target": target("bigstate", 3)},
        {"name": "failing", "script": "watch.lua", "interval": "200ms",
         "target": target("failing", 3),
         "signals": {"q": {"source": "redis", "url": f"redis://127.0.0.1:{closed_port()}",
                           "command": "llen", "key": "q", "timeout": "100ms"}}},
    ]
    config = os.path.join(d, "config.json")
    state = os.path.join(d, "state.json")
    write_json(config, {"policies": policies, "state_file": state,
                        "server": {"listen": "127.0.0.1:0"}})
    now = time.time()
    future = now + YEARS_10
    write_json(state, {"version": 1, "saved_at": future, "policies": {
        "ahead": {"guardrails": {"recommendations": [[future, 1000]]}, "ctx_state": {"n": 7}},
        "rate": {"guardrails": {"recommendations": [[now - 5, 3]],
                                "scale_up_events": [[future, 100]]}, "ctx_state": {}},
        "down": {"guardrails": {"recommendations": [[future, 10]]}, "ctx_state": {}},
        "cooldown": {"guardrails": {"recommendations": [[now - 5, 3]], "last_scale_time": future},
                     "ctx_state": {}},
        "huge": {"guardrails": {"recommendations": [[now - 5, 1e300]]}, "ctx_state": {"n": 3}},
        "bigstate": {"guardrails": {}, "ctx_state": {"list": [1] * 100001}},
    }})

    run = Run(luascale, config)
    check(run.addr is not None, "run started and serves")
    counts = {p["name"]: [] for p in policies}
    t0 = run.started

    def sample():
        for p in policies:
            path = p["target"]["path"]
            if os.path.exists(path):
                counts[p["name"]].append((time.time() - t0, read_count(path)))
        return False

    # Observe every count until 6 s after the start (the cooldown of 3 s is over by then).
    wait_for(sample, 6 - (time.time() - t0), step=0.02)
    wanted = {"ahead": 5, "rate": 4, "down": 5, "cooldown": 5, "huge": 5, "bigstate": 5}
    for name, want in wanted.items():
        seen = [c for _, c in counts[name]]
        bound = 10 if name == "down" else want
        check(seen and seen[-1] == want and max(seen) <= bound,
              f"{name}: ends at {want}, never past it (seen {sorted(set(seen))})")
    first_cooldown = next((t for t, c in counts["cooldown"] if c == 5), None)
    check(first_cooldown is not None and 3 <= first_cooldown < 5.5,
          f"cooldown: a last_scale_time 10 years ahead holds the target one cooldown (3 s), not "
          f"ten years (scaled {first_cooldown if first_cooldown is None else round(first_cooldown, 2)} s "
          f"after the process started)")

    # 4. A second copy on the same state file.
    c0 = {p["name"]: read_count(p["target"]["path"]) for p in policies
          if os.path.exists(p["target"]["path"])}
    t1 = time.time()
    second = Run(luascale, config, listen=False)
    try:
        rc = second.p.wait(timeout=10)
    except subprocess.TimeoutExpired:  # it runs: a second owner
        rc = second.stop()
    second._thread.join(5)
    refused_after = time.time() - t1
    msg = "\n".join(second.log())
    check(rc == 1 and f"in use by another luascale run (pid {run.pid}" in msg,
          f"a second run on the same state file exits 1 in {refused_after:.2f} s naming pid "
          f"{run.pid}: {msg.strip()[:160]}")

    # 2. The log names policy and field for each dropped or clamped entry.
    warns = [(e.get("policy"), e["msg"]) for e in run.events("state")]
    for name, field in [("ahead", "guardrails.recommendations"),
                        ("rate", "guardrails.scale_up_events"),
                        ("down", "guardrails.recommendations"),
                        ("cooldown", "guardrails.last_scale_time")]:
        check(any(p == name and field in m for p, m in warns),
              f"{name}: the log names the field ({field})")
    check(any(p == "huge" and "count 1e+300 is not an integer" in m for p, m in warns),
          "huge: 1e300 rejects the saved state, logged")
    check(any(p == "bigstate" and "more than 100000 values" in m for p, m in warns),
          "bigstate: a ctx.state past 100,000 values is rejected, logged")

    # 5. Failing signal: stop after a few failed ticks; every one is in the saved count.
    wait_for(lambda: (run.metric("luascale_signal_fetch_errors_total",
                                 'policy="failing",signal="q"') or 0) >= 5, 10)
    rc = run.stop()
    check(rc == 0, f"SIGTERM: exit 0 (rc {rc})")
    failed_ticks = len([e for e in run.events("signal_error") if e.get("policy") == "failing"])
    text = open(state).read()
    doc = json.loads(text)
    saved_failures = doc["policies"]["failing"]["guardrails"]["consecutive_failures"]
    check(saved_failures == failed_ticks and failed_ticks >= 5,
          f"failing: consecutive_failures saved at SIGTERM = {saved_failures}, failed ticks "
          f"{failed_ticks}")
    check(doc["policies"]["failing"]["ctx_state"]["n"] == failed_ticks,
          "failing: ctx.state of the last tick saved at SIGTERM")
    latest = doc["saved_at"]
    times = []
    for name, pol in doc["policies"].items():
        g = pol["guardrails"]
        times += [e[0] for e in g["recommendations"] + g["scale_up_events"] + g["scale_down_events"]]
        if g.get("last_scale_time") is not None:
            times.append(g["last_scale_time"])
    check(times and max(times) <= latest,
          f"the saved file holds nothing later than its saved_at ({len(times)} times checked)")
    check(doc["policies"]["ahead"]["ctx_state"]["n"] > 7, "ahead: the rest of its state was kept")
    check(indented_by_depth(text), "the state file is indented one space per level throughout")
    rejected = json.load(open(state + ".rejected"))["policies"]
    check(set(rejected) == {"huge", "bigstate"} and
          rejected["huge"]["state"]["ctx_state"]["n"] == 3,
          "rejected states set aside in state.json.rejected, with their reasons")
    after = {p["name"]: read_count(p["target"]["path"]) for p in policies
             if os.path.exists(p["target"]["path"])}
    check(all(after[k] == c0[k] for k in c0 if k != "failing"),
          "nothing moved while the second copy tried to start")

    # The lock goes with its holder, however it ends.
    third = Run(luascale, config, listen=False)
    time.sleep(0.5)
    third.p.send_signal(signal.SIGKILL)
    third.p.wait()
    fourth = Run(luascale, config, listen=False)
    started = wait_for(lambda: any(e["event"] == "start" for e in fourth.events()), 20)
    check(started and fourth.p.poll() is None, "after a SIGKILL of the holder, a new run starts")
    check(fourth.stop() == 0, "and stops cleanly")

check.exit()
