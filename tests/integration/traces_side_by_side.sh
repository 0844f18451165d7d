#!/usr/bin/env bash
# Every bundled real trace (examples/traces/*.csv: the copies of the shared traces, see each
# .SOURCE.md) replayed with policies/hpa.lua and policies/predictive.lua side by side: the
# comparison table has a row per policy, no script errors, and figures that hang together.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

traces=("$SRC"/examples/traces/*.csv)
expect "the bundled traces are there (${#traces[@]})" test "${#traces[@]}" -ge 3
for trace in "${traces[@]}"; do
  name=$(basename "$trace" .csv)
  # One config per trace: its column, its step as the interval (at least 15 s), and a replica
  # sized for a fifth of the mean (so the counts move); hpa reads the metric as an average value
  # per replica, predictive as its demand signal; the demand model measures under-provisioning.
  python3 - "$trace" "$SRC" "$work/$name.json" <<'PY' || { echo "FAIL: config for $name"; fail=1; continue; }
import csv, json, sys
trace, src, out = sys.argv[1:]
with open(trace) as f:
    rows = csv.reader(f)
    head = next(rows)
    column = head[1]
    times, values = [], []
    for r in rows:
        if not r or r[0].startswith('#'):
            continue
        times.append(float(r[0]))
        if r[1] not in ('', 'NaN', 'null'):
            values.append(float(r[1]))
step = sorted(b - a for a, b in zip(times, times[1:]))[len(times) // 2]
per_replica = max(sum(values) / len(values) / 5, 1e-6)
json.dump({
    "policies": [{
        "name": "side-by-side",
        "script": src + "/policies/hpa.lua",
        "params": {"metrics": [{"signal": column, "type": "AverageValue", "target": per_replica}],
                   "signal": column, "per_replica": per_replica},
        "interval": "%ds" % max(15, int(step)),
        "target": {"replicas": 2},
        "minReplicas": 1, "maxReplicas": 50,
        "signals": {column: {"stale_after": "%ds" % int(5 * max(15, step))}},
    }],
    "replay": {"demand": column, "capacity_per_replica": per_replica, "target_utilization": 100,
               "margin": 0, "ready_delay": "60s"},
}, open(out, 'w'), indent=1)
PY
  start=$(date +%s.%N)
  "$LUASCALE" replay "$work/$name.json" --trace "$trace" --policy "$SRC/policies/hpa.lua" \
    --policy "$SRC/policies/predictive.lua" --jobs 2 --fail-if 'errors>0' --quiet >"$work/$name.out" 2>"$work/$name.err"
  rc=$?
  secs=$(python3 -c "import time; print('%.1f' % (time.time() - $start))")
  echo "== $name ($secs s)"
  cat "$work/$name.out" "$work/$name.err"
  expect "$name: replays with exit 0 (no script errors)" test "$rc" -eq 0
  python3 - "$work/$name.out" "$name" <<'PY' || fail=1
import sys
lines = open(sys.argv[1]).read().splitlines()
name = sys.argv[2]
def check(what, ok):
    print(('ok: ' if ok else 'FAIL: ') + name + ': ' + what)
    return ok
ok = check('a table with a header and a rule', len(lines) >= 4 and set(lines[1]) == {'-'})
head = lines[0].split()
# The last column (guardrails) may hold spaces: split the rest only.
cells = [r.split(None, len(head) - 1) for r in lines[2:] if ': first error at ' not in r]
rows = {c[0]: dict(zip(head, c)) for c in cells if len(c) == len(head)}
ok &= check('side by side: a row for hpa and for predictive',
            set(rows) == {'side-by-side/hpa.lua', 'side-by-side/predictive.lua'})
for policy, r in rows.items():
    f = lambda k: float(r[k].rstrip('%'))
    ok &= check(policy + ': the same ticks for both',
                f('ticks') == float(rows['side-by-side/hpa.lua']['ticks']))
    ok &= check(policy + ': no script errors', r['errors'] == '0')
    ok &= check(policy + ': every tick a decision or a hold',
                f('decisions') + f('holds') == f('ticks'))
    ok &= check(policy + ': replica_hours > 0', f('replica_hours') > 0)
    ok &= check(policy + ': 1 <= min <= mean <= max <= 50',
                1 <= f('min_replicas') <= f('mean_replicas') + 1e-9 and
                f('mean_replicas') <= f('max_replicas') + 1e-9 and f('max_replicas') <= 50)
    ok &= check(policy + ': the counts move (ups %s, downs %s)' % (r['scale_ups'], r['scale_downs']),
                f('scale_ups') > 0 and f('scale_downs') > 0)
    ok &= check(policy + ': 0% <= under <= 100%', r['under'].endswith('%') and 0 <= f('under') <= 100)
    ok &= check(policy + ': no row is all zeros', f('mean_replicas') > 0)
sys.exit(0 if ok else 1)
PY
done
exit "$fail"
