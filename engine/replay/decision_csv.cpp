// engine/replay/decision_csv.cpp — see decision_csv.hpp.
#include "engine/replay/decision_csv.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "engine/core/csv_text.hpp"
#include "engine/core/units.hpp"

namespace luascale {
namespace {

constexpr std::size_t kBlock = 1 << 16;  // lines are handed to the stream in blocks this size

char* put_text(char* p, const char* s) {
  const std::size_t n = std::strlen(s);
  std::memcpy(p, s, n);
  return p + n;
}

char* put_int(char* p, std::int64_t v) {
  return std::to_chars(p, p + 24, v).ptr;
}

}  // namespace

DecisionCsvWriter::DecisionCsvWriter(std::ostream& out, bool demand_columns)
    : out_(out), demand_columns_(demand_columns) {
  buf_.resize(kBlock);
  set_policy("");
  out_ << "timestamp,recommended,replicas,bound_by,reason,policy,status,ready"
       << (demand_columns_ ? ",under,shortfall\n" : "\n");
}

DecisionCsvWriter::~DecisionCsvWriter() {
  try {
    flush();
  } catch (...) {
  }
}

void DecisionCsvWriter::flush() {
  out_.write(buf_.data(), static_cast<std::streamsize>(len_));
  len_ = 0;
}

void DecisionCsvWriter::set_policy(const std::string& policy) {
  policy_field_ = csv_field(policy) + ',';
}

void DecisionCsvWriter::write(const DecisionRecord& rec, std::int64_t ready, int under,
                              double shortfall) {
  // Numbers, names, the demand columns and separators take at most 200 bytes; the reason at most
  // twice its length and its quotes; the policy field as it is.
  const std::size_t most = 200 + 2 * rec.reason.size() + 2 + policy_field_.size();
  if (len_ + most > buf_.size()) {
    flush();
    if (most > buf_.size()) buf_.resize(most);
  }
  char* p = buf_.data() + len_;
  if (is_exact_integer(rec.time)) {
    p = put_int(p, static_cast<std::int64_t>(rec.time));
  } else {
    const int n = std::snprintf(p, 48, "%.3f", rec.time);  // a huge time is cut at 47 characters
    p += n < 0 ? 0 : (n < 47 ? n : 47);
  }
  *p++ = ',';
  if (rec.recommended) p = put_int(p, *rec.recommended);
  *p++ = ',';
  p = put_int(p, rec.desired);
  *p++ = ',';
  p = put_text(p, bound_by_name(rec.bound_by));
  *p++ = ',';
  p = put_csv_field(p, rec.reason);
  *p++ = ',';
  std::memcpy(p, policy_field_.data(), policy_field_.size());
  p += policy_field_.size();
  p = put_text(p, status_name(rec.status));
  *p++ = ',';
  p = put_int(p, ready);
  if (demand_columns_) {
    *p++ = ',';
    if (under >= 0) *p++ = under ? '1' : '0';
    *p++ = ',';
    if (shortfall == shortfall) {  // replicas: whole numbers, small
      const double missing = std::clamp(shortfall, 0.0, 1e15);
      if (is_exact_integer(missing))
        p = put_int(p, static_cast<std::int64_t>(missing));
      else
        p += std::clamp(std::snprintf(p, 32, "%.6g", missing), 0, 31);
    }
  }
  *p++ = '\n';
  len_ = static_cast<std::size_t>(p - buf_.data());
}

}  // namespace luascale
