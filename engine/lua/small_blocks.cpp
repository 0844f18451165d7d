// engine/lua/small_blocks.cpp — see small_blocks.hpp.
#include "engine/lua/small_blocks.hpp"

#include <cstdlib>

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
    LUASCALE_SMALL_UNPOISON(b, sizeof(FreeBlock));
    b->next = free_[n / kGranule - 1];
    free_[n / kGranule - 1] = b;
    LUASCALE_SMALL_POISON(b, n);
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
  LUASCALE_SMALL_POISON(cur_, size - kChunkHeader);
  return true;
}

void* SmallBlocks::carve(std::size_t cls) noexcept {
  const std::size_t size = (cls + 1) * kGranule;
  if (static_cast<std::size_t>(end_ - cur_) < size && !grow(size)) return nullptr;
  void* p = cur_;
  cur_ += size;
  LUASCALE_SMALL_UNPOISON(p, size);
  return p;
}

}  // namespace luascale
