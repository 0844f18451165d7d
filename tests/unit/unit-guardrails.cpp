// Guardrails: upstream HPA normalization (legacy and behavior paths), cooldown and fallback,
// checked against the worked examples in ../shared/reference/hpa.md.
#include <doctest/doctest.h>

#include "engine/config/config.hpp"
#include "engine/guard/guardrails.hpp"

using namespace luascale;

namespace {
GuardrailConfig from_json(const std::string& policy_json) {
  Config c = parse_config("{\"policies\": [" + policy_json + "]}", "g.json");
  return c.policies.at(0).guard;
}
}  // namespace

TEST_CASE("legacy path: scale-up limited to max(2x, 4), min/max clamp, 300 s downscale window") {
  GuardrailConfig cfg;
  cfg.min = 1;
  cfg.max = 100;
  Guardrails g(cfg);
  auto r = g.decide(0, 2, 50, false);
  CHECK(r.desired == 4);  // max(2*2, 4)
  CHECK(r.bound_by == BoundBy::ScaleUpLimit);
  r = g.decide(15, 10, 50, false);
  CHECK(r.desired == 20);
  r = g.decide(30, 20, 5, false);  // the stored 50s win over 5 for 300 s, then max(2x, 4) caps
  CHECK(r.desired == 40);
  CHECK(r.bound_by == BoundBy::ScaleUpLimit);
  r = g.decide(31, 40, 5, false);  // still the stored 50, now within max(2x, 4)
  CHECK(r.desired == 50);
  CHECK(r.bound_by == BoundBy::ScaleDownStabilization);
  r = g.decide(400, 50, 5, false);  // everything but t=31 (5) and now is older than 300 s
  CHECK(r.desired == 5);
  r = g.decide(415, 5, 0, false);  // the 5 of t=400 is still in the window
  CHECK(r.desired == 5);
  r = g.decide(800, 5, 0, false);
  CHECK(r.desired == 1);
  CHECK(r.bound_by == BoundBy::MinReplicas);
}

TEST_CASE(
    "a fresh controller keeps the initial size for the downscale window "
    "(TestScaleDownStabilizeInitialSize)") {
  Guardrails g(from_json(R"({"name":"a","script":"x.lua","behavior":{}})"));
  auto r = g.decide(1000, 5, 3, false);
  CHECK(r.desired == 5);
  CHECK(r.bound_by == BoundBy::ScaleDownStabilization);
}

TEST_CASE("behavior rate limit counts scale events in the period (TestScalingWithRules)") {
  Guardrails g(from_json(R"({"name":"a","script":"x.lua","minReplicas":1,"maxReplicas":100,
      "behavior":{"scaleUp":{"policies":[{"type":"Percent","value":300,"periodSeconds":300}]}}})"));
  g.record_scale(100, 2, 6);  // +4
  g.record_scale(110, 6, 4);  // -2
  // current 6 (as in the upstream test), periodStart = 6 - 4 + 2 = 4, limit = ceil(4 * 4) = 16.
  auto r = g.decide(200, 6, 40, false);
  CHECK(r.desired == 16);
  CHECK(r.bound_by == BoundBy::ScaleUpLimit);
}

TEST_CASE("behavior defaults: scale-up max(+4 pods, +100%) per 15 s, scale-down 100%/15 s") {
  Guardrails g(from_json(R"({"name":"a","script":"x.lua","maxReplicas":1000,
      "behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}})"));
  auto r = g.decide(0, 3, 100, false);
  CHECK(r.desired == 7);  // max(3+4, 3*2)
  g.record_scale(0, 3, 7);
  r = g.decide(5, 7, 100, false);  // same 15 s period: periodStart 3 -> limit 7
  CHECK(r.desired == 7);
  r = g.decide(15, 7, 100, false);  // the event is 15 s old: no longer in the period
  CHECK(r.desired == 14);
  r = g.decide(30, 14, 1, false);
  CHECK(r.desired == 1);  // Percent 100 allows everything down at once, window 0
}

TEST_CASE("stabilization straddling current stays put, selectPolicy Min and Disabled") {
  Guardrails g(from_json(R"({"name":"a","script":"x.lua","maxReplicas":100,
      "behavior":{"scaleUp":{"stabilizationWindowSeconds":60},"scaleDown":{"stabilizationWindowSeconds":60}}})"));
  g.decide(0, 10, 10, false);
  g.decide(15, 10, 12, false);
  auto r = g.decide(30, 10, 8, false);  // recent 10,12,8: upRec 8, downRec 12 -> stays 10
  CHECK(r.desired == 10);

  Guardrails off(from_json(R"({"name":"a","script":"x.lua",
      "behavior":{"scaleDown":{"selectPolicy":"Disabled","stabilizationWindowSeconds":0}}})"));
  r = off.decide(0, 10, 2, false);
  CHECK(r.desired == 10);
  CHECK(r.bound_by == BoundBy::ScaleDownLimit);

  Guardrails min(from_json(
      R"({"name":"a","script":"x.lua","maxReplicas":100,"behavior":{"scaleUp":{"selectPolicy":"Min",
      "policies":[{"type":"Pods","value":2,"periodSeconds":60},{"type":"Percent","value":50,"periodSeconds":60}]}}})"));
  r = min.decide(0, 10, 50, false);
  CHECK(r.desired == 12);  // min(10+2, ceil(15))
}

