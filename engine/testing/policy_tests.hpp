// engine/testing/policy_tests.hpp — `luascale test`: runs the table-driven `*_test.lua` files that
// sit beside policies (the file format is documented at the top of policy_tests.cpp and in
// policies/README.md).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace luascale {

// Runs every case of the given test files; a folder is searched recursively for `*_test.lua`.
// Prints one line per case (`ok   file: name` or `FAIL file:line: name: what differed`) and a
// summary `N passed, M failed`. Returns 0 when every case passed, 1 otherwise (also when no test
// file was found or a file could not be loaded).
int run_policy_tests(const std::vector<std::string>& paths, std::ostream& out);

}  // namespace luascale
