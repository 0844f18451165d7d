// common/time/civil_time.hpp — calendar arithmetic, in one place: proleptic Gregorian dates and
// times of day to and from unix seconds, on Howard Hinnant's date library. No time zones here: a
// caller that wants local time adds the zone's offset (engine/lua/builtin_time.cpp does).
// Depends on nothing in engine/ or adapters/.
#pragma once

#include <cstdint>
#include <optional>

namespace luascale {

// A date and a time of day with no zone attached (UTC, or local time once an offset is applied).
struct CivilTime {
  std::int64_t year = 1970;  // proleptic Gregorian; year 0 is 1 BC
  int month = 1;             // 1..12
  int day = 1;               // 1..31
  int hour = 0;              // 0..23
  int minute = 0;            // 0..59
  int second = 0;            // 0..59
  int weekday = 4;           // 0 = Sunday .. 6 = Saturday
  int yearday = 0;           // days since January 1st, 0..365
};

// The bound on |unix seconds| civil_from_unix takes: years about -26,500..30,400.
constexpr std::int64_t kMaxCivilUnixSeconds = 900'000'000'000;

// The civil date and time of unix seconds, |unix_seconds| <= kMaxCivilUnixSeconds.
CivilTime civil_from_unix(std::int64_t unix_seconds);

// Unix seconds of a civil date and time whose fields may run over, as timegm lets them: month 13
// is January of the next year, day 0 the last day of the month before, hour 24 the next day,
// second 60 the next minute. Each field within +-1e9. nullopt when the year, once the months have
// carried into it, is outside -30,000..30,000.
std::optional<std::int64_t> unix_from_civil(std::int64_t year, std::int64_t month, std::int64_t day,
                                            std::int64_t hour = 0, std::int64_t minute = 0,
                                            std::int64_t second = 0);

// True when year-month-day is a day of the calendar (February 29 in leap years only).
bool is_calendar_date(std::int64_t year, int month, int day);

}  // namespace luascale
