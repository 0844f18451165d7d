// Fallback under KEDA's names (static, currentReplicas, currentReplicasIfHigher,
// currentReplicasIfLower), from 0 replicas and with an unreachable source, and the multi-signal
// rule: a failing signal never overrides a higher count that the healthy signals give.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

#include "adapter_helpers.hpp"
#include "engine/config/config.hpp"
#include "engine/guard/guardrails.hpp"
#include "engine/loop/memory_adapters.hpp"
#include "engine/loop/policy_runtime.hpp"
#include "engine/loop/tick.hpp"
#include "fixtures.hpp"
#include "servers.hpp"

using namespace luascale;
using luascale::test::TempDir;

namespace {

GuardrailConfig guard_of(const std::string& policy_json) {
  Config c = parse_config("{\"policies\": [" + policy_json + "]}", "f.json");
  return c.policies.at(0).guard;
}

// Fails `threshold` times in a row at `current` and returns the last result.
GuardResult fail_until_fallback(Guardrails& g, std::int64_t current, int threshold,
                                std::optional<std::int64_t> partial = std::nullopt) {
  GuardResult r;
  for (int i = 0; i < threshold; ++i) r = g.decide(15.0 * i, current, partial, true);
  return r;
}

std::string fallback_json(const std::string& behavior, const std::string& extra = "") {
  return R"({"name":"a","script":"x.lua","minReplicas":0,"maxReplicas":50,)"
         R"("fallback":{"failureThreshold":2,"replicas":6,"behavior":")" +
         behavior + "\"}" + extra + "}";
}

struct Collect final : TickSink {
  TickRecord last;
  void tick_done(TickRecord& r) override { last = r; }
};

// Two signals, the larger proposal wins (as HPA and KEDA do with several metrics).
const char* const kTwoSignals = R"(return {
  decide = function(ctx)
    local cpu, queue = ctx:signal("cpu"), ctx:signal("queue")
    local n
    if cpu then n = math.ceil(cpu / 50) end
    if queue then n = math.max(n or 0, math.ceil(queue / 10)) end
    if n == nil then return nil end
    return { replicas = n, reason = "cpu " .. tostring(cpu) .. " queue " .. tostring(queue) }
  end,
})";

}  // namespace

TEST_CASE("fallback kinds: the count each KEDA behavior sets") {
  struct Case {
    const char* behavior;
    std::int64_t current, expected;
  };
  for (const Case c :
       {Case{"static", 3, 6}, Case{"static", 10, 6}, Case{"currentReplicas", 3, 3},
        Case{"currentReplicas", 10, 10}, Case{"currentReplicasIfHigher", 3, 6},
        Case{"currentReplicasIfHigher", 10, 10}, Case{"currentReplicasIfLower", 3, 3},
        Case{"currentReplicasIfLower", 10, 6}}) {
    CAPTURE(c.behavior);
    CAPTURE(c.current);
    Guardrails g(guard_of(fallback_json(c.behavior, R"(,"behavior":{"scaleDown":{)"
                                                    R"("stabilizationWindowSeconds":0}})")));
    auto first = g.decide(0, c.current, std::nullopt, true);
    CHECK(first.desired == c.current);  // one failure: held
    CHECK(first.bound_by == BoundBy::Error);
    auto r = g.decide(15, c.current, std::nullopt, true);
    CHECK(r.desired == c.expected);
    if (c.expected != c.current) CHECK(r.bound_by == BoundBy::Fallback);
  }
  // The default behavior is static, and currentReplicas needs no replicas count.
  CHECK(guard_of(R"({"name":"a","script":"x.lua","fallback":{"replicas":2}})").fallback_behavior ==
        GuardrailConfig::FallbackBehavior::Static);
  auto cur = guard_of(R"({"name":"a","script":"x.lua","fallback":{"behavior":"currentReplicas"}})");
  CHECK(cur.fallback_enabled());
  CHECK_THROWS_WITH_AS(
      parse_config(
          R"({"policies":[{"name":"a","script":"x.lua","fallback":{"behavior":"sometimes"}}]})",
          "f.json"),
      doctest::Contains("policies[0].fallback.behavior: must be static, currentReplicas"),
      ConfigError);
  CHECK_THROWS_WITH_AS(
      parse_config(
          R"({"policies":[{"name":"a","script":"x.lua","fallback":{"behavior":"static"}}]})",
          "f.json"),
      doctest::Contains("policies[0].fallback.replicas: required"), ConfigError);
}

TEST_CASE(
    "fallback from 0 replicas (minReplicas 0): static and IfHigher scale up, the others stay") {
  for (const char* kind :
       {"static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower"}) {
    CAPTURE(kind);
    Guardrails g(guard_of(fallback_json(kind)));
    auto r = fail_until_fallback(g, 0, 2);
    const bool up = std::string(kind) == "static" || std::string(kind) == "currentReplicasIfHigher";
    // Legacy HPA rate: from 0 at most max(2 x 0, 4) = 4 in one step, then on to 6.
    CHECK(r.desired == (up ? 4 : 0));
    if (up) {
      CHECK(r.bound_by == BoundBy::ScaleUpLimit);
      CHECK(g.decide(30, 4, std::nullopt, true).desired == 6);
    }
  }
  // A paused target (0 replicas with minReplicas above 0) stays paused, as with HPA.
  Guardrails paused(guard_of(
      R"({"name":"a","script":"x.lua","minReplicas":1,"fallback":{"failureThreshold":1,"replicas":6}})"));
  CHECK(paused.decide(0, 0, std::nullopt, true).bound_by == BoundBy::Paused);
}

