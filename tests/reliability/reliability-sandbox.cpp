// tests/reliability/reliability-sandbox.cpp — runs every hostile policy in hostile/*.lua through
// PolicyScript. Each file's first line says what must happen:
//   -- expect: A|B        evaluation fails with an error naming the policy and containing A or B
//   -- expect-load: A|B   loading fails that way
//   -- expect-state: A    evaluation succeeds, but persisting ctx.state fails that way
// For each: bounded wall time, Lua heap within the cap, a second evaluation fails the same way
// (the state is still usable), and a good policy in the same process still decides correctly.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/lua/policy_script.hpp"
#include "engine/signals/history.hpp"
#include "fixtures.hpp"

using namespace luascale;
namespace fs = std::filesystem;

namespace {

constexpr double kMaxSeconds =
    30.0;  // generous: limits are 1 s wall / 2 s load; ASan and a loaded CI machine are slow

struct Expectation {
  std::string kind;                 // "expect", "expect-load", "expect-state"
  std::vector<std::string> any_of;  // one must appear in the error
};

Expectation read_expectation(const fs::path& file) {
  std::string first = luascale::test::read_file(file);
  first = first.substr(0, first.find('\n'));
  Expectation e;
  auto colon = first.find(':');
  REQUIRE_MESSAGE(first.rfind("-- expect", 0) == 0, file.string()
                                                        << ": first line must be -- expect...: ");
  e.kind = first.substr(3, colon - 3);
  std::string rest = first.substr(colon + 1);
  std::stringstream ss(rest);
  std::string part;
  while (std::getline(ss, part, '|')) {
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) e.any_of.push_back(part);
  }
  return e;
}

bool contains_any(const std::string& s, const std::vector<std::string>& parts) {
  for (const auto& p : parts)
    if (s.find(p) != std::string::npos) return true;
  return false;
}

std::unique_ptr<PolicyScript> load(const std::string& name, const fs::path& file, std::string* err,
                                   bool roomy_clock = false, LuaStatePool* pool = nullptr) {
  PolicyLoadOptions o;
  o.pool = pool;
  if (roomy_clock) {
    // Policies that must end on the memory cap get a roomier wall clock than the default 1 s: on
    // a loaded machine under ASan, filling 32 MiB with small tables can take longer than that.
    o.limits.timeout_seconds = 5.0;
    o.limits.load_timeout_seconds = 10.0;
  }
  o.name = name;
  o.script_path = file.string();
  o.display_path = file.filename().string();
  o.stdlib_dir = stdlib_dir();
  o.params = Value::object();
  return PolicyScript::load(o, err);
}

