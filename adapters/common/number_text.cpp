// adapters/common/number_text.cpp — see number_text.hpp.
#include "adapters/common/number_text.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace luascale::adapters {

std::optional<double> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  // The grammar first ([+-] digits [. digits] [e [+-] digits], at least one digit in the
  // mantissa): strtod alone also takes hex, "inf", "nan" and leading spaces.
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i - start;
  };
  if (text[i] == '+' || text[i] == '-') ++i;
  std::size_t mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || errno == ERANGE || !std::isfinite(d))
    return std::nullopt;
  return d;
}

}  // namespace luascale::adapters
