// tests/unit/unit-kubernetes.cpp — the Kubernetes client, actuator, source and leader election
// against tests/k8s_api_server, and proof with the real kubectl that the server speaks the
// protocol.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <utility>

#include "adapters/actuators/kubernetes/kubernetes_actuator.hpp"
#include "adapters/kubernetes/kube_client.hpp"
#include "adapters/kubernetes/kube_config.hpp"
#include "adapters/kubernetes/leader_election.hpp"
#include "adapters/kubernetes/yaml_value.hpp"
#include "adapters/sources/kubernetes/kubernetes_source.hpp"
#include "engine/adapter.hpp"
#include "fixtures.hpp"
#include "k8s_fixture.hpp"

using namespace luascale;
using namespace luascale::kube;
using luascale::test::K8sTestServer;
using luascale::test::run_command;

namespace {

// Tokens: admin may do anything; scaler has what examples/kubernetes/role.yaml grants; reader
// may only read.
const char* kSeed = R"json({
  "tokens": {"admin-token": "admin", "scaler-token": "system:serviceaccount:default:luascale",
             "reader-token": "reader"},
  "users": {
    "admin": "*",
    "system:serviceaccount:default:luascale": [
      {"apiGroups": ["apps"], "resources": ["deployments/scale", "statefulsets/scale"],
       "verbs": ["get", "patch", "update"]},
      {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": ["get", "patch"]},
      {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
      {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["get", "list"]},
      {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
       "verbs": ["get", "create", "update"]}],
    "reader": [{"verbs": ["get", "list"], "resources": ["*"]}]
  },
  "objects": [
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": "api", "namespace": "default", "labels": {"app": "api"}},
     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
              "template": {"metadata": {"labels": {"app": "api"}},
                           "spec": {"containers": [{"name": "app", "image": "nginx"}]}}}},
    {"apiVersion": "apps/v1", "kind": "StatefulSet",
     "metadata": {"name": "db", "namespace": "default"},
     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "db"}}}},
    {"apiVersion": "example.com/v1", "kind": "Worker",
     "metadata": {"name": "jobs", "namespace": "default"},
     "spec": {"replicas": 4, "selector": {"app": "jobs"}}},
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "api-1", "namespace": "default", "labels": {"app": "api"}},
     "spec": {"containers": [
        {"name": "app", "resources": {"requests": {"cpu": "500m", "memory": "256Mi"}}},
        {"name": "sidecar", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]},
     "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "api-2", "namespace": "default", "labels": {"app": "api"}},
     "spec": {"containers": [
        {"name": "app", "resources": {"requests": {"cpu": "500m", "memory": "256Mi"}}},
        {"name": "sidecar", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]},
     "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}},
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "api-3", "namespace": "default", "labels": {"app": "api"}},
     "spec": {"containers": [
        {"name": "app", "resources": {"requests": {"cpu": "2", "memory": "1Gi"}}}]},
     "status": {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}},
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "other-1", "namespace": "default", "labels": {"app": "other"}},
     "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "1"}}}]},
     "status": {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "SchedulerError"}]}},
    {"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
     "metadata": {"name": "api-1", "namespace": "default", "labels": {"app": "api"}},
     "timestamp": "2024-05-01T10:00:00Z", "window": "15.01s",
     "containers": [{"name": "app", "usage": {"cpu": "250000000n", "memory": "200Mi"}},
                    {"name": "sidecar", "usage": {"cpu": "50m", "memory": "7492Ki"}}]},
    {"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
     "metadata": {"name": "api-2", "namespace": "default", "labels": {"app": "api"}},
     "timestamp": "2024-05-01T10:00:00Z", "window": "15.01s",
     "containers": [{"name": "app", "usage": {"cpu": "1168033n", "memory": "100Mi"}}]}
  ]
})json";

std::string sh_quote(const std::string& s) {
  return "'" + s + "'";
}

// kubectl against the test server with a kubeconfig; returns the exit status.
int kubectl(const std::string& kubeconfig, const std::string& args, std::string* out) {
  return run_command("KUBECONFIG=" + sh_quote(kubeconfig) + " kubectl " + args, out);
}

