# tests/integration/lib/k8s_env.sh — sourced by the Kubernetes integration tests (needs $work,
# $SRC and $server_pid from the caller): expect(), a test CA and server certificate, the test API
# server seeded with a Deployment, two pods and their metrics (and the RBAC rules luascale needs,
# leases included), and a kubeconfig for it exported as KUBECONFIG.
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
