// tests/unit/unit-run-state.cpp — `luascale run`'s state file as input it cannot trust and as a
// file it owns: restores that drop what is stamped in the future and set aside what is out of
// range, one process per state file, failure counts and guardrail history that reach the file
// (at a stop too, and when ctx.state cannot be converted), one indentation throughout.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "run_fakes.hpp"

using namespace luascale;
using namespace luascale::test;
namespace asio = boost::asio;

namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One --once run of c.json in dir; the start error, or "".
std::string run_once(const TempDir& dir) {
  asio::io_context io;
  RunOptions ro = run_options(dir);
  ro.once = true;
  Runner r(io, ro, fake_sources(), fake_actuators());
  std::string err;
  if (!r.start(&err)) return err;
  io.run_for(std::chrono::seconds(5));
  return "";
}

}  // namespace

TEST_CASE("restore: entries stamped in the future are dropped, never scale a target") {
  reset();
  g.values["q"] = 50;  // the policy asks for 5; the target is at 3
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config());
  const double future = wall_now() + 10 * 365 * 86400.0;
  char state[512];
  std::snprintf(state, sizeof state, R"({"version": 1, "saved_at": %.3f, "policies": {"work": {
    "guardrails": {"recommendations": [[%.3f, 1000]], "scale_up_events": [[%.3f, 900]],
                   "last_scale_time": %.3f, "consecutive_failures": 0},
    "ctx_state": {"ticks": 4}}}})",
                future, future, future, future);
  dir.write("state.json", state);
  REQUIRE(run_once(dir) == "");
  // Trusted, the 1000 would have taken the target to max(2 x 3, 4) = 6 on its way to 1000.
  CHECK(g.last_applied == 5);
  const Value saved = saved_policy(dir, "work");
  CHECK(saved.find("ctx_state")->find("ticks")->as_int() == 5);  // the rest was kept
  for (const auto& e : saved.find("guardrails")->find("recommendations")->as_array())
    CHECK(e.as_array()[0].as_number() < wall_now() + 1);  // saved again without the future
  CHECK(saved.find("guardrails")->find("last_scale_time")->as_number() < wall_now() + 1);
}

TEST_CASE("restore: a count out of range rejects that policy's state, set aside, others kept") {
  reset();
  g.values["q"] = 50;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", R"({"policies": [
    {"name": "work", "script": "p.lua", "target": {"kind": "fake"},
     "signals": {"queue": {"source": "fake", "value": "q"}}},
    {"name": "other", "script": "p.lua", "target": {"kind": "fake", "name": "o"},
     "signals": {"queue": {"source": "fake", "value": "q"}}}], "state_file": "state.json"})");
  g.targets["o"] = 5;
  dir.write("state.json", R"({"version": 1, "saved_at": 1700000000, "policies": {
    "work": {"guardrails": {"recommendations": [[1699999990, 1e300]]}, "ctx_state": {"ticks": 9}},
    "other": {"guardrails": {"recommendations": [[1699999990, 5]]}, "ctx_state": {"ticks": 2}}}})");
  REQUIRE(run_once(dir) == "");
  CHECK(g.replicas == 5);  // fresh history: 3 -> 5, no wrapped count anywhere
  CHECK(saved_policy(dir, "work").find("ctx_state")->find("ticks")->as_int() == 1);   // fresh
  CHECK(saved_policy(dir, "other").find("ctx_state")->find("ticks")->as_int() == 3);  // restored
  // The rejected entry is kept, with why, in state.json.rejected.
  const Value rejected = parse_json(read_file(dir.path() / "state.json.rejected"));
  const Value* entry = rejected.find("policies")->find("work");
  REQUIRE(entry);
  CHECK(entry->find("reason")->as_string() ==
        "guardrails.recommendations[0]: count 1e+300 is not an integer in 0..2147483647");
  CHECK(entry->find("state")->find("ctx_state")->find("ticks")->as_int() == 9);
  CHECK(rejected.find("policies")->find("other") == nullptr);

  // A ctx.state a save could never convert back is rejected too.
  std::string big = R"({"version": 1, "saved_at": 1700000000, "policies": {"work": {"ctx_state":
    {"list": [)";
  for (int i = 0; i < 100001; ++i) big += i ? ",1" : "1";
  big += "]}}}}";
  dir.write("state.json", big);
  REQUIRE(run_once(dir) == "");
  const Value again = parse_json(read_file(dir.path() / "state.json.rejected"));
  CHECK(again.find("policies")->find("work")->find("reason")->as_string() ==
        "ctx_state: more than 100000 values (a save could never convert it back)");
}

