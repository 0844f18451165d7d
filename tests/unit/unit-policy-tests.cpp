// tests/unit/unit-policy-tests.cpp — the `luascale test` runner: case reporting, expectations,
// ticks with guardrails, the restricted test-file environment, and every shipped *_test.lua.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "engine/testing/policy_tests.hpp"
#include "fixtures.hpp"

using luascale::run_policy_tests;
using luascale::test::TempDir;

namespace {

const char* const kDoublePolicy = R"(
return {
  params = { factor = 2 },
  decide = function(ctx, p)
    local x = ctx:signal("x")
    if not x then return nil end
    if x < 0 then error("negative input") end
    ctx.state.seen = (ctx.state.seen or 0) + 1
    ctx.state.last = x
    return { replicas = math.ceil(x * p.factor), reason = "x=" .. x }
  end,
}
)";

int run(const std::vector<std::string>& paths, std::string* output) {
  std::ostringstream out;
  int rc = run_policy_tests(paths, out);
  *output = out.str();
  return rc;
}

}  // namespace

TEST_CASE("a failing case is reported with file, line and the difference, exit code 1") {
  TempDir dir;
  dir.write("double.lua", kDoublePolicy);
  auto test = dir.write("double_test.lua", R"(return {
  policy = "double.lua",
  cases = {
    { name = "doubles", signals = { x = 2 }, expect = { replicas = 4, reason = "x=2" } },
    { name = "deliberately wrong",
      signals = { x = 2 }, expect = { replicas = 5 } },
  },
})");
  std::string out;
  CHECK(run({test.string()}, &out) == 1);
  CHECK(out.find("ok   ") != std::string::npos);
  CHECK(out.find("double_test.lua: doubles\n") != std::string::npos);
  CHECK(out.find("FAIL ") != std::string::npos);
  CHECK(out.find("double_test.lua:5: deliberately wrong: replicas: expected 5, got 4") !=
        std::string::npos);
  CHECK(out.find("1 passed, 1 failed\n") != std::string::npos);
}

TEST_CASE("hold, error, state subset, params override, file-level defaults") {
  TempDir dir;
  dir.write("double.lua", kDoublePolicy);
  auto test = dir.write("t_test.lua", R"(return {
  policy = "double.lua",
  params = { factor = 3 },
  cases = {
    { name = "hold", expect = "hold" },
    { name = "hold table", expect = { hold = true } },
    { name = "error", signals = { x = -1 }, expect = { error = "negative input" } },
    { name = "file params", signals = { x = 2 }, expect = { replicas = 6 } },
    { name = "case params", params = { factor = 1 }, signals = { x = 2.5 }, expect = { replicas = 3 } },
    { name = "state", state = { seen = 4, keep = "me" }, signals = { x = 1 },
      expect = { state = { seen = 5, last = 1, keep = "me" } } },
    { name = "history", signals = { x = { history = { {t=-30, v=1}, {t=0, v=2} } } },
      expect = { replicas = 6 } },
    { name = "stale", signals = { x = { value = 9, age = 300 } }, expect = "hold" },
    { name = "nodes absent", signals = { x = 1 }, expect = { nodes = false, recommended = 3 } },
  },
})");
  std::string out;
  CHECK(run({test.string()}, &out) == 0);
  CHECK(out.find("9 passed, 0 failed") != std::string::npos);
}

TEST_CASE("mismatches of each kind are failures") {
  TempDir dir;
  dir.write("double.lua", kDoublePolicy);
  auto test = dir.write("bad_test.lua", R"(return {
  policy = "double.lua",
  cases = {
    { name = "want hold", signals = { x = 1 }, expect = "hold" },
    { name = "want error", signals = { x = 1 }, expect = { error = "boom" } },
    { name = "unexpected error", signals = { x = -1 }, expect = { replicas = 1 } },
    { name = "reason", signals = { x = 1 }, expect = { reason = "y=" } },
    { name = "state", signals = { x = 1 }, expect = { state = { seen = 2 } } },
    { name = "typo", signals = { x = 1 }, expect = { replica = 2 } },
    { name = "missing policy", policy = "nope.lua", expect = "hold" },
  },
})");
  std::string out;
  CHECK(run({test.string()}, &out) == 1);
  CHECK(out.find("0 passed, 7 failed") != std::string::npos);
  CHECK(out.find("want hold: expected hold, got replicas 2") != std::string::npos);
  CHECK(out.find("state.seen: expected 2, got 1") != std::string::npos);
  CHECK(out.find("expect.replica: unknown key") != std::string::npos);
  CHECK(out.find("policy failed to load") != std::string::npos);
}

