// adapters/net/http_headers.hpp — the header list shared by the HTTP client and server: ordered
// (name, value) pairs, names compared case-insensitively. Plain C++, no Boost.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/net/ascii_text.hpp"

namespace luascale::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline bool header_name_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// The value of the first header called name (any case), or nullptr.
inline const std::string* find_header(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (header_name_equal(n, name)) return &v;
  }
  return nullptr;
}

// True when name is an RFC 9110 token and value holds no CR, LF or NUL (so neither can be used
// to inject extra header lines).
inline bool valid_header(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    bool token =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!token) return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace luascale::net
