#!/usr/bin/env bash
# `luascale replay --prometheus URL --query NAME=PROMQL ...` against a real Prometheus server on
# loopback that scrapes itself: the pull is chunked (at most 10,000 steps per request) without
# losing or repeating a step, scraped series arrive named by their differing labels, and the
# query_range errors of the server reach the user.
set -u
: "${LUASCALE:?} ${SRC:?}"
work=$(mktemp -d)
prom_pid=
cleanup() {
  if [ -n "$prom_pid" ]; then kill "$prom_pid" 2>/dev/null; wait "$prom_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail=0
expect() {  # expect NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok: $name"; else echo "FAIL: $name"; fail=1; fi
}
command -v prometheus >/dev/null || { echo "FAIL: prometheus is not installed (make deps installs it)"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
cat > "$work/prometheus.yml" <<YML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: self
    static_configs: [{ targets: ["127.0.0.1:$port"], labels: { role: a } }]
  - job_name: self-again
    static_configs: [{ targets: ["127.0.0.1:$port"], labels: { role: b } }]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$port" >"$work/prometheus.log" 2>&1 &
prom_pid=$!

# Bounded wait: ready, then two scrapes of both jobs (up has two series).
deadline=$((SECONDS + 90))
until [ "$(curl -s "$url/api/v1/query?query=count(count_over_time(up%5B1m%5D)%3E%3D2)" | python3 -c 'import json,sys
try: r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)
except Exception: print(0)' 2>/dev/null)" = 2 ]; do
  if [ $SECONDS -ge $deadline ] || ! kill -0 "$prom_pid" 2>/dev/null; then
    echo "FAIL: prometheus did not come up with data"; tail -n 20 "$work/prometheus.log"; exit 1
  fi
  sleep 0.5
done
echo "prometheus ready on $url"

cat > "$work/echo.lua" <<'LUA'
-- Scales to the number of series of `up` that are 1 (both scrape jobs): 2.
return { decide = function(ctx)
  local a, b = ctx:signal('up{job="self",role="a"}'), ctx:signal('up{job="self-again",role="b"}')
  if not a or not b then return nil end
  return { replicas = math.floor(a + b) }
end }
LUA
cat > "$work/t.lua" <<'LUA'
-- Reads the pulled `t`: one replica while it is there.
return { decide = function(ctx) if ctx:signal("t") == nil then return nil end return { replicas = 1 } end }
LUA
now=$(date +%s)
# 1. Chunking: 3 h at 1 s = 10,801 steps, two requests; vector(time()) has a value at every step.
start=$((now - 3 * 3600))
"$LUASCALE" replay "$work/t.lua" --prometheus "$url" --query "t=vector(time())" \
  --start "$start" --end "$now" --step 1s --interval 1h --save-trace "$work/t.csv" >"$work/out1" 2>"$work/err1"
expect "a chunked pull replays (exit 0)" test $? -eq 0
expect "the pull went in two requests" test "$(grep -c '^pulled t ' "$work/err1")" -eq 2
expect "the saved trace has a header" test "$(head -n1 "$work/t.csv")" = "timestamp,t"
expect "every step once, none lost at the chunk boundary" test "$(($(wc -l <"$work/t.csv") - 1))" -eq 10801
expect "each value is its own timestamp, in order, step 1 s" python3 - "$work/t.csv" "$start" <<'PY'
import sys
rows = [l.split(',') for l in open(sys.argv[1]).read().split('\n')[1:] if l]
start = int(sys.argv[2])
ok = all(float(t) == start + i and float(v) == start + i for i, (t, v) in enumerate(rows))
sys.exit(0 if ok else 1)
PY

# 2. Scraped data: two series of `up`, named by the labels that differ.
"$LUASCALE" replay "$work/echo.lua" --prometheus "$url" --query "up=up" \
  --start "$((now - 120))" --end "$(date +%s)" --step 1s --interval 1s --save-trace "$work/up.csv" \
  --out "$work/d.csv" >"$work/out2" 2>"$work/err2"
expect "the scraped pull replays (exit 0)" test $? -eq 0
expect "columns are named by the labels that differ (job, role; not the shared instance)" \
  test "$(head -n1 "$work/up.csv")" = 'timestamp,"up{job=""self"",role=""a""}","up{job=""self-again"",role=""b""}"'
expect "the policy saw both series and scaled to 2" grep -q ',2,none,' "$work/d.csv"
head -n 2 "$work/up.csv"

# 3. Errors: the server's own message for a bad query, and an unreachable server.
"$LUASCALE" replay "$work/echo.lua" --prometheus "$url" --query "bad=rate(up[" --start "$((now - 60))" --end "$now" 2>"$work/err3" >/dev/null
expect "a bad query exits 1" test $? -eq 1
expect "the error names the query and the server's reason" grep -q 'prometheus query bad .*: HTTP 400, bad_data: ' "$work/err3"
"$LUASCALE" replay "$work/echo.lua" --prometheus "http://127.0.0.1:1" --query "x=up" --start "$((now - 60))" --end "$now" 2>"$work/err4" >/dev/null
expect "an unreachable server exits 1 naming the query" grep -q 'prometheus query x .*connect' "$work/err4"
[ "$fail" -eq 0 ] || { for f in "$work"/err*; do echo "--- $f"; tail -n 5 "$f"; done; }
exit "$fail"
