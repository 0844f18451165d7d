// engine/testing/test_values.hpp — reading and comparing the values of `luascale test` files:
// optional keys, durations, the subset match of expectations, and how values are shown.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/core/value.hpp"

namespace luascale::testing {

// obj[key] unless absent or null.
const Value* get(const Value& obj, std::string_view key);
// The case's value for `key`, else the file's.
const Value* pick(const Value& c, const Value& root, std::string_view key);
// A value as a failure message shows it (numbers without trailing zeros, else JSON).
std::string show(const Value& v);
// Seconds from a number or a duration string ("15s"); nullopt otherwise.
std::optional<double> seconds_of(const Value* v);
// Whether `got` matches `want` as a subset (objects: the listed keys; arrays: same length,
// element-wise; numbers within 1e-9 relative; false matches absent). On a difference *diff is
// "path: expected X, got Y".
bool subset(const Value& want, const Value* got, const std::string& path, std::string* diff);

}  // namespace luascale::testing
