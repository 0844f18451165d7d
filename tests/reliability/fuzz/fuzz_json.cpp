// fuzz target: JSON value parsing (engine/core/value_json.cpp) and its round trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/core/value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    luascale::Value v = luascale::parse_json(text);
    std::string again = luascale::to_json(v);
    luascale::Value w = luascale::parse_json(again);  // what we write, we read back
    if (luascale::to_json(w) != again) __builtin_trap();
  } catch (const luascale::JsonError&) {
  }
  return 0;
}
