#!/usr/bin/env bash
# `luascale tune` end to end: the Pareto table, the pasteable JSON (which, pasted into the config,
# replays to the figures tune reported), exit 3 when no setting meets the SLO, usage errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
trace="$SRC/examples/traces/azure_llm_conv_requests_per_second.csv"
"$LUASCALE" tune "$SRC/examples/whatif/config.json" --trace "$trace" \
  --param 'params.metrics[0].target=50:90:10' --param behavior.scaleDown.stabilizationWindowSeconds=0:300:100 \
  --slo under=5% --jobs 2 --quiet >"$work/out" 2>"$work/err"
expect "tune exits 0" test $? -eq 0
cat "$work/out"
expect "20 settings replayed" grep -q '^20 settings of llm-hpa replayed' "$work/out"
expect "the table marks the best setting" grep -q ' best$' "$work/out"
expect "the table speaks the replay's metric names" grep -qE '^ *params.metrics\[0\].target .* replica_hours +cost +under +slack +flips +errors +slo$' "$work/out"
expect "and prints shares as the replay does" grep -qE ' [0-9]+\.[0-9]{2}% +[0-9]+\.[0-9]{2}% +[0-9]+ +0 +best$' "$work/out"
expect "the verdict line too" grep -qE '^cheapest setting meeting under=5%: replica_hours [0-9.]+, cost [0-9.]+, under [0-9.]+%, slack [0-9.]+%, flips [0-9]+$' "$work/out"
# The snippet, pasted over the policy, replays to the replica-hours tune printed.
python3 - "$work/out" "$SRC/examples/whatif/config.json" "$work/tuned.json" <<'PY'
import json, re, sys
out = open(sys.argv[1]).read()
snippet = json.loads(out[out.index('paste into policies[0] of'):].split('\n', 1)[1])
text = open(sys.argv[2]).read()
text = '\n'.join(l for l in text.split('\n') if not l.lstrip().startswith('//'))
cfg = json.loads(text)
cfg['policies'][0].update(snippet)
cfg['policies'][0]['script'] = sys.argv[2].rsplit('/', 2)[0] + '/../policies/hpa.lua'
json.dump(cfg, open(sys.argv[3], 'w'))
print(re.search(r'meeting under=5%: replica_hours ([0-9.]+)', out).group(1))
PY
want=$(python3 -c 'import re,sys; print(re.search(r"meeting under=5%: replica_hours ([0-9.]+)", open(sys.argv[1]).read()).group(1))' "$work/out")
# The replay's summary, read by its header: the same metric names as tune's.
got=$("$LUASCALE" replay "$work/tuned.json" --trace "$trace" --quiet | python3 -c '
import sys
lines = sys.stdin.read().splitlines()
head = lines[0].split()
print(dict(zip(head, lines[2].split(None, len(head) - 1)))["replica_hours"])')
expect "the pasted setting replays to the same replica-hours ($want vs $got)" python3 -c "import sys; sys.exit(abs(float('$want') - float('${got:-0}')) > 0.05)"

"$LUASCALE" tune "$SRC/examples/whatif/config.json" --trace "$trace" --param maxReplicas=1,2 --slo under=0.1% --quiet >"$work/out2"
expect "no setting meets an impossible SLO: exit 3" test $? -eq 3
expect "and says so" grep -q '^no setting meets under=0.1%' "$work/out2"
"$LUASCALE" tune "$SRC/examples/whatif/config.json" --trace "$trace" 2>/dev/null
expect "--param is required (usage error, exit 2)" test $? -eq 2
"$LUASCALE" tune "$SRC/examples/whatif/config.json" --trace "$trace" --param 'params.metrics[4].target=1' 2>"$work/err3"
expect "a bad key path exits 1" test $? -eq 1
expect "naming the path" grep -q 'params.metrics\[4\].target: no element \[4\] in the config' "$work/err3"
# An SLO on a metric the config does not measure is an error, not a bound met by nothing.
"$LUASCALE" tune "$SRC/examples/quickstart/config.json" --trace "$trace" --param per_replica=1,2 --slo under=5% --quiet 2>"$work/err4" >/dev/null
expect "an unmeasured SLO exits 1" test $? -eq 1
expect "naming what it needs" grep -q -- '--slo under=5%: under is measured only with a demand model' "$work/err4"
exit "$fail"
