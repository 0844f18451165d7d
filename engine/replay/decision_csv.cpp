// engine/replay/decision_csv.cpp — see decision_csv.hpp.
#include "engine/replay/decision_csv.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "engine/core/units.hpp"

namespace luascale {
namespace {

// Writes `s` as a CSV field at p (quoted when it holds a comma, quote or line break; line breaks
// become spaces); p must have room for 2 * s.size() + 2 bytes.
char* put_csv_field(char* p, std::string_view s) {
  bool quote = false;
  for (char c : s) quote = quote || c == ',' || c == '"' || c == '\n' || c == '\r';
  if (!quote) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  }
  *p++ = '"';
  for (char c : s) {
    if (c == '"') *p++ = '"';
    *p++ = (c == '\n' || c == '\r') ? ' ' : c;
  }
  *p++ = '"';
  return p;
}

}  // namespace

std::string csv_field(const std::string& s) {
  std::string out(2 * s.size() + 2, '\0');
  out.resize(static_cast<std::size_t>(put_csv_field(out.data(), s) - out.data()));
  return out;
}

DecisionCsvWriter::DecisionCsvWriter(std::ostream& out, bool demand_columns)
    : out_(out), demand_columns_(demand_columns), buf_(new char[kBufSize]) {
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
  if (len_ == 0) return;
  out_.write(buf_.get(), static_cast<std::streamsize>(len_));
  len_ = 0;
}

void DecisionCsvWriter::set_policy(const std::string& policy) {
  policy_field_ = csv_field(policy) + ',';
  policy_len_ = policy_field_.size();
  policy_field_.append(kPad, '\0');
}

void DecisionCsvWriter::write(const DecisionRecord& rec, std::int64_t ready, int under,
                              double shortfall) {
  // Replays run millions of ticks: each line is formatted in place into one buffer that is
  // written in 64 KiB blocks; the policy's field is quoted once, not per line.
  // Numbers, bound_by, status, the demand columns and separators take at most 200 bytes,
  // fixed-size copies at most kPad more (format_line); the reason at most twice its length quoted.
  const std::size_t most = 200 + kPad + 2 * rec.reason.size() + 2 + policy_len_ + kPad;
  if (len_ + most > kBufSize) {
    flush();
    if (most > kBufSize) {  // a line longer than the buffer is written on its own
      std::unique_ptr<char[]> line(new char[most]);
      const char* e = format_line(line.get(), rec, ready, under, shortfall);
      out_.write(line.get(), static_cast<std::streamsize>(e - line.get()));
      return;
    }
  }
  char* const start = buf_.get() + len_;
  len_ += static_cast<std::size_t>(format_line(start, rec, ready, under, shortfall) - start);
}

namespace {

// A short name in a zero-padded slot: copied whole (one fixed-size move), then the end of the
// line moves back to the name's length.
struct PaddedName {
  char text[DecisionCsvWriter::kPad] = {};
  std::size_t size = 0;
};

constexpr PaddedName padded(std::string_view s) {
  PaddedName n;
  for (std::size_t i = 0; i < s.size() && i < DecisionCsvWriter::kPad; ++i) n.text[i] = s[i];
  n.size = s.size();
  return n;
}

constexpr BoundBy kLastBoundBy = BoundBy::Cooldown;  // the last of the enum

const PaddedName* bound_names() {
  static const auto table = [] {
    std::array<PaddedName, static_cast<std::size_t>(kLastBoundBy) + 1> t{};
    for (std::size_t i = 0; i < t.size(); ++i)
      t[i] = padded(bound_by_name(static_cast<BoundBy>(i)));
    return t;
  }();
  return table.data();
}

// Writes a whole padded slot at p and returns the end of the name.
inline char* put_padded(char* p, const PaddedName& n) {
  std::memcpy(p, n.text, sizeof n.text);
  return p + n.size;
}

}  // namespace

char* DecisionCsvWriter::format_line(char* p, const DecisionRecord& rec, std::int64_t ready,
                                     int under, double shortfall) {
  static constexpr PaddedName kStatus[] = {padded("decision"), padded("hold"), padded("error")};
  static const PaddedName* const kBound = bound_names();
  auto put_int = [&](std::int64_t v) { p = std::to_chars(p, p + 24, v).ptr; };
  if (is_exact_integer(rec.time)) {
    const auto t = static_cast<std::int64_t>(rec.time);
    if (t < 100000) {
      put_int(t);
    } else {
      if (t / 100000 != time_hi_) {
        time_hi_ = t / 100000;  // below 9e10: at most 11 digits
        time_hi_len_ = static_cast<std::size_t>(
            std::to_chars(time_hi_text_, time_hi_text_ + 16, time_hi_).ptr - time_hi_text_);
      }
      std::memcpy(p, time_hi_text_, 16);
      p += time_hi_len_;
      auto lo = static_cast<unsigned>(t % 100000);
      for (int i = 4; i >= 0; --i, lo /= 10) p[i] = static_cast<char>('0' + lo % 10);
      p += 5;
    }
  } else {
    const int n = std::snprintf(p, 48, "%.3f", rec.time);  // a huge time is cut at 47 characters
    p += std::clamp(n, 0, 47);
  }
  *p++ = ',';
  if (rec.recommended) put_int(*rec.recommended);
  *p++ = ',';
  put_int(rec.desired);
  *p++ = ',';
  p = put_padded(p, kBound[static_cast<std::size_t>(rec.bound_by)]);  // at most 22 characters
  *p++ = ',';
  p = put_csv_field(p, rec.reason);
  *p++ = ',';
  if (policy_len_ <= kPad)
    std::memcpy(p, policy_field_.data(), kPad);
  else
    std::memcpy(p, policy_field_.data(), policy_len_);
  p += policy_len_;
  p = put_padded(p, kStatus[static_cast<int>(rec.status)]);
  *p++ = ',';
  put_int(ready);
  if (demand_columns_) {
    *p++ = ',';
    if (under >= 0) *p++ = under ? '1' : '0';
    *p++ = ',';
    if (shortfall == shortfall) {  // replicas: whole numbers, small
      const double missing = std::clamp(shortfall, 0.0, 1e15);
      if (is_exact_integer(missing))
        put_int(static_cast<std::int64_t>(missing));
      else
        p += std::clamp(std::snprintf(p, 32, "%.6g", missing), 0, 31);
    }
  }
  *p++ = '\n';
  return p;
}

}  // namespace luascale
