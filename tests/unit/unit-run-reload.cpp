// tests/unit/unit-run-reload.cpp — reloads of `luascale run` while it ticks: the tick in flight is
// committed and the new version continues from the state it left (no tick evaluated twice with
// the same ctx.state, none lost), a changed target starts a fresh guardrail history, counters
// carry over, and a rotated secret file is picked up by the file poller.
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <set>

#include "engine/loop/tick.hpp"
#include "run_fakes.hpp"

using namespace luascale;
using namespace luascale::test;
namespace asio = boost::asio;

TEST_CASE("a reload storm commits every tick in flight: ctx.state never repeats nor skips") {
  reset();
  g.apply_delay = 0.05;  // ticks are in flight (writing) for a while
  TempDir dir;
  dir.write("p.lua", R"(return { decide = function(ctx)
    ctx.state.n = (ctx.state.n or 0) + 1
    return { replicas = ctx.target.replicas + 1, reason = "n " .. ctx.state.n }
  end })");
  dir.write("c.json", R"({"policies": [{"name": "step", "script": "p.lua", "interval": "60ms",
    "target": {"kind": "fake"}, "minReplicas": 0, "maxReplicas": 100000}],
    "state_file": "state.json"})");
  std::mutex mu;
  std::vector<std::string> reasons;  // every evaluation, in order
  asio::io_context io;
  RunOptions ro = run_options(dir);
  ro.reload_poll_seconds = 0;
  ro.on_tick = [&](const std::string&, const TickRecord& t) {
    std::lock_guard<std::mutex> lock(mu);
    reasons.push_back(t.decision.reason);
  };
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  // 60 reloads 15 ms apart, from the loop's own thread as SIGHUP would.
  asio::steady_timer timer(io);
  int reloads = 0;
  std::function<void()> next = [&] {
    timer.expires_after(std::chrono::milliseconds(15));
    timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      r.reload();
      if (++reloads < 60) next();
    });
  };
  next();
  REQUIRE(run_until(
      io, [&] { return reloads == 60; }, 30));
  run_until(
      io, [&] { return false; }, 0.3);
  r.stop();
  io.run_for(std::chrono::seconds(2));

  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(reasons.size() >= 5);
  for (std::size_t i = 0; i < reasons.size(); ++i)
    CHECK_MESSAGE(reasons[i] == "n " + std::to_string(i + 1), "evaluation ", i);
  // Each evaluation was applied once (+1 each), and the persisted n is exactly the last one.
  CHECK(g.replicas == 3 + static_cast<std::int64_t>(reasons.size()));
  CHECK(saved_policy(dir, "step").find("ctx_state")->find("n")->as_int() ==
        static_cast<std::int64_t>(reasons.size()));
  // Requests that came while a reload was handing over were folded into the next one.
  const std::string m = r.metrics_text();
  const std::string key = "luascale_config_reloads_total{result=\"success\"} ";
  const int done = std::stoi(m.substr(m.find(key) + key.size()));
  CHECK(done >= 10);
  CHECK(done <= 60);
}

TEST_CASE("a reload that changes the target starts a fresh guardrail history") {
  reset();
  g.values["q"] = 200;  // 20 replicas wanted
  g.targets["a"] = 3;
  g.targets["b"] = 10;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  auto cfg = [&](const std::string& target) {
    dir.write("c.json", R"({"policies": [{"name": "work", "script": "p.lua", "interval": "50ms",
      "target": {"kind": "fake", "name": ")" +
                            target + R"("}, "maxReplicas": 50,
      "signals": {"queue": {"source": "fake", "value": "q"}}}], "state_file": "state.json"})");
  };
  cfg("a");
  asio::io_context io;
  RunOptions ro = run_options(dir);
  ro.reload_poll_seconds = 0;
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  REQUIRE(run_until(
      io, [&] { return g.targets["a"] == 20; }, 10));  // 3 -> 6 -> 12 -> 20
  g.values["q"] = 110;                                 // 11 wanted now
  cfg("b");
  REQUIRE(r.reload());
  // Carried over, the 20 recommended for the old target within the last 5 minutes would hold
  // the new one at 20 (10 -> 20); fresh, it goes where the policy asks.
  REQUIRE(run_until(
      io, [&] { return g.targets["b"] != 10; }, 10));
  run_until(
      io, [&] { return false; }, 0.3);
  CHECK(g.targets["b"] == 11);
  CHECK(g.targets["a"] == 20);
  r.stop();
  io.run_for(std::chrono::seconds(1));
  // ctx.state is the script's own and went on; counters went on across the reload.
  const Value saved = saved_policy(dir, "work");
  CHECK(saved.find("ctx_state")->find("ticks")->as_int() > 4);
  const std::string m = r.metrics_text();
  CHECK(m.find("luascale_actuations_total{policy=\"work\"} 4") != std::string::npos);
}

TEST_CASE("a rotated password_file is picked up by the file poller") {
  reset();
  g.values["first"] = 50;   // 5 replicas
  g.values["second"] = 90;  // 9 replicas
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("secret", "first\n");
  dir.write("c.json", R"({"policies": [{"name": "work", "script": "p.lua", "interval": "50ms",
    "target": {"kind": "fake"},
    "signals": {"queue": {"source": "fake", "password_file": "secret"}}}]})");
  asio::io_context io;
  RunOptions ro = run_options(dir);
  ro.reload_poll_seconds = 0.1;
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  REQUIRE(run_until(
      io, [&] { return g.last_applied == 5; }, 10));
  dir.write("secret", "second\n");  // rotated in place; the config itself is unchanged
  CHECK(run_until(
      io, [&] { return g.last_applied == 9; }, 10));
  r.stop();
}
