// Lua policy host: the policy contract, ctx, and every sandbox escape route named in the
// foundation issue. Each hostile script must give a clear error naming the policy, and the host
// must keep working (the next evaluation of a good policy succeeds; the count is held).
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <thread>

#include "engine/config/config.hpp"
#include "engine/loop/policy_runtime.hpp"
#include "engine/lua/policy_script.hpp"
#include "engine/signals/history.hpp"
#include "fixtures.hpp"

using namespace luascale;
using luascale::test::TempDir;

namespace {

struct Run {
  EvalOutcome out;
  std::string load_error;
  double seconds = 0;
};

Run run_script(const std::string& body, LuaLimits limits = {}, const std::string& extra_file = "",
               const std::string& extra_body = "") {
  TempDir dir;
  auto path = dir.write("pol/p.lua", body);
  if (!extra_file.empty()) dir.write(extra_file, extra_body);
  PolicyLoadOptions o;
  o.name = "hostile";
  o.script_path = path.string();
  o.display_path = "p.lua";
  o.stdlib_dir = stdlib_dir();
  o.params = Value::object();
  o.limits = limits;
  Run r;
  auto t0 = std::chrono::steady_clock::now();
  auto s = PolicyScript::load(o, &r.load_error);
  if (s) {
    SignalTable st;
    std::size_t i = st.add("q", 45, 64);
    st.set_number(i, 1000, 7);
    s->attach_signals(&st);
    TargetView tv;
    tv.name = "t";
    tv.replicas = 3;
    tv.ready = 3;
    r.out = s->evaluate(1000, 15, tv);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// Loads the policy at `path` as `name`, with no params, and attaches an empty signal table.
std::unique_ptr<PolicyScript> load_policy(const std::filesystem::path& path,
                                          const std::string& name, SignalTable& signals) {
  PolicyLoadOptions o;
  o.name = name;
  o.script_path = path.string();
  o.stdlib_dir = stdlib_dir();
  o.params = Value::object();
  std::string err;
  auto s = PolicyScript::load(o, &err);
  REQUIRE_MESSAGE(s, err);
  s->attach_signals(&signals);
  return s;
}

std::string decide(const std::string& body) {
  return "return { decide = function(ctx, p)\n" + body + "\nend }\n";
}

// Evaluates a script expected to fail at evaluation and returns the error text.
std::string eval_error(const std::string& body, LuaLimits limits = {}) {
  Run r = run_script(body, limits);
  INFO("load error: " << r.load_error);
  REQUIRE(r.load_error.empty());
  INFO("status: " << static_cast<int>(r.out.status) << " reason: " << r.out.reason);
  REQUIRE(r.out.status == EvalOutcome::Status::Error);
  CHECK(r.out.error.find("policy \"hostile\"") != std::string::npos);
  return r.out.error;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a decision, a hold and a reason come back as written") {
  Run r = run_script(
      decide("return { replicas = ctx:signal('q') + ctx.target.replicas, reason = 'depth' }"));
  REQUIRE(r.load_error.empty());
  CHECK(r.out.status == EvalOutcome::Status::Decision);
  CHECK(r.out.replicas == 10);
  CHECK(r.out.reason == "depth");
  r = run_script(decide("return nil"));
  CHECK(r.out.status == EvalOutcome::Status::Hold);
  r = run_script(decide("return { nodes = 4 }"));
  CHECK(r.out.status == EvalOutcome::Status::Decision);
  CHECK(r.out.nodes == 4);
  CHECK_FALSE(r.out.replicas.has_value());
  r = run_script(decide("return { replicas = 2.0 }"));  // an integral float is an integer
  CHECK(r.out.replicas == 2);
  r = run_script(decide("return { replicas = 1, reason = 'a\\0b' .. string.rep('r', 5000) }"));
  CHECK(r.out.reason.size() == 1024);  // kept whole up to 1 KiB, embedded zero bytes and all
  CHECK(r.out.reason.substr(0, 4) == std::string("a\0br", 4));
  r = run_script(decide("return { reason = 'why', nodes = 2, replicas = 5 }"));
  CHECK(r.out.replicas == 5);
  CHECK(r.out.nodes == 2);
  CHECK(r.out.reason == "why");
}

TEST_CASE("ctx exposes now, target, params, state and log") {
  Run r = run_script(R"(return { params = { k = 2 }, decide = function(ctx, p)
    ctx:log("now=" .. ctx.now)
    ctx.state.n = (ctx.state.n or 0) + 1
    assert(ctx:signal("missing") == nil)
    return { replicas = ctx.target.replicas * p.k,
             reason = table.concat({ ctx.target.name, ctx.target.ready, tostring(p.k), tostring(ctx.params.k) }, " ") }
  end })");
  REQUIRE(r.load_error.empty());
  INFO(r.out.error);
  CHECK(r.out.replicas == 6);
  CHECK(r.out.reason == "hostile 3 2 2");  // ctx.target.name is the policy name
  REQUIRE(r.out.logs.size() == 1);
  CHECK(r.out.logs[0] == "now=1000");
}

TEST_CASE("file access is refused: io, dofile, loadfile") {
  CHECK(contains(eval_error(decide("return { replicas = #io.open('/etc/passwd'):read('a') }")),
                 "io"));
  CHECK(contains(eval_error(decide("dofile('/etc/passwd')")), "dofile"));
  CHECK(contains(eval_error(decide("loadfile('/etc/passwd')")), "loadfile"));
}

TEST_CASE("os.execute, os.exit, os.remove, os.getenv are refused") {
  for (const char* fn : {"execute('true')", "exit(1)", "remove('/tmp/x')", "getenv('HOME')"}) {
    std::string err = eval_error(decide(std::string("os.") + fn));
    CHECK(contains(err, std::string("os.") + std::string(fn).substr(0, std::string(fn).find('('))));
  }
}

TEST_CASE("require resolves only the stdlib and the policy's folder") {
  Run r = run_script(decide("local m = require('helper') return { replicas = m.n }"), {},
                     "pol/helper.lua", "return { n = 5 }");
  INFO(r.load_error << r.out.error);
  CHECK(r.out.replicas == 5);
  CHECK(contains(eval_error(decide("require('os')")), "require"));
  CHECK(contains(eval_error(decide("require('../../etc/passwd')")), "require"));
  CHECK(contains(eval_error(decide("require('socket')")), "require"));
}

TEST_CASE("package.loadlib, string.dump and binary chunks are refused") {
  CHECK(contains(eval_error(decide("package.loadlib('/lib/x.so', 'f')")), "package"));
  CHECK(contains(eval_error(decide("string.dump(function() end)")), "dump"));
  // A binary chunk: the signature byte ESC starts it.
  std::string err = eval_error(
      decide("local f, e = load('\\27Lua' .. string.rep('x', 20)) if not f then error(e) end"));
  CHECK(contains(err, "binary"));
}

TEST_CASE("debug is not available") {
  CHECK(contains(eval_error(decide("debug.sethook()")), "debug"));
  CHECK(
      contains(eval_error(decide("return { replicas = debug.getinfo(1).currentline }")), "debug"));
}

TEST_CASE("an infinite loop stops at the instruction budget, and pcall cannot swallow it") {
  LuaLimits lim;
  lim.instructions = 1'000'000;
  std::string err = eval_error(decide("while true do end"), lim);
  CHECK(contains(err, "instruction"));
  Run r = run_script(
      decide(
          "for i = 1, 100 do pcall(function() while true do end end) end return { replicas = 1 }"),
      lim);
  CHECK(r.out.status == EvalOutcome::Status::Error);
  CHECK(contains(r.out.error, "instruction"));
  CHECK(r.seconds < 30);  // bounded (a generous bound; the budget is what stops it)
}

TEST_CASE("the default budget counts loops, pcall and coroutines from the first instruction") {
  CHECK(contains(eval_error(decide("while true do end")), "instruction budget exceeded"));
  Run r = run_script(decide(
      "for i = 1, 100 do pcall(function() while true do end end) end return { replicas = 1 }"));
  CHECK(r.out.status == EvalOutcome::Status::Error);
  CHECK(contains(r.out.error, "instruction budget exceeded"));
  CHECK(r.seconds < 30);
  CHECK(contains(eval_error(decide(
                     "coroutine.wrap(function() while true do end end)() return { replicas = 1 }")),
                 "instruction budget exceeded"));
  CHECK(contains(
      eval_error(decide("local co = coroutine.create(function() while true do end end)\n"
                        "local ok = coroutine.resume(co) return { replicas = ok and 1 or 2 }")),
      "instruction budget exceeded"));
  // Finite work within the budget finishes.
  r = run_script(decide(
      "local x = 0 for i = 1, 2000000 do x = x + i % 7 end return { replicas = x % 5 + 1 }"));
  REQUIRE(r.out.status == EvalOutcome::Status::Decision);
  CHECK(r.out.replicas.value() >= 1);
}

TEST_CASE(
    "a coroutine made by one evaluation and resumed into a loop by the next stops at the budget") {
  TempDir dir;
  auto path = dir.write("p.lua", R"(
local co
return { decide = function(ctx)
  if not co then
    co = coroutine.create(function() coroutine.yield() while true do end end)
    coroutine.resume(co)
    return { replicas = 1 }
  end
  local ok = coroutine.resume(co)
  return { replicas = ok and 3 or 2 }
end })");
  PolicyConfig pc = policy_config_for_script(path.string());
  std::string err;
  auto rt = PolicyRuntime::create(pc, &err);
  REQUIRE(rt);
  CHECK(rt->tick(1000, 1, 1).recommended == 1);
  DecisionRecord second = rt->tick(1015, 1, 1);
  CHECK(second.status == EvalOutcome::Status::Error);
  CHECK(contains(second.reason, "instruction budget exceeded"));
  // The coroutine died with the error; the policy carries on.
  DecisionRecord third = rt->tick(1030, 1, 1);
  CHECK(third.status == EvalOutcome::Status::Decision);
  CHECK(third.recommended == 2);
}

TEST_CASE("a small budget is counted from the first instruction") {
  // 30,000 iterations finish well within a millisecond: only counting from the start stops them.
  LuaLimits lim;
  lim.instructions = 1000;
  CHECK(contains(
      eval_error(decide("local x = 0 for i = 1, 30000 do x = x + i end return { replicas = 1 }"),
                 lim),
      "instruction budget exceeded"));
  lim.instructions = 1'000'000;
  Run r = run_script(
      decide("local x = 0 for i = 1, 30000 do x = x + i end return { replicas = 1 }"), lim);
  CHECK(r.out.status == EvalOutcome::Status::Decision);
}

TEST_CASE("the wall-clock deadline stops a script that runs long") {
  LuaLimits lim;
  lim.instructions = 1'000'000'000'000;
  lim.timeout_seconds = 0.2;
  std::string err = eval_error(decide("while true do end"), lim);
  CHECK((contains(err, "time") || contains(err, "deadline")));
}

TEST_CASE("unbounded memory stops at the cap: string.rep and table growth") {
  LuaLimits lim;
  lim.memory_bytes = 8u << 20;
  CHECK(contains(
      eval_error(decide("local s = string.rep('x', 1 << 30) return { replicas = #s }"), lim),
      "memory"));
  CHECK(contains(eval_error(decide("local t = {} for i = 1, 1e9 do t[i] = i end"), lim), "memory"));
  CHECK(
      contains(eval_error(decide("local s = 'x' for i = 1, 40 do s = s .. s end"), lim), "memory"));
}

TEST_CASE("infinite recursion is a clear error") {
  // Generous time and instruction limits, so the stack limit is what stops it even on a slow,
  // sanitized build.
  LuaLimits lim;
  lim.timeout_seconds = 120;
  lim.instructions = 100'000'000'000;
  std::string err = eval_error(
      decide("local function f(n) return f(n + 1) + 1 end return { replicas = f(1) }"), lim);
  CHECK((contains(err, "stack") || contains(err, "memory")));
}

TEST_CASE("error() with a non-string value is reported") {
  CHECK(contains(eval_error(decide("error({ code = 42 })")), "table"));
  CHECK(contains(eval_error(decide("error(nil)")), "nil"));
  CHECK(contains(eval_error(decide(
                     "error(setmetatable({}, { __tostring = function() while true do end end }))")),
                 ""));
}

TEST_CASE("bad decisions are rejected: NaN, inf, negative, fractional, huge, wrong shape") {
  CHECK(contains(eval_error(decide("return { replicas = 0/0 }")), "replicas"));
  CHECK(contains(eval_error(decide("return { replicas = math.huge }")), "replicas"));
  CHECK(contains(eval_error(decide("return { replicas = -1 }")), "replicas"));
  CHECK(contains(eval_error(decide("return { replicas = 2.5 }")), "replicas"));
  CHECK(contains(eval_error(decide("return { replicas = 2^40 }")), "replicas"));
  CHECK(contains(eval_error(decide("return { replicas = '3' }")), "replicas"));
  CHECK(contains(eval_error(decide("return { replica = 3 }")), "replica"));
  CHECK(contains(eval_error(decide("return 5")), "table"));
  CHECK(contains(eval_error(decide("return { }")), "replicas"));
  CHECK(contains(eval_error(decide("return { replicas = 1, reason = {} }")), "reason"));
}

TEST_CASE("a bad decision's message says exactly what was wrong") {
  const std::string p = "policy \"hostile\": decide returned ";
  CHECK(eval_error(decide("return { replicas = -2.0 }")) ==
        p + "replicas = -2; counts must be >= 0");
  CHECK(eval_error(decide("return { replicas = 2.5 }")) ==
        p + "replicas = 2.5; counts must be integers (use math.ceil or math.floor)");
  CHECK(eval_error(decide("return { nodes = 3e9 }")) ==
        p + "nodes = 3000000000; counts must be <= 2147483647");
  CHECK(eval_error(decide("return { replicas = 1e20 }")) ==
        p + "replicas = 1e+20; counts must be <= 2147483647");
  CHECK(eval_error(decide("return { replicas = -1/0 }")) == p + "replicas = -inf");
  CHECK(eval_error(decide("return { replicas = true }")) ==
        p + "replicas = a boolean; counts must be integers");
  CHECK(eval_error(decide("return { replicas = 1, why = 'x' }")) ==
        p + "unknown field 'why' (expected replicas, nodes, reason, plan, forecast, groups)");
  CHECK(eval_error(decide("return { 4 }")) ==
        p + "a table with a number key; expected fields replicas, nodes, reason");
  CHECK(eval_error(decide("return 'four'")) ==
        "policy \"hostile\": decide must return a table like {replicas=N} or nil to hold (it "
        "returned a string)");
}

TEST_CASE(
    "ctx.target is the engine's each evaluation: a script cannot keep a change or a metatable on "
    "it") {
  TempDir dir;
  auto path = dir.write("p.lua", decide(R"(
    local t = ctx.target
    local seen = string.format("%s/%s/%s/%s", t.replicas, t.ready, tostring(t.min), tostring(t.max))
    t.replicas, t.ready, t.min, t.max = 99, 99, 99, 99
    local ok = pcall(setmetatable, t, { __newindex = function() error("trapped") end })
    t.min = nil
    return { replicas = 1, reason = seen .. " " .. tostring(ok) .. " " .. tostring(ctx.now) .. " " .. tostring(ctx.interval) })"));
  SignalTable st;
  auto s = load_policy(path, "t", st);
  TargetView tv;
  tv.replicas = 3;
  tv.ready = 2;
  tv.min = 1;
  CHECK(s->evaluate(1000, 15, tv).reason == "3/2/1/nil false 1000 15");
  tv.replicas = 4;
  tv.min.reset();
  tv.max = 8;
  CHECK(s->evaluate(1015.5, 30, tv).reason == "4/2/nil/8 false 1015.5 30");
  tv.min = 2;
  tv.max.reset();
  CHECK(s->evaluate(1030, 30, tv).reason == "4/2/2/nil false 1030 30");
}

TEST_CASE("undeclared globals are errors, naming file and line") {
  std::string err = eval_error(decide("return { replicas = undefined_thing + 1 }"));
  CHECK(contains(err, "p.lua:2"));
  CHECK(contains(err, "undefined_thing"));
}

TEST_CASE("load errors name the file and line") {
  Run r = run_script("return { decide = function(ctx) return { replicas = 1 } end\n");
  CHECK(contains(r.load_error, "p.lua:"));
  CHECK(contains(r.load_error, "policy \"hostile\""));
  r = run_script("return { params = {} }");
  CHECK(contains(r.load_error, "decide"));
}

TEST_CASE("the runtime holds the count when the script fails and recovers after") {
  TempDir dir;
  auto path = dir.write("flaky.lua", R"(return { decide = function(ctx)
    local v = ctx:signal("v")
    if v == 1 then error("boom") end
    if v == 2 then while true do end end
    return { replicas = v }
  end })");
  PolicyConfig pc = policy_config_for_script(path.string());
  pc.limits.instructions = 200000;
  std::string err;
  auto rt = PolicyRuntime::create(pc, &err);
  REQUIRE(rt);
  std::size_t v = rt->add_signal("v");
  rt->signals().set_number(v, 100, 5);
  DecisionRecord d = rt->tick(100, 3, 3);
  CHECK(d.desired == 5);
  rt->signals().set_number(v, 115, 1);
  d = rt->tick(115, 5, 5);
  CHECK(d.status == EvalOutcome::Status::Error);
  CHECK(d.desired == 5);
  CHECK(d.bound_by == BoundBy::Error);
  CHECK(contains(d.reason, "boom"));
  rt->signals().set_number(v, 130, 2);
  d = rt->tick(130, 5, 5);
  CHECK(d.status == EvalOutcome::Status::Error);
  CHECK(d.desired == 5);
  rt->signals().set_number(v, 145, 7);
  d = rt->tick(145, 5, 5);
  CHECK(d.status == EvalOutcome::Status::Decision);
  CHECK(d.desired == 7);
}

TEST_CASE("stale signals read as nil, windows aggregate the history") {
  TempDir dir;
  auto path = dir.write("w.lua", R"(return { decide = function(ctx)
    local last = ctx:signal("v")
    if last == nil then return nil end
    local avg = ctx:signal("v", { window = "1m", agg = "avg" })
    local mx = ctx:signal("v", { window = "5m", agg = "max" })
    local p90 = ctx:signal("v", { window = "5m", agg = "p90" })
    return { replicas = math.floor(avg), reason = string.format("%g %g %g", last, mx, p90) }
  end })");
  PolicyConfig pc = policy_config_for_script(path.string());
  std::string err;
  auto rt = PolicyRuntime::create(pc, &err);
  REQUIRE(rt);
  std::size_t v = rt->add_signal("v");
  for (int i = 0; i < 10; ++i)
    rt->signals().set_number(v, 1000 + 15 * i, i * 10);  // 0..90 at 1000..1135
  DecisionRecord d = rt->tick(1135, 1, 1);
  INFO(d.reason);
  REQUIRE(d.status == EvalOutcome::Status::Decision);
  // last minute: t in (1075, 1135] -> 50,60,70,80,90 -> avg 70; p90 nearest rank of 0..90 = 80
  CHECK(d.recommended == 75);  // (1075, 1135]: 60,70,80,90
  CHECK(d.reason == "90 90 80");
  // 3 intervals (45 s) after the last sample the signal is stale -> hold.
  d = rt->tick(1135 + 46, 70, 70);
  CHECK(d.status == EvalOutcome::Status::Hold);
  CHECK(d.desired == 70);
}

TEST_CASE(
    "ctx:signal finds each of many signals, by literal or built name, evaluation after "
    "evaluation") {
  TempDir dir;
  // Six names (more than ctx:signal remembers), some built at run time, and one unknown.
  auto path = dir.write("m.lua", R"(return { decide = function(ctx)
    local s = 0
    for round = 1, 3 do
      for i = 1, 6 do s = s + ctx:signal("sig" .. i) * 10 ^ (i - 1) end
    end
    assert(ctx:signal("sig7") == nil)
    return { replicas = math.floor(s / 3 + ctx:signal("sig2") - ctx:signal("sig2")) }
  end })");
  PolicyConfig pc = policy_config_for_script(path.string());
  std::string err;
  auto rt = PolicyRuntime::create(pc, &err);
  REQUIRE(rt);
  std::vector<std::size_t> ids;
  for (int i = 1; i <= 6; ++i) ids.push_back(rt->add_signal("sig" + std::to_string(i)));
  for (int tick = 0; tick < 4; ++tick) {
    const double t = 1000 + 15 * tick;
    for (int i = 0; i < 6; ++i)
      rt->signals().set_number(ids[static_cast<std::size_t>(i)], t, (i + tick) % 10);
    DecisionRecord d = rt->tick(t, 1, 1);
    INFO(d.reason);
    REQUIRE(d.status == EvalOutcome::Status::Decision);
    std::int64_t want = 0, place = 1;
    for (int i = 0; i < 6; ++i, place *= 10) want += ((i + tick) % 10) * place;
    CHECK(d.recommended == want);
  }
}

