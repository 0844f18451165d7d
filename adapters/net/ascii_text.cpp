// adapters/net/ascii_text.cpp — ASCII trimming, case folding and hex digits (see ascii_text.hpp).
#include "adapters/net/ascii_text.hpp"

namespace luascale::net {

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

std::string lower_first(std::string text) {
  if (!text.empty()) text[0] = ascii_lower(text[0]);
  return text;
}

std::string trim_space(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace luascale::net
