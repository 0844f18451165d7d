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
   {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["get", "list"]}]},
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
