// engine/core/text_table.cpp — see text_table.hpp.
#include "engine/core/text_table.hpp"

#include <algorithm>

namespace luascale {

void print_text_table(const std::vector<std::vector<std::string>>& cells, std::ostream& out,
                      const TextTableLayout& layout) {
  if (cells.empty()) return;
  std::vector<std::size_t> width(cells.front().size(), 0);
  for (const auto& row : cells)
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  for (std::size_t ri = 0; ri < cells.size(); ++ri) {
    const auto& row = cells[ri];
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string& c = row[i];
      const bool last = i + 1 == row.size();
      const bool left = i < layout.left_columns || (last && layout.last_left);
      const std::string pad(i < width.size() && width[i] > c.size() ? width[i] - c.size() : 0, ' ');
      line += left ? c + pad : pad + c;
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
    if (ri + 1 == layout.header_rows) {
      std::size_t total = 0;
      for (auto w : width) total += w + 2;
      out << std::string(total - 2, '-') << '\n';
    }
  }
}

}  // namespace luascale
