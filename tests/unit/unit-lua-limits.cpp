// The Lua host's limits and library semantics: the instruction budget gives the same outcome on
// every run and thread (counted from the first instruction, tested at +-4 % of the budget), and
// library calls fail as stock Lua 5.4's do, with the policy's file:line; the sandbox's own
// guards raise through the same path.
#include <doctest/doctest.h>

#include <lua.hpp>

#include <string>
#include <thread>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/lua/policy_script.hpp"
#include "engine/signals/history.hpp"
#include "fixtures.hpp"

using namespace luascale;
using luascale::test::TempDir;

namespace {

struct Outcome {
  EvalOutcome::Status status = EvalOutcome::Status::Hold;
  std::string error;
};

// Loads `body` as p.lua (policy "limits") and evaluates it once.
Outcome evaluate(const std::string& body, const LuaLimits& limits = {}) {
  TempDir dir;
  const auto path = dir.write("p.lua", body);
  PolicyLoadOptions o;
  o.name = "limits";
  o.script_path = path.string();
  o.display_path = "p.lua";
  o.stdlib_dir = stdlib_dir();
  o.params = Value::object();
  o.limits = limits;
  std::string err;
  auto s = PolicyScript::load(o, &err);
  if (!s) return {EvalOutcome::Status::Error, err};
  SignalTable signals;
  s->attach_signals(&signals);
  TargetView t;
  t.replicas = t.ready = 3;
  EvalOutcome out = s->evaluate(1700000000, 15, t);
  return {out.status, out.error};
}

std::string loop_policy(long iterations) {
  return "return { decide = function(ctx)\n  local x = 0\n  for i = 1, " +
         std::to_string(iterations) + " do x = x + i end\n  return { replicas = 1 }\nend }\n";
}

// What stock Lua 5.4 (a plain state with every standard library) says when decide({}) of `body`
// runs, `body` loaded as chunk "@p.lua".
std::string stock_error(const std::string& body) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  std::string msg = "(no error)";
  if (luaL_loadbufferx(L, body.data(), body.size(), "@p.lua", "t") != LUA_OK ||
      lua_pcall(L, 0, 1, 0) != LUA_OK) {
    msg = lua_tostring(L, -1);
  } else {
    lua_getfield(L, -1, "decide");
    lua_newtable(L);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) msg = lua_tostring(L, -1);
  }
  lua_close(L);
  return msg;
}

std::string decide_line(const std::string& line) {
  return "return { decide = function(ctx)\n  " + line + "\n  return { replicas = 1 }\nend }\n";
}

}  // namespace

TEST_CASE("the instruction budget stops a loop at the same point on every run and thread") {
  // Two VM instructions per iteration (ADD, FORLOOP): a loop of budget/2 iterations is at the
  // edge. 4 % under it decides and 4 % over it stops, every time, on any thread.
  LuaLimits lim;
  lim.instructions = 2'000'000;
  lim.timeout_seconds = 60;  // the budget, not the clock, must decide (sanitized builds are slow)
  const long edge = lim.instructions / 2;
  const std::string under = loop_policy(edge * 96 / 100), over = loop_policy(edge * 104 / 100);
  for (int run = 0; run < 3; ++run) {
    CHECK(evaluate(under, lim).status == EvalOutcome::Status::Decision);
    const Outcome o = evaluate(over, lim);
    CHECK(o.status == EvalOutcome::Status::Error);
    CHECK(o.error.find("instruction budget exceeded (2000000 instructions)") != std::string::npos);
  }
  std::vector<Outcome> results(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] { results[i] = evaluate(i % 2 ? over : under, lim); });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < results.size(); ++i)
    CHECK(results[i].status ==
          (i % 2 ? EvalOutcome::Status::Error : EvalOutcome::Status::Decision));
}

TEST_CASE("the default budget of 10 million instructions decides at -4 % and stops at +4 %") {
  LuaLimits lim;
  lim.timeout_seconds = 120;
  REQUIRE(lim.instructions == 10'000'000);
  CHECK(evaluate(loop_policy(4'800'000), lim).status == EvalOutcome::Status::Decision);
  CHECK(evaluate(loop_policy(5'200'000), lim).status == EvalOutcome::Status::Error);
}

TEST_CASE("library calls fail as stock Lua's do, with the policy's file and line") {
  const char* const lines[] = {
      "string.format('%d', nil)",
      "string.format('%d', 1.5)",
      "local s = string.format('%q', {})",
      "local s = ('x'):rep({})",
      "local s = string.rep('x', 'n')",
      "string.find('abc', '[a')",
      "string.gsub('abc', 'a', true)",
      "local m = ('abc'):match(nil)",
      "string.gmatch(nil, 'x')",
      "table.insert(1, 2)",
      "table.insert({}, 1, 2, 3)",
      "table.remove({}, 5)",
      "table.move({}, 1, 2)",
      "table.sort(1)",
      "table.concat({{}})",
      "setmetatable(1, {})",
      "xpcall()",
      "local f = load(nil)",
      "os.time({})",
      "os.date('%Ez')",
      "tostring()",
      "select(0)",
      "math.floor('x')",
      "utf8.char(-1)",
      "coroutine.resume(1)",
      "local t = setmetatable({}, {__index = function() error('inner') end}) local v = t.x",
  };
  for (const char* line : lines) {
    const std::string body = decide_line(line);
    const std::string shown = line;
    CAPTURE(shown);
    const std::string stock = stock_error(body);
    REQUIRE(stock.rfind("p.lua:2:", 0) == 0);
    const Outcome o = evaluate(body);
    REQUIRE(o.status == EvalOutcome::Status::Error);
    CHECK(o.error == "policy \"limits\": " + stock);
  }
}

TEST_CASE("the sandbox's own refusals are ordinary errors at the policy's file and line") {
  const char* const lines[] = {
      "string.find(('a'):rep(3000), ('a-'):rep(12) .. 'b')",
      "table.insert(setmetatable({}, {__len = function() return 1e15 end}), 1)",
      "setmetatable({}, {__gc = function() end})",
      "collectgarbage('stop')",
      "local f = load('return 1', 'x', 'b')",
      "local v = undeclared_global",
      "os.exit()",
      "local x = ctx:signal({})",
  };
  for (const char* line : lines) {
    const std::string shown = line;
    CAPTURE(shown);
    const Outcome o = evaluate(decide_line(line));
    REQUIRE(o.status == EvalOutcome::Status::Error);
    CHECK(o.error.rfind("policy \"limits\": p.lua:2: ", 0) == 0);
  }
}

TEST_CASE("load keeps stock chunk names and runs text in the policy's environment") {
  const Outcome o = evaluate(decide_line("local f = assert(load('return 1 +')) "));
  REQUIRE(o.status == EvalOutcome::Status::Error);
  CHECK(o.error ==
        "policy \"limits\": " + stock_error(decide_line("local f = assert(load('return 1 +')) ")));
  CHECK(evaluate(decide_line("assert(load('return math.max(1, 2)')() == 2)")).status ==
        EvalOutcome::Status::Decision);
}
