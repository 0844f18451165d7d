// engine/testing/case_runner.hpp — runs one case of a `*_test.lua` file through the per-tick path
// every command drives (engine/loop/tick.hpp): the case's signals come from memory sources, its
// target is a count in memory that follows each decision, its guardrails (if any) are the
// config's; every tick's outcome is compared with the tick's expectation.
#pragma once

#include <string>

#include "engine/core/value.hpp"

namespace luascale::testing {

struct CaseRun {
  const Value& root;      // the file's table (defaults for every case)
  const Value& c;         // the case
  std::string test_path;  // the test file
  std::string test_dir;   // its folder (policy paths resolve here)
};

// Runs the case; "" when every expectation held, else what differed (or what was malformed).
std::string run_case(const CaseRun& run);

}  // namespace luascale::testing