TEST_CASE("ticks share state and run through the engine guardrails") {
  TempDir dir;
  dir.write("double.lua", kDoublePolicy);
  auto test = dir.write("ticks_test.lua", R"(return {
  policy = "double.lua",
  cases = {
    { name = "rate limited scale-up",
      target = { replicas = 2 },
      guardrails = { maxReplicas = 20,
                     behavior = { scaleUp = { policies = { {type="Pods", value=2, periodSeconds=60} } } } },
      ticks = {
        { signals = { x = 5 }, expect = { replicas = 4, recommended = 10, bound_by = "scaleUpLimit" } },
        { expect = { replicas = 4, desired = 4, state = { seen = 2 } } },
        { dt = 60, expect = { replicas = 6 } },
        { signals = { x = 20 }, dt = 60, expect = { replicas = 8 } },
      } },
    { name = "max bound", guardrails = { maxReplicas = 3 }, signals = { x = 5 },
      expect = { replicas = 3, recommended = 10, bound_by = "maxReplicas" } },
    { name = "bad guardrail key", guardrails = { maxReplica = 3 }, signals = { x = 5 },
      expect = { replicas = 3 } },
  },
})");
  std::string out;
  CHECK(run({test.string()}, &out) == 1);
  CHECK(out.find("ok   ") != std::string::npos);
  CHECK(out.find(": rate limited scale-up\n") != std::string::npos);
  CHECK(out.find(": max bound\n") != std::string::npos);
  CHECK(out.find("bad guardrail key: guardrails:") != std::string::npos);
  CHECK(out.find("maxReplica: unknown key") != std::string::npos);
  CHECK(out.find("2 passed, 1 failed") != std::string::npos);
}

TEST_CASE("test files run in a restricted environment") {
  TempDir dir;
  dir.write("double.lua", kDoublePolicy);
  auto io = dir.write("io_test.lua", "local f = io.open('/etc/passwd') return { cases = {} }");
  auto os = dir.write("os_test.lua", "os.execute('true') return { cases = {} }");
  auto loop = dir.write("loop_test.lua", "while true do end");
  auto fn = dir.write(
      "fn_test.lua",
      "return { policy = 'double.lua', cases = { { name = 'f', expect = function() end } } }");
  std::string out;
  CHECK(run({io.string(), os.string(), loop.string(), fn.string()}, &out) == 1);
  CHECK(out.find("io_test.lua: (file):") != std::string::npos);
  CHECK(out.find("os_test.lua: (file):") != std::string::npos);
  CHECK(out.find("instruction budget") != std::string::npos);
  CHECK(out.find("only data") != std::string::npos);
  CHECK(out.find("0 passed, 4 failed") != std::string::npos);
}

TEST_CASE("a folder is searched recursively, nothing found is a failure") {
  TempDir dir;
  dir.write("a/double.lua", kDoublePolicy);
  dir.write("a/b/c_test.lua",
            "return { policy = '../double.lua', cases = { { name = 'n', signals = { x = 1 }, "
            "expect = { replicas = 2 } } } }");
  dir.write("a/notatest.lua", "error('not loaded')");
  std::string out;
  CHECK(run({dir.path().string()}, &out) == 0);
  CHECK(out.find("1 passed, 0 failed") != std::string::npos);
  TempDir empty;
  CHECK(run({empty.path().string()}, &out) == 1);
  CHECK(run({(empty.path() / "missing").string()}, &out) == 1);
}

// Until `luascale test` is wired into the CLI this is where the shipped policy tests run.
TEST_CASE("every shipped policy test passes") {
  std::string out;
  int rc = run({(luascale::test::source_dir() / "policies").string(),
                (luascale::test::source_dir() / "examples").string()},
               &out);
  INFO(out);
  CHECK(rc == 0);
}

