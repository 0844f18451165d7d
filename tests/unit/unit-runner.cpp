// `luascale run` loop with in-process fake sources and actuators: ticks, timeouts, holds on
// errors, no overlapping ticks, state persistence across restarts, hot reload, HTTP surface.
#include <doctest/doctest.h>

#include <utility>

#include <cstring>

#include "engine/config/run_validation.hpp"
#include "run_fakes.hpp"

using namespace luascale;
using namespace luascale::test;
using luascale::test::TempDir;
namespace asio = boost::asio;

TEST_CASE("a tick fetches, evaluates, applies once, and persists state") {
  reset();
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config());
  g.values["q"] = 72;
  {
    asio::io_context io;
    RunOptions ro;
    ro.config_path = (dir.path() / "c.json").string();
    ro.listen = "off";
    ro.once = true;
    Runner r(io, ro, fake_sources(), fake_actuators());
    std::string err;
    REQUIRE_MESSAGE(r.start(&err), err);
    io.run_for(std::chrono::seconds(5));
  }
  CHECK(g.applies == 1);
  CHECK(g.last_applied == 6);  // legacy limit max(2*3, 4) = 6 of the wanted 8
  Value saved;
  std::string err;
  REQUIRE(load_state_file((dir.path() / "state.json").string(), saved, &err));
  REQUIRE(saved.find("work"));
  CHECK(saved.find("work")->find("ctx_state")->find("ticks")->as_int() == 1);

  // A restart restores ctx.state and the guardrail history.
  g.values["q"] = 72;
  {
    asio::io_context io;
    RunOptions ro;
    ro.config_path = (dir.path() / "c.json").string();
    ro.listen = "off";
    ro.once = true;
    Runner r(io, ro, fake_sources(), fake_actuators());
    REQUIRE(r.start(&err));
    io.run_for(std::chrono::seconds(5));
  }
  REQUIRE(load_state_file((dir.path() / "state.json").string(), saved, &err));
  CHECK(saved.find("work")->find("ctx_state")->find("ticks")->as_int() == 2);
  CHECK(g.last_applied == 8);
}

TEST_CASE("a source that never answers times out: the count is held, nothing applied") {
  reset();
  g.hang = true;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config());
  asio::io_context io;
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  ro.listen = "127.0.0.1:0";
  ro.once = true;
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  std::string addr = r.listen_address();
  run_until(
      io, [&] { return r.decisions_json("work").find("\"status\"") != std::string::npos; }, 5);
  CHECK(g.applies == 0);
  std::string m = r.metrics_text();
  CHECK(m.find("luascale_signal_fetch_errors_total{policy=\"work\",signal=\"queue\"} 1") !=
        std::string::npos);
  CHECK(m.find("luascale_evaluations_total{policy=\"work\",result=\"hold\"} 1") !=
        std::string::npos);
}

TEST_CASE("script errors hold the count and are counted, the HTTP surface reports them") {
  reset();
  g.values["q"] = -5;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config());
  asio::io_context io;
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  ro.listen = "127.0.0.1:0";
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  REQUIRE(run_until(
      io, [&] { return r.metrics_text().find("result=\"error\"} 1") != std::string::npos; }, 5));
  CHECK(g.applies == 0);
  std::string addr = r.listen_address();
  std::string ready = serve_get(io, addr, "/readyz");
  CHECK(ready.find("503") != std::string::npos);
  CHECK(ready.find("negative queue") != std::string::npos);
  CHECK(serve_get(io, addr, "/healthz").find("200 OK") != std::string::npos);
  std::string d = serve_get(io, addr, "/decisions");
  CHECK(d.find("policy \\\"work\\\"") != std::string::npos);
  CHECK(d.find("\"bound_by\": \"error\"") != std::string::npos);

  g.values["q"] = 60;  // recovers
  REQUIRE(run_until(
      io, [&] { return g.applies == 1; }, 5));
  CHECK(g.last_applied == 6);
  REQUIRE(run_until(
      io, [&] { return r.ready(nullptr); }, 5));
  std::string metrics = serve_get(io, addr, "/metrics");
  CHECK(metrics.find("luascale_desired_replicas{policy=\"work\"} 6") != std::string::npos);
  CHECK(metrics.find("luascale_signal_value{policy=\"work\",signal=\"queue\"} 60") !=
        std::string::npos);
  CHECK(metrics.find("process_resident_memory_bytes ") != std::string::npos);
  CHECK(serve_get(io, addr, "/nope").find("404") != std::string::npos);
  r.stop();
}

TEST_CASE("ticks never overlap: a slow actuator makes later ticks count as missed") {
  reset();
  g.values["q"] = 200;
  g.apply_delay = 1.5;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config("", "250ms"));
  asio::io_context io;
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  ro.listen = "off";
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  run_until(
      io, [&] { return g.applies >= 1; }, 5);
  r.stop();
  io.run_for(std::chrono::seconds(2));
  CHECK(g.applies == 1);
  std::string m = r.metrics_text();
  const std::string key = "luascale_missed_ticks_total{policy=\"work\"} ";
  auto pos = m.find(key);
  REQUIRE(pos != std::string::npos);
  CHECK(std::stoi(m.substr(pos + key.size())) >= 3);  // ~1.5 s of 250 ms ticks while applying
}

