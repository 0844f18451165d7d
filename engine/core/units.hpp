// engine/core/units.hpp — parsing of the human units config and policies use: durations
// ("15s", "5m", "1h30m", "250ms", a bare number = seconds) and byte sizes ("32Mi", "64MiB", "1G");
// and the whitespace trimming every text reader needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace luascale {

// Seconds (>= 0), or nullopt when the text is not a duration.
std::optional<double> parse_duration(std::string_view text);
// Bytes (>= 0), or nullopt when the text is not a size.
std::optional<double> parse_size(std::string_view text);
// "15s", "5m", "1h30m" — the shortest exact spelling of whole seconds; fractions as "0.25s".
std::string format_duration(double seconds);
// The text without leading and trailing spaces, tabs, CRs and LFs.
std::string trim_space(std::string_view text);

}  // namespace luascale
