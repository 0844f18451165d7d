// Shadow mode against the Kubernetes and AWS Auto Scaling test servers, through the real
// adapters and the real `luascale run` loop on a virtual clock, with the live count changed on
// the server between ticks: no write ever reaches the server, every recorded tick carries the
// live count of that tick, the guardrails count the changes seen on the server, /metrics shows the
// would-be and the live count, and `luascale shadow-report` gives the figures those ticks imply.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <utility>

#include <sstream>

#include "aws_test_server.hpp"
#include "engine/loop/tick.hpp"
#include "engine/shadow/shadow_log.hpp"
#include "k8s_fixture.hpp"
#include "run_fakes.hpp"
#include "shadow_rows.hpp"

using namespace luascale;
using namespace luascale::test;
namespace asio = boost::asio;

namespace {

constexpr double kT0 = 1700000000;
constexpr double kInterval = 900;  // 15 minutes of virtual time between ticks

// `luascale run` with the built-in adapters, its ticks started by tick() at virtual times.
struct LiveShadowRun : VirtualRun {
  explicit LiveShadowRun(const std::string& config)
      : VirtualRun(options(config), builtin_sources(), builtin_actuators(), kT0, 60) {
    std::string err;
    REQUIRE_MESSAGE(start(&err), err);
  }
  static RunOptions options(const std::string& config) {
    RunOptions ro;
    ro.config_path = config;
    ro.listen = "off";
    return ro;
  }
};

// The cells of the row of `luascale shadow-report`'s table that starts with `first`.
std::vector<std::string> table_row(const std::string& text, const std::string& first) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::vector<std::string> out;
    for (std::string c; cells >> c;) out.push_back(c);
    if (!out.empty() && out[0] == first && out.size() > 2) return out;
  }
  return {};
}

// Runs `luascale shadow-report LOG --report HTML`; its output.
std::string shadow_report(const std::filesystem::path& log, const std::filesystem::path& html) {
  std::string out;
  const int rc = run_command(std::string(LUASCALE_BINARY) + " shadow-report " + log.string() +
                                 " --report " + html.string() + " 2>&1",
                             &out);
  REQUIRE_MESSAGE(rc == 0, out);
  return out;
}

// Two ready pods at 900m CPU against 500m requests: 180 % of request, against a 70 % target.
const char* kSeed = R"json({
  "tokens": {"sa-token": "system:serviceaccount:default:luascale", "admin-token": "admin"},
  "users": {"admin": "*", "system:serviceaccount:default:luascale": [
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
     "containers": [{"name": "app", "usage": {"cpu": "900m"}}]}]})json";

// The Deployment with `replicas`, as someone else (a person, the HPA it would replace) sets it.
void set_deployment(const K8sTestServer& server, int replicas) {
  server.control("POST", "/__test/objects",
                 R"({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": "api", "namespace": "default"},
                     "spec": {"replicas": )" +
                     std::to_string(replicas) +
                     R"(, "selector": {"matchLabels": {"app": "api"}}}})");
}

}  // namespace

