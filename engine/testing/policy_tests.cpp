// engine/testing/policy_tests.cpp — the policy test runner behind `luascale test PATH...`.
//
// A test file is a Lua file named `*_test.lua` that returns a table. It is loaded in a
// restricted state (base without dofile/loadfile/load/require/print, string, table, math, and
// `os` with only time/date/difftime — no io, no side effects) under an instruction budget.
//
//   return {
//     policy = "hpa.lua",          -- the policy under test, relative to the test file
//     params = {...},              -- optional defaults for every case (cases override per key)
//     target = {...}, now = ..., interval = ..., guardrails = {...},   -- optional defaults too
//     cases = {
//       { name = "scales up on cpu",                 -- required, unique in the file
//         policy = "other.lua",                      -- optional, overrides the file's policy
//         params = { metrics = {...} },              -- shallow-merged over the file's params
//         target = { replicas = 3, ready = 3, min = 1, max = 10 },  -- ready defaults to replicas
//         now = 1700000000,                          -- unix seconds (the default)
//         interval = 15,                             -- seconds or "15s"; staleness = 3 intervals
//         state = {...},                             -- initial ctx.state
//         signals = {
//           cpu = 90,                                -- a number, sampled at `now`
//           pods = { {value=500, request=1000, ready=true}, ... },   -- a list (structured)
//           rps = { history = { {t=-60, v=10}, {t=0, v=20} } },      -- t relative to now
//           old = { value = 5, age = 120 },          -- a sample taken `age` seconds ago
//           broken = { error = "connection refused" },  -- a failed fetch (counts as failure)
//           gone = false,                            -- no value (in ticks: drop a carried one)
//         },
//         guardrails = { maxReplicas = 8, behavior = {...} },  -- optional: same keys as the
//                                  -- config (minReplicas/maxReplicas/min/max, behavior, cooldown,
//                                  -- fallback); the decision then also runs through the engine;
//                                  -- false = none (overrides a file-level default)
//         expect = { replicas = 5, reason = "substring", state = {subset} },
//                  -- or expect = "hold", or expect = { error = "substring" }
//         ticks = {                                -- optional: a sequence sharing ctx.state,
//           { now = 1700000015, signals = {...}, target = {...}, expect = {...} },   -- history
//           { dt = 15, signals = {...}, expect = {...} },   -- and guardrail state
//         },
//       },
//     },
//   }
//
// expect keys (all optional; unknown keys are reported as mistakes):
//   replicas, nodes  the decision's counts; `false` = the field must be absent. With guardrails,
//                    the field the engine acts on (replicas, else nodes) is compared after the
//                    guardrails, and `replicas` on a hold is the count the engine keeps.
//   recommended      the script's raw count for the target (replicas, else nodes)
//   desired          the count after the guardrails (without guardrails: recommended, or the
//                    current count on a hold)
//   bound_by         which guardrail set `desired` ("none", "maxReplicas", "scaleUpLimit"...)
//   reason           a substring of the decision's reason
//   log              a substring of one ctx:log/print line
//   state            a subset of ctx.state after the evaluation (objects: listed keys only;
//                    arrays: same length, element-wise; numbers within 1e-9 relative)
//   hold = true      the script returned nil;   error = "substring": the evaluation (or the
//                    policy's loading) failed with a message containing it
//
// Ticks: each tick's `now` is absolute, or `dt` seconds after the previous tick (default: one
// interval). Number and list signals carry over to later ticks (re-sampled at each tick's
// time) until replaced or set to false; history/value/error forms apply once. The case's own
// `signals`, `now` and `target` set up the first tick. Between ticks the target follows the
// decision (the guarded count with guardrails, else the script's count; ready = replicas).
#include "engine/testing/policy_tests.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <lua.hpp>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "engine/config/config.hpp"
#include "engine/core/units.hpp"
#include "engine/guard/guardrails.hpp"
#include "engine/loop/policy_runtime.hpp"
#include "engine/lua/lua_value.hpp"
#include "engine/lua/policy_script.hpp"
#include "engine/signals/history.hpp"