// Runs the io_context until pred() or the deadline (seconds) passes. True if pred() held.
template <class Pred>
bool run_until(boost::asio::io_context& io, Pred pred, double seconds = 20) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  io.restart();
  while (!pred() && std::chrono::steady_clock::now() < deadline)
    io.run_for(std::chrono::milliseconds(10));
  return pred();
}

// The server's request log as (method, path, query, content_type, user) objects.
Value requests(const K8sTestServer& s) {
  return *parse_json(s.control("GET", "/__test/requests")).find("requests");
}

int count_requests(const K8sTestServer& s, const std::string& method, const std::string& path) {
  int n = 0;
  Value log = requests(s);
  for (const auto& r : log.as_array())
    if (r.find("method")->as_string() == method && r.find("path")->as_string() == path) ++n;
  return n;
}

ReadOutcome do_read(boost::asio::io_context& io, Actuator& a) {
  std::optional<ReadOutcome> out;
  a.read([&](ReadOutcome r) { out = std::move(r); });
  REQUIRE(run_until(io, [&] { return out.has_value(); }));
  return *out;
}

ApplyOutcome do_apply(boost::asio::io_context& io, Actuator& a, std::int64_t n,
                      const std::string& reason = "test") {
  std::optional<ApplyOutcome> out;
  ActuationInfo info;
  info.policy = "api";
  info.reason = reason;
  a.apply(n, info, [&](ApplyOutcome r) { out = std::move(r); });
  REQUIRE(run_until(
      io, [&] { return out.has_value(); }, 60));
  return *out;
}

SampleOutcome do_fetch(boost::asio::io_context& io, Source& s) {
  std::optional<SampleOutcome> out;
  s.fetch([&](SampleOutcome r) { out = std::move(r); });
  REQUIRE(run_until(io, [&] { return out.has_value(); }));
  return *out;
}

Value target(const std::string& kubeconfig, const std::string& resource) {
  Value t = Value::object();
  t.set("kind", Value("kubernetes"));
  t.set("namespace", Value("default"));
  t.set("resource", Value(resource));
  t.set("kubeconfig", Value(kubeconfig));
  return t;
}

const Value* pod(const Value& list, const std::string& name) {
  for (const auto& p : list.as_array())
    if (p.find("name")->as_string() == name) return &p;
  return nullptr;
}

}  // namespace

TEST_CASE("quantities, targets and YAML") {
  CHECK(parse_quantity("250m") == doctest::Approx(0.25));
  CHECK(parse_quantity("1168033n") == doctest::Approx(0.001168033));
  CHECK(parse_quantity("7492Ki") == doctest::Approx(7492.0 * 1024));
  CHECK(parse_quantity("1.5Gi") == doctest::Approx(1.5 * 1024 * 1024 * 1024));
  CHECK(parse_quantity("2") == doctest::Approx(2));
  CHECK(parse_quantity("1e3") == doctest::Approx(1000));
  CHECK(parse_quantity("1E") == doctest::Approx(1e18));
  CHECK(parse_quantity("12x") == std::nullopt);
  CHECK(parse_quantity("") == std::nullopt);

  std::string err;
  auto d = parse_scale_target("deployments/api", "prod", &err);
  REQUIRE(d);
  CHECK(d->scale_path() == "/apis/apps/v1/namespaces/prod/deployments/api/scale");
  CHECK(d->display() == "deployments.apps/api");
  auto rc = parse_scale_target("replicationcontrollers/old", "default", &err);
  REQUIRE(rc);
  CHECK(rc->object_path() == "/api/v1/namespaces/default/replicationcontrollers/old");
  auto cr = parse_scale_target("example.com/v1/workers/jobs", "default", &err);
  REQUIRE(cr);
  CHECK(cr->scale_path() == "/apis/example.com/v1/namespaces/default/workers/jobs/scale");
  CHECK_FALSE(parse_scale_target("pods/x", "default", &err));
  CHECK(err.find("unknown kind \"pods\"") != std::string::npos);
  CHECK_FALSE(parse_scale_target("deployments/", "default", &err));

  Value y = parse_yaml("a: 1\nb: [x, 'y']\nc:\n  d: ~\n  e: \"true\"\n");
  CHECK(y.find("a")->as_string() == "1");
  CHECK(y.find("b")->as_array().size() == 2);
  CHECK(y.find("c")->find("d")->is_null());
  CHECK(yaml_truthy(y.find("c")->find("e")));
  CHECK_THROWS_WITH_AS(parse_yaml("a: [1,\n"), doctest::Contains("line"), std::runtime_error);
  CHECK(micro_time_now().size() == 27);
}

