// engine/cli/cmd_test.cpp — `luascale test`: run policy test files.
#include <iostream>

#include "engine/cli/commands.hpp"

#if __has_include("engine/testing/policy_tests.hpp")
#include "engine/testing/policy_tests.hpp"
#define LUASCALE_HAVE_POLICY_TESTS 1
#endif

namespace luascale::cli {

int cmd_test(const TestOptions& o) {
#ifdef LUASCALE_HAVE_POLICY_TESTS
  return luascale::run_policy_tests(o.paths, std::cout);
#else
  (void)o;
  std::cerr << "luascale test: the policy test runner is not part of this build\n";
  return 1;
#endif
}

}  // namespace luascale::cli
