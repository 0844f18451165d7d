// tests/shadow_rows.hpp — reading a shadow log back in the shadow-mode tests (unit-shadow,
// unit-shadow-targets).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/shadow/shadow_log.hpp"

namespace luascale::test {

inline std::vector<ShadowRow> read_rows(const std::filesystem::path& path) {
  std::vector<ShadowRow> rows;
  read_shadow_log(path.string(), [&](ShadowRow& r) { rows.push_back(r); });
  return rows;
}

inline bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace luascale::test
