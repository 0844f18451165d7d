// tests/unit/unit-time.cpp — common/time: calendar arithmetic, and timestamp text in each syntax
// (RFC 3339, the shortened trace forms, the ISO 8601 basic form of X-Amz-Date), read and written.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>

#include "common/time/civil_time.hpp"
#include "common/time/timestamp_text.hpp"

using namespace luascale;

namespace {

// Unix seconds of the text, or -1e18 when it does not parse.
double seconds_of(const std::string& text, TimestampSyntax syntax = TimestampSyntax::Rfc3339) {
  auto t = parse_timestamp_text(text, syntax);
  return t ? t->unix_seconds() : -1e18;
}

bool parses(const std::string& text, TimestampSyntax syntax = TimestampSyntax::Rfc3339) {
  return parse_timestamp_text(text, syntax).has_value();
}

}  // namespace

TEST_CASE("civil time: unix seconds to calendar fields and back") {
  const CivilTime epoch = civil_from_unix(0);
  CHECK(epoch.year == 1970);
  CHECK(epoch.month == 1);
  CHECK(epoch.day == 1);
  CHECK(epoch.weekday == 4);  // a Thursday
  CHECK(epoch.yearday == 0);

  const CivilTime c = civil_from_unix(1709251199);  // 2024-02-29T23:59:59Z
  CHECK(c.year == 2024);
  CHECK(c.month == 2);
  CHECK(c.day == 29);
  CHECK(c.hour == 23);
  CHECK(c.minute == 59);
  CHECK(c.second == 59);
  CHECK(c.weekday == 4);
  CHECK(c.yearday == 59);

  const CivilTime before = civil_from_unix(-1);  // 1969-12-31T23:59:59Z
  CHECK(before.year == 1969);
  CHECK(before.yearday == 364);
  CHECK(before.second == 59);
  CHECK(civil_from_unix(-62167219200).year == 0);     // 0000-01-01
  CHECK(civil_from_unix(253402300799).year == 9999);  // 9999-12-31T23:59:59Z

  CHECK(unix_from_civil(1970, 1, 1) == 0);
  CHECK(unix_from_civil(2024, 2, 29, 23, 59, 59) == 1709251199);
  CHECK(unix_from_civil(0, 1, 1) == -62167219200);
}

TEST_CASE("civil time: fields carry over as timegm lets them") {
  CHECK(unix_from_civil(2023, 13, 1) == unix_from_civil(2024, 1, 1));
  CHECK(unix_from_civil(2024, 0, 1) == unix_from_civil(2023, 12, 1));
  CHECK(unix_from_civil(2024, 3, 0) == unix_from_civil(2024, 2, 29));
  CHECK(unix_from_civil(2024, 1, 1, 24) == unix_from_civil(2024, 1, 2));
  CHECK(unix_from_civil(2024, 1, 1, 0, 0, 60) == unix_from_civil(2024, 1, 1, 0, 1));
  CHECK(unix_from_civil(2024, -23, 1) == unix_from_civil(2022, 1, 1));
  CHECK_FALSE(unix_from_civil(30001, 1, 1));
  CHECK_FALSE(unix_from_civil(30000, 13, 1));
  CHECK(unix_from_civil(30000, 12, 31));
}

TEST_CASE("civil time: calendar dates") {
  CHECK(is_calendar_date(2024, 2, 29));
  CHECK_FALSE(is_calendar_date(2023, 2, 29));
  CHECK(is_calendar_date(2000, 2, 29));
  CHECK_FALSE(is_calendar_date(1900, 2, 29));
  CHECK_FALSE(is_calendar_date(2024, 4, 31));
  CHECK_FALSE(is_calendar_date(2024, 13, 1));
  CHECK_FALSE(is_calendar_date(2024, 0, 1));
  CHECK_FALSE(is_calendar_date(2024, 1, 0));
}