TEST_CASE("shadow on Kubernetes: reads the scale subresource and pods, never writes") {
  K8sTestServer server(kSeed);
  const std::string kc = server.token_kubeconfig("sa-token");
  TempDir dir;
  const auto config = dir.write(
      "config.json", R"({"policies": [{
      "name": "api", "script": ")" +
                         (source_dir() / "examples/kubernetes/policies/api.lua").string() +
                         R"(",
      "params": {"metrics": [{"signal": "cpu", "type": "Utilization", "target": 70}]},
      "interval": "15m", "shadow": true, "shadow_log": "shadow.csv",
      "target": {"kind": "kubernetes", "resource": "deployments/api", "kubeconfig": ")" +
                         kc + R"("},
      "minReplicas": 2, "maxReplicas": 20,
      "signals": {"cpu": {"source": "kubernetes", "query": "pods", "resource": "deployments/api",
                          "metric": "cpu", "kubeconfig": ")" +
                         kc + R"("}}}],
    "state_file": "state.json"})");
  server.control("DELETE", "/__test/requests");
  // The live count, set on the server before each tick.
  const int live[] = {2, 5, 9, 7};
  std::string metrics;
  {
    LiveShadowRun run(config.string());
    for (int i = 0; i < 4; ++i) {
      set_deployment(server, live[i]);
      run.tick(kT0 + kInterval * i);
    }
    metrics = run.runner->metrics_text();
  }
  // Not one write: every request luascale made was a GET, and the count is the test's.
  const Value log = *parse_json(server.control("GET", "/__test/requests")).find("requests");
  REQUIRE(log.as_array().size() >= 8);
  for (const auto& r : log.as_array()) {
    CAPTURE(to_json(r));
    CHECK(r.find("method")->as_string() == "GET");
  }
  net::HttpRequest get;
  get.url = server.url() + "/apis/apps/v1/namespaces/default/deployments/api";
  get.headers = {{"Authorization", "Bearer admin-token"}};
  net::HttpClientOptions tls;
  tls.tls.ca_file = server.pki().ca_cert.string();
  const auto dep = net::http_request_sync(get, tls);
  REQUIRE(dep.status == 200);
  CHECK(parse_json(dep.body).find("spec")->find("replicas")->as_int() == 7);

  // Each tick beside the live count it read. HPA wants ceil(2 pods x 180 / 70) = 6; from the
  // live 2 the legacy limit allows 4; from the live 5 (limit 10), 6; then it stays at 6.
  const auto rows = read_rows(dir.path() / "shadow.csv");
  REQUIRE(rows.size() == 4);
  const std::int64_t shadow[] = {4, 6, 6, 6};
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(rows[i].time == kT0 + kInterval * i);
    CHECK(rows[i].live == live[i]);
    CHECK(rows[i].ready == live[i]);
    CHECK(rows[i].recommended == 6);
    CHECK(rows[i].replicas == shadow[i]);
    CHECK(rows[i].bound_by == (i == 0 ? "scaleUpLimit" : "none"));
    CHECK(rows[i].status == "decision");
    CHECK(rows[i].demand_signal == "cpu");
  }
  CHECK(has(metrics, "luascale_shadow_desired_replicas{policy=\"api\"} 6\n"));
  CHECK(has(metrics, "luascale_current_replicas{policy=\"api\"} 7\n"));
  CHECK(has(metrics, "luascale_actuation_errors_total{policy=\"api\"} 0\n"));

  // 15 minutes a tick: shadow (4 + 6 + 6 + 6) x 0.25 h = 5.5, live (2 + 5 + 9 + 7) x 0.25 = 5.75;
  // higher twice (by 2, 1: 0.75 replica-hours), lower twice (by 3, 1: 1.00).
  const std::string out = shadow_report(dir.path() / "shadow.csv", dir.path() / "report.html");
  CAPTURE(out);
  CHECK(table_row(out, "api") == std::vector<std::string>{"api", "1.0h", "4", "4", "100.0%",
                                                          "50.0%", "50.0%", "1.50", "2", "2.00",
                                                          "3", "5.50", "5.75", "-0.25", "-4.3%"});
  CHECK(has(out, "it would have saved 0.25 replica-hours (-4.3% against live)"));
  const std::string html = read_file(dir.path() / "report.html");
  CHECK(has(html, "<td>-0.25 replica-hours (-4.3 %): would have saved</td>"));
  CHECK(has(html, "<td>0.75 replica-hours</td>"));  // what it would have cost while higher
  CHECK(has(html, "<td>1.00 replica-hours</td>"));  // what it would have saved while lower
}

