// engine/testing/signal_form.cpp — see signal_form.hpp.
#include "engine/testing/signal_form.hpp"

#include <cmath>
#include <vector>

#include "engine/core/suggest.hpp"
#include "engine/testing/test_values.hpp"

namespace luascale::testing {

std::string unknown_key_problem(const Value& obj, std::initializer_list<const char*> accepted,
                                const std::string& where) {
  if (!obj.is_object()) return "";
  const std::vector<std::string> keys(accepted.begin(), accepted.end());
  for (const auto& [k, v] : obj.as_object()) {
    bool known = false;
    for (const auto& a : keys) known = known || k == a;
    if (!known)
      return where + "." + k + ": unknown key" + did_you_mean(k, keys) +
             "; accepted keys: " + word_list(keys);
  }
  return "";
}

std::string signal_form_key_problem(const Value& form, const std::string& where) {
  return unknown_key_problem(form, {"history", "value", "age", "error", "stale_after"}, where);
}

std::string push_signal_form(MemorySource& src, const Value& form, double now,
                             const std::string& where, std::optional<double>* stale_after) {
  if (std::string p = signal_form_key_problem(form, where); !p.empty()) return p;
  if (form.as_object().empty())
    return where + ": an empty table (give history, value, error or stale_after)";
  if (const Value* s = get(form, "stale_after")) {
    auto secs = seconds_of(s);
    if (!secs || *secs <= 0) return where + ".stale_after: must be seconds > 0 or a duration";
    if (stale_after) *stale_after = *secs;
  }
  if (const Value* h = get(form, "history")) {
    if (!h->is_array())
      return where + ".history: expected a list of [t, value] or {t = t, v = value}";
    std::size_t i = 0;
    for (const auto& e : h->as_array()) {
      const std::string at = where + ".history[" + std::to_string(++i) + "]";
      const bool pair = e.is_array() && e.as_array().size() == 2;
      if (e.is_object())
        if (std::string p = unknown_key_problem(e, {"t", "v"}, at); !p.empty()) return p;
      const Value* t = pair ? &e.as_array()[0] : e.is_object() ? get(e, "t") : nullptr;
      const Value* v = pair ? &e.as_array()[1] : e.is_object() ? get(e, "v") : nullptr;
      if (!t || !v || !t->is_number() || !v->is_number())
        return at + ": expected [t, value] or {t = t, v = value}, t in seconds relative to now";
      if (t->as_number() > 0) return at + ": t must be <= 0 (seconds before now)";
      if (!std::isfinite(v->as_number())) return at + ": not a finite number";
      src.push(now + t->as_number(), Value(v->as_number()));
    }
  }
  if (const Value* val = get(form, "value")) {
    double age = 0;
    if (const Value* a = get(form, "age")) {
      auto s = seconds_of(a);
      if (!s || *s < 0) return where + ".age: must be seconds >= 0";
      age = *s;
    }
    if (!val->is_number() && !val->is_array()) return where + ".value: must be a number or a list";
    src.push(now - age, *val);
  } else if (get(form, "age")) {
    return where + ".age: only with value";
  }
  if (const Value* e = get(form, "error")) {
    if (!e->is_string()) return where + ".error: must be the error's text";
    src.fail(e->as_string());
  }
  return "";
}

}  // namespace luascale::testing
