// engine/lua/small_blocks.hpp — a free-list allocator for the small blocks of one Lua state.
//
// A policy evaluation allocates a handful of small objects (the tables a policy builds, the
// strings it formats) that the collector frees a few evaluations later. Size-classed free lists
// hand them out and take them back without the C library's bookkeeping. One pool serves one
// lua_State, which only one thread uses at a time: no locking. Memory goes back to the C
// library when the pool is destroyed (after lua_close), so what a pool holds is bounded by the
// state's peak small-block usage.
#pragma once

#include <cstddef>

// Under AddressSanitizer a block is poisoned while it sits on a free list.
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define LUASCALE_SMALL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define LUASCALE_SMALL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define LUASCALE_SMALL_POISON(p, n) ((void)(p), (void)(n))
#define LUASCALE_SMALL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace luascale {

class SmallBlocks {
 public:
  static constexpr std::size_t kGranule = 16;   // block sizes are multiples of this
  static constexpr std::size_t kMaxBlock = 256;  // larger requests are not the pool's

  SmallBlocks() = default;
  ~SmallBlocks();
  SmallBlocks(const SmallBlocks&) = delete;
  SmallBlocks& operator=(const SmallBlocks&) = delete;

  // True when a block of n bytes (n > 0) comes from the pool.
  static bool serves(std::size_t n) noexcept { return n <= kMaxBlock; }
  // True when blocks of a and b bytes (both served) have the same size class.
  static bool same_class(std::size_t a, std::size_t b) noexcept { return (a - 1) / kGranule == (b - 1) / kGranule; }

  // A block of n bytes (0 < n <= kMaxBlock), 16-byte aligned; nullptr when out of memory.
  void* allocate(std::size_t n) noexcept {
    if (void* b = take(n)) return b;
    return carve((n - 1) / kGranule);
  }
  // A block of n bytes from its free list; nullptr when that list is empty.
  void* take(std::size_t n) noexcept {
    const std::size_t cls = (n - 1) / kGranule;
    FreeBlock* b = free_[cls];
    if (!b) return nullptr;
    LUASCALE_SMALL_UNPOISON(b, (cls + 1) * kGranule);
    free_[cls] = b->next;
    return b;
  }
  // Takes back a block allocate(n) returned, with the same n (or one of the same class).
  void release(void* p, std::size_t n) noexcept {
    const std::size_t cls = (n - 1) / kGranule;
    auto* b = static_cast<FreeBlock*>(p);
    b->next = free_[cls];
    free_[cls] = b;
    LUASCALE_SMALL_POISON(b, (cls + 1) * kGranule);
  }

  // Bytes obtained from the C library so far.
  std::size_t reserved_bytes() const noexcept { return reserved_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  static constexpr std::size_t kClasses = kMaxBlock / kGranule;

  bool grow(std::size_t need) noexcept;
  void* carve(std::size_t cls) noexcept;  // a new block of class cls from the current chunk

  FreeBlock* free_[kClasses] = {};
  char* cur_ = nullptr;  // the uncarved rest of the newest chunk
  char* end_ = nullptr;
  void* chunks_ = nullptr;  // singly linked through each chunk's first word
  std::size_t next_chunk_ = 4096;
  std::size_t reserved_ = 0;
};

}  // namespace luascale
