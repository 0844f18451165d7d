#!/usr/bin/env bash
# Round trip: `luascale replay --actuate` runs the node policy (policies/nodes.lua) over a
# recorded trace of running pods and drives the aws-asg actuator against the test Auto Scaling
# endpoint (tests/aws_asg_server, every signature checked with npm aws4); the group's desired
# capacity follows the policy, clamped to the group's max, through injected Throttling and
# ScalingActivityInProgress answers. Then sidecar mode: `luascale run --once` with an http-json
# signal sets the group the same way.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/aws_server.sh"

control groups '[{"name": "workers", "min": 1, "max": 20, "desired": 2}]' >/dev/null
control credentials '[{"access_key_id": "AKIAROUNDTRIPEXAMPLE", "secret_access_key": "roundtrip/secret+key"}]' >/dev/null
# The first SetDesiredCapacity is throttled twice (retried within the same call).
control faults '[{"action": "SetDesiredCapacity", "kind": "throttle", "count": 2}]' >/dev/null

# Running pods of 1 vCPU on 4-vCPU nodes: nodes = ceil(pods / 4).
t0=1700000000
: > "$work/trace.jsonl"
i=0
for pods in 8 8 20 20 36 36 60 60 60 100 100 100; do
  echo "{\"ts\": $((t0 + 60 * i)), \"running\": [{\"cpu\": 1, \"memory\": \"1Gi\", \"count\": $pods, \"name\": \"worker\"}], \"pending\": []}" >> "$work/trace.jsonl"
  i=$((i + 1))
done
cat > "$work/config.json" <<JSON
{
  "policies": [{
    "name": "workers",
    "script": "$SRC/policies/nodes.lua",
    "params": { "node": { "cpu": 4, "memory": "16Gi", "pods": 110 } },
    "interval": "60s",
    "target": { "kind": "aws-asg", "group": "workers", "region": "us-east-1",
                "endpoint": "$url", "retry_backoff": "10ms" },
    "minReplicas": 1, "maxReplicas": 50
  }]
}
JSON

export AWS_ACCESS_KEY_ID=AKIAROUNDTRIPEXAMPLE AWS_SECRET_ACCESS_KEY='roundtrip/secret+key'
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_AUTO_SCALING

# The first change is 4 (the HPA-style scale-up limit, max(2x, 4)), then ceil(pods / 4) up to the
# group's max of 20 (the policy asks for 25; the actuator clamps).
"$LUASCALE" replay "$work/config.json" --trace "$work/trace.jsonl" --actuate --out "$work/decisions.csv" \
  >"$work/out" 2>"$work/err"
rc=$?
expect "replay --actuate exits 0" test $rc -eq 0
state=$(control state); [ -n "${KEEP_WORK:-}" ] && echo "$state" > "$work/state.json"
desired() { node -e 'const s=JSON.parse(process.argv[1]); console.log(s.groups.workers.desired)' "$state"; }
sets() {
  node -e 'const s=JSON.parse(process.argv[1]);
    console.log(s.requests.filter(r=>r.action==="SetDesiredCapacity"&&!r.error).map(r=>r.params.DesiredCapacity).join(","))' "$state"
}
failures() { node -e 'const s=JSON.parse(process.argv[1]); console.log(s.signature_failures)' "$state"; }
throttled() {
  node -e 'const s=JSON.parse(process.argv[1]); console.log(s.requests.filter(r=>r.error==="Throttling").length)' "$state"
}
expect "the group follows the policy up to its max (desired $(desired))" test "$(desired)" = 20
expect "SetDesiredCapacity went 4,5,9,15,20 (was $(sets))" test "$(sets)" = "4,5,9,15,20"
expect "two throttled attempts were retried" test "$(throttled)" = 2
expect "every request's signature verified by aws4" test "$(failures)" = 0
expect "the decisions CSV has every tick" test "$(($(wc -l <"$work/decisions.csv") - 1))" = 12
expect "no actuation errors" bash -c "! grep -q 'actuation error' '$work/out'"

# Second run from 2 again: a scaling activity in progress holds one tick; the next applies it.
control groups '[{"name": "workers", "min": 1, "max": 20, "desired": 2}]' >/dev/null
control faults '[{"action": "SetDesiredCapacity", "kind": "activity", "count": 1}]' >/dev/null
"$LUASCALE" replay "$work/config.json" --trace "$work/trace.jsonl" --actuate >"$work/out2" 2>"$work/err2"
expect "replay with a held activity exits 0" test $? -eq 0
state=$(control state); [ -n "${KEEP_WORK:-}" ] && echo "$state" > "$work/state.json"
expect "the held change is applied at the next tick (desired $(desired))" test "$(desired)" = 20
expect "the summary reports the held tick" grep -q "1 actuation error(s), first at .*scaling activity in progress" "$work/out2"

# Sidecar mode: `luascale run --once` reads a signal (http-json), decides, and sets the group
# (from 5, so the scale-up limit max(2x, 4) allows 8 at once).
control groups '[{"name": "workers", "min": 1, "max": 20, "desired": 5}]' >/dev/null
control metric '{"value": 73}' >/dev/null
cat > "$work/per_node.lua" <<'LUA'
return { decide = function(ctx)
  local load = ctx:signal("load")
  if not load then return nil end
  return { nodes = math.ceil(load / 10), reason = "load " .. load }
end }
LUA
cat > "$work/run.json" <<JSON
{
  "policies": [{
    "name": "workers", "script": "per_node.lua", "interval": "15s",
    "target": { "kind": "aws-asg", "group": "workers", "region": "us-east-1", "endpoint": "$url" },
    "minReplicas": 1, "maxReplicas": 50,
    "signals": { "load": { "source": "http-json", "url": "$url/_control/metric", "pointer": "/value" } }
  }],
  "state_file": "$work/state.json"
}
JSON
"$LUASCALE" run "$work/run.json" --once --listen off >"$work/run.out" 2>&1
expect "run --once exits 0" test $? -eq 0
state=$(control state)
expect "run --once set the group to ceil(73 / 10) = 8 (desired $(desired))" test "$(desired)" = 8
expect "every request's signature verified by aws4 (run)" test "$(failures)" = 0

if [ $fail -ne 0 ]; then
  echo "--- run"; cat "$work/run.out"
  echo "--- stdout"; cat "$work/out"; echo "--- stderr"; cat "$work/err"; cat "$work/out2" "$work/err2"
  echo "--- server"; tail -20 "$work/server.log"
fi
exit $fail