TEST_CASE("ctx:signal is not fooled by a new name string at a dead one's address") {
  TempDir dir;
  // Long names are not interned: each is a fresh string, freed by the collection that follows,
  // and the next one is likely to take the same memory.
  auto path = dir.write("m.lua", R"(return { decide = function(ctx)
    local total = 0
    for i = 1, 200 do
      total = total + ctx:signal(string.rep("x", 44) .. (i % 2))
      collectgarbage()
    end
    return { replicas = total }
  end })");
  PolicyConfig pc = policy_config_for_script(path.string());
  std::string err;
  auto rt = PolicyRuntime::create(pc, &err);
  REQUIRE(rt);
  const std::size_t a = rt->add_signal(std::string(44, 'x') + "0");
  const std::size_t b = rt->add_signal(std::string(44, 'x') + "1");
  rt->signals().set_number(a, 1000, 1);
  rt->signals().set_number(b, 1000, 2);
  DecisionRecord d = rt->tick(1000, 1, 1);
  INFO(d.reason);
  REQUIRE(d.status == EvalOutcome::Status::Decision);
  CHECK(d.recommended == 300);
}

TEST_CASE("a decision may carry a forecast of its demand, bad forecasts are rejected") {
  Run r = run_script(
      decide("return { replicas = 3, forecast = { {time = 2000, value = 41.5, lo = 30, hi = 50}, "
             "{time = 2300, value = 60} }, plan = { {time = 2000, capacity = 5} } }"));
  INFO(r.out.error);
  REQUIRE(r.out.status == EvalOutcome::Status::Decision);
  REQUIRE(r.out.forecast.size() == 2);
  CHECK(r.out.forecast[0].time == 2000);
  CHECK(r.out.forecast[0].value == 41.5);
  CHECK(r.out.forecast[0].lo == 30);
  CHECK(r.out.forecast[0].hi == 50);
  CHECK(r.out.forecast[1].value == 60);
  CHECK(std::isnan(r.out.forecast[1].lo));
  CHECK(std::isnan(r.out.forecast[1].hi));
  CHECK(r.out.plan.size() == 1);
  const std::string p = "policy \"hostile\": decide returned ";
  CHECK(eval_error(decide("return { replicas = 1, forecast = 5 }")) ==
        p + "forecast = a number; forecast must be a list of {time=T, value=V}");
  CHECK(eval_error(decide("return { replicas = 1, forecast = { {time = 1, value = 0/0} } }")) ==
        p + "forecast[1].value: expected a finite number");
  CHECK(eval_error(decide("return { replicas = 1, forecast = { {time = 5, value = 1}, "
                          "{time = 5, value = 2} } }")) ==
        p + "forecast[2].time: times must increase");
  CHECK(
      eval_error(decide("return { replicas = 1, forecast = { {time = 5, value = 9, hi = 8} } }")) ==
      p + "forecast[1]: expected lo <= value <= hi");
  CHECK(eval_error(
            decide("return { replicas = 1, forecast = { {time = 5, value = 9, lo = 'x'} } }")) ==
        p + "forecast[1].lo: expected a finite number");
}

