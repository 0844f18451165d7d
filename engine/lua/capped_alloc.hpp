// engine/lua/capped_alloc.hpp — the allocator of a policy's lua_State: every block comes from and
// goes back to the C library, and what the C library really holds for it counts against the
// state's memory cap.
#pragma once

#include <cstddef>
#include <cstdint>

namespace luascale {

struct AllocState {
  std::size_t used = 0;             // bytes held for the state, as held_bytes() counts them
  std::size_t limit = 0;            // the state's cap (summed over the policies sharing it)
  std::size_t eval_cap = SIZE_MAX;  // during a call into a policy: what `used` may grow to
  bool limit_hit = false;           // an allocation was refused since the flag was cleared
};

// What the C library holds for a block of n > 0 bytes: glibc's chunk on 64-bit systems (the
// request plus an 8-byte header, rounded up to 16 bytes, at least 32), and whole pages plus a
// header for blocks from 128 KiB up (which it may map on their own). A pure function of n, so
// the cap binds at the same point on every run and machine.
std::size_t held_bytes(std::size_t n);

// lua_Alloc over std::realloc/std::free with `ud` an AllocState. Refuses (returns nullptr) an
// allocation or growth that would take `used` over `limit` or `eval_cap`; shrinking never fails.
void* capped_alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize);

}  // namespace luascale
