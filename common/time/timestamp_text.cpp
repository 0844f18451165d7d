// common/time/timestamp_text.cpp — one reader and one writer of timestamp text (see
// timestamp_text.hpp). The reader walks the characters itself (trace files hold millions of
// timestamps; a stream-based parse would cost more than the rest of a row); dates and times
// become seconds through civil_time.
#include "common/time/timestamp_text.hpp"

#include <cstdio>

#include "common/time/civil_time.hpp"

namespace luascale {
namespace {

// A left-to-right reader over the text.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  bool next_is(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool next_is_digit() const {
    return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9';
  }
  // Consumes one character if it is any of `chars`.
  bool take(std::string_view chars) {
    if (pos_ >= text_.size() || chars.find(text_[pos_]) == std::string_view::npos) return false;
    ++pos_;
    return true;
  }
  // Consumes exactly n decimal digits into out.
  bool digits(std::size_t n, int& out) {
    if (text_.size() - pos_ < n) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    out = v;
    return true;
  }
  // Consumes one or more digits after a '.' as nanoseconds (digits past the ninth are dropped).
  bool fraction(std::int32_t& nanos) {
    if (!next_is_digit()) return false;
    std::int32_t scale = 100'000'000;
    nanos = 0;
    for (; next_is_digit(); ++pos_) {
      nanos += (text_[pos_] - '0') * scale;
      scale /= 10;
    }
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// Consumes a zone into `offset` (seconds east of UTC): 'Z' ('z' too in the extended format), or
// in the extended format "+HH:MM" / "-HH:MM" up to 23:59. No zone at all passes (as UTC) only when
// it is optional and the text ends there.
bool zone(Cursor& c, bool basic, bool optional, std::int64_t& offset) {
  offset = 0;
  if (c.take(basic ? "Z" : "Zz")) return true;
  if (basic || !(c.next_is('+') || c.next_is('-'))) return optional && c.at_end();
  const int sign = c.next_is('-') ? -1 : 1;
  c.take("+-");
  int hours = 0, minutes = 0;
  if (!c.digits(2, hours) || !c.take(":") || !c.digits(2, minutes) || hours > 23 || minutes > 59)
    return false;
  offset = sign * (hours * 3600 + minutes * 60);
  return true;
}

}  // namespace

std::optional<UnixTime> parse_timestamp_text(std::string_view text, TimestampSyntax syntax) {
  const bool basic = syntax == TimestampSyntax::Iso8601Basic;
  const bool shortened = syntax == TimestampSyntax::Rfc3339Shortened;
  // Separators of the extended format; the basic format has none.
  auto separator = [&](Cursor& c, char sep) { return basic || c.take(std::string_view(&sep, 1)); };

  Cursor c(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::int32_t nanos = 0;
  std::int64_t offset = 0;  // seconds east of UTC
  if (!c.digits(4, year) || !separator(c, '-') || !c.digits(2, month) || !separator(c, '-') ||
      !c.digits(2, day))
    return std::nullopt;
  if (!(shortened && c.at_end())) {
    if (!c.take(basic ? "T" : "Tt ")) return std::nullopt;
    if (!c.digits(2, hour) || !separator(c, ':') || !c.digits(2, minute)) return std::nullopt;
    const bool has_seconds = basic || c.next_is(':');
    if (has_seconds && (!separator(c, ':') || !c.digits(2, second))) return std::nullopt;
    if (!has_seconds && !shortened) return std::nullopt;
    if (!basic && has_seconds && c.take(".") && !c.fraction(nanos)) return std::nullopt;
    if (!zone(c, basic, /*optional=*/shortened, offset)) return std::nullopt;
  }
  if (!c.at_end() || !is_calendar_date(year, month, day) || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  const auto seconds = unix_from_civil(year, month, day, hour, minute, second);
  if (!seconds) return std::nullopt;
  return UnixTime{*seconds - offset, nanos};
}

std::string format_timestamp_text(UnixTime t, TimestampSyntax syntax, int fraction_digits) {
  const CivilTime c = civil_from_unix(t.seconds);
  char buf[64];
  const auto year = static_cast<long long>(c.year);
  if (syntax == TimestampSyntax::Iso8601Basic) {
    std::snprintf(buf, sizeof buf, "%04lld%02d%02dT%02d%02d%02dZ", year, c.month, c.day, c.hour,
                  c.minute, c.second);
    return buf;
  }
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d", year, c.month, c.day,
                        c.hour, c.minute, c.second);
  if (fraction_digits > 0) {
    if (fraction_digits > 9) fraction_digits = 9;
    std::int32_t part = t.nanoseconds;
    for (int i = fraction_digits; i < 9; ++i) part /= 10;
    n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%0*d", fraction_digits,
                       static_cast<int>(part));
  }
  std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), "Z");
  return buf;
}

std::optional<std::chrono::system_clock::time_point> to_system_clock(UnixTime t) {
  using Clock = std::chrono::system_clock;
  // The clock's 64-bit count of its ticks (nanoseconds here) spans about +-292 years of seconds.
  constexpr std::int64_t kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max()).count() - 1;
  if (t.seconds < -kLimit || t.seconds > kLimit) return std::nullopt;
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::seconds(t.seconds) + std::chrono::nanoseconds(t.nanoseconds)));
}

UnixTime from_system_clock(std::chrono::system_clock::time_point t) {
  const auto since = t.time_since_epoch();
  const auto whole = std::chrono::floor<std::chrono::seconds>(since);
  return UnixTime{whole.count(),
                  static_cast<std::int32_t>(
                      std::chrono::duration_cast<std::chrono::nanoseconds>(since - whole).count())};
}

}  // namespace luascale
