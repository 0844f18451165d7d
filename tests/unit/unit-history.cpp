// Signal history ring and its aggregates.
#include <doctest/doctest.h>

#include "engine/signals/history.hpp"

using namespace luascale;

TEST_CASE("the ring grows to its capacity, then keeps the newest samples") {
  SignalHistory h(4);
  CHECK(h.capacity() == 4);
  for (int i = 1; i <= 3; ++i) h.push(i, i * 10);
  CHECK(h.size() == 3);
  CHECK(h.time_at(0) == 1);
  for (int i = 4; i <= 10; ++i) h.push(i, i * 10);
  CHECK(h.size() == 4);
  CHECK(h.time_at(0) == 7);
  CHECK(h.value_at(3) == 100);
  h.push(10, 5);  // same timestamp replaces
  CHECK(h.value_at(3) == 5);
  h.push(2, 1);  // older than the newest: ignored
  CHECK(h.size() == 4);
  h.clear();
  CHECK(h.size() == 0);
  h.push(50, 1);
  CHECK(h.size() == 1);
  CHECK(h.time_at(0) == 50);
}

TEST_CASE("aggregates over the window ending now") {
  SignalHistory h(100);
  std::vector<double> scratch;
  for (int i = 0; i < 10; ++i) h.push(100 + 10 * i, i + 1);  // 1..10 at 100..190
  auto agg = [&](Agg a, double window) { return h.aggregate(a, 190, window, scratch); };
  CHECK(agg(Agg::Avg, 1e9) == 5.5);
  CHECK(agg(Agg::Sum, 1e9) == 55);
  CHECK(agg(Agg::Min, 30) == 8);  // (160, 190]: 8, 9, 10
  CHECK(agg(Agg::Max, 30) == 10);
  CHECK(agg(Agg::Count, 30) == 3);
  CHECK(agg(Agg::Last, 1e9) == 10);
  CHECK(agg(Agg::P50, 1e9) == 5);  // nearest rank
  CHECK(agg(Agg::P90, 1e9) == 9);
  CHECK(agg(Agg::P99, 1e9) == 10);
  CHECK(agg(Agg::Rate, 1e9) == doctest::Approx(0.1));    // +9 over 90 s
  CHECK_FALSE(h.aggregate(Agg::Avg, 1000, 5, scratch));  // nothing in the window
  CHECK(parse_agg("p95") == Agg::P95);
  CHECK_FALSE(parse_agg("mode"));
}

TEST_CASE("rate is counter-reset aware") {
  SignalHistory h(16);
  std::vector<double> scratch;
  h.push(0, 100);
  h.push(10, 150);
  h.push(20, 10);  // reset: counts from 0 again
  h.push(30, 40);
  // increase = 50 + 10 + 30 = 90 over 30 s
  CHECK(h.aggregate(Agg::Rate, 30, 1e9, scratch) == doctest::Approx(3.0));
}