TEST_CASE("kubeconfig: fields, inline data, errors") {
  luascale::test::TempDir dir;
  auto ca = dir.write("ca.crt", "");  // empty: must be rejected, not silently ignored
  std::string base = R"(apiVersion: v1
kind: Config
current-context: one
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443/
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes.default
contexts:
- name: one
  context: {cluster: c1, user: u1, namespace: team}
- name: two
  context: {cluster: c1, user: u2}
- name: broken
  context: {cluster: nope, user: u1}
users:
- name: u1
  user:
    token: abc
- name: u2
  user:
    tokenFile: tokens/t
)";
  std::string err;
  auto c = parse_kubeconfig(base, (dir.path() / "config").string(), "", &err);
  REQUIRE_MESSAGE(c, err);
  CHECK(c->server == "https://10.0.0.1:6443");
  CHECK(c->tls.insecure_skip_verify);
  CHECK(c->tls.server_name == "kubernetes.default");
  CHECK(c->token == "abc");
  CHECK(c->default_namespace == "team");
  CHECK(c->origin.find("context one") != std::string::npos);

  c = parse_kubeconfig(base, (dir.path() / "config").string(), "two", &err);
  REQUIRE_MESSAGE(c, err);
  CHECK(c->token_file == (dir.path() / "tokens/t").string());  // relative to the kubeconfig
  CHECK(c->default_namespace == "default");

  CHECK_FALSE(parse_kubeconfig(base, "k", "three", &err));
  CHECK(err == "kubeconfig k, context three: no such context");
  CHECK_FALSE(parse_kubeconfig(base, "k", "broken", &err));
  CHECK(err == "kubeconfig k, context broken: cluster \"nope\" not found");
  CHECK_FALSE(parse_kubeconfig("a: [", "k", "", &err));
  CHECK(err.rfind("kubeconfig k: line", 0) == 0);

  // A CA file that is empty is an error; insecure-skip-tls-verify is honoured only when set.
  std::string strict = base;
  strict.replace(strict.find("    insecure-skip-tls-verify: true\n"),
                 std::string("    insecure-skip-tls-verify: true\n").size(),
                 "    certificate-authority: ca.crt\n");
  CHECK_FALSE(parse_kubeconfig(strict, (dir.path() / "config").string(), "", &err));
  CHECK(err.find("ca_file " + ca.string() + " is empty") != std::string::npos);

  KubeConfigOptions none;
  none.use_environment = false;
  CHECK_FALSE(load_kube_connection(none, &err));
  CHECK(err.rfind("no Kubernetes configuration", 0) == 0);
}

