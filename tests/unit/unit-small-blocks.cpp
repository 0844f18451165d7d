// The small-block free lists behind each Lua state's allocator.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "engine/lua/small_blocks.hpp"

using namespace luascale;

TEST_CASE("small blocks are aligned, disjoint and hold what is written to them") {
  SmallBlocks pool;
  struct Block {
    unsigned char* p;
    std::size_t n;
  };
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < 3000; ++i) {
    const std::size_t n = 1 + (i * 37) % SmallBlocks::kMaxBlock;
    auto* p = static_cast<unsigned char*>(pool.allocate(n));
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(p) % 16 == 0);
    std::memset(p, static_cast<int>(i & 0xff), n);
    blocks.push_back({p, n});
  }
  // Spans more than one chunk, and no two blocks overlap.
  CHECK(pool.reserved_bytes() > 64 * 1024);
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> spans;
  for (const auto& b : blocks) spans.emplace_back(reinterpret_cast<std::uintptr_t>(b.p), reinterpret_cast<std::uintptr_t>(b.p) + b.n);
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i) CHECK(spans[i - 1].second <= spans[i].first);
  for (std::size_t i = 0; i < blocks.size(); ++i)
    for (std::size_t k = 0; k < blocks[i].n; ++k) REQUIRE(blocks[i].p[k] == static_cast<unsigned char>(i & 0xff));
  for (const auto& b : blocks) pool.release(b.p, b.n);
}

TEST_CASE("a released block is reused for a request of its size class, not for another class") {
  SmallBlocks pool;
  void* a = pool.allocate(40);  // class 33..48
  void* b = pool.allocate(40);
  pool.release(a, 40);
  CHECK(pool.allocate(33) == a);  // same class
  pool.release(b, 48);
  void* c = pool.allocate(64);  // another class: a fresh block
  CHECK(c != b);
  CHECK(pool.allocate(48) == b);
  CHECK(SmallBlocks::same_class(33, 48));
  CHECK_FALSE(SmallBlocks::same_class(48, 49));
  CHECK(SmallBlocks::serves(SmallBlocks::kMaxBlock));
  CHECK_FALSE(SmallBlocks::serves(SmallBlocks::kMaxBlock + 1));
}

TEST_CASE("a steady allocate/release cycle reserves no more memory") {
  SmallBlocks pool;
  std::vector<void*> live;
  for (int i = 0; i < 1000; ++i) live.push_back(pool.allocate(24));
  for (void* p : live) pool.release(p, 24);
  const std::size_t reserved = pool.reserved_bytes();
  for (int round = 0; round < 100; ++round) {
    live.clear();
    for (int i = 0; i < 1000; ++i) live.push_back(pool.allocate(17 + i % 16));
    for (void* p : live) pool.release(p, 24);
  }
  CHECK(pool.reserved_bytes() == reserved);
}

TEST_CASE("the tail of a chunk too small for a request is kept for smaller ones") {
  SmallBlocks pool;
  // Fill the first 4 KiB chunk (16 bytes of it hold the chunk link) with 256-byte blocks, which
  // leaves 240 bytes: a 256-byte request opens a new chunk and the 240 bytes serve class 240.
  std::set<void*> first;
  for (int i = 0; i < 15; ++i) first.insert(pool.allocate(256));
  const std::size_t one_chunk = pool.reserved_bytes();
  CHECK(one_chunk == 4096);
  pool.allocate(256);
  CHECK(pool.reserved_bytes() > one_chunk);
  void* tail = pool.allocate(240);
  char* lo = static_cast<char*>(*first.begin());
  CHECK(static_cast<char*>(tail) == lo + 15 * 256);
}
