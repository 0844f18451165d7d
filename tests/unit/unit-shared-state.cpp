// Policies that run the same script share one Lua state in `luascale run` (LuaStatePool). Each
// must still behave exactly as if it had its own state: its own module-level locals, globals,
// module instances and ctx.state; a failing or memory-hungry policy must not break its peers;
// an edited script compiles anew; and sharing must actually save memory.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/loop/policy_runtime.hpp"
#include "engine/lua/policy_script.hpp"
#include "engine/signals/history.hpp"
#include "fixtures.hpp"

using namespace luascale;
using luascale::test::TempDir;

namespace {

struct Loaded {
  std::unique_ptr<PolicyScript> script;
  SignalTable signals;
};

std::unique_ptr<Loaded> load(const std::string& path, const std::string& name, LuaStatePool* pool,
                             Value params = Value::object(), LuaLimits limits = {}) {
  PolicyLoadOptions o;
  o.name = name;
  o.script_path = path;
  o.display_path = "p.lua";
  o.stdlib_dir = stdlib_dir();
  o.params = std::move(params);
  o.limits = limits;
  o.pool = pool;
  std::string err;
  auto l = std::make_unique<Loaded>();
  l->script = PolicyScript::load(o, &err);
  INFO(err);
  REQUIRE(l->script);
  l->signals.add("q", 45, 64);
  l->script->attach_signals(&l->signals);
  return l;
}

EvalOutcome eval(Loaded& l, double now = 1000, std::int64_t replicas = 3) {
  TargetView tv;
  tv.name = "t";
  tv.replicas = replicas;
  tv.ready = replicas;
  l.signals.set_number(0, now, 10);
  return l.script->evaluate(now, 15, tv);
}

}  // namespace

TEST_CASE("policies of one script share a state but not their locals, globals or ctx.state") {
  TempDir dir;
  auto path = dir.write("p.lua", R"(
local calls = 0                    -- module-level local: one per policy
seen = 0                           -- a global in the policy's own environment
return { params = { step = 1 }, decide = function(ctx, p)
  calls = calls + p.step
  seen = seen + 1
  ctx.state.n = (ctx.state.n or 0) + 1
  return { replicas = calls * 100 + seen * 10 + ctx.state.n }
end })");
  LuaStatePool pool;
  auto a = load(path.string(), "a", &pool);
  Value pb = Value::object();
  pb.set("step", Value(2.0));
  auto b = load(path.string(), "b", &pool, pb);
  CHECK(a->script->state_users() == 2);
  CHECK(b->script->state_users() == 2);
  CHECK(pool.states() == 1);
  CHECK(*eval(*a).replicas == 111);
  CHECK(*eval(*a).replicas == 222);
  CHECK(*eval(*b).replicas == 211);  // b's counters start from zero
  CHECK(*eval(*a).replicas == 333);
  CHECK(*eval(*b).replicas == 422);
  CHECK(a->script->state().find("n")->as_number() == 3);
  CHECK(b->script->state().find("n")->as_number() == 2);
  CHECK(a->script->params().find("step")->as_number() == 1);
  CHECK(b->script->params().find("step")->as_number() == 2);
}

TEST_CASE("each policy gets its own instance of a required module") {
  TempDir dir;
  auto path = dir.write("p.lua", R"(
local hpa = require("luascale.hpa")
local mine = require("helper")
return { decide = function(ctx, p)
  if p.tamper then hpa.DEFAULT_TOLERANCE = 5; mine.count = 1000 end
  mine.count = mine.count + 1
  return { replicas = math.floor(hpa.DEFAULT_TOLERANCE * 10) * 10000 + mine.count }
end })");
  dir.write("helper.lua", "return { count = 0 }");
  LuaStatePool pool;
  Value tamper = Value::object();
  tamper.set("tamper", Value(true));
  auto evil = load(path.string(), "evil", &pool, tamper);
  auto good = load(path.string(), "good", &pool);
  CHECK(*eval(*evil).replicas == 50 * 10000 + 1001);
  CHECK(*eval(*good).replicas == 1 * 10000 + 1);  // the stdlib default and its own count
  CHECK(*eval(*good).replicas == 1 * 10000 + 2);
}