TEST_CASE("mistakes in a test file are failures, not silent passes") {
  TempDir dir;
  dir.write("double.lua", kDoublePolicy);
  auto test = dir.write("mistakes_test.lua", R"(return {
  policy = "double.lua",
  cases = {
    { name = "same", signals = { x = 1 }, expect = { replicas = 2 } },
    { name = "same", signals = { x = 1 }, expect = { replicas = 2 } },
    { name = "expect beside ticks", expect = { replicas = 9 }, ticks = { { signals = { x = 1 } } } },
    { name = "bad signal", signals = { x = { histroy = {} } }, expect = "hold" },
  },
})");
  std::string out;
  CHECK(run({test.string()}, &out) == 1);
  CHECK(out.find("same: duplicate case name") != std::string::npos);
  CHECK(out.find("expect belongs in each tick") != std::string::npos);
  CHECK(out.find("bad signal: signals.x.histroy: unknown key (did you mean \"history\"?); "
                 "accepted keys: history, value, age, error, stale_after") != std::string::npos);
  CHECK(out.find("1 passed, 3 failed") != std::string::npos);
}

TEST_CASE("strict test files: an unknown key at any level, a case without an expectation") {
  TempDir dir;
  dir.write("double.lua", kDoublePolicy);
  auto test = dir.write("strict_test.lua", R"(return {
  policy = "double.lua",
  cases = {
    { name = "misspelled case key", targt = { replicas = 3 }, signals = { x = 1 },
      expect = { replicas = 2 } },
    { name = "misspelled target key", target = { replica = 3 }, signals = { x = 1 },
      expect = { replicas = 2 } },
    { name = "misspelled tick key", ticks = { { signals = { x = 1 }, expct = { replicas = 2 } } } },
    { name = "misspelled history sample", signals = { x = { history = { { t = 0, value = 1 } } } },
      expect = { replicas = 2 } },
    { name = "no expectation", signals = { x = 1 } },
    { name = "no tick expects", ticks = { { signals = { x = 1 } }, { signals = { x = 2 } } } },
    { name = "empty expect", signals = { x = 1 }, expect = {} },
    { name = "both history forms", signals = { x = { history = { { t = -15, v = 1 }, { 0, 3 } } } },
      expect = { replicas = 6 } },
    { name = "warm-up ticks need no expect", ticks = { { signals = { x = 1 } },
      { signals = { x = 4 }, expect = { replicas = 8 } } } },
  },
})");
  std::string out;
  CHECK(run({test.string()}, &out) == 1);
  INFO(out);
  CHECK(out.find("misspelled case key: case.targt: unknown key (did you mean \"target\"?); "
                 "accepted keys: name, policy, params, target, now, interval, state, signals, "
                 "guardrails, expect, ticks") != std::string::npos);
  CHECK(out.find("misspelled target key: target.replica: unknown key (did you mean "
                 "\"replicas\"?)") != std::string::npos);
  CHECK(out.find("misspelled tick key: tick 1.expct: unknown key (did you mean \"expect\"?)") !=
        std::string::npos);
  CHECK(out.find("misspelled history sample: signals.x.history[1].value: unknown key; accepted "
                 "keys: t, v") != std::string::npos);
  CHECK(out.find("no expectation: no expect (say what it should decide") != std::string::npos);
  CHECK(out.find("no tick expects: no tick has an expect") != std::string::npos);
  CHECK(out.find("empty expect: expect is empty") != std::string::npos);
  CHECK(out.find("strict_test.lua: both history forms\n") != std::string::npos);
  CHECK(out.find("strict_test.lua: warm-up ticks need no expect\n") != std::string::npos);
  CHECK(out.find("2 passed, 7 failed") != std::string::npos);

  auto file_key = dir.write("file_key_test.lua", R"(return { polcy = "double.lua", cases = {
    { name = "n", signals = { x = 1 }, expect = { replicas = 2 } } } })");
  CHECK(run({file_key.string()}, &out) == 1);
  CHECK(out.find("(file): file.polcy: unknown key (did you mean \"policy\"?)") !=
        std::string::npos);
}

TEST_CASE("luascale test on a policy explains what a test file is") {
  TempDir dir;
  auto policy = dir.write("worker.lua", kDoublePolicy);
  std::string out;
  CHECK(run({policy.string()}, &out) == 1);
  INFO(out);
  CHECK(out.find("worker.lua is a policy (it returns decide), not a test file. A test file, named "
                 "*_test.lua, returns data: {policy = \"worker.lua\", cases = {{name = ...") !=
        std::string::npos);
  CHECK(out.find("only data") == std::string::npos);
}
