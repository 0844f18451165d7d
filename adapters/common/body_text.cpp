// adapters/common/body_text.cpp — body_excerpt and base64_encode (declared in http_support.hpp),
// apart from the HTTP client so the response parsers that use them link without it (fuzzing).
#include <string>
#include <string_view>

#include "adapters/common/http_support.hpp"

namespace luascale::adapters {

std::string body_excerpt(std::string_view body, std::size_t max_bytes) {
  std::string out;
  for (char c : body.substr(0, max_bytes)) {
    const auto u = static_cast<unsigned char>(c);
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (body.size() > max_bytes) out += "...";
  return out;
}

std::string base64_encode(std::string_view data) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += i + 1 < data.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace luascale::adapters
