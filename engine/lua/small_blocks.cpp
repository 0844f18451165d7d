// engine/lua/small_blocks.cpp — see small_blocks.hpp.
#include "engine/lua/small_blocks.hpp"

#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define LUASCALE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define LUASCALE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define LUASCALE_POISON(p, n) ((void)(p), (void)(n))
#define LUASCALE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace luascale {
namespace {

constexpr std::size_t kChunkHeader = SmallBlocks::kGranule;  // holds the next-chunk link
constexpr std::size_t kMaxChunk = 64 * 1024;

}  // namespace

SmallBlocks::~SmallBlocks() {
  void* c = chunks_;
  while (c) {
    void* next = *static_cast<void**>(c);
    std::free(c);
    c = next;
  }
}

bool SmallBlocks::grow(std::size_t need) noexcept {
  // What is left of the current chunk goes to the free list of the largest class it fills.
  while (end_ - cur_ >= static_cast<std::ptrdiff_t>(kGranule)) {
    std::size_t left = static_cast<std::size_t>(end_ - cur_);
    std::size_t n = left < kMaxBlock ? left : kMaxBlock;
    n -= n % kGranule;
    auto* b = reinterpret_cast<FreeBlock*>(cur_);
    LUASCALE_UNPOISON(b, sizeof(FreeBlock));
    b->next = free_[n / kGranule - 1];
    free_[n / kGranule - 1] = b;
    LUASCALE_POISON(b, n);
    cur_ += n;
  }
  std::size_t size = next_chunk_;
  while (size < need + kChunkHeader) size *= 2;
  void* c = std::aligned_alloc(kGranule, size);
  if (!c) return false;
  reserved_ += size;
  if (next_chunk_ < kMaxChunk) next_chunk_ *= 2;
  *static_cast<void**>(c) = chunks_;
  chunks_ = c;
  cur_ = static_cast<char*>(c) + kChunkHeader;
  end_ = static_cast<char*>(c) + size;
  LUASCALE_POISON(cur_, size - kChunkHeader);
  return true;
}

void* SmallBlocks::allocate(std::size_t n) noexcept {
  const std::size_t cls = (n - 1) / kGranule;
  if (FreeBlock* b = free_[cls]) {
    LUASCALE_UNPOISON(b, (cls + 1) * kGranule);
    free_[cls] = b->next;
    return b;
  }
  const std::size_t size = (cls + 1) * kGranule;
  if (static_cast<std::size_t>(end_ - cur_) < size && !grow(size)) return nullptr;
  void* p = cur_;
  cur_ += size;
  LUASCALE_UNPOISON(p, size);
  return p;
}

void SmallBlocks::release(void* p, std::size_t n) noexcept {
  const std::size_t cls = (n - 1) / kGranule;
  auto* b = static_cast<FreeBlock*>(p);
  b->next = free_[cls];
  free_[cls] = b;
  LUASCALE_POISON(b, (cls + 1) * kGranule);
}

}  // namespace luascale
