#!/usr/bin/env bash
# tests/integration/replay_refusals.sh — replay refuses input that would give a quiet wrong answer,
# with a non-zero exit and the culprit named; failed evaluations fail the replay unless allowed;
# a bare policy starts at the documented count.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cat >"$work/queue.lua" <<'LUA'
return { decide = function(ctx)
  local q = ctx:signal("queue")
  if q == nil then return nil end
  return { replicas = math.ceil(q / 10) }
end }
LUA
printf 'timestamp,depth,cpu\n0,10,1\n30,20,1\n60,30,1\n90,40,1\n' >"$work/t.csv"

# A signal the policy reads that nothing feeds: named, with the columns.
"$LUASCALE" replay "$work/queue.lua" --trace "$work/t.csv" --quiet >/dev/null 2>"$work/err"
expect "an unfed signal exits 1" test $? -eq 1
expect "it names the signal and the columns" \
  grep -q 'reads signal "queue", which is neither configured nor a column of .*t.csv (columns: depth, cpu)' "$work/err"

# A multi-series Prometheus answer read by a bare policy: the columns carry labels, so the plain
# name is no column; the error lists the labelled ones.
cat >"$work/cpu.lua" <<'LUA'
return { decide = function(ctx) local c = ctx:signal("cpu") if c == nil then return nil end
  return { replicas = math.ceil(c) } end }
LUA
cat >"$work/cpu.json" <<'JSON'
{"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"__name__":"cpu","pod":"a"},"values":[[0,"1"],[15,"2"],[30,"3"]]},
 {"metric":{"__name__":"cpu","pod":"b"},"values":[[0,"1"],[15,"2"],[30,"3"]]}]}}
JSON
"$LUASCALE" replay "$work/cpu.lua" --trace "cpu=$work/cpu.json" --quiet >/dev/null 2>"$work/err"
expect "a multi-series trace read by its plain name exits 1" test $? -eq 1
expect "the labelled columns are listed" grep -q 'reads signal "cpu".*(columns: cpu{pod="a"}, cpu{pod="b"})' "$work/err"

# The window.
cat >"$work/ok.lua" <<'LUA'
return { decide = function(ctx) local d = ctx:signal("depth") if d == nil then return nil end
  return { replicas = math.ceil(d / 10) } end }
LUA
"$LUASCALE" replay "$work/ok.lua" --trace "$work/t.csv" --from 60 --to 30 --quiet >/dev/null 2>"$work/err"
expect "--from after --to exits 1" test $? -eq 1
expect "--from after --to is named" grep -q -- '--from 1970-01-01T00:01:00Z is after --to 1970-01-01T00:00:30Z' "$work/err"
"$LUASCALE" replay "$work/ok.lua" --trace "$work/t.csv" --from 1000 --quiet >/dev/null 2>"$work/err"
expect "a window after the trace exits 1" test $? -eq 1
expect "it says where the rows are" \
  grep -q "no rows in the replay window (from 1970-01-01T00:16:40Z to the end): the trace's rows run from 1970-01-01T00:00:00Z to 1970-01-01T00:01:30Z" "$work/err"
"$LUASCALE" tune "$SRC/examples/whatif/config.json" --trace "$SRC/examples/traces/azure_llm_conv_requests_per_second.csv" \
  --param per_replica=1,2 --from 2030-01-01 --to 2020-01-01 --quiet >/dev/null 2>"$work/err"
expect "tune checks the window the same way" grep -q -- '--from 2030-01-01T00:00:00Z is after --to 2020-01-01T00:00:00Z' "$work/err"

# An interval longer than the trace.
"$LUASCALE" replay "$work/ok.lua" --trace "$work/t.csv" --interval 1h --quiet >/dev/null 2>"$work/err"
expect "an interval longer than the trace exits 1" test $? -eq 1
expect "it names the interval and the span" grep -q '(1h) is longer than the rows of .*t.csv it replays (1m30s' "$work/err"

# Repeated and decreasing timestamps, with both lines.
printf 'timestamp,depth\n0,1\n30,1\n30,2\n' >"$work/dup.csv"
"$LUASCALE" replay "$work/ok.lua" --trace "$work/dup.csv" --quiet >/dev/null 2>"$work/err"
expect "a repeated timestamp exits 1" test $? -eq 1
expect "it names both lines" grep -q "dup.csv:4: timestamp 1970-01-01T00:00:30Z repeats line 3's" "$work/err"
printf 'timestamp,depth\n0,1\n30,1\n20,2\n' >"$work/back.csv"
"$LUASCALE" replay "$work/ok.lua" --trace "$work/back.csv" --quiet >/dev/null 2>"$work/err"
expect "a timestamp going back exits 1" test $? -eq 1
expect "it names both lines" grep -q 'back.csv:4: timestamp 1970-01-01T00:00:20Z goes back in time (line 3 has 1970-01-01T00:00:30Z)' "$work/err"

# Failed evaluations: exit 1 with the count and the first error, unless allowed.
cat >"$work/boom.lua" <<'LUA'
return { decide = function(ctx) error("no model for this load") end }
LUA
"$LUASCALE" replay "$work/boom.lua" --trace "$work/t.csv" --quiet >"$work/out" 2>"$work/err"
expect "a replay whose evaluations failed exits 1" test $? -eq 1
expect "the summary is still printed" grep -qE '^boom .* 7 ' "$work/out"
expect "the count and the first error are named" \
  grep -q 'error: boom: 7 of 7 evaluations failed; the first at 1970-01-01T00:00:00Z: .*no model for this load' "$work/err"
expect "and how to accept them" grep -q -- '--allow-errors' "$work/err"
"$LUASCALE" replay "$work/boom.lua" --trace "$work/t.csv" --quiet --allow-errors >/dev/null 2>&1
expect "--allow-errors accepts them" test $? -eq 0
"$LUASCALE" replay "$work/boom.lua" --trace "$work/t.csv" --quiet --fail-if 'errors>10' >/dev/null 2>&1
expect "a --fail-if on errors takes charge of them" test $? -eq 0

# A bare policy starts at 1, the default minReplicas.
cat >"$work/hold.lua" <<'LUA'
return { decide = function(ctx) return nil end }
LUA
"$LUASCALE" replay "$work/hold.lua" --trace "$work/t.csv" --out "$work/d.csv" --quiet >"$work/out"
expect "a bare policy replays" test $? -eq 0
expect "a bare policy starts at 1" grep -qE '^0,,1,hold,' "$work/d.csv"
exit $fail