TEST_CASE("a decision may carry a plan of future capacities, bad plans are rejected") {
  Run r = run_script(decide(
      "return { nodes = 3, plan = { {time = 2000, capacity = 5}, {time = 5600, capacity = 2} } }"));
  INFO(r.out.error);
  REQUIRE(r.out.status == EvalOutcome::Status::Decision);
  REQUIRE(r.out.plan.size() == 2);
  CHECK(r.out.plan[0].time == 2000);
  CHECK(r.out.plan[0].capacity == 5);
  CHECK(r.out.plan[1].capacity == 2);
  CHECK(contains(eval_error(decide("return { nodes = 3, plan = 5 }")), "plan must be a list"));
  CHECK(contains(eval_error(decide("return { nodes = 3, plan = { {time = 2000} } }")),
                 "without capacity"));
  CHECK(contains(
      eval_error(decide("return { nodes = 3, plan = { {time = 2000, capacity = -1} } }")), ">= 0"));
  CHECK(contains(eval_error(decide("return { nodes = 3, plan = { {time = 2000, capacity = 1}, "
                                   "{time = 1000, capacity = 2} } }")),
                 "increase"));
  CHECK(contains(eval_error(decide("local p = {} for i = 1, 600 do p[i] = {time = i, capacity = 1} "
                                   "end return { nodes = 1, plan = p }")),
                 "at most"));
}

