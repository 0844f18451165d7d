#!/usr/bin/env bash
# `luascale replay --backtest` on the NASA trace: policies/predictive.lua's forecasts against what
# came, per horizon (MAE, MAPE, bias, interval coverage), after the summary and in the HTML
# report; the same on any --jobs; a policy that never forecasts, or a signal the trace lacks, is
# an error that says so.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
config="$SRC/examples/forecast/config.json"
trace="$SRC/examples/traces/nasa_http_1995_requests_per_minute.csv"
"$LUASCALE" replay "$config" --trace "$trace" --to 1995-07-15T00:00:00Z --backtest --quiet \
  --report "$work/report.html" >"$work/out" 2>"$work/err"
expect "replay --backtest exits 0" test $? -eq 0
cat "$work/out" "$work/err"
expect "the summary has slack" grep -qE '^policy .* recover +slack +guardrails$' "$work/out"
expect "the backtest names the policy, the signal and the step" \
  grep -qE '^forecast backtest of web-forecast against requests_per_minute \([0-9]+ forecasts; horizon in steps of 10m\):$' "$work/out"
expect "with the errors per horizon" grep -qE '^horizon +ahead +points +mae +mape +bias +coverage$' "$work/out"
python3 - "$work/out" <<'PY' || fail=1
import sys
lines = open(sys.argv[1]).read().splitlines()
at = lines.index(next(l for l in lines if l.startswith('horizon ')))
rows = {}
for l in lines[at + 2:]:
    if not l.strip() or l.startswith('forecast') or 'not scored' in l:
        break
    cells = l.split()
    rows[cells[0]] = cells
ok = True
def check(what, cond):
    global ok
    print(('ok: ' if cond else 'FAIL: ') + what)
    ok = ok and cond
check('horizons 1, 2 and 3 (lead 20m + the open 10m step) and all: %s' % sorted(rows), sorted(rows) == ['1', '2', '3', 'all'])
pts = {h: int(r[2]) for h, r in rows.items() if h != 'all'}
check('every horizon scored, all = their sum', all(p > 1000 for p in pts.values()) and int(rows['all'][1]) == sum(pts.values()))
mae = [float(rows[h][3]) for h in ('1', '2', '3')]
check('the error grows with the horizon (%s)' % mae, mae[0] < mae[1] < mae[2])
cov = float(rows['all'][-1].rstrip('%'))
check('the two-RMSE interval covers most of what came (%s%%)' % cov, 80 < cov <= 100)
sys.exit(0 if ok else 1)
PY
expect "the report has the backtest" grep -q '<h2>Forecast backtest</h2>' "$work/report.html"
expect "with the same table" grep -q 'forecast backtest of web-forecast against requests_per_minute' "$work/report.html"
"$LUASCALE" replay "$config" --trace "$trace" --to 1995-07-15T00:00:00Z --backtest --quiet \
  --policy "$SRC/policies/predictive.lua" --policy "$SRC/policies/predictive.lua" --jobs 2 >"$work/two" 2>&1
expect "two replays in parallel exit 0" test $? -eq 0
expect "and give the same backtest as one" \
  test "$(grep -A6 '^forecast backtest' "$work/out" | tail -n +2)" = "$(grep -m1 -A6 '^forecast backtest' "$work/two" | tail -n +2)"

# A policy that never forecasts.
"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$SRC/examples/traces/azure_llm_conv_requests_per_second.csv" \
  --backtest --quiet >"$work/hpa" 2>"$work/hpa_err"
expect "--backtest of a policy that never forecasts exits 1" test $? -eq 1
expect "saying it made no forecast" grep -q -- '--backtest: the policy made no forecast' "$work/hpa_err"
expect "and how many decisions it made" grep -q '^llm-hpa: no forecast to backtest (none of its 235 decisions carried one)$' "$work/hpa"
"$LUASCALE" replay "$config" --trace "$trace" --to 1995-07-03T00:00:00Z --backtest --backtest-signal rps --quiet 2>"$work/sig_err" >/dev/null
expect "a signal the trace lacks exits 1" test $? -eq 1
expect "naming the columns" grep -q -- '--backtest: .* has no column "rps" (from --backtest-signal; columns: requests_per_minute)' "$work/sig_err"
exit "$fail"