TargetView target() {
  TargetView tv;
  tv.name = "t";
  tv.replicas = 3;
  tv.ready = 3;
  return tv;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// Runs the corpus. `shared`: each hostile script is loaded twice into one shared state (as `run`
// does for policies of one script), and both copies must fail exactly as a lone copy does.
void run_corpus(bool shared) {
  const fs::path dir = fs::path(LUASCALE_SOURCE_DIR) / "tests/reliability/hostile";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".lua") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 50);

  luascale::test::TempDir tmp;
  auto good_path = tmp.write("good.lua",
                             "return { decide = function(ctx, p) return { replicas = "
                             "ctx:signal('q') * 2, reason = 'ok' } end }\n");
  std::string err;
  auto good = load("good", good_path, &err);
  REQUIRE_MESSAGE(good, err);
  SignalTable signals;
  signals.set_number(signals.add("q", 45, 64), 1000, 7);
  good->attach_signals(&signals);

  const std::size_t cap = LuaLimits{}.memory_bytes;
  double worst = 0;
  std::string worst_name;
  for (const auto& file : files) {
    const std::string name = file.stem().string();
    CAPTURE(name);
    Expectation expect = read_expectation(file);
    auto t0 = std::chrono::steady_clock::now();
    err.clear();
    const bool memory_case =
        expect.any_of.size() == 1 && expect.any_of[0] == "memory limit exceeded";
    LuaStatePool pool;
    std::unique_ptr<PolicyScript> twin;
    std::string twin_err;
    if (shared) twin = load(name, file, &twin_err, memory_case, &pool);
    auto hostile = load(name, file, &err, memory_case, shared ? &pool : nullptr);
    if (expect.kind == "expect-load") {
      CHECK_MESSAGE(!hostile, "loaded, expected a load error");
      CHECK_MESSAGE(err.find("policy \"" + name + "\"") != std::string::npos, err);
      CHECK_MESSAGE(contains_any(err, expect.any_of), err);
      if (shared) CHECK_MESSAGE(contains_any(twin_err, expect.any_of), twin_err);
    } else {
      REQUIRE_MESSAGE(hostile, err);
      hostile->attach_signals(&signals);
      if (shared) {
        REQUIRE_MESSAGE(twin, twin_err);
        CHECK(hostile->state_users() == 2);
        twin->attach_signals(&signals);
      }
      for (int round = 0; round < (shared ? 4 : 2); ++round) {
        PolicyScript* const subject = shared && round % 2 ? twin.get() : hostile.get();
        EvalOutcome out = subject->evaluate(1000 + round, 15, target());
        if (expect.kind == "expect-state") {
          CHECK(out.status == EvalOutcome::Status::Decision);
          std::string state_err;
          subject->state(&state_err);
          CHECK_MESSAGE(state_err.find("policy \"" + name + "\"") != std::string::npos, state_err);
          CHECK_MESSAGE(contains_any(state_err, expect.any_of), state_err);
        } else {
          CHECK_MESSAGE(out.status == EvalOutcome::Status::Error, "status " << int(out.status));
          CHECK_MESSAGE(out.error.find("policy \"" + name + "\"") != std::string::npos, out.error);
          CHECK_MESSAGE(contains_any(out.error, expect.any_of), out.error);
          CHECK(!out.replicas);
        }
        CHECK(subject->memory_used() <= cap);
      }
    }
    hostile.reset();  // lua_close runs no policy code (no __gc)
    twin.reset();
    const double took = seconds_since(t0);
    CHECK_MESSAGE(took < kMaxSeconds, "took " << took << " s");
    if (took > worst) {
      worst = took;
      worst_name = name;
    }
    // The good policy in the same process still evaluates correctly.
    EvalOutcome ok = good->evaluate(1000, 15, target());
    REQUIRE_MESSAGE(ok.status == EvalOutcome::Status::Decision, ok.error);
    CHECK(ok.replicas == 14);
    CHECK(ok.reason == "ok");
  }
  const std::string label = shared ? "hostile policies (two per shared state)" : "hostile policies";
  MESSAGE(label << ": " << files.size() << ", slowest " << worst_name << " " << worst << " s");
}

TEST_CASE("every hostile policy fails clearly, within bounds, and the engine keeps serving") {
  run_corpus(false);
}

TEST_CASE(
    "two copies of every hostile policy in one shared state each fail exactly as a lone copy "
    "does") {
  run_corpus(true);
}

TEST_CASE("the guarded library functions still behave as Lua documents them for ordinary use") {
  luascale::test::TempDir tmp;
  auto path = tmp.write("ok.lua", R"(
return { decide = function(ctx)
  local s = string.rep(" a", 500)
  assert(select(2, s:gsub("%s+", "")) == 500)
  assert(string.rep("ab", 3, ",") == "ab,ab,ab" and string.rep("", 5) == "" and string.rep("x", 0) == "")
  assert(("k=v"):match("^(%w+)=(%w+)$") == "k")
  assert(("a.b"):find(".", 1, true) == 2)
  local n = 0
  for w in ("1,2,3"):gmatch("[^,]+") do n = n + tonumber(w) end
  assert(n == 6)
  local t = { 3, 1, 2 }
  table.insert(t, 4); table.insert(t, 1, 0); table.sort(t)
  assert(table.concat(t, ",") == "0,1,2,3,4")
  assert(table.remove(t) == 4 and table.remove(t, 1) == 0)
  local m = table.move(t, 1, 3, 2, {})
  assert(m[2] == 1 and m[4] == 3)
  local ok, v = xpcall(function() error("x", 0) end, function(e) return "handled " .. e end)
  assert(not ok and v == "handled x")
  local obj = setmetatable({}, { __index = function(_, k) return k .. "!" end })
  assert(obj.hi == "hi!")
  return { replicas = 5, reason = "fine" }
end }
)");
  std::string err;
  auto s = load("ordinary", path, &err);
  REQUIRE_MESSAGE(s, err);
  EvalOutcome out = s->evaluate(1000, 15, target());
  INFO(out.error);
  CHECK(out.status == EvalOutcome::Status::Decision);
  CHECK(out.replicas == 5);
}
