#!/usr/bin/env bash
# CLI behaviour end to end: exit codes, error texts that name the file and line, JSON output,
# the decisions CSV and the state file.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# eval: a decision as JSON.
out=$("$LUASCALE" eval "$SRC/policies/hpa.lua" --params '{"metrics":[{"signal":"rps","type":"AverageValue","target":10}]}' \
      --signals '{"rps": 95}' --target '{"replicas": 4}' --now 1700000000)
expect "eval exits 0" test $? -eq 0
expect "eval recommends ceil(95/10)" grep -q '"recommended": 10' <<<"$out"
expect "eval applies the legacy scale-up limit max(2x,4)" grep -q '"replicas": 8' <<<"$out"
expect "eval names the bounding rule" grep -q '"bound_by": "scaleUpLimit"' <<<"$out"

# eval --signals: the forms test files take, strictly.
"$LUASCALE" eval "$SRC/examples/quickstart/llm.lua" --signals '{"requests_per_second": {"histroy": [[-15, 4]]}}' \
  --now 1700000000 >/dev/null 2>"$work/err"
expect "eval: an unknown signal key exits 1" test $? -eq 1
expect "eval: it is named, with a suggestion and the accepted keys" grep -qF -- \
  '--signals.requests_per_second.histroy: unknown key (did you mean "history"?); accepted keys: history, value, age, error, stale_after' "$work/err"
pairs=$("$LUASCALE" eval "$SRC/examples/quickstart/llm.lua" --signals '{"requests_per_second": {"history": [[-45, 4], [-30, 9], [-15, 6], [0, 7]]}}' --now 1700000000)
tables=$("$LUASCALE" eval "$SRC/examples/quickstart/llm.lua" --signals '{"requests_per_second": {"history": [{"t": -45, "v": 4}, {"t": -30, "v": 9}, {"t": -15, "v": 6}, {"t": 0, "v": 7}]}}' --now 1700000000)
expect "eval: both history forms give the same decision" test "$pairs" = "$tables"
expect "eval: ... which is a decision" grep -q '"status": "decision"' <<<"$pairs"
"$LUASCALE" eval "$SRC/examples/quickstart/llm.lua" --signals '{"rps": 3}' --now 1700000000 >/dev/null 2>"$work/err"
expect "eval: a signal the policy read but --signals lacks is noted" \
  grep -qF 'note: policy "llm" read signal "requests_per_second", which --signals does not give' "$work/err"

"$LUASCALE" eval "$SRC/examples/quickstart/llm.lua" --target '{"replica": 3}' >/dev/null 2>"$work/err"
expect "eval: an unknown --target key is named with a suggestion" \
  grep -qF -- '--target.replica: unknown key (did you mean "replicas"?); accepted keys: replicas, ready, min, max' "$work/err"

# test: a policy given where a test file belongs is explained.
"$LUASCALE" test "$SRC/examples/quickstart/llm.lua" >"$work/out"
expect "test on a policy exits 1" test $? -eq 1
expect "test on a policy says what a test file is" grep -q 'llm.lua is a policy (it returns decide), not a test file' "$work/out"

# eval: a hostile policy is an error naming the policy; exit 1; the count is held.
cat > "$work/evil.lua" <<'LUA'
return { decide = function(ctx) os.execute("touch /tmp/pwned-by-policy") return { replicas = 1 } end }
LUA
out=$("$LUASCALE" eval "$work/evil.lua" --target '{"replicas": 3}' 2>"$work/err")
rc=$?
expect "hostile eval exits 1" test $rc -eq 1
expect "the error names the policy" grep -q 'policy \\"evil\\"' <<<"$out"
expect "the count is held" grep -q '"replicas": 3' <<<"$out"
expect "nothing was executed" test ! -e /tmp/pwned-by-policy

# check: config key paths and script lines.
cat > "$work/c.json" <<'JSON'
{"policies": [{"name": "a", "script": "missing.lua", "minReplicas": -1, "signals": {"q": {"stale_after": "never"}}}]}
JSON
"$LUASCALE" check "$work/c.json" 2>"$work/err"
expect "check of a bad config exits 1" test $? -eq 1
expect "check names the key path" grep -q "c.json: policies\[0\].signals.q.stale_after: 'never' is not a duration" "$work/err"

# replay: a malformed trace names file:line and exits 1.
printf 'timestamp,rps\n1,5\n2,five\n' > "$work/bad.csv"
"$LUASCALE" replay "$SRC/policies/hpa.lua" --trace "$work/bad.csv" 2>"$work/err" >/dev/null
expect "replay of a bad trace exits 1" test $? -eq 1
expect "the trace error names file:line" grep -q 'bad.csv:3: column "rps": not a number: "five"' "$work/err"

# replay: decisions CSV and the state file.
"$LUASCALE" replay "$SRC/examples/quickstart/config.json" --trace "$SRC/examples/traces/azure_llm_conv_requests_per_second.csv" \
  --out "$work/d.csv" --state-out "$work/state.json" --quiet >"$work/summary"
expect "replay exits 0" test $? -eq 0
expect "the CSV has a header" grep -q '^timestamp,recommended,replicas,bound_by,reason,policy,status,ready$' "$work/d.csv"
expect "one CSV row per tick (235 + header)" test "$(wc -l < "$work/d.csv")" -eq 236
expect "the summary names the policy" grep -q '^llm ' "$work/summary"
expect "the state file has the policy's ctx.state" grep -q '"peak"' "$work/state.json"
expect "the state file has a version" grep -q '"version": 1' "$work/state.json"

