#!/usr/bin/env bash
# `luascale run` end to end on Kubernetes: the shipped examples/kubernetes/config.json, unchanged,
# against tests/k8s_api_server (HTTPS, test CA, bearer token): the kubernetes source joins pod
# metrics with requests, hpa.lua decides, the kubernetes actuator patches the scale subresource.
set -u
: "${LUASCALE:?} ${SRC:?}"
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source "$SRC/tests/integration/lib/k8s_env.sh"

"$LUASCALE" run "$SRC/examples/kubernetes/config.json" --once --listen off --state "$work/state.json" \
  >"$work/run.log" 2>&1
expect "run --once exits 0" test $? -eq 0
expect "the policy scaled 2 -> 6 on 180% CPU" grep -q 'scaled 2 -> 6' "$work/run.log"
replicas=$(kubectl get deployment api -o jsonpath='{.spec.replicas}' 2>&1)
expect "kubectl sees spec.replicas 6 (got $replicas)" test "$replicas" = 6
log=$(curl -sk "https://127.0.0.1:$port/__test/requests")
expect "the count was set with a merge patch to the scale subresource" \
  grep -q '"method": "PATCH", "path": "/apis/apps/v1/namespaces/default/deployments/api/scale", "query": "", "content_type": "application/merge-patch+json"' <<<"$log"
expect "the workload itself was never PUT" bash -c '! grep -q "\"method\": \"PUT\"" <<<"$0"' "$log"

# A second run: the count is already right, so nothing is written.
curl -sk -X DELETE "https://127.0.0.1:$port/__test/requests" >/dev/null
"$LUASCALE" run "$SRC/examples/kubernetes/config.json" --once --listen off --state "$work/state.json" \
  >"$work/run2.log" 2>&1
expect "second run exits 0" test $? -eq 0
log=$(curl -sk "https://127.0.0.1:$port/__test/requests")
expect "no write when the count is already right" bash -c '! grep -q "\"method\": \"PATCH\"" <<<"$0"' "$log"

[ $fail -eq 0 ] && echo "all ok"
exit $fail
