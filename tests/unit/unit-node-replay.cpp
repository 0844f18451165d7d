// Closed-loop replay of node policies: pending pods computed from the simulated ready nodes,
// nodes that take 5 minutes to boot, no overshoot while they boot (upcoming nodes take the
// pending pods, as the Cluster Autoscaler counts them), and node groups priced one by one.
#include <doctest/doctest.h>

#include <string>

#include "engine/config/config.hpp"
#include "engine/replay/replay.hpp"
#include "fixtures.hpp"

using namespace luascale;
using luascale::test::TempDir;

namespace {

// 0 pods wanted for 10 minutes, then 20 pods (2 CPU each) for an hour, then 6.
std::string demand_trace() {
  std::string csv = "timestamp,pods\n";
  for (int t = 0; t <= 3600 * 2; t += 60) {
    const int pods = t < 600 ? 0 : t < 600 + 3600 ? 20 : 6;
    csv += std::to_string(1700000000 + t) + "," + std::to_string(pods) + "\n";
  }
  return csv;
}

ReplaySummary replay_nodes(const std::string& params_json, const std::string& replay_extra = "",
                           const std::string& policy_extra = "") {
  TempDir dir;
  const std::string script = std::string(LUASCALE_SOURCE_DIR) + "/policies/nodes.lua";
  const auto config = dir.write("config.json", R"({
    "policies": [{
      "name": "nodes", "script": ")" + script + R"(", "interval": "15s",
      "target": { "kind": "aws-asg", "group": "workers", "replicas": 1 },
      "minReplicas": 1, "maxReplicas": 100,
      "params": )" + params_json + policy_extra + R"(
    }],
    "replay": {
      "demand": "pods", "closed_loop": true, "ready_delay": "5m",
      "pending": { "signal": "pending", "pods_per_node": 2, "cpu": 2, "memory": "4Gi",
                   "name": "encode" })" + replay_extra +
                                                   R"(
    }
  })");
  Config cfg = load_config(config.string());
  std::string err;
  auto rt = PolicyRuntime::create(cfg.policies[0], &err);
  REQUIRE_MESSAGE(rt, err);
  auto trace = TraceReader::from_text(demand_trace(), TraceReader::Format::Csv, "pods.csv");
  ReplayOptions ro;
  ro.ready_delay_seconds = cfg.replay.ready_delay_seconds;
  ro.model = cfg.replay.model;
  return replay_trace(*rt, *trace, ro, nullptr);
}

}  // namespace

TEST_CASE("nodes booting 5 minutes: the estimate counts them and never overshoots") {
  // 20 pods of 2 CPU on 4-CPU nodes need 10 nodes; they boot for 5 minutes while the pods stay
  // pending, 20 ticks in a row.
  const std::string params = R"({ "node": { "cpu": 4, "memory": "16Gi", "pods": 110 },
                                   "running": false })";
  ReplaySummary s = replay_nodes(params);
  CHECK(s.errors == 0);
  CHECK(s.max_replicas == 10);
  CHECK(s.scale_downs == 0);  // pending-only sizing never removes nodes
  CHECK(s.under_ticks > 0);   // the pods did wait for the nodes to boot
  CHECK(s.max_recover_seconds <= 5 * 60 + 60);

  // The same policy told there is nothing on the way (an "upcoming" signal that never comes)
  // asks for the same nodes again every tick while they boot: the overshoot this prevents.
  ReplaySummary blind = replay_nodes(R"({ "node": { "cpu": 4, "memory": "16Gi", "pods": 110 },
                                          "running": false, "upcoming": "never" })");
  CHECK(blind.max_replicas > 30);
}

TEST_CASE("node groups: the expander's choice, each group priced in the replay") {
  const std::string groups = R"({ "running": false, "expander": "price", "groups": [
      { "name": "spot", "cpu": 4, "memory": "8Gi", "price": 0.05, "max": 6 },
      { "name": "on-demand", "cpu": 4, "memory": "16Gi", "price": 0.2 } ] })";
  ReplaySummary s =
      replay_nodes(groups,
                   R"(, "node_groups": [ { "name": "spot", "price_per_hour": 0.05 },
                           { "name": "on-demand", "price_per_hour": 0.2 } ])",
                   // Scale-up as fast as the expander asks, so each decision goes through whole.
                   R"(, "behavior": { "scaleUp": { "policies": [{ "type": "Pods", "value": 100,
                                                    "periodSeconds": 15 }] } })");
  CHECK(s.errors == 0);
  CHECK(s.max_replicas == 10);  // no overshoot with groups either
  REQUIRE(s.group_node_seconds.count("spot"));
  REQUIRE(s.group_node_seconds.count("on-demand"));
  // Spot is cheaper per pod and fills to its max (6); on-demand takes the rest (the first
  // group, spot, also holds the starting node).
  const double spot_h = s.group_node_seconds.at("spot") / 3600;
  const double od_h = s.group_node_seconds.at("on-demand") / 3600;
  CHECK(spot_h > od_h);
  CHECK(s.has_cost);
  CHECK(s.cost == doctest::Approx(spot_h * 0.05 + od_h * 0.2));
}

TEST_CASE("a decision's groups: their sum is the node count, and bad ones are errors") {
  TempDir dir;
  auto eval = [&](const std::string& answer) {
    const auto path =
        dir.write("g.lua", "return { decide = function(ctx) return " + answer + " end }");
    PolicyConfig pc = policy_config_for_script(path.string());
    pc.guard.enabled = false;  // the decision as the script gave it
    std::string err;
    auto rt = PolicyRuntime::create(pc, &err);
    REQUIRE_MESSAGE(rt, err);
    return rt->tick(1700000000, 2, 2);
  };
  DecisionRecord d = eval(R"({ groups = { spot = 6, ["on-demand"] = 4 }, reason = "split" })");
  REQUIRE(d.status == EvalOutcome::Status::Decision);
  CHECK(d.nodes_out == 10);
  CHECK(d.desired == 10);
  REQUIRE(d.groups.size() == 2);
  CHECK(d.groups[0] == GroupCount{"on-demand", 4});  // sorted by name
  CHECK(d.groups[1] == GroupCount{"spot", 6});
  CHECK(eval(R"({ nodes = 10, groups = { a = 6, b = 4 } })").status ==
        EvalOutcome::Status::Decision);
  d = eval(R"({ nodes = 9, groups = { a = 6, b = 4 } })");
  CHECK(d.status == EvalOutcome::Status::Error);
  CHECK(d.reason.find("nodes = 9 but its groups sum to 10") != std::string::npos);
  d = eval(R"({ groups = { a = -1 } })");
  CHECK(d.reason.find("groups = -1; counts must be >= 0") != std::string::npos);
  d = eval(R"({ groups = { 3 } })");
  CHECK(d.reason.find("group names must be strings") != std::string::npos);
  d = eval(R"({ groups = "spot" })");
  CHECK(d.reason.find("groups must be a table") != std::string::npos);
}
