#!/usr/bin/env bash
# `luascale run` end to end against a real Prometheus server on loopback, which scrapes a small
# exporter this test serves (its value is a file the test rewrites). The HPA policy follows the
# scraped utilization up; when it drops, the scale-down stabilization window holds the count, and
# still holds it after a kill -9 and a restart (the recommendation history is in the state file);
# /metrics and /decisions report the signal, the counts and the binding rule.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
prom_pid=""; exp_pid=""; run_pid=""
cleanup() {
  for p in $run_pid $prom_pid $exp_pid; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
command -v prometheus >/dev/null || { echo "FAIL: prometheus is not installed (make deps installs it)"; exit 1; }

# The exporter: /metrics serves `app_cpu_utilization <value of cpu.txt>`.
eport=$(free_port)
echo 140 > "$work/cpu.txt"
cat > "$work/exporter.py" <<'PY'
import http.server, sys, os
path = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("# TYPE app_cpu_utilization gauge\napp_cpu_utilization %s\n" % open(path).read().strip()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/exporter.py" "$eport" "$work/cpu.txt" &
exp_pid=$!

pport=$(free_port)
purl="http://127.0.0.1:$pport"
cat > "$work/prometheus.yml" <<YML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: app
    static_configs: [{ targets: ["127.0.0.1:$eport"] }]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$pport" >"$work/prometheus.log" 2>&1 &
prom_pid=$!
scraped() {  # the value Prometheus currently answers for the query, or nothing
  curl -s "$purl/api/v1/query?query=app_cpu_utilization" | python3 -c 'import json,sys
try: r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")
except Exception: print("")' 2>/dev/null
}
deadline=$((SECONDS + 90))
until [ "$(scraped)" = 140 ]; do
  if [ $SECONDS -ge $deadline ] || ! kill -0 "$prom_pid" 2>/dev/null; then
    echo "FAIL: prometheus did not scrape the exporter"; tail -n 20 "$work/prometheus.log"; exit 1
  fi
  sleep 0.3
done
echo "prometheus scrapes the exporter at $purl"

hport=$(free_port)
cat > "$work/config.json" <<JSON
{
  "policies": [{
    "name": "api", "script": "$SRC/policies/hpa.lua",
    "params": { "metrics": [{ "signal": "cpu", "type": "Utilization", "target": 70 }] },
    "interval": "1s",
    "target": { "kind": "file", "path": "replicas.txt", "replicas": 2 },
    "minReplicas": 1, "maxReplicas": 4,
    "behavior": { "scaleDown": { "stabilizationWindowSeconds": 3600 } },
    "signals": { "cpu": { "source": "prometheus", "url": "$purl", "query": "app_cpu_utilization" } }
  }],
  "server": { "listen": "127.0.0.1:$hport" },
  "state_file": "state.json"
}
JSON
"$LUASCALE" check "$work/config.json" >/dev/null
expect "check accepts the config" test $? -eq 0

start_run() {
  "$LUASCALE" run "$work/config.json" 2>>"$work/run.log" &
  run_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
}
wait_count() {  # wait_count N: until the actuator's file holds N (bounded)
  for _ in $(seq 150); do [ "$(cat "$work/replicas.txt" 2>/dev/null)" = "$1" ] && return 0; sleep 0.1; done
  return 1
}

start_run
expect "/readyz becomes ready" curl -sf "http://127.0.0.1:$hport/readyz"
# Utilization 140 % of a 70 % target: ratio 2, 2 -> 4 replicas (and no further: maxReplicas 4;
# the exporter does not react to the count).
expect "scraped 140% against 70% doubles 2 to 4" wait_count 4
metrics=$(curl -sf "http://127.0.0.1:$hport/metrics")
expect "/metrics has the scraped value" grep -q 'luascale_signal_value{policy="api",signal="cpu"} 140' <<<"$metrics"
expect "/metrics has the desired count" grep -q 'luascale_desired_replicas{policy="api"} 4' <<<"$metrics"
no_fetch_errors() { ! grep -q 'luascale_signal_fetch_errors_total{policy="api",signal="cpu"} [1-9]' <<<"$metrics"; }
expect "no fetch errors" no_fetch_errors

# Utilization falls to 35 %: the recommendation is 2 (of 4), but the 1 h window keeps 4.
echo 35 > "$work/cpu.txt"
deadline=$((SECONDS + 30))
until curl -sf "http://127.0.0.1:$hport/decisions" | grep -q 'scaleDownStabilization'; do
  [ $SECONDS -ge $deadline ] && break
  sleep 0.3
done
decisions=$(curl -sf "http://127.0.0.1:$hport/decisions")
expect "the lower recommendation is held by the stabilization window" grep -q 'scaleDownStabilization' <<<"$decisions"
expect "the count stays 4 (it is $(cat "$work/replicas.txt"))" test "$(cat "$work/replicas.txt")" = 4

# kill -9 and restart: the window's history comes back from the state file, so the count holds.
kill -9 "$run_pid"; wait "$run_pid" 2>/dev/null; run_pid=""
expect "the state file survived the kill" python3 -c "import json; json.load(open('$work/state.json'))['policies']['api']"
: > "$work/run.log"
start_run
deadline=$((SECONDS + 30))
until [ "$(curl -sf "http://127.0.0.1:$hport/metrics" | grep -c '^luascale_evaluations_total{policy="api"')" -ge 1 ] &&
      curl -sf "http://127.0.0.1:$hport/decisions" | grep -q 'scaleDownStabilization'; do
  [ $SECONDS -ge $deadline ] && break
  sleep 0.3
done
sleep 2  # a few more ticks after the restart
expect "after the restart the window still holds 4" test "$(cat "$work/replicas.txt")" = 4
expect "and says why" bash -c "curl -sf http://127.0.0.1:$hport/decisions | grep -q scaleDownStabilization"

# The source failing (Prometheus gone) holds the count and is counted on /metrics.
kill "$prom_pid"; wait "$prom_pid" 2>/dev/null; prom_pid=""
deadline=$((SECONDS + 30))
until curl -sf "http://127.0.0.1:$hport/metrics" | grep -q 'luascale_signal_fetch_errors_total{policy="api",signal="cpu"} [1-9]'; do
  [ $SECONDS -ge $deadline ] && break
  sleep 0.3
done
expect "fetch errors are counted once Prometheus is gone" bash -c "curl -sf http://127.0.0.1:$hport/metrics | grep -q 'luascale_signal_fetch_errors_total{policy=\"api\",signal=\"cpu\"} [1-9]'"
expect "and the count is held" test "$(cat "$work/replicas.txt")" = 4
kill -TERM "$run_pid"; wait "$run_pid"; rc=$?; run_pid=""
expect "SIGTERM stops cleanly" test $rc -eq 0
[ $fail -eq 0 ] || { echo "--- run.log"; tail -n 30 "$work/run.log"; }
exit $fail
