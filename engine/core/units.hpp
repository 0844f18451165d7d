// engine/core/units.hpp — parsing of the human units config and policies use: durations
// ("15s", "5m", "1h30m", "250ms", a bare number = seconds) and byte sizes ("32Mi", "64MiB", "1G"),
// and the whole-number test number output uses.
#pragma once

#include <cstdint>
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

// True when v is a whole number of magnitude below 2^53, so exactly an int64 (tested by a
// round trip through the integer, not a libm call: output paths run it every tick).
inline bool is_exact_integer(double v) {
  return v > -9007199254740992.0 && v < 9007199254740992.0 &&
         static_cast<double>(static_cast<std::int64_t>(v)) == v;
}

}  // namespace luascale
