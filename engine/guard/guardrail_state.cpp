// engine/guard/guardrail_state.cpp — the guardrails' persisted form: GuardrailState to a value
// and back, the way back checked (types, count ranges, times from the future) because a state
// file is input like any other.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "engine/guard/guardrails.hpp"

namespace luascale {

namespace {

constexpr std::int64_t kMaxPersistedCount = 2147483647;

Value timed_to_value(const std::vector<TimedCount>& v) {
  Value::Array a;
  a.reserve(v.size());
  for (const auto& t : v) a.push_back(Value(Value::Array{Value(t.time), Value(t.count)}));
  return Value(std::move(a));
}

std::string number_text(const Value& v) {
  if (v.is_integer()) return std::to_string(v.as_int());
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v.as_number());  // shortest exact form
  return std::string(buf, r.ptr);
}

// A count in [lo, kMaxPersistedCount]: an integer, or a number with an integral value.
bool read_count(const Value& v, std::int64_t lo, std::int64_t& out, const std::string& path,
                std::string* error) {
  const char* range = lo == 0 ? "0..2147483647" : "1..2147483647";
  if (!v.is_number()) {
    if (error) *error = path + ": a count must be a number, not " + v.kind_name();
    return false;
  }
  const double d = v.as_number();
  const bool integral = v.is_integer() || (std::isfinite(d) && d == std::floor(d));
  const bool in_range = v.is_integer() ? (v.as_int() >= lo && v.as_int() <= kMaxPersistedCount)
                                       : (d >= static_cast<double>(lo) &&
                                          d <= static_cast<double>(kMaxPersistedCount));
  if (!integral || !in_range) {
    if (error) *error = path + ": count " + number_text(v) + " is not an integer in " + range;
    return false;
  }
  out = v.is_integer() ? v.as_int() : static_cast<std::int64_t>(d);
  return true;
}

bool read_time(const Value& v, double& out, const std::string& path, std::string* error) {
  if (!v.is_number() || !std::isfinite(v.as_number())) {
    if (error)
      *error = path + ": a time must be a finite number of unix seconds, not " +
               (v.is_number() ? number_text(v) : std::string(v.kind_name()));
    return false;
  }
  out = v.as_number();
  return true;
}

std::string ahead_text(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f s", std::ceil(seconds));
  return buf;
}

// [[time, count], ...]; entries later than `latest` are dropped with one warning.
bool read_timed(const Value* v, std::int64_t min_count, double latest, std::vector<TimedCount>& out,
                const std::string& path, std::vector<std::string>& warnings, std::string* error) {
  out.clear();
  if (!v || v->is_null()) return true;
  if (!v->is_array()) {
    if (error) *error = path + ": expected an array of [time, count], not " + v->kind_name();
    return false;
  }
  std::size_t dropped = 0;
  double newest_dropped = latest;
  for (std::size_t i = 0; i < v->as_array().size(); ++i) {
    const Value& e = v->as_array()[i];
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (!e.is_array() || e.as_array().size() != 2) {
      if (error) *error = at + ": expected [time, count]";
      return false;
    }
    TimedCount t;
    if (!read_time(e.as_array()[0], t.time, at, error)) return false;
    if (!read_count(e.as_array()[1], min_count, t.count, at, error)) return false;
    if (t.time > latest) {
      ++dropped;
      newest_dropped = std::max(newest_dropped, t.time);
      continue;
    }
    out.push_back(t);
  }
  // The guardrails expect their histories oldest first.
  std::stable_sort(out.begin(), out.end(),
                   [](const TimedCount& a, const TimedCount& b) { return a.time < b.time; });
  if (dropped)
    warnings.push_back(
        path + ": " + std::to_string(dropped) + (dropped == 1 ? " entry" : " entries") +
        " stamped in the future dropped (up to " + ahead_text(newest_dropped - latest) + " ahead)");
  return true;
}

}  // namespace

Value GuardrailState::to_value() const {
  Value v = Value::object();
  v.set("recommendations", timed_to_value(recommendations));
  v.set("scale_up_events", timed_to_value(scale_up_events));
  v.set("scale_down_events", timed_to_value(scale_down_events));
  v.set("last_scale_time", last_scale_time ? Value(*last_scale_time) : Value());
  v.set("consecutive_failures", Value(consecutive_failures));
  return v;
}

bool GuardrailState::restore(const Value& v, double latest, GuardrailState& out,
                             std::vector<std::string>& warnings, std::string* error) {
  GuardrailState s;
  if (!v.is_object()) {
    if (error) *error = std::string("guardrails: expected an object, not ") + v.kind_name();
    return false;
  }
  std::vector<std::string> notes;
  if (!read_timed(v.find("recommendations"), 0, latest, s.recommendations,
                  "guardrails.recommendations", notes, error) ||
      !read_timed(v.find("scale_up_events"), 1, latest, s.scale_up_events,
                  "guardrails.scale_up_events", notes, error) ||
      !read_timed(v.find("scale_down_events"), 1, latest, s.scale_down_events,
                  "guardrails.scale_down_events", notes, error))
    return false;
  if (const Value* t = v.find("last_scale_time"); t && !t->is_null()) {
    double when = 0;
    if (!read_time(*t, when, "guardrails.last_scale_time", error)) return false;
    if (when > latest) {
      notes.push_back("guardrails.last_scale_time: stamped " + ahead_text(when - latest) +
                      " in the future, clamped (a cooldown counts from the restore)");
      when = latest;
    }
    s.last_scale_time = when;
  }
  if (const Value* c = v.find("consecutive_failures"); c && !c->is_null())
    if (!read_count(*c, 0, s.consecutive_failures, "guardrails.consecutive_failures", error))
      return false;
  s.initialized = !s.recommendations.empty();
  out = std::move(s);
  warnings.insert(warnings.end(), notes.begin(), notes.end());
  return true;
}

}  // namespace luascale
