// engine/core/csv_text.cpp — see csv_text.hpp.
#include "engine/core/csv_text.hpp"

#include <cstring>
#include <utility>

namespace luascale {
namespace {

bool needs_quotes(const std::string& s) {
  return s.find_first_of(",\"\n\r") != std::string::npos;
}

}  // namespace

char* put_csv_field(char* p, const std::string& s) {
  if (!needs_quotes(s)) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  }
  *p++ = '"';
  for (char c : s) {
    if (c == '"') *p++ = '"';
    *p++ = (c == '\n' || c == '\r') ? ' ' : c;
  }
  *p++ = '"';
  return p;
}

std::string csv_field(const std::string& s) {
  std::string out(2 * s.size() + 2, '\0');
  out.resize(static_cast<std::size_t>(put_csv_field(out.data(), s) - out.data()));
  return out;
}

bool split_csv(std::string_view line, std::vector<std::string_view>& fields,
               std::string& unquoted) {
  fields.clear();
  unquoted.clear();
  std::size_t i = 0;
  bool any_quoted = false;
  for (;;) {
    if (i < line.size() && line[i] == '"') {
      any_quoted = true;
      break;
    }
    std::size_t c = line.find(',', i);
    if (c == std::string_view::npos) {
      fields.push_back(line.substr(i));
      break;
    }
    fields.push_back(line.substr(i, c - i));
    i = c + 1;
  }
  if (!any_quoted) return true;
  // Slow path: some field is quoted. Fields point into `unquoted`.
  fields.clear();
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  unquoted.reserve(line.size());
  i = 0;
  for (;;) {
    std::size_t begin = unquoted.size();
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) return false;  // unterminated quote
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            unquoted.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        unquoted.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') return false;
    } else {
      while (i < line.size() && line[i] != ',') unquoted.push_back(line[i++]);
    }
    spans.emplace_back(begin, unquoted.size() - begin);
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  for (auto [b, n] : spans) fields.push_back(std::string_view(unquoted).substr(b, n));
  return true;
}

}  // namespace luascale
