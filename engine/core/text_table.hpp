// engine/core/text_table.hpp — rows of cells printed as aligned columns (the summary, tune,
// backtest and shadow-report tables).
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace luascale {

struct TextTableLayout {
  std::size_t left_columns = 0;  // the first columns are left-aligned, the others right-aligned
  bool last_left = false;        // the last column is left-aligned too
  std::size_t header_rows = 1;   // a line of dashes follows this many rows (0: none)
};

// Prints `cells` (rows of equal length), columns two spaces apart, each line without trailing
// spaces.
void print_text_table(const std::vector<std::vector<std::string>>& cells, std::ostream& out,
                      const TextTableLayout& layout = {});

}  // namespace luascale