TEST_CASE("k8s test server: real kubectl gets, scales and patches") {
  K8sTestServer server(kSeed);
  auto kc = server.token_kubeconfig("admin-token");
  std::string out;

  REQUIRE_MESSAGE(kubectl(kc, "get deploy", &out) == 0, out);
  CHECK(out.find("NAME") != std::string::npos);
  CHECK(out.find("api    2/2") != std::string::npos);

  REQUIRE_MESSAGE(kubectl(kc, "scale deployment api --replicas=3", &out) == 0, out);
  CHECK(out.find("deployment.apps/api scaled") != std::string::npos);

  REQUIRE_MESSAGE(
      kubectl(kc, "get --raw /apis/apps/v1/namespaces/default/deployments/api/scale", &out) == 0,
      out);
  Value scale = parse_json(out);
  CHECK(scale.find("kind")->as_string() == "Scale");
  CHECK(scale.find("apiVersion")->as_string() == "autoscaling/v1");
  CHECK(scale.find("spec")->find("replicas")->as_int() == 3);
  CHECK(scale.find("status")->find("selector")->as_string() == "app=api");

  REQUIRE_MESSAGE(
      kubectl(kc, "patch deployment api -p '{\"metadata\":{\"labels\":{\"tier\":\"web\"}}}'",
              &out) == 0,
      out);
  CHECK(out.find("deployment.apps/api patched") != std::string::npos);
  REQUIRE(kubectl(kc, "get deployment api -o jsonpath='{.spec.replicas} {.metadata.labels.tier}'",
                  &out) == 0);
  CHECK(out == "3 web");

  // kubectl scaled through the scale subresource with a merge patch, as luascale does.
  bool saw = false;
  Value log = requests(server);
  for (const auto& r : log.as_array()) {
    if (r.find("method")->as_string() == "PATCH" &&
        r.find("path")->as_string() == "/apis/apps/v1/namespaces/default/deployments/api/scale") {
      CHECK(r.find("content_type")->as_string() == "application/merge-patch+json");
      saw = true;
    }
  }
  CHECK(saw);

  // Errors come back as Status objects kubectl understands.
  CHECK(kubectl(kc, "get deploy missing", &out) != 0);
  CHECK(out.find("deployments.apps \"missing\" not found") != std::string::npos);
  auto ro = server.token_kubeconfig("reader-token", "reader");
  CHECK(kubectl(ro, "scale deployment api --replicas=1", &out) != 0);
  CHECK(out.find("cannot patch resource \"deployments/scale\" in API group \"apps\"") !=
        std::string::npos);
  // A wrong token is rejected.
  auto bad = server.token_kubeconfig("nope", "bad");
  CHECK(kubectl(bad, "get deploy", &out) != 0);
  CHECK(out.find("Unauthorized") != std::string::npos);
}

TEST_CASE("examples/kubernetes manifests build with kustomize and pass kubectl dry-run") {
  K8sTestServer server(kSeed);
  auto kc = server.token_kubeconfig("admin-token");
  std::string dir = (luascale::test::source_dir() / "examples/kubernetes").string();
  std::string out;
  REQUIRE_MESSAGE(run_command("kubectl kustomize " + sh_quote(dir), &out) == 0, out);
  for (const char* kind : {"kind: ServiceAccount", "kind: Role", "kind: RoleBinding",
                           "kind: ConfigMap", "kind: Deployment"})
    CHECK_MESSAGE(out.find(kind) != std::string::npos, kind);
  REQUIRE_MESSAGE(
      kubectl(kc, "apply --dry-run=client --validate=false -k " + sh_quote(dir), &out) == 0, out);
  CHECK(out.find("deployment.apps/luascale created (dry run)") != std::string::npos);
  REQUIRE_MESSAGE(kubectl(kc,
                          "create --dry-run=client --validate=false -o json -f " +
                              sh_quote(dir + "/sidecar.yaml"),
                          &out) == 0,
                  out);
  Value sidecar = parse_json(out);
  CHECK(sidecar.find("kind")->as_string() == "Deployment");
  // Server-side dry run: the server sees every object and stores none.
  REQUIRE_MESSAGE(
      kubectl(kc, "create --dry-run=server --validate=false -k " + sh_quote(dir), &out) == 0, out);
  CHECK(kubectl(kc, "get deploy luascale", &out) != 0);
}

