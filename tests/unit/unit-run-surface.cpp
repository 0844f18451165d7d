// tests/unit/unit-run-surface.cpp — what `luascale run` shows about itself: /decisions (unknown
// policies, failed signals' reasons, unknown counts), /metrics (full-precision timestamps, every
// change of count as a scale event with its rule, fallback included), /readyz (only ticks that
// fully succeeded since this start).
#include <doctest/doctest.h>

#include <chrono>

#include "run_fakes.hpp"

using namespace luascale;
using namespace luascale::test;
namespace asio = boost::asio;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("/decisions: an unknown policy is a 404 listing the known ones") {
  reset();
  g.values["q"] = 30;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", R"({"policies": [
    {"name": "work", "script": "p.lua", "target": {"kind": "fake"},
     "signals": {"queue": {"source": "fake", "value": "q"}}},
    {"name": "a b", "script": "p.lua", "target": {"kind": "fake", "name": "x"},
     "signals": {"queue": {"source": "fake", "value": "q"}}}]})");
  asio::io_context io;
  RunOptions ro = run_options(dir);
  ro.listen = "127.0.0.1:0";
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  const std::string addr = r.listen_address();
  const std::string nope = serve_get(io, addr, "/decisions?policy=nope");
  CHECK(nope.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(contains(nope, "application/json"));
  CHECK(contains(nope, "\"error\": \"unknown policy \\\"nope\\\"\""));
  CHECK(contains(nope, "\"policies\": [\n  \"work\",\n  \"a b\"\n ]"));
  CHECK(serve_get(io, addr, "/decisions?policy=work").rfind("HTTP/1.1 200", 0) == 0);
  const std::string spaced = serve_get(io, addr, "/decisions?x=1&policy=a%20b");
  CHECK(spaced.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(contains(spaced, "\"a b\": ["));
  CHECK(!contains(spaced, "\"work\""));
  r.stop();
}

TEST_CASE("/metrics: timestamps at full precision, every change of count a scale event") {
  reset();
  g.values["q"] = 50;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config(R"(, "fallback": {"failureThreshold": 2, "replicas": 8})", "50ms"));
  asio::io_context io;
  RunOptions ro = run_options(dir);
  double clock = 1796625830.125;
  ro.clock = [&] { return clock; };
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  REQUIRE(run_until(
      io, [&] { return g.replicas == 5; }, 10));
  std::string m = r.metrics_text();
  CHECK(contains(m, "luascale_last_decision_timestamp_seconds{policy=\"work\"} 1796625830.125\n"));
  CHECK(
      contains(m, "luascale_scale_events_total{policy=\"work\",direction=\"up\",rule=\"none\"} 1"));

  // The signal fails: held, then after two failures the fallback count, itself a scale event.
  g.values.erase("q");
  REQUIRE(run_until(
      io, [&] { return g.replicas == 8; }, 10));
  m = r.metrics_text();
  CHECK(contains(
      m, "luascale_scale_events_total{policy=\"work\",direction=\"up\",rule=\"fallback\"} 1"));
  const std::string d = r.decisions_json("work");
  CHECK(contains(d,
                 "\"reason\": \"fallback after 2 consecutive failed evaluations: signal queue: "
                 "no value for q; the script: queue 50\""));
  CHECK(contains(d, "\"signal_errors\": {\n    \"queue\": \"no value for q\"\n   }"));
  CHECK(contains(d, "\"bound_by\": \"fallback\""));
  r.stop();
}

TEST_CASE(
    "/readyz: a tick whose signal failed is not a success; a target never read has no count") {
  reset();
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config("", "50ms"));
  asio::io_context io;
  Runner r(io, run_options(dir), fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  // The script holds (nil) when the signal is missing: no error, but not a successful tick.
  REQUIRE(run_until(
      io, [&] { return contains(r.decisions_json("work"), "\"status\""); }, 10));
  std::string why;
  CHECK_FALSE(r.ready(&why));
  CHECK(why == "policy work has no successful tick yet (last error: signal queue: no value for q)");
  CHECK(contains(r.decisions_json("work"), "\"reason\": \"signal queue: no value for q\""));
  g.values["q"] = 30;
  CHECK(run_until(
      io, [&] { return r.ready(nullptr); }, 10));
  r.stop();
  io.run_for(std::chrono::seconds(1));

  // A target that cannot be read: no current or desired count is shown, not a 0.
  reset();
  g.fail_read = true;
  g.values["q"] = 30;
  TempDir dir2;
  dir2.write("p.lua", kPolicy);
  dir2.write("c.json", config("", "50ms"));
  asio::io_context io2;
  Runner r2(io2, run_options(dir2), fake_sources(), fake_actuators());
  REQUIRE_MESSAGE(r2.start(&err), err);
  REQUIRE(run_until(
      io2, [&] { return contains(r2.decisions_json("work"), "\"status\""); }, 10));
  const std::string m = r2.metrics_text();
  CHECK(!contains(m, "luascale_current_replicas{policy=\"work\"}"));
  CHECK(!contains(m, "luascale_desired_replicas{policy=\"work\"}"));
  const std::string d = r2.decisions_json("work");
  CHECK(contains(d, "\"current\": null"));
  CHECK(contains(d, "\"desired\": null"));
  CHECK(contains(d, "reading the target failed: injected read failure"));
  CHECK_FALSE(r2.ready(&why));
  r2.stop();
}
