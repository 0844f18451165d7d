// engine/testing/test_file.hpp — loading a `*_test.lua` file: it runs in a restricted state
// (base without dofile/loadfile/load/require/print, string, table, math, and `os` with only
// time/date/difftime; no io, no side effects) under an instruction budget, and must return data.
#pragma once

#include <string>

#include "engine/core/value.hpp"

namespace luascale::testing {

// Runs `source` (shown as `shown` in errors) and converts the table it returns. False + *error.
bool load_test_file(const std::string& shown, const std::string& source, Value* out,
                    std::string* error);
// The 1-based line where `name` first appears quoted in the source (1 when not found).
int line_of(const std::string& source, const std::string& name);

}  // namespace luascale::testing