TEST_CASE("kubernetes actuator: read, idempotent merge-patch apply, annotation") {
  K8sTestServer server(kSeed);
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  Value t = target(server.token_kubeconfig("scaler-token"), "deployments/api");
  t.set("annotate", Value(true));
  auto act = make_kubernetes_actuator(ctx, "api", t);

  auto r = do_read(io, *act);
  REQUIRE_MESSAGE(r.state, r.error);
  CHECK(r.state->replicas == 2);
  CHECK(r.state->ready == 2);

  server.control("DELETE", "/__test/requests");
  auto a = do_apply(io, *act, 5, "cpu 140% of target");
  REQUIRE_MESSAGE(a.ok, a.error);
  CHECK(a.applied == 5);
  const std::string scale = "/apis/apps/v1/namespaces/default/deployments/api/scale";
  CHECK(count_requests(server, "PATCH", scale) == 1);
  CHECK(count_requests(server, "PUT", scale) == 0);
  CHECK(count_requests(server, "PUT", "/apis/apps/v1/namespaces/default/deployments/api") == 0);
  Value log = requests(server);
  for (const auto& q : log.as_array())
    if (q.find("method")->as_string() == "PATCH")
      CHECK(q.find("content_type")->as_string() == "application/merge-patch+json");

  std::string out;
  REQUIRE(kubectl(server.token_kubeconfig("admin-token", "admin"),
                  "get deployment api -o "
                  "jsonpath='{.spec.replicas}|{.metadata.annotations.luascale\\.io/last-decision}'",
                  &out) == 0);
  CHECK(out.rfind("5|2 -> 5 at ", 0) == 0);
  CHECK(out.find("by policy api: cpu 140% of target") != std::string::npos);

  // Already at 5: no write at all.
  server.control("DELETE", "/__test/requests");
  a = do_apply(io, *act, 5);
  REQUIRE(a.ok);
  CHECK(a.note == "already at 5");
  CHECK(count_requests(server, "PATCH", scale) == 0);

  // A StatefulSet and a custom resource with a scale subresource.
  auto sts = make_kubernetes_actuator(
      ctx, "db", target(server.token_kubeconfig("scaler-token"), "statefulsets/db"));
  a = do_apply(io, *sts, 3);
  REQUIRE_MESSAGE(a.ok, a.error);
  auto cr = make_kubernetes_actuator(
      ctx, "jobs",
      target(server.token_kubeconfig("admin-token", "a2"), "example.com/v1/workers/jobs"));
  r = do_read(io, *cr);
  REQUIRE_MESSAGE(r.state, r.error);
  CHECK(r.state->replicas == 4);
  a = do_apply(io, *cr, 7);
  REQUIRE_MESSAGE(a.ok, a.error);
  CHECK(a.applied == 7);
}

TEST_CASE("kubernetes actuator: conflicts, throttling and server errors are retried") {
  K8sTestServer server(kSeed);
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  auto act = make_kubernetes_actuator(
      ctx, "api", target(server.token_kubeconfig("scaler-token"), "deployments/api"));
  const std::string scale = "/apis/apps/v1/namespaces/default/deployments/api/scale";

  SUBCASE("409 then success") {
    server.control("POST", "/__test/faults",
                   R"({"match": "^PATCH .*/scale$", "status": 409, "count": 2})");
    auto a = do_apply(io, *act, 4);
    REQUIRE_MESSAGE(a.ok, a.error);
    CHECK(a.applied == 4);
    CHECK(count_requests(server, "PATCH", scale) == 3);
  }
  SUBCASE("429 with Retry-After, then 500 and 503, then success") {
    server.control("POST", "/__test/faults",
                   R"({"match": "^GET .*/scale$", "status": 429, "count": 1, "retry_after": 1})");
    server.control("POST", "/__test/faults",
                   R"({"match": "^PATCH .*/scale$", "status": 500, "count": 1})");
    server.control("POST", "/__test/faults",
                   R"({"match": "^PATCH .*/scale$", "status": 503, "count": 1})");
    auto start = std::chrono::steady_clock::now();
    auto a = do_apply(io, *act, 6);
    REQUIRE_MESSAGE(a.ok, a.error);
    CHECK(a.applied == 6);
    // Retry-After: 1 was honoured (a lower bound; never an upper one).
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(1));
  }
  SUBCASE("a server that keeps failing: an error within the budget, naming the attempts") {
    Value t = target(server.token_kubeconfig("scaler-token"), "deployments/api");
    t.set("timeout", Value("2s"));
    auto quick = make_kubernetes_actuator(ctx, "api", t);
    server.control("POST", "/__test/faults",
                   R"({"match": "^PATCH .*/scale$", "status": 500, "count": 1000,
                       "message": "etcdserver: request timed out"})");
    auto start = std::chrono::steady_clock::now();
    auto a = do_apply(io, *quick, 6);
    CHECK_FALSE(a.ok);
    CHECK(a.error.find("patch deployments.apps/api/scale: InternalError (500): etcdserver: request "
                       "timed out (after ") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  }
  SUBCASE("a request that hangs is cut by the per-request timeout and retried") {
    Value t = target(server.token_kubeconfig("scaler-token"), "deployments/api");
    t.set("timeout", Value("6s"));
    auto a1 = make_kubernetes_actuator(ctx, "api", t);
    server.control("POST", "/__test/faults",
                   R"({"match": "^GET .*/scale$", "hang": true, "hang_seconds": 30, "count": 1})");
    auto a = do_apply(io, *a1, 3);
    REQUIRE_MESSAGE(a.ok, a.error);
    CHECK(a.applied == 3);
  }
}