TEST_CASE("failures hold the count, fallback after N consecutive failures, cooldown") {
  Guardrails g(
      from_json(R"({"name":"a","script":"x.lua","fallback":{"failureThreshold":2,"replicas":6}})"));
  auto r = g.decide(0, 3, std::nullopt, true);
  CHECK(r.desired == 3);
  CHECK(r.bound_by == BoundBy::Error);
  r = g.decide(15, 3, std::nullopt, true);
  CHECK(r.desired == 6);
  CHECK(r.bound_by == BoundBy::Fallback);
  r = g.decide(30, 6, 4, false);
  CHECK(g.state().consecutive_failures == 0);

  Guardrails c(from_json(R"({"name":"a","script":"x.lua","maxReplicas":50,"cooldown":"5m"})"));
  c.record_scale(0, 2, 4);
  r = c.decide(60, 4, 8, false);
  CHECK(r.desired == 4);
  CHECK(r.bound_by == BoundBy::Cooldown);
  r = c.decide(301, 4, 8, false);
  CHECK(r.desired == 8);
}

TEST_CASE("paused and out-of-range targets are gated before normalization") {
  Guardrails g(from_json(R"({"name":"a","script":"x.lua","minReplicas":2,"maxReplicas":5})"));
  CHECK(g.decide(0, 0, 4, false).bound_by == BoundBy::Paused);
  auto r = g.decide(0, 9, 9, false);
  CHECK(r.desired == 5);
  CHECK(r.bound_by == BoundBy::MaxReplicas);
  r = g.decide(0, 1, 1, false);
  CHECK(r.desired == 2);
}

TEST_CASE("state round-trips through a value") {
  Guardrails g(from_json(R"({"name":"a","script":"x.lua","behavior":{}})"));
  g.decide(0, 3, 5, false);
  g.record_scale(0, 3, 5);
  Value v = g.state().to_value();
  GuardrailState s;
  std::vector<std::string> warnings;
  std::string err;
  REQUIRE(GuardrailState::restore(v, 0, s, warnings, &err));
  CHECK(warnings.empty());
  CHECK(s.recommendations.size() == g.state().recommendations.size());
  CHECK(s.scale_up_events.size() == 1);
  CHECK(s.to_value() == v);
}

TEST_CASE("a restored state drops what is stamped in the future and clamps the last scale") {
  Value v = parse_json(R"({"recommendations": [[100, 3], [200, 1000], [90, 4]],
    "scale_up_events": [[95, 2], [5000, 7]], "scale_down_events": [[300, 1]],
    "last_scale_time": 1e12, "consecutive_failures": 2})");
  GuardrailState s;
  std::vector<std::string> warnings;
  std::string err;
  REQUIRE(GuardrailState::restore(v, 150, s, warnings, &err));
  REQUIRE(s.recommendations.size() == 2);  // oldest first, the future one gone
  CHECK(s.recommendations[0].time == 90);
  CHECK(s.recommendations[1].count == 3);
  REQUIRE(s.scale_up_events.size() == 1);
  CHECK(s.scale_up_events[0].count == 2);
  CHECK(s.scale_down_events.empty());
  CHECK(s.last_scale_time == 150);
  CHECK(s.consecutive_failures == 2);
  REQUIRE(warnings.size() == 4);
  CHECK(warnings[0] ==
        "guardrails.recommendations: 1 entry stamped in the future dropped (up to 50 s ahead)");
  CHECK(warnings[1].rfind("guardrails.scale_up_events: 1 entry", 0) == 0);
  CHECK(warnings[2].rfind("guardrails.scale_down_events: 1 entry", 0) == 0);
  CHECK(warnings[3].rfind("guardrails.last_scale_time: stamped", 0) == 0);

  // The guardrails then scale as a fresh history would: the 1000 is gone, no freeze.
  Guardrails g(GuardrailConfig{});
  g.state() = s;
  CHECK(g.decide(160, 3, 5, false).desired == 5);
}