# eval --state starts from the replay's saved state (its recommendation history holds a scale-down
# that a fresh history would also hold only through the initial recommendation) and --state-out
# writes the new state; --target min/max act as the bounds (a count above max goes to max).
out=$("$LUASCALE" eval "$SRC/examples/quickstart/config.json" --state "$work/state.json" --state-out "$work/state2.json" \
      --signals '{"requests_per_second": 1}' --target '{"replicas": 9, "min": 1, "max": 5}' --now 1700162100)
expect "eval with a state file exits 0" test $? -eq 0
expect "a count above --target max goes to max" grep -q '"replicas": 5' <<<"$out"
expect "the restored ctx.state is visible" grep -q '"peak"' <<<"$out"
expect "eval --state-out writes a state file" grep -q '"llm"' "$work/state2.json"
"$LUASCALE" eval "$SRC/examples/quickstart/config.json" --state "$work/nope.json" --signals '{}' >/dev/null 2>"$work/err"
expect "a state file without the policy is an error" grep -q 'no state for policy "llm"' "$work/err"

# Closed loop, side by side, a fleet of traces in parallel: identical to the serial run.
cp "$SRC/examples/traces/azure_llm_conv_requests_per_second.csv" "$work/a.csv"
head -n 2000 "$SRC/examples/traces/azure_llm_conv_requests_per_second.csv" > "$work/b.csv"
args=(replay "$SRC/examples/whatif/config.json" --trace "$work/a.csv" --trace "$work/b.csv"
      --policy "$SRC/policies/hpa.lua" --policy "$SRC/examples/quickstart/llm.lua" --quiet)
"$LUASCALE" "${args[@]}" --out "$work/serial.csv" > "$work/serial.txt"
expect "fleet replay exits 0" test $? -eq 0
"$LUASCALE" "${args[@]}" --jobs 4 --out "$work/parallel.csv" > "$work/parallel.txt"
expect "--jobs 4 gives the same summary" cmp -s "$work/serial.txt" "$work/parallel.txt"
expect "--jobs 4 gives the same decisions" cmp -s "$work/serial.csv" "$work/parallel.csv"
expect "one summary row per trace and policy, named config policy/script" \
  test "$(grep -cE '^llm-hpa/(hpa|llm)\.lua ' "$work/serial.txt")" -eq 4
expect "the closed-loop summary has under-provisioning" grep -qE '^policy .* under +under_time +shortfall +recover ' "$work/serial.txt"
expect "shares print as percentages" grep -qE '^llm-hpa/hpa\.lua .* [0-9]+\.[0-9]{2}% ' "$work/serial.txt"
expect "with a demand model the CSV has under and shortfall" \
  grep -q '^timestamp,recommended,replicas,bound_by,reason,policy,status,ready,under,shortfall$' "$work/serial.csv"
"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$work/a.csv" --fail-if 'under>50%' --quiet >/dev/null
expect "--fail-if not crossed exits 0" test $? -eq 0
"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$work/a.csv" --fail-if 'replica_hours>1' --quiet > "$work/fail.txt"
expect "--fail-if crossed exits 3" test $? -eq 3
expect "--fail-if names the metric" grep -q '^fail-if: llm-hpa: replica_hours = ' "$work/fail.txt"
"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$work/a.csv" --fail-if 'speed>1' 2>"$work/err" >/dev/null
expect "an unknown --fail-if metric is an error" grep -q 'unknown metric "speed"' "$work/err"
"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$work/a.csv" --fail-if 'under_share>0.05' 2>"$work/err" >/dev/null
expect "a metric's other spelling points to its name" grep -q 'unknown metric "under_share" (did you mean "under"?)' "$work/err"
"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$work/a.csv" --fail-if 'under>0.1%' --quiet > "$work/fail.txt"
expect "--fail-if prints the value as the table does" grep -qE '^fail-if: llm-hpa: under = [0-9]+\.[0-9]{2}% \(under>0\.1%\)$' "$work/fail.txt"

# --slo on replay: a verdict per policy; exit 3 only when no policy meets it.
"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$work/a.csv" --policy "$SRC/policies/hpa.lua" \
  --policy "$SRC/examples/quickstart/llm.lua" --slo under=10% --quiet > "$work/slo.txt" 2>"$work/err"
expect "--slo met by one policy exits 0" test $? -eq 0
expect "--slo: the policy that meets it" grep -qE '^  llm-hpa/hpa\.lua +meets ' "$work/slo.txt"
expect "--slo: the policy that misses it, and by what" grep -qE '^  llm-hpa/llm\.lua +misses +under [0-9.]+% > 10\.00%' "$work/slo.txt"
"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$work/a.csv" --slo under=0.1% --quiet >/dev/null 2>"$work/err"
expect "--slo met by none exits 3" test $? -eq 3
expect "--slo met by none says so" grep -q 'no policy meets the SLO' "$work/err"
"$LUASCALE" replay "$SRC/examples/quickstart/config.json" --trace "$work/a.csv" --slo under=1% --quiet >/dev/null 2>"$work/err"
expect "--slo on under without a demand model is an error" grep -q -- '--slo under=1%: under is measured only with a demand model' "$work/err"

# usage errors exit 2 (CLI11).
"$LUASCALE" replay 2>/dev/null
expect "a usage error exits 2" test $? -eq 2
exit $fail
