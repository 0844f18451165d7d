// adapters/net/aws/aws_time.hpp — the timestamp spellings AWS uses: the SigV4 basic format
// ("20150830T123600Z") and ISO 8601 / RFC 3339 UTC ("2014-10-24T23:00:23Z", with fractions).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace luascale::aws {

using Clock = std::chrono::system_clock;

// "YYYYMMDDTHHMMSSZ" in UTC, whole seconds (fractions truncated), as X-Amz-Date carries it.
std::string format_amz_date(Clock::time_point t);
// Parses exactly "YYYYMMDDTHHMMSSZ"; nullopt on anything else (including impossible dates).
std::optional<Clock::time_point> parse_amz_date(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ" in UTC, whole seconds, as the Query API's timestamp parameters take.
std::string format_iso8601(Clock::time_point t);
// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (also a lowercase 't'/'z', and a
// space for 'T'); fractions are kept to the microsecond. nullopt when malformed.
std::optional<Clock::time_point> parse_iso8601(std::string_view text);

}  // namespace luascale::aws
