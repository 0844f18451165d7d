#!/usr/bin/env bash
# The HTML replay report renders in a real browser: headless Chromium dumps the DOM and the
# assertions read it (the comparison table named by policy, the SLO verdicts, "best" only among
# the policies meeting it, what was replayed, one utilization axis, the time zone, the peaks of
# the 62-day NASA trace drawn where the data puts them, readable event strips) and takes
# screenshots that are not blank. Chromium is a test dependency (Makefile PACKAGES), so its
# absence is a failure, not a skip. LUASCALE_REPORT_SHOTS=DIR keeps the screenshots.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
lib="$(dirname "${BASH_SOURCE[0]}")/lib"
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "FAIL: chromium is not installed (make deps installs it)"; exit 1; }

# Chromium as root needs --no-sandbox; a private profile keeps it off $HOME.
browse() {  # browse REPORT CHROMIUM-ARGS...
  local report=$1
  shift
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-background-networking --no-first-run --hide-scrollbars \
    --user-data-dir="$work/profile" --window-size=1100,2400 "$@" "file://$report" 2>>"$work/chromium.log"
}
shoot() {  # shoot REPORT NAME: a screenshot, measured
  browse "$1" --screenshot="$work/$2.png" >/dev/null
  expect "$2: chromium wrote a screenshot" test -s "$work/$2.png"
  local stats w h ink colour
  stats=$(python3 "$lib/png_stats.py" "$work/$2.png")
  echo "$2 screenshot: width height ink-pixels colour-pixels = $stats"
  read -r w h ink colour <<<"$stats"
  expect "$2: the screenshot has the window's size" test "${w:-0}" -eq 1100
  expect "$2: the screenshot is not blank (>= 3% ink)" test "${ink:-0}" -ge $((w * h * 3 / 100))
  expect "$2: the screenshot is not all ink (<= 60%)" test "${ink:-0}" -le $((w * h * 60 / 100))
  expect "$2: the charts are drawn in colour (>= 0.5%)" test "${colour:-0}" -ge $((w * h / 200))
  if [ -n "${LUASCALE_REPORT_SHOTS:-}" ]; then mkdir -p "$LUASCALE_REPORT_SHOTS" && cp "$work/$2.png" "$LUASCALE_REPORT_SHOTS/"; fi
}

# 1. What-if, two policies side by side, closed loop with a demand model and an SLO one meets.
"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$SRC/examples/traces/azure_llm_conv_requests_per_second.csv" \
  --policy "$SRC/policies/hpa.lua" --policy "$SRC/examples/quickstart/llm.lua" --slo under=10% \
  --report "$work/whatif.html" --report-title 'What-if <LLM> & friends' --quiet >"$work/whatif.txt"
expect "replay --report exits 0" test $? -eq 0
expect "the report was written" test -s "$work/whatif.html"
expect "no scripts" bash -c "! grep -qi '<script' '$work/whatif.html'"
expect "no external resources" bash -c "! grep -Eqi '(src|href)=\"(https?:)?//|@import|url\\(' '$work/whatif.html'"
expect "the title is escaped" grep -q 'What-if &lt;LLM&gt; &amp; friends' "$work/whatif.html"
browse "$work/whatif.html" --dump-dom >"$work/whatif.dom"
expect "chromium dumped the DOM" test -s "$work/whatif.dom"
python3 - "$work/whatif.dom" "$work/whatif.txt" "$lib" <<'PY' || fail=1
import sys
sys.path.insert(0, sys.argv[3])
from report_dom import parse, axis_labels
dom = parse(sys.argv[1])
summary = open(sys.argv[2]).read().splitlines()
ok = True
def check(what, cond):
    global ok
    print(('ok: ' if cond else 'FAIL: ') + what)
    ok = ok and cond

tables = dom.find_all('table', 'comparison')
check('one comparison table', len(tables) == 1)
table = tables[0]
heads = [th.find('a').text() for th in table.find('thead').find_all('th') if th.find('a')]
check('a column per policy, named config-policy/script (%s)' % heads,
      heads == ['llm-hpa/hpa.lua', 'llm-hpa/llm.lua'])
rows = {}
for tr in table.find('tbody').find_all('tr'):
    th = tr.find('th')
    key = th.find('code').text() if th.find('code') else th.texts[0].strip()
    rows[key] = tr.find_all('td')
verdict = [td.text().strip() for td in rows['slo']]
check('an SLO verdict per policy (%s)' % verdict,
      verdict[0] == 'meets' and verdict[1].startswith('misses: under '))
best_columns = {i for tds in rows.values() for i, td in enumerate(tds) if 'best' in td.classes()}
check('no value is marked best with a single policy meeting the SLO (%s)' % best_columns,
      best_columns == set())
# The table's values are the summary table's, printed the same way.
head = summary[0].split()
values = {}
for line in summary[2:4]:
    cells = line.split(None, len(head) - 1)
    values[cells[0]] = dict(zip(head, cells))
for metric in ('under', 'recover', 'replica_hours', 'max_replicas', 'flips'):
    shown = [td.text().strip() for td in rows[metric]]
    want = [values['llm-hpa/hpa.lua'][metric], values['llm-hpa/llm.lua'][metric]]
    check('%s reads as in the summary table (%s)' % (metric, shown), shown == want)

