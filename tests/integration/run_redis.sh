#!/usr/bin/env bash
# `luascale run` end to end against a real redis-server: a Celery-style list drives the queue
# policy, the file actuator receives the count, /metrics and /decisions report it, the state file
# survives a restart, and a bad edit of the policy is rejected by the hot reload.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
redis_pid=""; run_pid=""
cleanup() {
  [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 100); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
expect "redis-server is up" redis-cli -p "$rport" ping
for i in $(seq 95); do echo "task$i"; done | xargs redis-cli -p "$rport" rpush celery >/dev/null

hport=$(free_port)
cp "$SRC/policies/queue.lua" "$work/queue.lua"
cat > "$work/config.json" <<JSON
{
  "policies": [{
    "name": "celery", "script": "queue.lua",
    "params": { "signal": "celery_queue", "per_replica": 20, "min": 1 },
    "interval": "1s",
    "target": { "kind": "file", "path": "replicas.txt", "replicas": 2 },
    "minReplicas": 1, "maxReplicas": 20,
    "signals": { "celery_queue": { "source": "redis", "url": "redis://127.0.0.1:$rport/0", "command": "llen", "key": "celery" } }
  }],
  "server": { "listen": "127.0.0.1:$hport" },
  "state_file": "state.json"
}
JSON
"$LUASCALE" check "$work/config.json"
expect "check accepts the config" test $? -eq 0

"$LUASCALE" run "$work/config.json" --once --listen off 2>"$work/once.log"
expect "run --once exits 0" test $? -eq 0
# ceil(95/20) = 5 wanted; the legacy HPA limit max(2 x 2, 4) = 4 applies to the first step.
expect "the file actuator got 4" test "$(cat "$work/replicas.txt")" = 4
expect "the state file was written" grep -q '"celery"' "$work/state.json"

# The daemon: metrics, decisions, reload.
"$LUASCALE" run "$work/config.json" 2>"$work/run.log" &
run_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
expect "/readyz becomes ready" curl -sf "http://127.0.0.1:$hport/readyz"
metrics=$(curl -sf "http://127.0.0.1:$hport/metrics")
expect "/metrics has the signal value" grep -q 'luascale_signal_value{policy="celery",signal="celery_queue"} 95' <<<"$metrics"
expect "/metrics has the applied count" grep -q 'luascale_desired_replicas{policy="celery"} 5' <<<"$metrics"
expect "/decisions lists decisions" bash -c "curl -sf http://127.0.0.1:$hport/decisions | grep -q '\"bound_by\"'"
for i in $(seq 200); do echo "more$i"; done | xargs redis-cli -p "$rport" rpush celery >/dev/null
for _ in $(seq 100); do [ "$(cat "$work/replicas.txt")" = 15 ] && break; sleep 0.1; done
expect "a deeper queue scales out: ceil(295/20) = 15" test "$(cat "$work/replicas.txt")" = 15
echo 'return { decide = function(ctx) return { replicas = 1 } end' > "$work/queue.lua"   # syntax error
kill -HUP "$run_pid"
for _ in $(seq 50); do grep -q 'reload rejected' "$work/run.log" && break; sleep 0.1; done
expect "a broken policy is rejected on reload" grep -q 'reload rejected' "$work/run.log"
expect "and the process keeps running" kill -0 "$run_pid"
kill -TERM "$run_pid"; wait "$run_pid"; rc=$?; run_pid=""
expect "SIGTERM stops cleanly" test $rc -eq 0
expect "no secret-like text or crash in the log" bash -c "! grep -qiE 'password|segmentation|abort' '$work/run.log'"
# Crash and restart: a cooldown started before kill -9 still holds after the restart, because the
# scale event was persisted with the decision.
redis-cli -p "$rport" del celery >/dev/null
for i in $(seq 95); do echo "task$i"; done | xargs redis-cli -p "$rport" rpush celery >/dev/null
sed -e 's/"minReplicas": 1/"cooldown": {"scaleUp": "1h"}, "minReplicas": 1/' -e 's/state.json/state2.json/' \
    -e 's/replicas.txt/replicas2.txt/' "$work/config.json" > "$work/config2.json"
cp "$SRC/policies/queue.lua" "$work/queue.lua"
"$LUASCALE" run "$work/config2.json" --once --listen off 2>/dev/null
expect "first step 2 -> 4" test "$(cat "$work/replicas2.txt")" = 4
"$LUASCALE" run "$work/config2.json" --listen off 2>"$work/run2.log" &
run_pid=$!
sleep 2
kill -9 "$run_pid"; wait "$run_pid" 2>/dev/null; run_pid=""
for i in $(seq 200); do echo "more$i"; done | xargs redis-cli -p "$rport" rpush celery >/dev/null
"$LUASCALE" run "$work/config2.json" --listen "127.0.0.1:$hport" 2>"$work/run3.log" &
run_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1.5
expect "after kill -9 and restart the cooldown still holds the count" test "$(cat "$work/replicas2.txt")" = 4
expect "and /decisions says why" bash -c "curl -sf http://127.0.0.1:$hport/decisions | grep -q '\"bound_by\": \"cooldown\"'"
kill -TERM "$run_pid"; wait "$run_pid"; run_pid=""
expect "the state file is valid JSON after all that" python3 -c "import json,sys; json.load(open('$work/state2.json'))"
rm -f "$work/state2.json"
"$LUASCALE" run "$work/config2.json" --once --listen off 2>/dev/null
expect "without the state the same tick would scale (4 -> 8)" test "$(cat "$work/replicas2.txt")" = 8
exit $fail
