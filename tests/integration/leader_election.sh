#!/usr/bin/env bash
# Leader election across two real `luascale run` processes against tests/k8s_api_server: exactly
# one holds the coordination.k8s.io Lease (luascale_leader 1 on /metrics); after kill -9 of the
# holder the other takes over within the lease duration.
set -u
: "${LUASCALE:?} ${SRC:?}"
work=$(mktemp -d)
server_pid=; a_pid=; b_pid=
cleanup() { for p in $a_pid $b_pid $server_pid; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source "$SRC/tests/integration/lib/k8s_env.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
for who in a b; do
  cat > "$work/config-$who.json" <<JSON
{
  "policies": [{
    "name": "api", "script": "$SRC/examples/kubernetes/policies/api.lua",
    "params": { "metrics": [{ "signal": "cpu", "type": "Utilization", "target": 70 }] },
    "interval": "1s",
    "target": { "kind": "kubernetes", "resource": "deployments/api" },
    "minReplicas": 2, "maxReplicas": 20,
    "signals": { "cpu": { "source": "kubernetes", "query": "pods", "resource": "deployments/api", "metric": "cpu" } }
  }],
  "leader_election": { "enabled": true, "namespace": "default", "name": "luascale", "identity": "$who",
                       "lease_duration": "4s", "renew_deadline": "3s", "retry_period": "1s" },
  "state_file": "$work/state-$who.json"
}
JSON
done
leader() { curl -s "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '$1 == "luascale_leader" {print $2}'; }
wait_leader() {  # wait_leader PORT VALUE SECONDS -> prints the seconds it took, or fails
  local start=$(date +%s.%N)
  for _ in $(seq $(( $3 * 10 ))); do
    if [ "$(leader "$1")" = "$2" ]; then python3 -c "print(round($(date +%s.%N) - $start, 1))"; return 0; fi
    sleep 0.1
  done
  return 1
}
"$LUASCALE" check "$work/config-a.json" >/dev/null
expect "check accepts a leader_election block" test $? -eq 0
pa=$(free_port); pb=$(free_port)
"$LUASCALE" run "$work/config-a.json" --listen "127.0.0.1:$pa" >"$work/a.log" 2>&1 &
a_pid=$!
expect "the first process becomes the leader" wait_leader "$pa" 1 10
"$LUASCALE" run "$work/config-b.json" --listen "127.0.0.1:$pb" >"$work/b.log" 2>&1 &
b_pid=$!
sleep 3
expect "the second process evaluates but is not the leader" test "$(leader "$pb")" = 0
expect "the first is still the leader" test "$(leader "$pa")" = 1
kill -9 "$a_pid"; wait "$a_pid" 2>/dev/null; a_pid=
took=$(wait_leader "$pb" 1 12)
rc=$?
echo "takeover after kill -9 took ${took:-?} s (lease duration 4 s, retry 1 s)"
expect "the second takes over after the leader is killed" test $rc -eq 0
# client-go semantics: expiry counts from when the standby last saw the lease renewed, and the
# standby only tries every retry period, so takeover is lease duration + up to ~2 retry periods.
expect "within a bounded time (<= 10 s)" python3 -c "import sys; sys.exit(0 if float('${took:-99}') <= 10 else 1)"
replicas=$(kubectl get deployment api -o jsonpath='{.spec.replicas}' 2>&1)
expect "the workload was scaled (2 -> 6) by a leader" test "$replicas" = 6
kill -TERM "$b_pid"
for _ in $(seq 100); do kill -0 "$b_pid" 2>/dev/null || break; sleep 0.1; done
expect "the new leader stops within 10 s of SIGTERM" bash -c "! kill -0 $b_pid 2>/dev/null"
wait "$b_pid"; rc=$?; b_pid=
expect "the new leader stops cleanly" test $rc -eq 0
[ $fail -eq 0 ] && echo "all ok"
exit $fail