TEST_CASE("kubernetes actuator: RBAC denial and missing objects are explained") {
  K8sTestServer server(kSeed);
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  auto act = make_kubernetes_actuator(
      ctx, "api", target(server.token_kubeconfig("reader-token"), "deployments/api"));
  auto a = do_apply(io, *act, 4);
  CHECK_FALSE(a.ok);
  CHECK(a.error.rfind("RBAC: not allowed to patch deployments/scale in API group apps in namespace "
                      "default",
                      0) == 0);
  CHECK(a.error.find("resources: [\"deployments/scale\"]") != std::string::npos);
  CHECK(a.error.find("User \"reader\" cannot patch resource") != std::string::npos);

  auto missing = make_kubernetes_actuator(
      ctx, "x", target(server.token_kubeconfig("admin-token", "a"), "deployments/nope"));
  auto r = do_read(io, *missing);
  CHECK_FALSE(r.state);
  CHECK(r.error.rfind("deployments.apps/nope not found in namespace default", 0) == 0);

  a = do_apply(io, *missing, -1);
  CHECK_FALSE(a.ok);
  CHECK(a.error.find("negative") != std::string::npos);

  Value bad = target(server.token_kubeconfig("admin-token", "a"), "pods/x");
  CHECK_THROWS_WITH_AS(make_kubernetes_actuator(ctx, "x", bad), doctest::Contains("unknown kind"),
                       std::runtime_error);
}

TEST_CASE("in-cluster config: service-account token rotation") {
  K8sTestServer server(kSeed);
  luascale::test::TempDir sa;
  sa.write("token", "scaler-token\n");
  sa.write("namespace", "default");
  std::filesystem::copy_file(server.pki().ca_cert, sa.path() / "ca.crt");
  std::string err;
  auto conn =
      in_cluster_connection("127.0.0.1", std::to_string(server.port()), sa.path().string(), &err);
  REQUIRE_MESSAGE(conn, err);
  CHECK(conn->server == server.url());
  boost::asio::io_context io;
  KubeClient client(io, *conn);
  auto get = [&] {
    std::optional<KubeResponse> out;
    client.request("GET", "/apis/apps/v1/namespaces/default/deployments/api/scale", "", "",
                   std::chrono::seconds(5), [&](KubeResponse r) { out = std::move(r); });
    REQUIRE(run_until(io, [&] { return out.has_value(); }));
    return *out;
  };
  auto r = get();
  REQUIRE_MESSAGE(r.ok(), r.error);

  // The kubelet rotates the token: new file content, the old token revoked.
  server.control("POST", "/__test/tokens",
                 R"({"token": "rotated-token", "user": "system:serviceaccount:default:luascale"})");
  server.control("DELETE", "/__test/tokens", R"({"token": "scaler-token"})");
  sa.write("token", "rotated-token\n");
  r = get();
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.body.find("spec")->find("replicas")->as_int() == 2);

  // Revoked with no replacement on disk: a clear 401.
  server.control("DELETE", "/__test/tokens", R"({"token": "rotated-token"})");
  r = get();
  CHECK(r.status == 401);
  CHECK(r.error == "Unauthorized (401): Unauthorized");
}

TEST_CASE("kubeconfig client certificates authenticate (mutual TLS)") {
  K8sTestServer server(kSeed);
  server.control("POST", "/__test/users",
                 R"({"user": "luascale-test", "rules": [{"verbs": ["get"], "resources": ["*"]}]})");
  auto kc = server.kubeconfig("    client-certificate: " + server.pki().client_cert.string() +
                              "\n    client-key: " + server.pki().client_key.string() + "\n");
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  auto act = make_kubernetes_actuator(ctx, "api", target(kc, "deployments/api"));
  auto r = do_read(io, *act);
  REQUIRE_MESSAGE(r.state, r.error);
  CHECK(r.state->replicas == 2);
}

