// engine/lua/capped_alloc.cpp — see capped_alloc.hpp.
#include "engine/lua/capped_alloc.hpp"

#include <cstdlib>

namespace luascale {

std::size_t held_bytes(std::size_t n) {
  constexpr std::size_t kHeader = 8, kAlign = 16, kMinChunk = 32;
  constexpr std::size_t kMapped = 128 * 1024, kPage = 4096;
  if (n >= kMapped) return (n + 2 * kHeader + kPage - 1) / kPage * kPage;
  const std::size_t chunk = (n + kHeader + kAlign - 1) / kAlign * kAlign;
  return chunk < kMinChunk ? kMinChunk : chunk;
}

void* capped_alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize) {
  auto* a = static_cast<AllocState*>(ud);
  // Without a block, Lua passes the new object's type in osize.
  const std::size_t old = ptr ? held_bytes(osize) : 0;
  if (nsize == 0) {
    std::free(ptr);
    a->used -= old;
    return nullptr;
  }
  const std::size_t held = held_bytes(nsize);
  if (held > old) {
    const std::size_t after = a->used - old + held;
    if (after > a->limit || after > a->eval_cap) {
      a->limit_hit = true;
      return nullptr;
    }
  }
  void* p = std::realloc(ptr, nsize);
  if (!p) {
    if (held > old) return nullptr;
    p = ptr;  // Lua counts on shrinking never failing: the bigger block serves
  }
  a->used = a->used - old + held;
  return p;
}

}  // namespace luascale