setup = dom.find('section', 'setup')
text = setup.text() if setup else ''
check('the command line is shown', '--slo under=10%' in text and 'luascale replay' in text)
check('the config is shown', 'examples/whatif/config.json' in text)
check('the trace is shown with its rows', 'azure_llm_conv_requests_per_second.csv: ' in text and 'rows replayed' in text)
check('the demand model is shown', '"capacity_per_replica": 2' in text)
check('the time zone is said', 'UTC' in text)
sections = dom.find_all('section', 'policy')
check('a section per policy', len(sections) == 2)
for s in sections:
    name = s.find('h2').text()
    params = s.find('pre', 'params')
    guard = s.find('pre', 'guardrails')
    check(name + ': its params are shown', params is not None and '"target": 70' in params.text())
    check(name + ': its guardrails are shown',
          guard is not None and '"stabilizationWindowSeconds": 120' in guard.text())
    load = s.find('svg', 'demand-chart')
    check(name + ': the load is the demand model\'s, named so',
          'demand: requests_per_second (left axis)' in s.text())
    check(name + ': the time axis says UTC',
          all(any(t.text() == 'UTC' for t in svg.find_all('text')) for svg in s.find_all('svg', 'chart')
              if 'strip' not in svg.classes()))
tops = [max(axis_labels(s.find('svg', 'demand-chart'), 'start')) for s in sections]
check('one utilization axis for both policies (%s)' % tops, len(set(tops)) == 1 and tops[0] >= 100)
sys.exit(0 if ok else 1)
PY
shoot "$work/whatif.html" whatif

# 2. The 62-day NASA trace at one row a minute: the chart's peaks are the data's.
"$LUASCALE" replay "$SRC/examples/demo/config.json" --trace "$SRC/examples/traces/nasa_http_1995_requests_per_minute.csv" \
  --report "$work/nasa.html" --quiet >"$work/nasa.txt"
expect "the NASA replay exits 0" test $? -eq 0
browse "$work/nasa.html" --dump-dom >"$work/nasa.dom"
python3 - "$work/nasa.dom" "$work/nasa.txt" "$SRC/examples/traces/nasa_http_1995_requests_per_minute.csv" "$lib" <<'PY' || fail=1
import csv, sys
sys.path.insert(0, sys.argv[4])
from report_dom import parse, path_points, axis_labels
dom = parse(sys.argv[1])
summary = open(sys.argv[2]).read().splitlines()
head = summary[0].split()
row = dict(zip(head, summary[2].split(None, len(head) - 1)))
trace_max = max(float(r[1]) for r in csv.reader(open(sys.argv[3])) if r and r[0][0].isdigit() and r[1])
ok = True
def check(what, cond):
    global ok
    print(('ok: ' if cond else 'FAIL: ') + what)
    ok = ok and cond
BASE, TOP = 146.0, 10.0  # the charts' baseline and top, SVG units

def drawn_max(svg, cls):
    """The largest value a path reaches, read back through the chart's left axis."""
    path = svg.find('path', cls)
    ys = [y for _, y in path_points(path.attrs['d'])]
    top_value = max(axis_labels(svg, 'end'))
    return (BASE - min(ys)) / (BASE - TOP) * top_value

load = dom.find('svg', 'demand-chart')
drawn = drawn_max(load, 'signal')
check('the load line reaches the trace maximum %g (drawn %.1f)' % (trace_max, drawn),
      abs(drawn - trace_max) < 0.01 * trace_max)
check('its peak is labelled max %g' % trace_max,
      any(t.text() == 'max %g' % trace_max for t in load.find_all('text')))
check('without a demand model the line is a signal, not "demand"',
      'signal requests_per_minute (left axis)' in dom.text() and 'demand:' not in dom.text())
replicas = dom.find('svg', 'replicas-chart')
drawn_r = drawn_max(replicas, 'replicas')
check('the replicas line reaches the table\'s max_replicas %s (drawn %.2f)' % (row['max_replicas'], drawn_r),
      abs(drawn_r - float(row['max_replicas'])) < 0.05)
strip = dom.find('svg', 'strip')
ups = strip.find_all('rect', 'up')
downs = strip.find_all('rect', 'down')
check('the event strip has bars, not a line per event (%d up, %d down bars; %s + %s events)'
      % (len(ups), len(downs), row['scale_ups'], row['scale_downs']),
      0 < len(ups) <= 240 and 0 < len(downs) <= 240)
heights = sorted(float(r.attrs['height']) for r in ups + downs)
check('bars differ in height with the count they hold (%.1f .. %.1f)' % (heights[0], heights[-1]),
      heights[-1] > 2 * heights[0])
counted = sum(int(r.find('title').text().split()[0]) for r in ups)
check('the up bars hold every scale-up (%d of %s)' % (counted, row['scale_ups']),
      counted == int(row['scale_ups']))
note = dom.find('p', 'strip-note')
check('the strip says what a bar is', note is not None and note.text().startswith('Each bar counts the events of '))
sys.exit(0 if ok else 1)
PY
shoot "$work/nasa.html" nasa
[ "$fail" -eq 0 ] || { echo "--- chromium log"; tail -n 20 "$work/chromium.log"; }
exit "$fail"
