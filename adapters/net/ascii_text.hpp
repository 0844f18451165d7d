// adapters/net/ascii_text.hpp — the ASCII text helpers all of adapters/net shares (and the
// adapters above it use): trimming, case folding and hex digits. Locale-free, no dependencies.
#pragma once

#include <string>
#include <string_view>

namespace luascale::net {

// c with A-Z folded to a-z; every other byte unchanged.
constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
// The text with A-Z folded to a-z.
std::string ascii_lower(std::string_view text);
// The text with its first character folded to lowercase ("Connection refused" -> "connection
// refused"), for messages built from library and system error strings.
std::string lower_first(std::string text);
// The text without leading and trailing spaces, tabs, CRs and LFs.
std::string trim_space(std::string_view text);
// The value of a hex digit (0-9, a-f, A-F), or -1 for any other byte.
int hex_digit_value(char c);

}  // namespace luascale::net
