// adapters/net/aws/aws_time.cpp — AWS timestamp formatting and parsing on proleptic Gregorian
// days (no time zone database, no locale, no global state).
#include "adapters/net/aws/aws_time.hpp"

#include <cstdint>
#include <cstdio>

namespace luascale::aws {
namespace {

// Days since 1970-01-01 for a civil date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month, day, hour, minute, second;
};

Civil civil_from_seconds(std::int64_t secs) {
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  return {y, m, d, static_cast<unsigned>(rem / 3600), static_cast<unsigned>(rem % 3600 / 60),
          static_cast<unsigned>(rem % 60)};
}

Civil civil_of(Clock::time_point t) {
  return civil_from_seconds(
      std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count());
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n decimal digits at text[pos]; advances pos.
std::optional<unsigned> digits(std::string_view text, std::size_t& pos, std::size_t n) {
  if (pos + n > text.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view text, std::size_t& pos, char a, char b = '\0') {
  if (pos >= text.size() || (text[pos] != a && (b == '\0' || text[pos] != b))) return false;
  ++pos;
  return true;
}

std::optional<Clock::time_point> make_time(const Civil& c, std::int64_t micros,
                                           std::int64_t offset_seconds) {
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > days_in_month(c.year, c.month) ||
      c.hour > 23 || c.minute > 59 || c.second > 60) {
    return std::nullopt;
  }
  const std::int64_t secs = days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 +
                            c.minute * 60 + c.second - offset_seconds;
  // Clock counts nanoseconds in 64 bits: about 1678..2262. Outside, the conversion overflows.
  if (secs < -9'000'000'000LL || secs > 9'000'000'000LL) return std::nullopt;
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::seconds(secs) + std::chrono::microseconds(micros)));
}

}  // namespace

std::string format_amz_date(Clock::time_point t) {
  const Civil c = civil_of(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02u%02uT%02u%02u%02uZ", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::optional<Clock::time_point> parse_amz_date(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::size_t pos = 0;
  const auto y = digits(text, pos, 4), mo = digits(text, pos, 2), d = digits(text, pos, 2);
  if (!y || !mo || !d || !expect(text, pos, 'T')) return std::nullopt;
  const auto h = digits(text, pos, 2), mi = digits(text, pos, 2), s = digits(text, pos, 2);
  if (!h || !mi || !s || !expect(text, pos, 'Z')) return std::nullopt;
  return make_time({*y, *mo, *d, *h, *mi, *s}, 0, 0);
}

std::string format_iso8601(Clock::time_point t) {
  const Civil c = civil_of(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02uZ",
                static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::optional<Clock::time_point> parse_iso8601(std::string_view text) {
  std::size_t pos = 0;
  const auto y = digits(text, pos, 4);
  if (!y || !expect(text, pos, '-')) return std::nullopt;
  const auto mo = digits(text, pos, 2);
  if (!mo || !expect(text, pos, '-')) return std::nullopt;
  const auto d = digits(text, pos, 2);
  if (!d) return std::nullopt;
  if (!expect(text, pos, 'T', 't') && !expect(text, pos, ' ')) return std::nullopt;
  const auto h = digits(text, pos, 2);
  if (!h || !expect(text, pos, ':')) return std::nullopt;
  const auto mi = digits(text, pos, 2);
  if (!mi || !expect(text, pos, ':')) return std::nullopt;
  const auto s = digits(text, pos, 2);
  if (!s) return std::nullopt;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    std::int64_t scale = 100000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      micros += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (expect(text, pos, 'Z', 'z')) {
    offset = 0;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto oh = digits(text, pos, 2);
    if (!oh || !expect(text, pos, ':')) return std::nullopt;
    const auto om = digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = sign * static_cast<std::int64_t>(*oh * 3600 + *om * 60);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return make_time({*y, *mo, *d, *h, *mi, *s}, micros, offset);
}

}  // namespace luascale::aws
