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
fail=0
expect() {  # expect NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok: $name"; else echo "FAIL: $name"; fail=1; fi
}

# A test CA and a server certificate for 127.0.0.1.
(
  cd "$work" || exit 1
  k="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  openssl req -x509 $k -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  openssl req $k -keyout server.key -out server.csr -subj /CN=apiserver
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
    -days 2 -extfile server.ext
) >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log"; exit 1; }

# Two ready pods at 900m CPU each against 500m requests: 180% of request vs a 70% target.
cat > "$work/seed.json" <<'JSON'
{"tokens": {"sa-token": "system:serviceaccount:default:luascale"},
 "users": {"system:serviceaccount:default:luascale": [
   {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get", "patch"]},
   {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]},
   {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
   {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["get", "list"]},
   {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]}]},
 "objects": [
  {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "default"},
   "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}}}},
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-1", "namespace": "default", "labels": {"app": "api"}},
   "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "500m"}}}]},
   "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-2", "namespace": "default", "labels": {"app": "api"}},
   "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "500m"}}}]},
   "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
  {"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
   "metadata": {"name": "api-1", "namespace": "default", "labels": {"app": "api"}},
   "containers": [{"name": "app", "usage": {"cpu": "900m"}}]},
  {"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
   "metadata": {"name": "api-2", "namespace": "default", "labels": {"app": "api"}},
   "containers": [{"name": "app", "usage": {"cpu": "900000000n"}}]}]}
JSON
python3 "$SRC/tests/k8s_api_server/k8s_api_server.py" --cert "$work/server.crt" --key "$work/server.key" \
  --state "$work/seed.json" --port-file "$work/port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "FAIL: test API server did not start"; cat "$work/server.log"; exit 1; }
port=$(cat "$work/port")

# In-cluster configuration is what the Deployment uses; here a kubeconfig with the same token.
cat > "$work/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "https://127.0.0.1:$port", certificate-authority: "$work/ca.crt"}
users:
- name: sa
  user: {token: sa-token}
contexts:
- name: test
  context: {cluster: test, user: sa, namespace: default}
current-context: test
YAML
export KUBECONFIG="$work/kubeconfig"

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
