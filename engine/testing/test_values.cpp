// engine/testing/test_values.cpp — see test_values.hpp.
#include "engine/testing/test_values.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/core/units.hpp"

namespace luascale::testing {
namespace {

std::string fmt_number(double d) {
  char buf[64];
  if (d == std::floor(d) && std::fabs(d) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", d);
  else
    std::snprintf(buf, sizeof buf, "%.10g", d);
  return buf;
}

bool numbers_equal(double a, double b) {
  if (a == b) return true;
  return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace

const Value* get(const Value& obj, std::string_view key) {
  const Value* v = obj.find(key);
  return v && !v->is_null() ? v : nullptr;
}

// The case's value for `key`, else the file's.
const Value* pick(const Value& c, const Value& root, std::string_view key) {
  if (const Value* v = get(c, key)) return v;
  return get(root, key);
}

std::string show(const Value& v) {
  if (v.is_number()) return fmt_number(v.as_number());
  return to_json(v);
}

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

}  // namespace luascale::testing