TEST_CASE("shadow on an Auto Scaling group: Describe calls only, never SetDesiredCapacity") {
  AwsTestServer server;
  server.control("groups", R"([{"name": "workers", "min": 1, "max": 20, "desired": 2}])");
  server.control(
      "credentials",
      R"([{"access_key_id": "AKIASHADOWEXAMPLE", "secret_access_key": "shadow/secret"}])");
  server.control("metric", R"({"value": 73})");
  ::setenv("AWS_ACCESS_KEY_ID", "AKIASHADOWEXAMPLE", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "shadow/secret", 1);
  for (const char* v :
       {"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_AUTO_SCALING"})
    ::unsetenv(v);
  TempDir dir;
  dir.write("per_node.lua", R"(return { decide = function(ctx)
  local load = ctx:signal("load")
  if not load then return nil end
  return { nodes = math.ceil(load / 10), reason = "load " .. load }
end })");
  const auto config =
      dir.write("config.json", R"({"policies": [{
      "name": "workers", "script": "per_node.lua", "interval": "15m",
      "shadow": true, "shadow_log": "shadow.csv",
      "target": {"kind": "aws-asg", "group": "workers", "region": "us-east-1",
                 "endpoint": ")" + server.url() +
                                   R"("},
      "minReplicas": 1, "maxReplicas": 50,
      "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0,
                               "policies": [{"type": "Pods", "value": 3, "periodSeconds": 1800}]},
                   "scaleDown": {"stabilizationWindowSeconds": 0,
                                 "policies": [{"type": "Percent", "value": 100, "periodSeconds": 60}]}},
      "signals": {"load": {"source": "http-json", "url": ")" +
                                   server.url() + R"(/_control/metric", "pointer": "/value"}}}]})");
  // (live desired capacity set on the group before the tick, load)
  const std::pair<int, int> steps[] = {{2, 73}, {6, 73}, {10, 73}, {10, 30}};
  std::string metrics;
  {
    LiveShadowRun run(config.string());
    for (int i = 0; i < 4; ++i) {
      server.control("groups", R"([{"name": "workers", "min": 1, "max": 20, "desired": )" +
                                   std::to_string(steps[i].first) + "}]");
      server.control("metric", R"({"value": )" + std::to_string(steps[i].second) + "}");
      run.tick(kT0 + kInterval * i);
    }
    metrics = run.runner->metrics_text();
  }
  const Value state = server.state();
  CHECK(state.find("groups")->find("workers")->find("desired")->as_int() == 10);
  CHECK(state.find("signature_failures")->as_int() == 0);
  int describes = 0;
  for (const auto& r : state.find("requests")->as_array()) {
    const Value* action = r.find("action");
    if (!action || !action->is_string()) continue;
    CAPTURE(action->as_string());
    CHECK(action->as_string() == "DescribeAutoScalingGroups");
    ++describes;
  }
  CHECK(describes >= 4);

  // ceil(73 / 10) = 8 nodes, then 3. Up 3 per 30 minutes, counted from the live count less the
  // changes seen on the group within the period: from the live 2, 5; at the live 6 (+4 seen just
  // now: the period started at 2, so 5) the live 6 is kept; at the live 10 it would go down to 8,
  // then to 3.
  const auto rows = read_rows(dir.path() / "shadow.csv");
  REQUIRE(rows.size() == 4);
  const std::int64_t shadow[] = {5, 6, 8, 3};
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(rows[i].live == steps[i].first);
    CHECK(rows[i].ready == steps[i].first);
    CHECK(rows[i].replicas == shadow[i]);
    CHECK(rows[i].bound_by == (i < 2 ? "scaleUpLimit" : "none"));
    CHECK(rows[i].recommended == (i < 3 ? 8 : 3));
    CHECK(rows[i].demand == steps[i].second);
  }
  CHECK(has(metrics, "luascale_shadow_desired_replicas{policy=\"workers\"} 3\n"));
  CHECK(has(metrics, "luascale_current_replicas{policy=\"workers\"} 10\n"));
  CHECK(has(metrics, "luascale_shadow_ticks_total{policy=\"workers\",comparison=\"higher\"} 1\n"));
  CHECK(has(metrics, "luascale_shadow_ticks_total{policy=\"workers\",comparison=\"same\"} 1\n"));
  CHECK(has(metrics, "luascale_shadow_ticks_total{policy=\"workers\",comparison=\"lower\"} 2\n"));

  // Shadow (5 + 6 + 8 + 3) x 0.25 h = 5.5, live (2 + 6 + 10 + 10) x 0.25 = 7; higher by 3;
  // lower by 2, 7.
  const std::string out = shadow_report(dir.path() / "shadow.csv", dir.path() / "report.html");
  CAPTURE(out);
  CHECK(table_row(out, "workers") ==
        std::vector<std::string>{"workers", "1.0h", "4", "4", "75.0%", "25.0%", "50.0%", "3.00",
                                 "3", "4.50", "7", "5.50", "7.00", "-1.50", "-21.4%"});
  const std::string html = read_file(dir.path() / "report.html");
  CHECK(has(html, "<td>-1.50 replica-hours (-21.4 %): would have saved</td>"));
  CHECK(has(html, "<th><a href=\"#policy-1\">workers (live)</a>"));  // the replay table
}