TEST_CASE("a failing or memory-hungry policy leaves the others in its state working") {
  TempDir dir;
  auto path = dir.write("p.lua", R"(
return { decide = function(ctx, p)
  if p.hog then local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end end
  if p.loop then while true do end end
  if p.boom then error("boom") end
  return { replicas = 7 }
end })");
  LuaStatePool pool;
  LuaLimits limits;
  limits.memory_bytes = 4u << 20;
  limits.instructions = 2'000'000;
  std::vector<std::unique_ptr<Loaded>> bad;
  for (const char* flag : {"hog", "loop", "boom"}) {
    Value p = Value::object();
    p.set(flag, Value(true));
    bad.push_back(load(path.string(), flag, &pool, p, limits));
  }
  auto good = load(path.string(), "good", &pool, Value::object(), limits);
  CHECK(good->script->state_users() == 4);
  for (int round = 0; round < 3; ++round) {
    EvalOutcome hog = eval(*bad[0]);
    CHECK(hog.status == EvalOutcome::Status::Error);
    CHECK(hog.error.find("memory limit exceeded") != std::string::npos);
    CHECK(hog.error.find("policy \"hog\"") == 0);
    EvalOutcome loop = eval(*bad[1]);
    CHECK(loop.status == EvalOutcome::Status::Error);
    CHECK(loop.error.find("instruction budget exceeded") != std::string::npos);
    EvalOutcome boom = eval(*bad[2]);
    CHECK(boom.error.find("p.lua:5: boom") != std::string::npos);
    EvalOutcome ok = eval(*good);
    REQUIRE(ok.status == EvalOutcome::Status::Decision);
    CHECK(*ok.replicas == 7);
  }
  bad.clear();  // peers leaving the state do not disturb the rest
  CHECK(good->script->state_users() == 1);
  CHECK(*eval(*good).replicas == 7);
}

TEST_CASE("different scripts, an edited script, and opting out get their own states") {
  TempDir dir;
  auto p1 = dir.write("one.lua", "return { decide = function() return { replicas = 1 } end }");
  auto p2 = dir.write("two.lua", "return { decide = function() return { replicas = 2 } end }");
  LuaStatePool pool;
  auto a = load(p1.string(), "a", &pool);
  auto b = load(p2.string(), "b", &pool);
  auto c = load(p1.string(), "c", nullptr);
  CHECK(a->script->state_users() == 1);
  CHECK(b->script->state_users() == 1);
  CHECK(c->script->state_users() == 1);
  CHECK(pool.states() == 2);
  // Reload after an edit: the same state, the new text.
  dir.write("one.lua", "return { decide = function() return { replicas = 11 } end }");
  auto a2 = load(p1.string(), "a", &pool);
  CHECK(a2->script->state_users() == 2);
  CHECK(*eval(*a2).replicas == 11);
  CHECK(*eval(*a).replicas == 1);  // the old version keeps running until it is dropped
  // A syntax error in the edited text fails that load only.
  dir.write("one.lua", "return { decide = function() return { replicas = 1 } end");
  PolicyLoadOptions o;
  o.name = "broken";
  o.script_path = p1.string();
  o.display_path = "one.lua";
  o.stdlib_dir = stdlib_dir();
  o.pool = &pool;
  std::string err;
  CHECK_FALSE(PolicyScript::load(o, &err));
  CHECK(err.find("one.lua:1:") != std::string::npos);
  CHECK(a->script->state_users() == 2);
  CHECK(*eval(*a).replicas == 1);
}

TEST_CASE("sharing a state makes each further policy several times cheaper") {
  TempDir dir;
  auto path = dir.write("p.lua", R"(
local queue = require("luascale.policies").queue
return queue({ signal = "q", per_replica = 10 }))");
  const int n = 50;
  std::vector<std::unique_ptr<Loaded>> own, shared;
  LuaStatePool pool;
  std::size_t own_bytes = 0, shared_bytes = 0;
  for (int i = 0; i < n; ++i) {
    own.push_back(load(path.string(), "own" + std::to_string(i), nullptr));
    shared.push_back(load(path.string(), "shared" + std::to_string(i), &pool));
  }
  for (int round = 0; round < 5; ++round)
    for (int i = 0; i < n; ++i) {
      CHECK(*eval(*own[i], 1000 + round * 15).replicas == 1);
      CHECK(*eval(*shared[i], 1000 + round * 15).replicas == 1);
    }
  for (auto& l : own) own_bytes += l->script->memory_used();
  for (auto& l : shared) shared_bytes += l->script->memory_used();
  MESSAGE("Lua memory for " << n << " policies: own states " << own_bytes / 1024
                            << " KiB, one shared state " << shared_bytes / 1024 << " KiB (ratio "
                            << double(own_bytes) / double(shared_bytes) << ")");
  CHECK(shared_bytes * 3 < own_bytes);
}