TEST_CASE(
    "hot reload: a broken config is rejected and the old one keeps running, a good one swaps") {
  reset();
  g.values["q"] = 50;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config());
  asio::io_context io;
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  ro.listen = "off";
  ro.reload_poll_seconds = 0;
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  REQUIRE(run_until(
      io, [&] { return g.applies == 1; }, 5));
  dir.write("p.lua",
            "return { decide = function(ctx) return { replicas = 1 } end ");  // syntax error
  CHECK_FALSE(r.reload());
  dir.write("p.lua", kPolicy);
  dir.write("c.json",
            R"({"policies": [{"name": "work", "script": "p.lua", "interval": "1s", "maxReplicas": 2,
    "target": {"kind": "fake"}, "signals": {"queue": {"source": "fake", "value": "q"}}}], "state_file": "state.json"})");
  CHECK(r.reload());
  g.values["q"] = 90;
  REQUIRE(run_until(
      io, [&] { return g.last_applied == 2; }, 5));  // the new maxReplicas applies
  CHECK(r.metrics_text().find("luascale_config_reloads_total{result=\"rejected\"} 1") !=
        std::string::npos);
  r.stop();
}

TEST_CASE("run-mode validation names what is missing") {
  reset();
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json",
            R"({"policies": [{"name": "w", "script": "p.lua", "signals": {"queue": {}}}]})");
  asio::io_context io;
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  ro.listen = "off";
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  CHECK_FALSE(r.start(&err));
  CHECK(err.find("c.json: policies[0].target.kind: needed by run: the actuator (\"fake\")") !=
        std::string::npos);
  CHECK(err.find("c.json: policies[0].signals.queue.source: needed by run: where the signal "
                 "comes from (\"fake\")") != std::string::npos);
}

TEST_CASE("run refuses what check refuses, with the same message and key path") {
  reset();
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json",
            R"({"policies": [{"name": "w", "script": "p.lua", "target": {"kind": "fake"},
      "signals": {"queue": {"source": "fake", "value": "q"}}}],
      "server": {"listen": "not-an-addr", "token_file": "missing-token"},
      "state_file": "no/such/folder/state.json"})");
  asio::io_context io;
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  CHECK_FALSE(r.start(&err));
  Config cfg = load_config(ro.config_path);
  RunValidation v = validate_for_run(cfg, fake_sources(), fake_actuators());
  REQUIRE(v.problems.size() == 3);
  for (const auto& p : v.problems) CHECK(err.find(p) != std::string::npos);
  CHECK(v.problems[0] == cfg.path +
                             ": server.listen: 'not-an-addr' is not host:port (e.g. "
                             "\"127.0.0.1:9464\", \"[::1]:9464\" or \"off\")");
  CHECK(v.problems[1].find(": server.token_file: cannot read a token from ") != std::string::npos);
  CHECK(v.problems[2] == cfg.path + ": state_file: folder " +
                             (dir.path() / "no/such/folder").string() + " does not exist");
}

TEST_CASE("the bearer token guards everything but the health endpoints") {
  reset();
  g.values["q"] = 10;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json",
            R"({"policies": [{"name": "work", "script": "p.lua", "target": {"kind": "fake"},
    "signals": {"queue": {"source": "fake", "value": "q"}}}], "server": {"listen": "127.0.0.1:0", "token": "s3cret"}})");
  asio::io_context io;
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  std::string addr = r.listen_address();
  CHECK(addr.rfind("127.0.0.1:", 0) == 0);
  CHECK(serve_get(io, addr, "/metrics").find("401") != std::string::npos);
  CHECK(serve_get(io, addr, "/metrics", "Bearer wrong!").find("401") != std::string::npos);
  CHECK(serve_get(io, addr, "/metrics", "Bearer s3cret").find("200 OK") != std::string::npos);
  CHECK(serve_get(io, addr, "/healthz").find("200 OK") != std::string::npos);
  r.stop();
}

TEST_CASE("every series the Grafana dashboard queries is exported") {
  reset();
  g.values["q"] = 40;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config());
  asio::io_context io;
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  ro.listen = "off";
  ro.once = true;
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  io.run_for(std::chrono::seconds(3));
  std::string metrics = r.metrics_text();
  std::string dash =
      luascale::test::read_file(luascale::test::source_dir() / "examples/grafana/luascale.json");
  std::size_t found = 0;
  for (std::size_t pos = 0; (pos = dash.find("luascale_", pos)) != std::string::npos;) {
    std::size_t end = pos;
    while (end < dash.size() &&
           (std::isalnum(static_cast<unsigned char>(dash[end])) || dash[end] == '_'))
      ++end;
    std::string name = dash.substr(pos, end - pos);
    pos = end;
    if (name == "luascale_") continue;
    INFO(name);
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (name.size() > std::strlen(suffix) &&
          name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0 &&
          metrics.find("# TYPE " + name.substr(0, name.size() - std::strlen(suffix)) +
                       " histogram") != std::string::npos)
        name = name.substr(0, name.size() - std::strlen(suffix));
    CHECK(metrics.find("# TYPE " + name + " ") != std::string::npos);
    ++found;
  }
  CHECK(found >= 10);
  CHECK(metrics.find("\nprocess_resident_memory_bytes") != std::string::npos);
}

TEST_CASE("a plan is handed to the actuator when it changes, even when the count stays") {
  reset();
  g.values["q"] = 30;  // count 3 = current: only the plan can trigger an apply
  TempDir dir;
  dir.write("p.lua", R"(return { decide = function(ctx)
    local q = ctx:signal("queue")
    local hour = math.floor(ctx.now / 3600) * 3600
    return { replicas = math.ceil(q / 10), plan = { {time = hour + 3600, capacity = 4}, {time = hour + 7200, capacity = 2} } }
  end })");
  dir.write("c.json", config("", "200ms"));
  asio::io_context io;
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  ro.listen = "off";
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  REQUIRE(run_until(
      io, [&] { return g.applies >= 1; }, 5));
  CHECK(g.last_plan_size == 2);
  CHECK(g.last_applied == 3);
  io.run_for(std::chrono::milliseconds(800));  // more ticks, same plan (unless the hour turns)
  CHECK(g.applies <= 2);
  r.stop();
}