TEST_CASE("a restored state refuses counts out of range and values of the wrong type") {
  auto refused = [](const char* json) {
    GuardrailState s;
    s.consecutive_failures = 77;
    std::vector<std::string> warnings;
    std::string err;
    const bool ok = GuardrailState::restore(parse_json(json), 1e9, s, warnings, &err);
    if (!ok) CHECK(s.consecutive_failures == 77);  // untouched on refusal
    return ok ? std::string("accepted") : err;
  };
  CHECK(refused(R"({"recommendations": [[1, 1e300]]})") ==
        "guardrails.recommendations[0]: count 1e+300 is not an integer in 0..2147483647");
  CHECK(refused(R"({"recommendations": [[1, -1]]})") ==
        "guardrails.recommendations[0]: count -1 is not an integer in 0..2147483647");
  CHECK(refused(R"({"recommendations": [[1, 2.5]]})") ==
        "guardrails.recommendations[0]: count 2.5 is not an integer in 0..2147483647");
  CHECK(refused(R"({"recommendations": [[1, 2147483648]]})") ==
        "guardrails.recommendations[0]: count 2147483648 is not an integer in 0..2147483647");
  CHECK(refused(R"({"recommendations": [[1, "3"]]})") ==
        "guardrails.recommendations[0]: a count must be a number, not string");
  CHECK(refused(R"({"recommendations": [["x", 3]]})") ==
        "guardrails.recommendations[0]: a time must be a finite number of unix seconds, not "
        "string");
  CHECK(refused(R"({"recommendations": {"a": 1}})") ==
        "guardrails.recommendations: expected an array of [time, count], not object");
  CHECK(refused(R"({"scale_up_events": [[1, 0]]})") ==
        "guardrails.scale_up_events[0]: count 0 is not an integer in 1..2147483647");
  CHECK(refused(R"({"consecutive_failures": 1e300})") ==
        "guardrails.consecutive_failures: count 1e+300 is not an integer in 0..2147483647");
  CHECK(refused(R"({"last_scale_time": "soon"})") ==
        "guardrails.last_scale_time: a time must be a finite number of unix seconds, not string");
  CHECK(refused(R"([1, 2])") == "guardrails: expected an object, not array");
  CHECK(refused(R"({"recommendations": [[1, 2.0]], "consecutive_failures": 3.0})") == "accepted");
}

TEST_CASE(
    "the compacted recommendation history gives the same stabilized counts as the full history") {
  // Behavior path with both stabilization windows and rate limits too wide to bind: the guarded
  // count is current clamped into [min over the up window, max over the down window] of the
  // recommendations, which a naive model computes from every recommendation ever stored.
  std::uint64_t seed = 12345;
  auto next = [&](std::uint64_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % n;
  };
  for (int trial = 0; trial < 40; ++trial) {
    const int up_window = static_cast<int>(next(4)) * 20;          // 0, 20, 40, 60 s
    const int down_window = 30 + static_cast<int>(next(10)) * 30;  // 30 .. 300 s
    Guardrails g(from_json(R"({"name":"a","script":"x.lua","minReplicas":0,"maxReplicas":100000,
        "behavior":{"scaleUp":{"stabilizationWindowSeconds":)" +
                           std::to_string(up_window) + R"(,
                    "policies":[{"type":"Pods","value":100000,"periodSeconds":1}]},
                    "scaleDown":{"stabilizationWindowSeconds":)" +
                           std::to_string(down_window) + R"(,
                    "policies":[{"type":"Percent","value":100,"periodSeconds":1}]}}})"));
    std::vector<std::pair<double, std::int64_t>> all;  // every recommendation, never pruned
    std::int64_t current = 10, rec = 10;
    double now = 1000;
    all.emplace_back(now, current);  // the initial recommendation
    std::size_t longest = 0;
    for (int tick = 0; tick < 600; ++tick) {
      now += 1 + static_cast<double>(next(5));
      const std::uint64_t step = next(10);  // mostly steady, sometimes a walk, sometimes a jump
      if (step < 2)
        rec += static_cast<std::int64_t>(next(7)) - 3;
      else if (step == 2)
        rec = static_cast<std::int64_t>(next(40));
      rec = std::max<std::int64_t>(0, rec);
      std::int64_t up = rec, down = rec;
      for (const auto& [t, c] : all) {
        if (t > now - up_window) up = std::min(up, c);
        if (t > now - down_window) down = std::max(down, c);
      }
      std::int64_t want = std::min(std::max(current, up), down);
      all.emplace_back(now, rec);
      GuardResult r = g.decide(now, current, rec, false);
      REQUIRE_MESSAGE(r.desired == want, "trial " << trial << " tick " << tick);
      if (r.desired != current) g.record_scale(now, current, r.desired);
      current = r.desired;
      longest = std::max(longest, g.state().recommendations.size());
    }
    CHECK(longest < all.size() / 4);  // compaction keeps far fewer than every sample
  }
  // A steady recommendation at a 1 s interval keeps one entry, not the 300 of the window.
  GuardrailConfig cfg;
  cfg.min = 1;
  Guardrails steady(cfg);
  for (int t = 0; t < 600; ++t) steady.decide(t, 3, 3, false);
  CHECK(steady.state().recommendations.size() == 1);
}
