#!/usr/bin/env bash
# `luascale tune --holdout` on the Azure LLM trace: the search runs on the first half, its Pareto
# front is replayed on the second, both sets of figures side by side, the pick by the held-out
# ones (meeting the SLO on both parts); the snippet says which part it was judged on and, pasted
# into the config, `replay --holdout` gives the held-out figures tune printed; the same output on
# one or two threads; bad splits are refused with a clear message.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
config="$SRC/examples/whatif/config.json"
trace="$SRC/examples/traces/azure_llm_conv_requests_per_second.csv"
args=(--trace "$trace" --param 'params.metrics[0].target=50:90:10'
      --param behavior.scaleDown.stabilizationWindowSeconds=0:300:100 --slo under=5% --holdout 0.5 --quiet)
"$LUASCALE" tune "$config" "${args[@]}" --jobs 2 >"$work/out2" 2>"$work/err"
expect "tune --holdout exits 0" test $? -eq 0
cat "$work/out2" "$work/err"
"$LUASCALE" tune "$config" "${args[@]}" --jobs 1 >"$work/out1" 2>&1
expect "one thread gives the same output as two" cmp -s "$work/out1" "$work/out2"
expect "the split is stated: search on the first half, judged on the second" \
  grep -q 'replayed on the search part, 2023-11-16T18:15:46Z to 2023-11-16T18:44:57Z; .* held-out part, 2023-11-16T18:44:57Z to 2023-11-16T19:14:08Z' "$work/out2"
expect "the table shows both parts side by side" grep -qE '\| +search: .*\| +held out:' "$work/out2"
expect "the pick is marked" grep -qE ' best$' "$work/out2"
expect "the verdict line gives both sets of figures" \
  grep -qE '^cheapest setting meeting under=5% on both parts, cheapest on the held-out part: replica_hours [0-9.]+, cost [0-9.]+, under [0-9.]+%, slack [0-9.]+%, flips [0-9]+ \(search part: ' "$work/out2"
expect "the snippet says which part it was judged on" \
  grep -q '^  // judged on the held-out part, 2023-11-16T18:44:57Z to 2023-11-16T19:14:08Z; searched on 2023-11-16T18:15:46Z to 2023-11-16T18:44:57Z$' "$work/out2"
# The snippet pasted over the policy: replay --holdout 0.5 gives the held-out replica-hours.
python3 - "$work/out2" "$config" "$work/tuned.json" "$SRC" <<'PY' || fail=1
import json, sys
out, config, tuned, src = sys.argv[1:]
text = out and open(out).read()
strip = lambda t: '\n'.join(l for l in t.split('\n') if not l.lstrip().startswith('//'))
snippet = json.loads(strip(text[text.index('paste into policies[0] of'):].split('\n', 1)[1]))
cfg = json.loads(strip(open(config).read()))
cfg['policies'][0].update(snippet)
cfg['policies'][0]['script'] = src + '/policies/hpa.lua'
json.dump(cfg, open(tuned, 'w'))
PY
want=$(sed -n 's/^cheapest setting meeting .* held-out part: replica_hours \([0-9.]*\),.*/\1/p' "$work/out2")
got=$("$LUASCALE" replay "$work/tuned.json" --trace "$trace" --holdout 0.5 --quiet | python3 -c '
import sys
lines = sys.stdin.read().splitlines()
head = lines[0].split()
row = dict(zip(head, lines[2].split(None, len(head) - 1)))
print(row["replica_hours"], row["span"])')
echo "held out by tune: $want; replay --holdout 0.5: $got"
expect "replay --holdout 0.5 of the pasted setting gives tune's held-out replica-hours" test "${got%% *}" = "$want"
expect "and covers the second half only (the ticks from the split on)" test "${got#* }" = "29m15s"

# Bad input.
"$LUASCALE" tune "$config" --trace "$trace" --param maxReplicas=5 --holdout 1.5 --quiet 2>"$work/bad1"
expect "--holdout 1.5 exits 1" test $? -eq 1
expect "saying what a fraction is" grep -q -- '--holdout 1.5: a fraction must be above 0 and below 1' "$work/bad1"
"$LUASCALE" tune "$config" --trace "$trace" --param maxReplicas=5 --holdout 2023-11-16T20:00:00Z --quiet 2>"$work/bad2"
expect "a split after the last row exits 1" test $? -eq 1
expect "saying the held-out part would be empty" grep -q 'after the last row, and hold nothing (the trace.s rows run from 2023-11-16T18:15:46Z to 2023-11-16T19:14:08Z)' "$work/bad2"
"$LUASCALE" tune "$config" --trace "$trace" --param maxReplicas=5 --holdout 2023-11-16T18:00:00Z --quiet 2>"$work/bad3"
expect "a split before the first row exits 1" test $? -eq 1
expect "saying nothing is left to search on" grep -q 'leave nothing to search on' "$work/bad3"
exit "$fail"
