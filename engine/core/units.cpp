// engine/core/units.cpp — duration and size parsing.
#include "engine/core/units.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace luascale {
namespace {

// Reads a non-negative decimal number at the front of `s`; advances s.
std::optional<double> take_number(std::string_view& s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr == s.data() || !std::isfinite(v) || v < 0) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(ptr - s.data()));
  return v;
}

}  // namespace

std::optional<double> parse_duration(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  double total = 0;
  bool any = false;
  while (!s.empty()) {
    auto n = take_number(s);
    if (!n) return std::nullopt;
    if (s.empty()) {  // a bare number means seconds, only as the whole text
      if (any) return std::nullopt;
      return *n;
    }
    double mul;
    if (s.substr(0, 2) == "ms") {
      mul = 0.001;
      s.remove_prefix(2);
    } else if (s.front() == 's') {
      mul = 1;
      s.remove_prefix(1);
    } else if (s.front() == 'm') {
      mul = 60;
      s.remove_prefix(1);
    } else if (s.front() == 'h') {
      mul = 3600;
      s.remove_prefix(1);
    } else if (s.front() == 'd') {
      mul = 86400;
      s.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    total += *n * mul;
    any = true;
  }
  return total;
}

std::optional<double> parse_size(std::string_view s) {
  auto n = take_number(s);
  if (!n) return std::nullopt;
  if (s == "" || s == "B") return *n;
  static const struct {
    const char* suffix;
    double mul;
  } units[] = {{"Ki", 1024.0},     {"KiB", 1024.0},      {"Mi", 1048576.0},
               {"MiB", 1048576.0}, {"Gi", 1073741824.0}, {"GiB", 1073741824.0},
               {"k", 1e3},         {"K", 1e3},           {"KB", 1e3},
               {"M", 1e6},         {"MB", 1e6},          {"G", 1e9},
               {"GB", 1e9}};
  for (const auto& u : units)
    if (s == u.suffix) return *n * u.mul;
  return std::nullopt;
}

std::string format_duration(double seconds) {
  char buf[64];
  if (seconds != std::floor(seconds)) {
    std::snprintf(buf, sizeof buf, "%gs", seconds);
    return buf;
  }
  long long s = static_cast<long long>(seconds);
  if (s == 0) return "0s";
  std::string out;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

}  // namespace luascale
