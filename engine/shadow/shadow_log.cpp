// engine/shadow/shadow_log.cpp — see shadow_log.hpp.
#include "engine/shadow/shadow_log.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

#include "engine/core/csv_text.hpp"
#include "engine/core/units.hpp"
#include "engine/replay/decision_csv.hpp"

namespace luascale {
namespace {

enum Column {
  kTime,
  kRecommended,
  kReplicas,
  kBoundBy,
  kReason,
  kPolicy,
  kStatus,
  kReady,
  kLive,
  kInterval,
  kDemandSignal,
  kDemand,
  kColumns
};

const char* const kNames[kColumns] = {"timestamp", "recommended", "replicas",      "bound_by",
                                      "reason",    "policy",      "status",        "ready",
                                      "live",      "interval",    "demand_signal", "demand"};

// The shortest text that reads back as the same number (whole numbers without a fraction).
void put_number(std::string& out, double v) {
  char buf[64];
  if (is_exact_integer(v)) {
    out.append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v)).ptr);
    return;
  }
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void put_count(std::string& out, const std::optional<std::int64_t>& v) {
  if (v) out += std::to_string(*v);
}

class LineReader {
 public:
  LineReader(const std::string& path, std::size_t line) : path_(path), line_(line) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw ShadowLogError(path_ + ":" + std::to_string(line_) + ": " + what);
  }
  [[noreturn]] void bad(int col, const char* expected, std::string_view text) const {
    fail(std::string("column \"") + kNames[col] + "\": " + expected + ": \"" + std::string(text) +
         "\"");
  }

  double number(int col, std::string_view text) const {
    double v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size() ||
        !std::isfinite(v))
      bad(col, "not a number", text);
    return v;
  }

  std::optional<std::int64_t> count(int col, std::string_view text) const {
    if (text.empty()) return std::nullopt;
    std::int64_t v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() || v < 0 || v > 2147483647)
      bad(col, "not a count", text);
    return v;
  }

 private:
  const std::string& path_;
  std::size_t line_;
};

}  // namespace

std::string shadow_log_line(const ShadowRow& r) {
  std::string out;
  out.reserve(96 + r.reason.size() + r.policy.size() + r.demand_signal.size());
  if (is_exact_integer(r.time)) {
    put_number(out, r.time);
  } else {
    char buf[48];
    const int n = std::snprintf(buf, sizeof buf, "%.3f", r.time);
    if (n > 0) out.append(buf, static_cast<std::size_t>(std::min(n, 47)));
  }
  out += ',';
  put_count(out, r.recommended);
  out += ',';
  put_count(out, r.replicas);
  out += ',';
  out += r.bound_by;
  out += ',';
  out += csv_field(r.reason);
  out += ',';
  out += csv_field(r.policy);
  out += ',';
  out += r.status;
  out += ',';
  put_count(out, r.ready);
  out += ',';
  put_count(out, r.live);
  out += ',';
  put_number(out, r.interval);
  out += ',';
  out += csv_field(r.demand_signal);
  out += ',';
  if (std::isfinite(r.demand)) put_number(out, r.demand);
  out += '\n';
  return out;
}

void read_shadow_log(const std::string& path, const std::function<void(ShadowRow&)>& each) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ShadowLogError(path + ": cannot read: " + std::strerror(errno));
  std::string line;
  if (!std::getline(in, line))
    throw ShadowLogError(path + ": empty: not a shadow log (no header line)");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::string header = kShadowLogHeader;
  if (line.compare(0, header.size(), header) != 0 ||
      (line.size() > header.size() && line[header.size()] != ','))
    throw ShadowLogError(path + ":1: not a shadow log: the header must start with \"" + header +
                         "\"");
  std::vector<std::string_view> f;
  std::string unquoted;
  std::size_t n = 1;
  ShadowRow row;
  while (std::getline(in, line)) {
    ++n;
    if (in.eof()) break;  // no line break: a write cut short (or still going on)
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const LineReader lr(path, n);
    if (!split_csv(line, f, unquoted)) lr.fail("malformed CSV (an unclosed quote)");
    if (f.size() < kColumns)
      lr.fail("expected " + std::to_string(kColumns) + " columns, found " +
              std::to_string(f.size()));
    row.time = lr.number(kTime, f[kTime]);
    row.recommended = lr.count(kRecommended, f[kRecommended]);
    row.replicas = lr.count(kReplicas, f[kReplicas]);
    row.bound_by = std::string(f[kBoundBy]);
    row.reason = std::string(f[kReason]);
    row.policy = std::string(f[kPolicy]);
    row.status = std::string(f[kStatus]);
    if (row.status != "decision" && row.status != "hold" && row.status != "error")
      lr.bad(kStatus, "not decision, hold or error", row.status);
    row.ready = lr.count(kReady, f[kReady]);
    row.live = lr.count(kLive, f[kLive]);
    row.interval = lr.number(kInterval, f[kInterval]);
    if (!(row.interval > 0)) lr.bad(kInterval, "not a positive number of seconds", f[kInterval]);
    row.demand_signal = std::string(f[kDemandSignal]);
    row.demand = f[kDemand].empty() ? std::numeric_limits<double>::quiet_NaN()
                                    : lr.number(kDemand, f[kDemand]);
    each(row);
  }
  if (in.bad()) throw ShadowLogError(path + ": read failed");
}

}  // namespace luascale
