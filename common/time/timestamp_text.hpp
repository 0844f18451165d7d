// common/time/timestamp_text.hpp — timestamps as text, read and written in one place: RFC 3339 /
// ISO 8601 extended format ("2015-08-30T12:36:00Z", "2015-08-30T14:36:00.25+02:00"), the
// shortened forms recorded traces use ("2015-08-30", "2015-08-30 12:36"), and the ISO 8601 basic
// format of SigV4's X-Amz-Date ("20150830T123600Z"). Calendar arithmetic is civil_time's.
// Depends on nothing in engine/ or adapters/.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace luascale {

// An instant as timestamp text spells it: whole unix seconds plus a sub-second part.
struct UnixTime {
  std::int64_t seconds = 0;      // since 1970-01-01T00:00:00Z, leap seconds not counted
  std::int32_t nanoseconds = 0;  // 0..999,999,999, after `seconds`

  // Unix seconds as a double (exact to the microsecond for the years 0000..9999).
  double unix_seconds() const {
    return static_cast<double>(seconds) + static_cast<double>(nanoseconds) / 1e9;
  }
};

// The spellings a parse accepts and a format writes.
enum class TimestampSyntax {
  // RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)". A parse also takes a
  // lowercase 't' or 'z' and a space for 'T' (RFC 3339 section 5.6 allows them).
  Rfc3339,
  // Rfc3339 and the shortenings recorded traces use: a date alone (midnight), a time without
  // seconds ("2015-08-30T12:36"), no zone (UTC). A format writes what Rfc3339 writes.
  Rfc3339Shortened,
  // ISO 8601 basic format in UTC, whole seconds: exactly "YYYYMMDDTHHMMSSZ".
  Iso8601Basic,
};

// Reads the whole text in `syntax`. nullopt when it does not match, or names no calendar date or
// time of day (month 13, February 30, hour 24, an offset beyond 23:59). Second 60 (a leap second)
// reads as the first second of the next minute; a fraction is kept to the nanosecond.
std::optional<UnixTime> parse_timestamp_text(std::string_view text,
                                             TimestampSyntax syntax = TimestampSyntax::Rfc3339);

// Writes t in UTC: "YYYY-MM-DDTHH:MM:SS[.fraction]Z" with `fraction_digits` (0..9) digits of its
// sub-second part, truncated; or, for Iso8601Basic, "YYYYMMDDTHHMMSSZ" (no fraction). For the
// years 0000..9999; |t.seconds| <= kMaxCivilUnixSeconds.
std::string format_timestamp_text(UnixTime t, TimestampSyntax syntax = TimestampSyntax::Rfc3339,
                                  int fraction_digits = 0);

// The instant on the system clock; nullopt outside its range (about the years 1678..2261).
std::optional<std::chrono::system_clock::time_point> to_system_clock(UnixTime t);
// A system clock reading as unix time.
UnixTime from_system_clock(std::chrono::system_clock::time_point t);

}  // namespace luascale
