// common/time/civil_time.cpp — civil dates and unix seconds through date::year_month_day and
// date::sys_days (see civil_time.hpp).
#include "common/time/civil_time.hpp"

#include <date/date.h>

#include <chrono>

namespace luascale {

CivilTime civil_from_unix(std::int64_t unix_seconds) {
  const date::sys_seconds t{std::chrono::seconds{unix_seconds}};
  const date::sys_days day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::seconds> time{t - day};
  CivilTime c;
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  c.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  c.hour = static_cast<int>(time.hours().count());
  c.minute = static_cast<int>(time.minutes().count());
  c.second = static_cast<int>(time.seconds().count());
  c.weekday = static_cast<int>(date::weekday{day}.c_encoding());
  c.yearday = (day - date::sys_days{ymd.year() / 1 / 1}).count();
  return c;
}

std::optional<std::int64_t> unix_from_civil(std::int64_t year, std::int64_t month, std::int64_t day,
                                            std::int64_t hour, std::int64_t minute,
                                            std::int64_t second) {
  // The months carry into the year first; days, hours, minutes and seconds then simply add up.
  const std::int64_t month0 = month - 1;
  const std::int64_t carry = month0 >= 0 ? month0 / 12 : -((11 - month0) / 12);  // floor
  const std::int64_t whole_year = year + carry;
  if (whole_year < -30000 || whole_year > 30000) return std::nullopt;
  const date::year_month_day first{date::year{static_cast<int>(whole_year)},
                                   date::month{static_cast<unsigned>(month0 - carry * 12 + 1)},
                                   date::day{1}};
  const std::int64_t days = date::sys_days{first}.time_since_epoch().count() + (day - 1);
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

bool is_calendar_date(std::int64_t year, int month, int day) {
  if (year < -30000 || year > 30000 || month < 1 || month > 12 || day < 1 || day > 31) return false;
  return date::year_month_day{date::year{static_cast<int>(year)},
                              date::month{static_cast<unsigned>(month)},
                              date::day{static_cast<unsigned>(day)}}
      .ok();
}

}  // namespace luascale