TEST_CASE("kubernetes source: pods joined with metrics, pending pods, replicas") {
  K8sTestServer server(kSeed);
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  auto kc = server.token_kubeconfig("scaler-token");
  SignalSpec spec;
  spec.name = "cpu";
  spec.source = "kubernetes";
  spec.options = Value::object();
  spec.options.set("source", Value("kubernetes"));
  spec.options.set("query", Value("pods"));
  spec.options.set("resource", Value("deployments/api"));
  spec.options.set("kubeconfig", Value(kc));
  auto src = make_kubernetes_source(ctx, spec);
  auto s = do_fetch(io, *src);
  REQUIRE_MESSAGE(s.sample, s.error);
  const Value& list = s.sample->value;
  REQUIRE(list.is_array());
  CHECK(list.as_array().size() == 3);  // api-1..3, not other-1
  const Value* p1 = pod(list, "api-1");
  REQUIRE(p1);
  CHECK(p1->find("value")->as_number() == doctest::Approx(0.3));    // 250000000n + 50m
  CHECK(p1->find("request")->as_number() == doctest::Approx(0.6));  // 500m + 100m
  CHECK(p1->find("ready")->as_bool());
  const Value* p2 = pod(list, "api-2");
  CHECK(p2->find("value")->as_number() == doctest::Approx(0.001168033));
  CHECK_FALSE(p2->find("ready")->as_bool());
  const Value* p3 = pod(list, "api-3");
  CHECK(p3->find("value") == nullptr);  // no metrics: a missing pod
  CHECK(p3->find("request")->as_number() == doctest::Approx(2));
  CHECK_FALSE(p3->find("ready")->as_bool());

  spec.options.set("metric", Value("memory"));
  auto mem = make_kubernetes_source(ctx, spec);
  s = do_fetch(io, *mem);
  REQUIRE_MESSAGE(s.sample, s.error);
  CHECK(pod(s.sample->value, "api-1")->find("value")->as_number() ==
        doctest::Approx(200.0 * 1024 * 1024 + 7492.0 * 1024));
  CHECK(pod(s.sample->value, "api-1")->find("request")->as_number() ==
        doctest::Approx(320.0 * 1024 * 1024));

  // metrics-server absent: the signal is missing, with the reason.
  server.control("POST", "/__test/faults",
                 R"({"match": "metrics.k8s.io", "status": 503, "count": 1})");
  s = do_fetch(io, *src);
  CHECK_FALSE(s.sample);
  CHECK(s.error.find("metrics.k8s.io is not available (is metrics-server installed?)") !=
        std::string::npos);

  spec.options = Value::object();
  spec.options.set("query", Value("pending"));
  spec.options.set("kubeconfig", Value(kc));
  auto pending = make_kubernetes_source(ctx, spec);
  s = do_fetch(io, *pending);
  REQUIRE_MESSAGE(s.sample, s.error);
  REQUIRE(s.sample->value.as_array().size() == 1);  // other-1 is Pending for another reason
  const Value& pp = s.sample->value.as_array()[0];
  CHECK(pp.find("name")->as_string() == "api-3");
  CHECK(pp.find("cpu")->as_number() == doctest::Approx(2));
  CHECK(pp.find("memory")->as_number() == doctest::Approx(1024.0 * 1024 * 1024));
  CHECK(pp.find("count")->as_int() == 1);

  spec.options = Value::object();
  spec.options.set("query", Value("replicas"));
  spec.options.set("resource", Value("deployments/api"));
  spec.options.set("kubeconfig", Value(kc));
  auto reps = make_kubernetes_source(ctx, spec);
  s = do_fetch(io, *reps);
  REQUIRE_MESSAGE(s.sample, s.error);
  CHECK(s.sample->value.find("replicas")->as_int() == 2);
  CHECK(s.sample->value.find("ready")->as_int() == 2);
  spec.options.set("field", Value("ready"));
  s = do_fetch(io, *make_kubernetes_source(ctx, spec));
  REQUIRE_MESSAGE(s.sample, s.error);
  CHECK(s.sample->value.as_int() == 2);

  spec.options.set("query", Value("nodes"));
  CHECK_THROWS_WITH_AS(make_kubernetes_source(ctx, spec), doctest::Contains("\"query\" must be"),
                       std::runtime_error);
}