TEST_CASE("a failing signal never overrides a higher count from the healthy signals") {
  // Before the fallback fires (3 failures): a partial decision scales up, never down.
  Guardrails g(guard_of(R"({"name":"a","script":"x.lua","minReplicas":0,"maxReplicas":50,)"
                        R"("fallback":{"failureThreshold":3,"replicas":6},)"
                        R"("behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}})"));
  auto r = g.decide(0, 5, 9, true);
  CHECK(r.desired == 9);
  CHECK(r.bound_by == BoundBy::None);
  r = g.decide(15, 9, 3, true);  // partial data: no scale-down
  CHECK(r.desired == 9);
  CHECK(r.bound_by == BoundBy::Error);
  // Fallback fired (3 failures): max(fallback 6, healthy 12) = 12; healthy 4 < 6 gives 6.
  r = g.decide(30, 9, 12, true);
  CHECK(r.desired == 12);
  r = g.decide(45, 12, 4, true);
  CHECK(r.desired == 6);
  CHECK(r.bound_by == BoundBy::Fallback);
  // Healthy again: the counter resets, and the script's count applies.
  r = g.decide(60, 6, 2, false);
  CHECK(g.state().consecutive_failures == 0);
  CHECK(r.desired == 2);
}

TEST_CASE("through the tick: one signal failing, the other healthy, then the fallback") {
  TempDir dir;
  dir.write("two.lua", kTwoSignals);
  Config cfg =
      parse_config(R"({"policies":[{"name":"two","script":")" + (dir.path() / "two.lua").string() +
                       R"(","minReplicas":1,"maxReplicas":40,
      "behavior":{"scaleDown":{"stabilizationWindowSeconds":0},
                  "scaleUp":{"policies":[{"type":"Percent","value":1000,"periodSeconds":15}]}},
      "fallback":{"failureThreshold":3,"replicas":8,"behavior":"currentReplicasIfHigher"},
      "signals":{"cpu":{},"queue":{}}}]})",
                   (dir.path() / "c.json").string());
  std::string error;
  auto rt = PolicyRuntime::create(cfg.policies[0], &error);
  REQUIRE_MESSAGE(rt, error);
  MemorySource cpu, queue;
  MemoryTarget target;
  target.state = TargetState{4, 4, std::nullopt, std::nullopt};
  Collect sink;
  PolicyTick tick(*rt, target, sink);
  tick.add_source(0, cpu);
  tick.add_source(1, queue);
  double now = 1000;
  auto step = [&](double cpu_value, bool queue_fails, double queue_value = 0) {
    cpu.push(now, Value(cpu_value));
    if (queue_fails)
      queue.fail("connect 127.0.0.1:9: connection refused");
    else
      queue.push(now, Value(queue_value));
    tick.start(now);
    now += 15;
    return sink.last.decision;
  };
  auto d = step(200, false, 30);  // cpu 4, queue 3 -> 4
  CHECK(d.desired == 4);
  d = step(500, true);  // queue down; cpu alone asks 10: scale up
  CHECK(d.desired == 10);
  CHECK(target.state.replicas == 10);
  CHECK(sink.last.signal_errors[1].find("connection refused") != std::string::npos);
  d = step(100, true);  // cpu alone asks 2: no scale-down on partial data
  CHECK(d.desired == 10);
  CHECK(d.bound_by == BoundBy::Error);
  d = step(100, true);  // third failure: fallback max(current 10, 8) = 10, and cpu's 2 is lower
  CHECK(d.desired == 10);
  d = step(100, false, 20);  // healthy again: cpu 2, queue 2 -> 2
  CHECK(d.desired == 2);
  d = step(100, true);
  d = step(100, true);
  d = step(900, true);  // fallback max(2, 8) = 8, but cpu's 18 is higher: 18 wins
  CHECK(d.desired == 18);
  d = step(100, true);  // the fallback now holds 18 (current is higher than 8)
  CHECK(d.desired == 18);
  CHECK(d.bound_by == BoundBy::Fallback);
}

TEST_CASE("an unreachable source trips the fallback (KEDA #8056)") {
  TempDir dir;
  dir.write("q.lua", R"(return { decide = function(ctx)
      local q = ctx:signal("queue")
      if q == nil then return nil end
      return { replicas = math.ceil(q / 10) } end })");
  const std::uint16_t port = luascale::test::free_port();  // nothing listens there
  Config cfg =
      parse_config(R"({"policies":[{"name":"q","script":")" + (dir.path() / "q.lua").string() +
                       R"(","minReplicas":0,"maxReplicas":40,
      "fallback":{"failureThreshold":2,"replicas":3},
      "signals":{"queue":{"source":"http-json","url":"http://127.0.0.1:)" +
                       std::to_string(port) + R"(/q","pointer":"/n","timeout":"2s"}}}]})",
                   (dir.path() / "c.json").string());
  std::string error;
  auto rt = PolicyRuntime::create(cfg.policies[0], &error);
  REQUIRE_MESSAGE(rt, error);
  boost::asio::io_context io;
  AdapterContext ctx{io, dir.path().string()};
  auto source = luascale::test::make_source(ctx, to_json(cfg.policies[0].signals[0].options), 2);
  MemoryTarget target;
  target.state = TargetState{0, 0, std::nullopt, std::nullopt};  // scaled to zero
  Collect sink;
  PolicyTick tick(*rt, target, sink);
  tick.add_source(0, *source);
  for (int i = 0; i < 2; ++i) {
    tick.start(100.0 + 15 * i);
    luascale::test::run_until(io, [&] { return !tick.running(); });
    CHECK(sink.last.signal_errors[0].find("127.0.0.1") != std::string::npos);
  }
  CHECK(sink.last.decision.bound_by == BoundBy::Fallback);
  CHECK(target.state.replicas == 3);  // from zero, with the source down
}
