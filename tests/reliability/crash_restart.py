#!/usr/bin/env python3
"""Crash/restart: SIGKILL `luascale run --state` at random points, many times, and check
after every kill (see RELIABILITY.md, "Crash/restart", for the exact promises):
  1. the state file, once it exists, always parses as {"version": 1, "policies": {...}} JSON;
  2. the count file the `file` actuator writes always holds exactly one integer line;
  3. the applied count never goes backwards across restarts (a restart never re-applies an
     older decision) and the persisted tick counter (ctx.state.n) never goes backwards;
  4. the persisted state never runs ahead of what was applied: n <= count - start;
  5. temp files of writes a kill interrupted never pile up (each start removes them);
and at the end a `--once` run moves the count by exactly one step and n by exactly one
(the restart continues from the applied count and the persisted state; nothing applied twice).
Usage: crash_restart.py LUASCALE ITERATIONS [SEED]"""
import json, os, random, signal, subprocess, sys, tempfile, time

luascale, iterations = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 8)
START = 1

with tempfile.TemporaryDirectory(prefix="luascale-crash-") as d:
    policy = os.path.join(d, "step.lua")
    with open(policy, "w") as f:
        f.write("""return { decide = function(ctx)
  ctx.state.n = (ctx.state.n or 0) + 1
  return { replicas = ctx.target.replicas + 1, reason = "tick " .. ctx.state.n }
end }
""")
    count_file = os.path.join(d, "count")
    state_file = os.path.join(d, "state.json")
    config = os.path.join(d, "config.json")
    with open(config, "w") as f:
        json.dump({"policies": [{"name": "step", "script": "step.lua", "interval": "50ms",
                                 "target": {"kind": "file", "path": count_file, "replicas": START},
                                 "minReplicas": 0, "maxReplicas": 2000000000}]}, f)

    def read_count():
        if not os.path.exists(count_file):
            return START
        text = open(count_file).read()
        assert text.endswith("\n") and text[:-1].isdigit(), f"count file torn: {text!r}"
        return int(text)

    def read_n(must_exist):
        if not os.path.exists(state_file):
            assert not must_exist, "state file disappeared"
            return 0
        doc = json.load(open(state_file))  # raises on a torn file
        assert doc["version"] == 1, doc
        pol = doc["policies"].get("step")
        return pol["ctx_state"]["n"] if pol else 0

    def temp_files():
        return [f for f in os.listdir(d) if ".tmp." in f]

    prev_count, prev_n, seen_state, kills, t0 = START, 0, False, 0, time.time()
    max_temps = 0
    for i in range(iterations):
        p = subprocess.Popen([luascale, "run", config, "--state", state_file, "--listen", "off",
                              "--no-reload"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.1, 2.5))
        p.send_signal(signal.SIGKILL)
        _, err = p.communicate()
        assert p.returncode == -signal.SIGKILL, (p.returncode, err.decode()[-2000:])
        kills += 1
        count = read_count()
        n = read_n(seen_state)
        seen_state = seen_state or os.path.exists(state_file)
        assert count >= prev_count, f"iteration {i}: count went back {prev_count} -> {count}"
        assert n >= prev_n, f"iteration {i}: persisted n went back {prev_n} -> {n}"
        assert n <= count - START, f"iteration {i}: state ahead of actuation: n={n} count={count}"
        prev_count, prev_n = count, n
        # A kill mid-write leaves at most the two files being written; the next start removes them.
        max_temps = max(max_temps, len(temp_files()))
        assert len(temp_files()) <= 2, f"iteration {i}: temp files pile up: {temp_files()}"
    # One clean tick: exactly one step from where the kills left things.
    r = subprocess.run([luascale, "run", config, "--state", state_file, "--listen", "off", "--once"],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    final_count, final_n = read_count(), read_n(True)
    assert final_count == prev_count + 1, (prev_count, final_count)
    assert final_n == prev_n + 1, (prev_n, final_n)
    leftovers = [f for f in os.listdir(d)
                 if f not in ("step.lua", "count", "state.json", "state.json.lock", "config.json")]
    assert not leftovers, f"left behind after a clean start and stop: {leftovers}"
    elapsed = time.time() - t0
    print(f"crash/restart: {kills} SIGKILLs in {elapsed:.1f} s; applied {final_count - START} steps, "
          f"persisted ticks {final_n} ({final_n / max(1, final_count - START):.3f} of applied; "
          f"the rest were lost in the 1 s save debounce before a kill); temp files after a kill: at most "
          f"{max_temps}, after the final run: {len(leftovers)}")