TEST_CASE("ctx.state converts with its keys sorted, the same in every Lua state") {
  TempDir dir;
  auto path = dir.write("s.lua", decide(R"(
    for i = 1, 40 do ctx.state["k" .. (i * 7919) % 101] = i end
    ctx.state.nested = { zeta = 1, alpha = { y = 2, b = 3 }, mid = 4 }
    return nil)"));
  std::vector<std::string> texts;
  for (int run = 0; run < 3; ++run) {
    SignalTable st;
    auto s = load_policy(path, "sorted", st);
    TargetView tv;
    tv.replicas = 1;
    s->evaluate(1000, 15, tv);
    Value v = s->state();
    REQUIRE(v.is_object());
    const auto& o1 = v.as_object();
    REQUIRE(o1.size() == 41);
    for (std::size_t i = 1; i < o1.size(); ++i) CHECK(o1[i - 1].first < o1[i].first);
    const Value* nested = v.find("nested");
    REQUIRE(nested);
    CHECK(nested->as_object()[0].first == "alpha");
    CHECK(nested->as_object()[1].first == "mid");
    CHECK(nested->as_object()[2].first == "zeta");
    CHECK(nested->find("alpha")->as_object()[0].first == "b");
    std::string text;
    for (const auto& [k, e] : o1)
      text += k + "=" + (e.is_number() ? std::to_string(e.as_int()) : "{}") + ";";
    texts.push_back(text);
  }
  CHECK(texts[0] == texts[1]);
  CHECK(texts[1] == texts[2]);
}