TEST_CASE("one process per state file: a second run stops at once, naming the holder") {
  reset();
  g.values["q"] = 30;
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config());
  asio::io_context io;
  Runner first(io, run_options(dir), fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(first.start(&err), err);
  const std::string state = (dir.path() / "state.json").string();
  {
    asio::io_context io2;
    Runner second(io2, run_options(dir), fake_sources(), fake_actuators());
    CHECK_FALSE(second.start(&err));
    CHECK(err == state + ": in use by another luascale run (pid " + std::to_string(::getpid()) +
                     ", lock file " + state +
                     ".lock); one process per state file: give each replica its own state file, "
                     "or run one");
  }
  first.stop();
  io.run_for(std::chrono::seconds(1));
  {
    // Released with its holder.
    asio::io_context io3;
    Runner third(io3, run_options(dir), fake_sources(), fake_actuators());
    CHECK_MESSAGE(third.start(&err), err);
  }
  // A state file that is a symbolic link is refused before anything is read or written.
  TempDir other;
  other.write("p.lua", kPolicy);
  other.write("c.json", config());
  other.write("elsewhere.json", "{}");
  REQUIRE(::symlink((other.path() / "elsewhere.json").c_str(),
                    (other.path() / "state.json").c_str()) == 0);
  asio::io_context io4;
  Runner linked(io4, run_options(other), fake_sources(), fake_actuators());
  CHECK_FALSE(linked.start(&err));
  CHECK(err.rfind("state file " + (other.path() / "state.json").string() + ": is a symbolic link",
                  0) == 0);
  CHECK(read_file(other.path() / "elsewhere.json") == "{}");

  // A lock file that is a hard link to another file is never truncated.
  TempDir third_dir;
  third_dir.write("p.lua", kPolicy);
  third_dir.write("c.json", config());
  third_dir.write("precious", "keep\n");
  REQUIRE(::link((third_dir.path() / "precious").c_str(),
                 (third_dir.path() / "state.json.lock").c_str()) == 0);
  asio::io_context io5;
  Runner linked_lock(io5, run_options(third_dir), fake_sources(), fake_actuators());
  CHECK_FALSE(linked_lock.start(&err));
  CHECK(err == (third_dir.path() / "state.json.lock").string() +
                   ": not used as the state file's lock: it has other names (hard links)");
  CHECK(read_file(third_dir.path() / "precious") == "keep\n");
}

TEST_CASE("a stop saves the failure count of every tick before it") {
  reset();  // no value for q: every fetch fails
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config("", "100ms"));
  asio::io_context io;
  Runner r(io, run_options(dir), fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  auto failed = [&] {
    const std::string m = r.metrics_text();
    const std::string key = "luascale_signal_fetch_errors_total{policy=\"work\",signal=\"queue\"} ";
    return std::stoi(m.substr(m.find(key) + key.size()));
  };
  REQUIRE(run_until(
      io, [&] { return failed() >= 3; }, 10));
  r.stop();
  io.run_for(std::chrono::seconds(2));
  const Value saved = saved_policy(dir, "work");
  CHECK(saved.find("guardrails")->find("consecutive_failures")->as_int() == failed());
  CHECK(saved.find("ctx_state")->find("ticks")->as_int() == failed());
}

TEST_CASE("a ctx.state that cannot be converted keeps the last one, and the history is saved") {
  reset();
  g.values["q"] = 50;
  TempDir dir;
  dir.write("p.lua", R"(return { decide = function(ctx)
    ctx.state.n = (ctx.state.n or 0) + 1
    if ctx.state.n == 2 then
      local t = {}
      for i = 1, 100001 do t[i] = i end
      ctx.state.big = t
      return { replicas = 7 }
    end
    return nil
  end })");
  dir.write("c.json", config("", "100ms"));
  asio::io_context io;
  Runner r(io, run_options(dir), fake_sources(), fake_actuators());
  std::string err;
  REQUIRE_MESSAGE(r.start(&err), err);
  REQUIRE(run_until(
      io, [&] { return g.applies == 1; }, 10));
  r.stop();
  io.run_for(std::chrono::seconds(2));
  CHECK(g.last_applied == 6);  // 3 -> 6 (the legacy scale-up limit)
  const Value saved = saved_policy(dir, "work");
  CHECK(saved.find("ctx_state")->find("n")->as_int() == 1);  // the last state that converted
  CHECK(saved.find("ctx_state")->find("big") == nullptr);
  const Value* g_state = saved.find("guardrails");
  CHECK(g_state->find("last_scale_time")->is_number());  // the scale reached the file anyway
}

TEST_CASE("the state file is indented one space per level throughout") {
  reset();
  g.values["q"] = 50;
  TempDir dir;
  dir.write("p.lua", R"(return { decide = function(ctx)
    ctx.state.nested = { list = { 1, 2, { deep = "x" } }, empty = {}, s = "a,b:{c}" }
    return { replicas = 5 }
  end })");
  dir.write("c.json", config());
  REQUIRE(run_once(dir) == "");
  const std::string text = read_file(dir.path() / "state.json");
  // The layout nlohmann's dump(1) gives the whole document: the same text.
  CHECK(to_json(parse_json(text), 1) + "\n" == text);
  CHECK(text.find("\n   \"ctx_state\": {\n    \"nested\": {") != std::string::npos);

  // The eval/replay writer lays the file out the same way.
  Value policies = Value::object();
  policies.set("a", parse_json(R"({"guardrails": {"recommendations": [[1, 2]]}, "x": []})"));
  REQUIRE(save_state_file((dir.path() / "other.json").string(), policies, 12.5, nullptr));
  const std::string other = read_file(dir.path() / "other.json");
  CHECK(to_json(parse_json(other), 1) + "\n" == other);

  // A new state file is private to the process; an existing one keeps its mode.
  struct stat st {};
  REQUIRE(::stat((dir.path() / "other.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  ::chmod((dir.path() / "other.json").c_str(), 0640);
  REQUIRE(save_state_file((dir.path() / "other.json").string(), policies, 13, nullptr));
  REQUIRE(::stat((dir.path() / "other.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
}