TEST_CASE("timestamp text: RFC 3339 date-times") {
  CHECK(seconds_of("1995-07-01T04:00:00Z") == 804571200.0);
  CHECK(seconds_of("1995-07-01t04:00:00z") == 804571200.0);
  CHECK(seconds_of("1995-07-01 06:00:00+02:00") == 804571200.0);
  CHECK(seconds_of("2024-02-29T00:00:00-01:30") == 1709170200.0);
  CHECK(seconds_of("1995-07-01T04:00:00.250Z") == 804571200.25);
  CHECK(seconds_of("1969-12-31T23:59:59.5Z") == -0.5);
  CHECK(seconds_of("1995-06-30T23:59:60Z") == 804556800.0);  // a leap second: the next minute
  const auto fine = parse_timestamp_text("2004-01-01T01:01:01.123456789123Z");
  REQUIRE(fine);
  CHECK(fine->seconds == 1072918861);
  CHECK(fine->nanoseconds == 123456789);
  CHECK(parses("0000-01-01T00:00:00Z"));
  CHECK(parses("9999-12-31T23:59:59+00:00"));

  // What RFC 3339 requires: seconds, a zone, two-digit fields, a calendar date, a time of day.
  for (const char* bad : {"",
                          "1995-07-01",
                          "1995-07-01T04:00Z",
                          "1995-07-01T04:00:00",
                          "1995-07-01T04:00:00Q",
                          "1995-7-01T04:00:00Z",
                          "1995-07-01T4:00:00Z",
                          "95-07-01T04:00:00Z",
                          "1995-13-01T00:00:00Z",
                          "2023-02-29T00:00:00Z",
                          "2024-04-31T00:00:00Z",
                          "1995-07-01T24:00:00Z",
                          "1995-07-01T23:60:00Z",
                          "1995-07-01T23:59:61Z",
                          "1995-07-01T04:00:00.Z",
                          "1995-07-01T04:00:00+2:00",
                          "1995-07-01T04:00:00+0200",
                          "1995-07-01T04:00:00+24:00",
                          "1995-07-01T04:00:00+01:60",
                          "1995-07-01T04:00:00Z ",
                          " 1995-07-01T04:00:00Z",
                          "1995-07-01X04:00:00Z",
                          "1995-07-01T04:00:00ZZ",
                          "19950701T040000Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parses(bad));
  }
}

TEST_CASE("timestamp text: the shortened forms of recorded traces") {
  constexpr auto kShort = TimestampSyntax::Rfc3339Shortened;
  CHECK(seconds_of("1995-07-01T04:00:00Z", kShort) == 804571200.0);
  CHECK(seconds_of("1995-07-01", kShort) == 804556800.0);
  CHECK(seconds_of("1995-07-01T04:00", kShort) == 804571200.0);
  CHECK(seconds_of("1995-07-01 04:00", kShort) == 804571200.0);
  CHECK(seconds_of("1995-07-01T04:00:00", kShort) == 804571200.0);
  CHECK(seconds_of("1995-07-01T06:00+02:00", kShort) == 804571200.0);
  CHECK(seconds_of("1995-07-01T04:00:00.5", kShort) == 804571200.5);
  CHECK_FALSE(parses("1995-07-01T", kShort));
  CHECK_FALSE(parses("1995-07-01T04", kShort));
  CHECK_FALSE(parses("1995-07-01Z", kShort));
  CHECK_FALSE(parses("1995-07-01T04:00.5Z", kShort));  // a fraction belongs to the seconds
  CHECK_FALSE(parses("1995-02-30", kShort));
}

TEST_CASE("timestamp text: the ISO 8601 basic form of X-Amz-Date") {
  constexpr auto kBasic = TimestampSyntax::Iso8601Basic;
  CHECK(seconds_of("20150830T123600Z", kBasic) == 1440938160.0);
  CHECK_FALSE(parses("20150230T123600Z", kBasic));
  CHECK_FALSE(parses("2015-08-30T12:36:00Z", kBasic));
  CHECK_FALSE(parses("20150830T123600", kBasic));
  CHECK_FALSE(parses("20150830t123600z", kBasic));
  CHECK_FALSE(parses("20150830T123600.5Z", kBasic));
  CHECK_FALSE(parses("20150830T123600+0200", kBasic));
}

TEST_CASE("timestamp text: writing") {
  CHECK(format_timestamp_text(UnixTime{804571200, 0}) == "1995-07-01T04:00:00Z");
  CHECK(format_timestamp_text(UnixTime{804571200, 250'000'000}, TimestampSyntax::Rfc3339, 3) ==
        "1995-07-01T04:00:00.250Z");
  CHECK(format_timestamp_text(UnixTime{1072918861, 4'999}, TimestampSyntax::Rfc3339, 6) ==
        "2004-01-01T01:01:01.000004Z");  // truncated, not rounded
  CHECK(format_timestamp_text(UnixTime{1072918861, 123'456'789}, TimestampSyntax::Rfc3339, 9) ==
        "2004-01-01T01:01:01.123456789Z");
  CHECK(format_timestamp_text(UnixTime{1440938160, 999'000'000}, TimestampSyntax::Iso8601Basic) ==
        "20150830T123600Z");
  CHECK(format_timestamp_text(UnixTime{-1, 0}) == "1969-12-31T23:59:59Z");
  CHECK(format_timestamp_text(UnixTime{-62167219200, 0}) == "0000-01-01T00:00:00Z");
  CHECK(format_timestamp_text(UnixTime{253402300799, 0}) == "9999-12-31T23:59:59Z");

  // What is written reads back as the same instant.
  for (std::int64_t s : {std::int64_t{0}, std::int64_t{951782400}, std::int64_t{-2208988800},
                         std::int64_t{4102444799}}) {
    CAPTURE(s);
    const UnixTime t{s, 123'456'000};
    const auto back = parse_timestamp_text(format_timestamp_text(t, TimestampSyntax::Rfc3339, 6));
    REQUIRE(back);
    CHECK(back->seconds == s);
    CHECK(back->nanoseconds == 123'456'000);
  }
}

TEST_CASE("timestamp text: the system clock") {
  const auto t = parse_timestamp_text("2015-08-30T14:36:00.250+02:00");
  REQUIRE(t);
  const auto tp = to_system_clock(*t);
  REQUIRE(tp);
  CHECK(tp->time_since_epoch() ==
        std::chrono::seconds(1440938160) + std::chrono::milliseconds(250));
  const UnixTime back = from_system_clock(*tp);
  CHECK(back.seconds == 1440938160);
  CHECK(back.nanoseconds == 250'000'000);
  const UnixTime before = from_system_clock(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::milliseconds(-1500))));
  CHECK(before.seconds == -2);
  CHECK(before.nanoseconds == 500'000'000);
  CHECK_FALSE(to_system_clock(UnixTime{253402300799, 0}));  // year 9999: past the clock's range
}
