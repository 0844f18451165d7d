// fuzz target: the RESP2 reply parser (adapters/sources/redis/resp.cpp). Checks its contract:
// never reads past the input, Complete consumes at most the input, and a Complete reply re-parses
// identically from exactly the consumed bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/sources/redis/resp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using luascale::redis::RespParse;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  RespParse p = luascale::redis::parse_reply(in);
  if (p.status == RespParse::Status::Complete) {
    if (p.consumed == 0 || p.consumed > size) __builtin_trap();
    RespParse q = luascale::redis::parse_reply(in.substr(0, p.consumed));
    if (q.status != RespParse::Status::Complete || !(q.value == p.value)) __builtin_trap();
    (void)luascale::redis::describe_reply(p.value);
  } else if (p.status == RespParse::Status::Invalid) {
    if (p.error.empty()) __builtin_trap();
  }
  return 0;
}
