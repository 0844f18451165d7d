#!/usr/bin/env bash
# Fitting the Holt-Winters smoothing of policies/predictive.lua with `luascale tune` (coordinate
# descent over alpha, beta, gamma) on two weeks of the bundled NASA trace: the fitted setting
# meets the SLO the defaults miss and costs fewer replica-hours, replayed on its own; the search
# gives the same answer on one or two threads.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
config="$SRC/examples/forecast/config.json"
trace="$SRC/examples/traces/nasa_http_1995_requests_per_minute.csv"
fit=(--to 1995-07-15T00:00:00Z --param alpha=0.1:0.9:0.1 --param beta=0:0.2:0.05
     --param gamma=0.1:0.9:0.1 --slo under=3% --max-runs 60)

"$LUASCALE" tune "$config" --trace "$trace" "${fit[@]}" --jobs 2 --quiet >"$work/tune2" 2>"$work/err"
expect "tune exits 0" test $? -eq 0
cat "$work/tune2" "$work/err"
expect "the 405-setting grid is searched by coordinate descent, to convergence" \
  grep -q 'replayed (coordinate descent over the 405-setting grid, [0-9]* sweeps, converged)' "$work/tune2"
"$LUASCALE" tune "$config" --trace "$trace" "${fit[@]}" --jobs 1 --quiet >"$work/tune1" 2>&1
expect "one thread gives the same output as two" cmp -s "$work/tune1" "$work/tune2"

# The defaults, and the fitted setting pasted into the config, replayed on their own.
python3 - "$work/tune2" "$config" "$work/tuned.json" "$work/defaults.json" "$SRC" <<'PY' || fail=1
import json, sys
out, config, tuned, defaults, src = sys.argv[1:]
text = open(out).read()
snippet = json.loads(text[text.index('paste into policies[0] of'):].split('\n', 1)[1])
raw = '\n'.join(l for l in open(config).read().split('\n') if not l.lstrip().startswith('//'))
cfg = json.loads(raw)
cfg['policies'][0]['script'] = src + '/policies/predictive.lua'
json.dump(cfg, open(defaults, 'w'))
p = cfg['policies'][0]['params']
fitted = snippet['params']
print('defaults: alpha=%s beta=%s gamma=%s; fitted: alpha=%s beta=%s gamma=%s' % (
    p['alpha'], p['beta'], p['gamma'], fitted['alpha'], fitted['beta'], fitted['gamma']))
if all(fitted[k] == p[k] for k in ('alpha', 'beta', 'gamma')):
    print('FAIL: the fitted setting is the default one')
    sys.exit(1)
cfg['policies'][0].update(snippet)
json.dump(cfg, open(tuned, 'w'))
PY
for which in defaults tuned; do
  "$LUASCALE" replay "$work/$which.json" --trace "$trace" --to 1995-07-15T00:00:00Z --quiet >"$work/$which.out"
  expect "$which replay exits 0" test $? -eq 0
  cat "$work/$which.out"
done
python3 - "$work/defaults.out" "$work/tuned.out" <<'PY' || fail=1
import sys
def row(path):
    lines = open(path).read().splitlines()
    head = lines[0].split()
    return dict(zip(head, lines[2].split(None, len(head) - 1)))
d, t = row(sys.argv[1]), row(sys.argv[2])
ok = True
def check(what, cond):
    global ok
    print(('ok: ' if cond else 'FAIL: ') + what)
    ok = ok and cond
check('no errors', d['errors'] == '0' and t['errors'] == '0')
pct = lambda v: float(v.rstrip('%'))
check('the defaults miss under=3%% (%s)' % d['under'], pct(d['under']) > 3)
check('the fitted setting meets it (%s)' % t['under'], pct(t['under']) <= 3)
check('and costs fewer replica_hours (%s vs %s)' % (t['replica_hours'], d['replica_hours']),
      float(t['replica_hours']) < float(d['replica_hours']))
sys.exit(0 if ok else 1)
PY
exit "$fail"
