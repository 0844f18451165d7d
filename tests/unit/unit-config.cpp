// Config loading: every problem reported at once with its key path; comments tolerated.
#include <doctest/doctest.h>

#include "engine/config/config.hpp"
#include "engine/core/units.hpp"

using namespace luascale;

namespace {
std::vector<std::string> problems(const std::string& text) {
  try {
    parse_config(text, "c.json");
  } catch (const ConfigError& e) {
    return e.problems;
  }
  return {};
}
bool has(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& p : v)
    if (p == s) return true;
  return false;
}
}  // namespace

TEST_CASE("a full config parses, with comments and HPA field names") {
  Config c = parse_config(R"({
    // the api tier
    "policies": [{
      "name": "api", "script": "policies/hpa.lua", /* relative to the config */
      "params": {"metrics": [{"signal": "cpu", "type": "Utilization", "target": 70}]},
      "interval": "30s",
      "target": {"kind": "log", "replicas": 3},
      "minReplicas": 2, "maxReplicas": 8,
      "behavior": {"scaleDown": {"stabilizationWindowSeconds": 120,
                                 "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}},
      "cooldown": {"scaleUp": "1m", "scaleDown": "5m"},
      "fallback": {"failureThreshold": 5, "replicas": 4},
      "limits": {"instructions": 1000000, "memory": "16Mi", "timeout": "500ms"},
      "signals": {"cpu": {"column": "cpu_percent", "stale_after": "2m"}}
    }],
    "server": {"listen": "127.0.0.1:9999"},
    "state_file": "state.json"
  })",
                          "/etc/luascale/c.json");
  REQUIRE(c.policies.size() == 1);
  const PolicyConfig& p = c.policies[0];
  CHECK(p.name == "api");
  CHECK(p.script_path == "/etc/luascale/policies/hpa.lua");
  CHECK(p.interval_seconds == 30);
  CHECK(p.target.replicas == 3);
  CHECK(p.guard.min == 2);
  CHECK(p.guard.max == 8);
  CHECK(p.guard.has_behavior);
  CHECK(p.guard.scale_down.stabilization_window_seconds == 120);
  REQUIRE(p.guard.scale_down.policies.size() == 1);
  CHECK(p.guard.scale_down.policies[0].period_seconds == 60);
  CHECK(Guardrails(p.guard).config().scale_up.policies.size() ==
        2);  // API defaults: Pods 4 / Percent 100
  CHECK(p.guard.cooldown_up_seconds == 60);
  CHECK(p.guard.cooldown_down_seconds == 300);
  CHECK(p.guard.fallback_replicas == 4);
  CHECK(p.guard.fallback_failure_threshold == 5);
  CHECK(p.limits.instructions == 1000000);
  CHECK(p.limits.memory_bytes == 16u << 20);
  CHECK(p.limits.timeout_seconds == 0.5);
  REQUIRE(p.signals.size() == 1);
  CHECK(p.signals[0].column == "cpu_percent");
  CHECK(p.signals[0].stale_after == 120);
  CHECK(c.server.listen == "127.0.0.1:9999");
  CHECK(c.state_file == "/etc/luascale/state.json");
}

TEST_CASE("the server binds loopback unless configured") {
  Config c = parse_config(R"({"policies":[{"name":"a","script":"a.lua"}]})", "c.json");
  CHECK(c.server.listen == "127.0.0.1:9464");
}

TEST_CASE("problems are reported together, each with its key path") {
  auto p = problems(R"({"policies": [{"name": "a", "script": "a.lua", "intervall": "15s",
      "minReplicas": 5, "maxReplicas": 2, "interval": "soon",
      "behavior": {"scaleUp": {"selectPolicy": "Biggest", "policies": [{"type": "Pods", "value": 1}]}}}],
      "colour": 1})");
  INFO(p.size());
  for (auto& s : p) INFO(s);
  // An unknown key names the nearest accepted one (when there is a likely one) and all of them.
  CHECK(has(p,
            "c.json: policies[0].intervall: unknown key (did you mean \"interval\"?); accepted "
            "keys: name, script, params, interval, target, minReplicas, maxReplicas, min, max, "
            "behavior, cooldown, fallback, signals, limits, history, shadow, shadow_log"));
  CHECK(has(p,
            "c.json: colour: unknown key; accepted keys: policies, server, state_file, replay, "
            "leader_election"));
  CHECK(has(
      p, "c.json: policies[0].interval: 'soon' is not a duration (e.g. \"15s\", \"5m\", \"1h\")"));
  CHECK(has(p, "c.json: policies[0].behavior.scaleUp.selectPolicy: must be Max, Min or Disabled"));
  CHECK(has(p, "c.json: policies[0].behavior.scaleUp.policies[0].periodSeconds: required"));
  bool minmax = false;
  for (auto& s : p) minmax = minmax || s.rfind("c.json: policies[0].minReplicas:", 0) == 0;
  CHECK(minmax);
}

TEST_CASE("malformed JSON names line and column, missing policies is an error") {
  auto p = problems("{\n  \"policies\": [\n    {\"name\": \"a\",, }\n  ]\n}");
  REQUIRE(p.size() == 1);
  CHECK(p[0].rfind("c.json:3:18: syntax error", 0) == 0);
  p = problems("{}");
  CHECK(has(p, "c.json: policies: required: a non-empty array of policies"));
  p = problems(R"({"policies":[{"name":"a","script":"a.lua"},{"name":"a","script":"b.lua"}]})");
  CHECK(has(p, "c.json: policies[1].name: duplicate policy name 'a'"));
}

TEST_CASE("units: durations and sizes") {
  CHECK(parse_duration("15s") == 15);
  CHECK(parse_duration("1h30m") == 5400);
  CHECK(parse_duration("250ms") == 0.25);
  CHECK(parse_duration("90") == 90);
  CHECK_FALSE(parse_duration("15 parsecs"));
  CHECK_FALSE(parse_duration("-5s"));
  CHECK(parse_size("32Mi") == 32.0 * 1024 * 1024);
  CHECK(parse_size("1G") == 1e9);
  CHECK_FALSE(parse_size("lots"));
  CHECK(format_duration(5400) == "1h30m");
  CHECK(format_duration(15) == "15s");
}