namespace fs = std::filesystem;

namespace luascale {
namespace {

constexpr double kDefaultNow = 1700000000;
constexpr std::int64_t kTestFileInstructions = 200'000'000;
constexpr std::size_t kHistoryCapacity = 8192;

// ---------------------------------------------------------------------------------------------
// Loading a test file.

struct HookBudget {
  std::int64_t remaining = kTestFileInstructions;
};

void test_file_hook(lua_State* L, lua_Debug*) {
  auto* b = *static_cast<HookBudget**>(lua_getextraspace(L));
  b->remaining -= 10000;
  if (b->remaining < 0) luaL_error(L, "test file exceeded its instruction budget");
}

// Opens the restricted libraries; runs under lua_pcall.
int open_test_env(lua_State* L) {
  luaL_requiref(L, "_G", luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
  lua_settop(L, 0);
  for (const char* g : {"dofile", "loadfile", "load", "require", "collectgarbage", "print"}) {
    lua_pushnil(L);
    lua_setglobal(L, g);
  }
  lua_getglobal(L, "os");
  lua_newtable(L);
  for (const char* f : {"time", "date", "difftime"}) {
    lua_getfield(L, -2, f);
    lua_setfield(L, -2, f);
  }
  lua_setglobal(L, "os");
  lua_pop(L, 1);
  lua_getglobal(L, "string");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  return 0;
}

bool load_test_file(const std::string& shown, const std::string& source, Value* out,
                    std::string* error) {
  lua_State* L = luaL_newstate();
  if (!L) {
    *error = "cannot create a Lua state";
    return false;
  }
  HookBudget budget;
  *static_cast<HookBudget**>(lua_getextraspace(L)) = &budget;
  bool ok = false;
  lua_pushcfunction(L, open_test_env);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    *error = lua_tostring(L, -1) ? lua_tostring(L, -1) : "cannot open libraries";
  } else {
    lua_sethook(L, test_file_hook, LUA_MASKCOUNT, 10000);
    const std::string chunk = "@" + shown;
    if (luaL_loadbufferx(L, source.data(), source.size(), chunk.c_str(), "t") != LUA_OK ||
        lua_pcall(L, 0, 1, 0) != LUA_OK) {
      *error = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error loading the file";
    } else if (!lua_istable(L, -1)) {
      *error = shown + ": the test file must return a table {policy=..., cases={...}}";
    } else {
      lua_sethook(L, nullptr, 0, 0);
      LuaToValueOptions data;
      data.allow_non_finite = true;
      data.empty_table_is_array = true;
      ok = lua_to_value(L, -1, *out, "test", error, data);
    }
  }
  lua_close(L);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Small Value helpers.

const Value* get(const Value& obj, std::string_view key) {
  const Value* v = obj.find(key);
  return v && !v->is_null() ? v : nullptr;
}

// The case's value for `key`, else the file's.
const Value* pick(const Value& c, const Value& root, std::string_view key) {
  if (const Value* v = get(c, key)) return v;
  return get(root, key);
}

std::string fmt_number(double d) {
  char buf[64];
  if (d == std::floor(d) && std::fabs(d) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", d);
  else
    std::snprintf(buf, sizeof buf, "%.10g", d);
  return buf;
}

std::string show(const Value& v) {
  if (v.is_number()) return fmt_number(v.as_number());
  return to_json(v);
}

bool numbers_equal(double a, double b) {
  if (a == b) return true;
  return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

// Subset match; on a difference fills *diff with "path: expected X, got Y".
bool subset(const Value& want, const Value* got, const std::string& path, std::string* diff) {
  if (!got || got->is_null()) {
    if (want.is_bool() && !want.as_bool()) return true;  // false = absent (or false)
    *diff = path + ": expected " + show(want) + ", got nil";
    return false;
  }
  if (want.is_number()) {
    if (got->is_number() && numbers_equal(want.as_number(), got->as_number())) return true;
  } else if (want.is_object()) {
    if (got->is_object() || (got->is_array() && got->as_array().empty())) {
      for (const auto& [k, w] : want.as_object())
        if (!subset(w, got->find(k), path + "." + k, diff)) return false;
      return true;
    }
    // Lua tables with keys 1..n arrive as arrays; let {["1"]=...} style objects match them.
    if (got->is_array()) {
      for (const auto& [k, w] : want.as_object()) {
        char* end = nullptr;
        long i = std::strtol(k.c_str(), &end, 10);
        const Value* e =
            (end && *end == 0 && i >= 1 && static_cast<std::size_t>(i) <= got->as_array().size())
                ? &got->as_array()[static_cast<std::size_t>(i - 1)]
                : nullptr;
        if (!subset(w, e, path + "." + k, diff)) return false;
      }
      return true;
    }
  } else if (want.is_array()) {
    if (want.as_array().empty() && got->is_object() && got->as_object().empty()) return true;
    if (got->is_array() && got->as_array().size() == want.as_array().size()) {
      for (std::size_t i = 0; i < want.as_array().size(); ++i)
        if (!subset(want.as_array()[i], &got->as_array()[i],
                    path + "[" + std::to_string(i + 1) + "]", diff))
          return false;
      return true;
    }
  } else if (want == *got) {
    return true;
  }
  *diff = path + ": expected " + show(want) + ", got " + show(*got);
  return false;
}

std::optional<double> seconds_of(const Value* v) {
  if (!v) return std::nullopt;
  if (v->is_number()) return v->as_number();
  if (v->is_string()) return parse_duration(v->as_string());
  return std::nullopt;
}

// The 1-based line where `name` first appears quoted in the source (1 when not found).
int line_of(const std::string& source, const std::string& name) {
  for (const char q : {'"', '\''}) {
    const std::string needle = q + name + q;
    std::size_t pos = source.find(needle);
    if (pos != std::string::npos)
      return 1 + static_cast<int>(
                     std::count(source.begin(), source.begin() + static_cast<long>(pos), '\n'));
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Running one case.

struct CaseRun {
  const Value& root;
  const Value& c;
  std::string test_path;  // the test file
  std::string test_dir;
};

class CaseRunner {
 public:
  explicit CaseRunner(const CaseRun& run) : run_(run) {}

  // Empty on success, else what differed.
  std::string run() {
    const Value& c = run_.c;
    const Value& root = run_.root;
    const Value* policy = pick(c, root, "policy");
    if (!policy || !policy->is_string())
      return "no policy: set policy = \"file.lua\" in the file or the case";
    const std::string script =
        (fs::path(run_.test_dir) / policy->as_string()).lexically_normal().string();

    Value params = Value::object();
    for (const Value* src : {get(root, "params"), get(c, "params")}) {
      if (!src) continue;
      if (!src->is_object() && !(src->is_array() && src->as_array().empty()))
        return "params must be a table of named values";
      if (src->is_object())
        for (const auto& [k, v] : src->as_object()) params.set(k, v);
    }
    if (const Value* iv = pick(c, root, "interval")) {
      auto s = seconds_of(iv);
      if (!s || *s <= 0) return "interval must be seconds > 0 or a duration like \"15s\"";
      interval_ = *s;
    }

    // Guardrails, parsed by the config loader so keys and errors match the config file.
    const Value* g = pick(c, root, "guardrails");
    if (g && g->is_bool() && !g->as_bool()) g = nullptr;  // guardrails = false: none for this case
    if (g) {
      if (!g->is_object())
        return "guardrails must be a table (config keys: maxReplicas, behavior...)";
      Value pol = *g;
      pol.set("name", "test");
      pol.set("script", script);
      Value doc = Value::object();
      doc.set("policies", Value(Value::Array{pol}));
      try {
        Config cfg = parse_config(to_json(doc), run_.test_path);
        guard_.emplace(cfg.policies.at(0).guard);
      } catch (const std::exception& e) {
        std::string msg = e.what();
        auto p = msg.find("policies[0].");
        if (p != std::string::npos) msg = msg.substr(p + 12);
        return "guardrails: " + msg;
      }
    }

    // Ticks: the case itself, or its `ticks` list.
    std::vector<const Value*> ticks;
    const Value* tick_list = get(c, "ticks");
    if (tick_list && get(c, "expect"))
      return "expect belongs in each tick when ticks are given (the case-level expect would be "
             "ignored)";
    if (tick_list) {
      if (!tick_list->is_array() || tick_list->as_array().empty())
        return "ticks must be a non-empty list";
      for (const auto& t : tick_list->as_array()) ticks.push_back(&t);
    } else {
      ticks.push_back(&c);
    }

    PolicyLoadOptions opts;
    opts.name = fs::path(script).stem().string();
    opts.script_path = script;
    opts.display_path = display_path(script);
    opts.stdlib_dir = stdlib_dir();
    opts.params = params;
    std::string load_error;
    script_ = PolicyScript::load(opts, &load_error);
    if (!script_) {
      // A load failure can be the expected outcome of the first tick.
      const Value* e = get(*ticks.front(), "expect");
      const Value* want = e && e->is_object() ? get(*e, "error") : nullptr;
      if (want && want->is_string() && load_error.find(want->as_string()) != std::string::npos)
        return "";
      return "policy failed to load: " + load_error;
    }
    if (const Value* st = get(c, "state")) {
      std::string err;
      if (!script_->set_state(*st, &err)) return err;
    }

    // Target.
    view_.name = opts.name;
    if (guard_) {
      view_.min = guard_->config().min;
      if (guard_->config().max < kMaxCount) view_.max = guard_->config().max;
    }
    if (std::string err = apply_target(pick(c, root, "target"), true); !err.empty()) return err;

    double now = kDefaultNow;
    if (const Value* n = pick(c, root, "now")) {
      if (!n->is_number()) return "now must be unix seconds";
      now = n->as_number();
    }
    for (std::size_t i = 0; i < ticks.size(); ++i) {
      const Value& t = *ticks[i];
      const std::string where = ticks.size() > 1 ? "tick " + std::to_string(i + 1) + ": " : "";
      if (tick_list) {
        if (!t.is_object()) return where + "a tick must be a table";
        if (const Value* n = get(t, "now")) {
          if (!n->is_number()) return where + "now must be unix seconds";
          now = n->as_number();
        } else if (const Value* dt = get(t, "dt")) {
          auto s = seconds_of(dt);
          if (!s) return where + "dt must be seconds";
          now += *s;
        } else if (i > 0) {
          now += interval_;
        }
        if (i == 0)
          if (std::string err = apply_signals(get(c, "signals"), now); !err.empty())
            return where + err;
        if (std::string err = apply_target(get(t, "target"), false); !err.empty())
          return where + err;
      }
      if (std::string err = apply_signals(get(t, "signals"), now); !err.empty()) return where + err;
      if (std::string err = tick(now, get(t, "expect")); !err.empty()) return where + err;
    }
    return "";
  }

 private:
  std::string apply_target(const Value* t, bool initial) {
    if (initial) current_ = ready_ = 1;
    if (!t) return "";
    if (!t->is_object())
      return "target must be a table {replicas=..., ready=..., min=..., max=...}";
    bool ready_set = false;
    for (const auto& [k, v] : t->as_object()) {
      if (k == "name") {
        if (v.is_string()) view_.name = v.as_string();
        continue;
      }
      if (!v.is_number()) return "target." + k + " must be a number";
      const auto n = static_cast<std::int64_t>(v.as_number());
      if (k == "replicas")
        current_ = n;
      else if (k == "ready") {
        ready_ = n;
        ready_set = true;
      } else if (k == "min")
        view_.min = n;
      else if (k == "max")
        view_.max = n;
      else
        return "target." + k + ": unknown key (replicas, ready, min, max, name)";
    }
    if (!ready_set) ready_ = current_;
    return "";
  }

  std::size_t slot(const std::string& name) {
    if (auto i = signals_.find(name)) return *i;
    return signals_.add(name, 3 * interval_, kHistoryCapacity);
  }

  std::string apply_signals(const Value* sigs, double now) {
    signal_failed_ = false;
    // Carried values are re-sampled at the tick's time first; this tick's values override.
    for (const auto& [name, v] : carried_) {
      if (sigs && sigs->find(name)) continue;
      set_plain(slot(name), v, now);
    }
    if (!sigs) return "";
    if (!sigs->is_object()) {
      if (sigs->is_array() && sigs->as_array().empty()) return "";
      return "signals must be a table of name = value";
    }
    for (const auto& [name, v] : sigs->as_object()) {
      const std::size_t i = slot(name);
      if (v.is_bool() && !v.as_bool()) {
        carried_.erase(name);
        signals_.at(i).has_value = false;
        continue;
      }
      if (v.is_number() || v.is_array()) {
        carried_[name] = v;
        set_plain(i, v, now);
        continue;
      }
      if (!v.is_object()) return "signal " + name + ": expected a number, a list or a table";
      carried_.erase(name);
      for (const auto& [k, _] : v.as_object())
        if (k != "history" && k != "value" && k != "age" && k != "error" && k != "stale_after")
          return "signal " + name + "." + k +
                 ": unknown key (history, value, age, error, stale_after)";
      if (auto s = seconds_of(get(v, "stale_after"))) signals_.at(i).stale_after = *s;
      if (const Value* h = get(v, "history")) {
        if (!h->is_array()) return "signal " + name + ".history must be a list of {t=..., v=...}";
        std::vector<std::pair<double, double>> samples;
        for (const auto& s : h->as_array()) {
          const Value* t =
              s.is_array() && s.as_array().size() == 2 ? &s.as_array()[0] : get(s, "t");
          const Value* x =
              s.is_array() && s.as_array().size() == 2 ? &s.as_array()[1] : get(s, "v");
          if (!t || !x || !t->is_number() || !x->is_number())
            return "signal " + name +
                   ".history: each sample is {t=seconds relative to now, v=number}";
          samples.emplace_back(now + t->as_number(), x->as_number());
        }
        std::stable_sort(samples.begin(), samples.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [t, x] : samples) signals_.set_number(i, t, x);
      }
      if (const Value* val = get(v, "value")) {
        double age = 0;
        if (const Value* a = get(v, "age")) {
          auto s = seconds_of(a);
          if (!s) return "signal " + name + ".age must be seconds";
          age = *s;
        }
        if (!val->is_number() && !val->is_array())
          return "signal " + name + ".value must be a number or a list";
        set_plain(i, *val, now - age);
      }
      if (const Value* e = get(v, "error")) {
        signals_.set_error(i, e->is_string() ? e->as_string() : "error");
        signal_failed_ = true;
      }
    }
    return "";
  }

  void set_plain(std::size_t i, const Value& v, double t) {
    if (v.is_number())
      signals_.set_number(i, t, v.as_number());
    else
      signals_.set_structured(i, t, v);
  }

  static std::string describe(const EvalOutcome& out) {
    switch (out.status) {
      case EvalOutcome::Status::Hold:
        return "hold";
      case EvalOutcome::Status::Error:
        return "error: " + out.error;
      case EvalOutcome::Status::Decision:
        break;
    }
    std::string s;
    if (out.replicas) s += "replicas " + std::to_string(*out.replicas);
    if (out.nodes)
      s += (s.empty() ? "" : ", ") + std::string("nodes ") + std::to_string(*out.nodes);
    if (!out.reason.empty()) s += " (" + out.reason + ")";
    return s;
  }

  std::string tick(double now, const Value* expect) {
    if (attached_ != signals_.size()) {
      script_->attach_signals(&signals_);
      attached_ = signals_.size();
    }
    view_.replicas = current_;
    view_.ready = ready_;
    EvalOutcome out = script_->evaluate(now, interval_, view_);
    std::optional<std::int64_t> recommended;
    if (out.status == EvalOutcome::Status::Decision)
      recommended = out.replicas ? out.replicas : out.nodes;
    std::int64_t desired = recommended.value_or(current_);
    BoundBy bound = out.status == EvalOutcome::Status::Error ? BoundBy::Error : BoundBy::None;
    if (out.status == EvalOutcome::Status::Hold) bound = BoundBy::Hold;
    if (guard_) {
      const bool failed = out.status == EvalOutcome::Status::Error || signal_failed_;
      GuardResult g = guard_->decide(now, current_, failed ? std::nullopt : recommended, failed);
      desired = g.desired;
      bound = g.bound_by;
      if (desired != current_) guard_->record_scale(now, current_, desired);
    }
    std::string diff = check(out, recommended, desired, bound, expect);
    if (out.status == EvalOutcome::Status::Decision || guard_) {
      current_ = desired;
      ready_ = desired;
    }
    return diff;
  }

  std::string check(const EvalOutcome& out, std::optional<std::int64_t> recommended,
                    std::int64_t desired, BoundBy bound, const Value* expect) {
    using S = EvalOutcome::Status;
    if (!expect) {
      if (out.status == S::Error) return "evaluation failed: " + out.error;
      return "";
    }
    Value want;
    if (expect->is_string()) {
      if (expect->as_string() == "hold")
        want.set("hold", true);
      else if (expect->as_string() == "error")
        want.set("error", "");
      else
        return "expect must be a table, \"hold\" or \"error\"";
    } else if (expect->is_object()) {
      want = *expect;
    } else {
      return "expect must be a table, \"hold\" or \"error\"";
    }
    std::vector<std::string> diffs;
    const Value* err = get(want, "error");
    if (err) {
      if (out.status != S::Error) return "expected an error, got " + describe(out);
      const std::string sub = err->is_string() ? err->as_string() : "";
      if (out.error.find(sub) == std::string::npos)
        return "expected an error containing \"" + sub + "\", got: " + out.error;
    } else if (out.status == S::Error) {
      return "evaluation failed: " + out.error;
    }
    const bool actuated_is_replicas = !out.nodes || out.replicas;
    for (const auto& [k, w] : want.as_object()) {
      if (w.is_null()) continue;
      if (k == "error") continue;
      if (k == "hold") {
        const bool want_hold = w.is_bool() && w.as_bool();
        if (want_hold != (out.status == S::Hold))
          diffs.push_back(want_hold ? "expected hold, got " + describe(out)
                                    : "expected a decision, got hold");
      } else if (k == "replicas" || k == "nodes") {
        std::optional<std::int64_t> got = k == "replicas" ? out.replicas : out.nodes;
        if (guard_ && ((k == "replicas") == actuated_is_replicas) && (got || k == "replicas"))
          got = desired;
        if (w.is_bool() && !w.as_bool()) {
          if (got) diffs.push_back(k + ": expected none, got " + std::to_string(*got));
        } else if (!w.is_number()) {
          diffs.push_back(k + ": expected value must be a number or false");
        } else if (!got) {
          diffs.push_back(k + ": expected " + show(w) + ", got " + describe(out));
        } else if (static_cast<double>(*got) != w.as_number()) {
          diffs.push_back(k + ": expected " + show(w) + ", got " + std::to_string(*got) +
                          (out.reason.empty() ? "" : " (" + out.reason + ")"));
        }
      } else if (k == "recommended") {
        if (!w.is_number() || !recommended || static_cast<double>(*recommended) != w.as_number())
          diffs.push_back("recommended: expected " + show(w) + ", got " +
                          (recommended ? std::to_string(*recommended) : describe(out)));
      } else if (k == "desired") {
        if (!w.is_number() || static_cast<double>(desired) != w.as_number())
          diffs.push_back("desired: expected " + show(w) + ", got " + std::to_string(desired) +
                          " (bound by " + bound_by_name(bound) + ")");
      } else if (k == "bound_by") {
        if (!w.is_string() || w.as_string() != bound_by_name(bound))
          diffs.push_back("bound_by: expected " + show(w) + ", got \"" + bound_by_name(bound) +
                          "\"");
      } else if (k == "reason") {
        if (!w.is_string() || out.reason.find(w.as_string()) == std::string::npos)
          diffs.push_back("reason: expected to contain " + show(w) + ", got \"" + out.reason +
                          "\"");
      } else if (k == "log") {
        bool found = false;
        for (const auto& l : out.logs)
          found = found || (w.is_string() && l.find(w.as_string()) != std::string::npos);
        if (!found) diffs.push_back("log: no line contains " + show(w));
      } else if (k == "state") {
        std::string serr;
        Value st = script_->state(&serr);
        if (!serr.empty()) {
          diffs.push_back("state: " + serr);
        } else {
          std::string d;
          if (!subset(w, &st, "state", &d)) diffs.push_back(d);
        }
      } else {
        diffs.push_back("expect." + k +
                        ": unknown key (replicas, nodes, recommended, desired, bound_by, "
                        "reason, log, state, hold, error)");
      }
    }
    std::string s;
    for (const auto& d : diffs) s += (s.empty() ? "" : "; ") + d;
    return s;
  }

  const CaseRun& run_;
  double interval_ = 15;
  std::unique_ptr<PolicyScript> script_;
  SignalTable signals_;
  std::size_t attached_ = 0;
  std::map<std::string, Value> carried_;
  bool signal_failed_ = false;
  std::optional<Guardrails> guard_;
  TargetView view_;
  std::int64_t current_ = 1, ready_ = 1;
};

void collect(const std::string& path, std::vector<std::string>& files,
             std::vector<std::string>& missing) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(
             path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (it->is_regular_file(ec) && name.size() > 9 &&
          name.compare(name.size() - 9, 9, "_test.lua") == 0)
        found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  } else if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
  } else {
    missing.push_back(path);
  }
}

}  // namespace

int run_policy_tests(const std::vector<std::string>& paths, std::ostream& out) {
  std::vector<std::string> files, missing;
  for (const auto& p : paths) collect(p, files, missing);
  int passed = 0, failed = 0;
  for (const auto& m : missing) {
    out << "FAIL " << m << ": no such file or folder\n";
    ++failed;
  }
  for (const auto& file : files) {
    const std::string shown = display_path(file);
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string source = ss.str();
    Value root;
    std::string error;
    if (!in || !load_test_file(shown, source, &root, &error)) {
      out << "FAIL " << shown << ": (file): " << (in ? error : "cannot read the file") << "\n";
      ++failed;
      continue;
    }
    const Value* cases = root.is_object() ? get(root, "cases") : nullptr;
    if (!cases || !cases->is_array() || cases->as_array().empty()) {
      out << "FAIL " << shown
          << ":1: (file): no cases (return {policy=..., cases={{name=..., ...}}})\n";
      ++failed;
      continue;
    }
    const std::string dir = fs::path(file).parent_path().string();
    std::size_t index = 0;
    std::set<std::string> seen;
    for (const auto& c : cases->as_array()) {
      ++index;
      const Value* name_v = c.is_object() ? get(c, "name") : nullptr;
      const std::string name =
          name_v && name_v->is_string() ? name_v->as_string() : "case " + std::to_string(index);
      std::string diff;
      if (!seen.insert(name).second) {
        diff = "duplicate case name in this file";
      } else if (!c.is_object()) {
        diff = "a case must be a table";
      } else {
        try {
          CaseRun run{root, c, file, dir.empty() ? "." : dir};
          CaseRunner runner(run);
          diff = runner.run();
        } catch (const std::exception& e) {
          diff = std::string("internal error: ") + e.what();
        }
      }
      if (diff.empty()) {
        out << "ok   " << shown << ": " << name << "\n";
        ++passed;
      } else {
        out << "FAIL " << shown << ":" << line_of(source, name) << ": " << name << ": " << diff
            << "\n";
        ++failed;
      }
    }
  }
  if (files.empty() && missing.empty()) {
    out << "FAIL no *_test.lua files found\n";
    ++failed;
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace luascale