TEST_CASE("leader election: one leader, the other takes over when it dies or releases") {
  K8sTestServer server(kSeed);
  boost::asio::io_context io;
  auto kc = server.token_kubeconfig("scaler-token");
  KubeConfigOptions ko;
  ko.kubeconfig = kc;
  std::string err;
  auto conn = load_kube_connection(ko, &err);
  REQUIRE_MESSAGE(conn, err);
  LeaderElectionOptions o;
  o.lease_name = "luascale-test";
  o.lease_duration = std::chrono::seconds(2);
  o.renew_deadline = std::chrono::milliseconds(1500);
  o.retry_period = std::chrono::milliseconds(200);

  CHECK(validate(LeaderElectionOptions{}) == "");  // client-go defaults
  LeaderElectionOptions wrong = o;
  wrong.renew_deadline = std::chrono::seconds(3);
  CHECK(validate(wrong) == "lease_duration must be greater than renew_deadline");

  auto a_opts = o, b_opts = o;
  a_opts.identity = "pod-a";
  b_opts.identity = "pod-b";
  auto a = std::make_unique<LeaderElector>(io, std::make_shared<KubeClient>(io, *conn), a_opts);
  a->start();
  REQUIRE(run_until(io, [&] { return a->is_leader(); }));
  LeaderElector b(io, std::make_shared<KubeClient>(io, *conn), b_opts);
  b.start();
  // b sees a holding the lease and stays a follower while a renews.
  REQUIRE(run_until(io, [&] { return b.observed_holder() == "pod-a"; }));
  run_until(
      io, [] { return false; }, 2.5);  // longer than the lease: a keeps renewing
  CHECK(a->is_leader());
  CHECK_FALSE(b.is_leader());

  // a dies without releasing: b takes over once the lease expires.
  auto killed = std::chrono::steady_clock::now();
  a.reset();
  REQUIRE(run_until(
      io, [&] { return b.is_leader(); }, 15));
  auto took = std::chrono::steady_clock::now() - killed;
  CHECK(took >= std::chrono::seconds(1));  // not before the lease could have expired
  std::string out;
  REQUIRE(kubectl(server.token_kubeconfig("admin-token", "admin"),
                  "get --raw /apis/coordination.k8s.io/v1/namespaces/default/leases/luascale-test",
                  &out) == 0);
  Value lease = parse_json(out);
  CHECK(lease.find("spec")->find("holderIdentity")->as_string() == "pod-b");
  CHECK(lease.find("spec")->find("leaseTransitions")->as_int() == 1);
  CHECK(lease.find("spec")->find("leaseDurationSeconds")->as_int() == 2);
  CHECK(lease.find("spec")->find("renewTime")->as_string().size() == 27);  // MicroTime

  // b releases on stop; a new candidate takes over at once, not after the lease duration.
  bool stopped = false;
  b.stop([&] { stopped = true; });
  REQUIRE(run_until(io, [&] { return stopped; }));
  CHECK_FALSE(b.is_leader());
  auto c_opts = o;
  c_opts.identity = "pod-c";
  c_opts.lease_duration = std::chrono::seconds(15);
  c_opts.renew_deadline = std::chrono::seconds(3);
  LeaderElector c(io, std::make_shared<KubeClient>(io, *conn), c_opts);
  c.start();
  REQUIRE(run_until(
      io, [&] { return c.is_leader(); }, 10));

  // The leader stops leading when it cannot renew (the API server refuses every request).
  server.control("POST", "/__test/faults",
                 R"({"match": "leases", "status": 500, "count": 100000})");
  REQUIRE(run_until(
      io, [&] { return !c.is_leader(); }, 15));
  server.control("DELETE", "/__test/faults");
  c.stop();
  run_until(
      io, [] { return false; }, 0.2);
}
