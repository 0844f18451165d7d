// fuzz target: config parsing (engine/config/config.cpp): any text gives a Config or a ConfigError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    luascale::parse_config(text, "/fuzz/config.json");
  } catch (const luascale::ConfigError&) {
  } catch (const luascale::JsonError&) {
  }
  return 0;
}
