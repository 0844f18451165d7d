// fuzz target: CSV trace reading (engine/replay/trace.cpp), every row to the end or the first
// error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/replay/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto r = luascale::TraceReader::from_text(std::move(text), luascale::TraceReader::Format::Csv,
                                              "fuzz.csv");
    luascale::TraceRow row;
    while (r->next(row)) {
    }
  } catch (const luascale::TraceError&) {
  }
  return 0;
}
