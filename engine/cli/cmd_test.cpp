// engine/cli/cmd_test.cpp — `luascale test`: run policy test files.
#include <iostream>

#include "engine/cli/commands.hpp"
#include "engine/testing/policy_tests.hpp"

namespace luascale::cli {

int cmd_test(const TestOptions& o) {
  return luascale::run_policy_tests(o.paths, std::cout);
}

}  // namespace luascale::cli
