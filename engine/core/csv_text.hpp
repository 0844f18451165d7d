// engine/core/csv_text.hpp — CSV fields as the decisions CSV, the shadow log and traces write and
// read them (RFC 4180 quotes, one record per line).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace luascale {

// Writes `s` at p as a CSV field (quoted when it holds a comma, quote or line break; line breaks
// become spaces); p must have room for 2 * s.size() + 2 bytes. Returns the end.
char* put_csv_field(char* p, const std::string& s);
// The same as a string.
std::string csv_field(const std::string& s);

// Splits one CSV record into fields; false on a quote left open or text after a closing quote.
// Fields point into `line` or, when some field is quoted, into `unquoted`.
bool split_csv(std::string_view line, std::vector<std::string_view>& fields, std::string& unquoted);

}  // namespace luascale
