#!/usr/bin/env bash
# The benchmark script (`make benchmarks`, benchmarks/run.py) end to end on a short window of the
# Azure trace: it tunes on the first half, judges on the second and prints its table and verdict.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
python3 "$SRC/benchmarks/run.py" --luascale "$LUASCALE" --trace azure --rows 1200 --jobs 2 >"$work/out" 2>&1
expect "the benchmark script exits 0" test $? -eq 0
cat "$work/out"
for wf in hpa-default hpa-tuned predictive predictive-tuned; do
  expect "a row for $wf" grep -qE "^\| $wf \| .* \| [0-9.]+ \| [-+][0-9.]+ % \| [0-9.]+ % \| [0-9]+s \| -?[0-9.]+ % \| [0-9]+ \| [0-9]+ \|$" "$work/out"
done
expect "and a verdict" grep -qE '^- azure: (meets|does not meet) the aim' "$work/out"
exit "$fail"
