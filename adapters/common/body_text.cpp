// adapters/common/body_text.cpp — body_excerpt (declared in http_support.hpp), apart from the HTTP
// client so the response parsers that use it link without it (fuzzing).
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

}  // namespace luascale::adapters
