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
//           rps = { history = { {t=-60, v=10}, {0, 20} } },  -- t <= 0, relative to now;
//                                                    -- each sample {t=..., v=...} or {t, v}
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
// Every key at every level must be one of those above: a misspelled key fails its case (or the
// file) with its path, the accepted keys and the nearest one. Each case must have an `expect`
// (a sequence on one of its ticks at least; the others must then merely not fail).
//
// expect keys (at least one; unknown keys are mistakes):
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
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/loop/policy_runtime.hpp"
#include "engine/testing/case_runner.hpp"
#include "engine/testing/signal_form.hpp"
#include "engine/testing/test_file.hpp"
#include "engine/testing/test_values.hpp"

namespace fs = std::filesystem;

namespace luascale {
namespace {

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
    if (!in || !testing::load_test_file(shown, source, &root, &error)) {
      out << "FAIL " << shown << ": (file): " << (in ? error : "cannot read the file") << "\n";
      ++failed;
      continue;
    }
    if (std::string p = testing::unknown_key_problem(
            root, {"policy", "params", "target", "now", "interval", "guardrails", "cases"}, "file");
        !p.empty()) {
      out << "FAIL " << shown << ":1: (file): " << p << "\n";
      ++failed;
      continue;
    }
    const Value* cases = root.is_object() ? testing::get(root, "cases") : nullptr;
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
      const Value* name_v = c.is_object() ? testing::get(c, "name") : nullptr;
      const std::string name =
          name_v && name_v->is_string() ? name_v->as_string() : "case " + std::to_string(index);
      std::string diff;
      if (!seen.insert(name).second) {
        diff = "duplicate case name in this file";
      } else if (!c.is_object()) {
        diff = "a case must be a table";
      } else {
        try {
          diff = testing::run_case(testing::CaseRun{root, c, file, dir.empty() ? "." : dir});
        } catch (const std::exception& e) {
          diff = std::string("internal error: ") + e.what();
        }
      }
      if (diff.empty()) {
        out << "ok   " << shown << ": " << name << "\n";
        ++passed;
      } else {
        out << "FAIL " << shown << ":" << testing::line_of(source, name) << ": " << name << ": "
            << diff << "\n";
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
