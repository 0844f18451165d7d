// engine/signals/history.hpp — per-signal history rings and the aggregates ctx:signal(name,
// {window=..., agg=...}) computes over them, plus the table of a policy's signals.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/value.hpp"

namespace luascale {

enum class Agg : std::uint8_t { Avg, Min, Max, Sum, Last, Rate, Count, P50, P90, P95, P99 };
// The names ctx:signal accepts for `agg`, the aliases mean and median included.
struct AggName {
  const char* name;
  Agg agg;
};
inline constexpr AggName kAggNames[] = {
    {"avg", Agg::Avg}, {"mean", Agg::Avg},   {"min", Agg::Min},   {"max", Agg::Max},
    {"sum", Agg::Sum}, {"last", Agg::Last},  {"rate", Agg::Rate}, {"count", Agg::Count},
    {"p50", Agg::P50}, {"median", Agg::P50}, {"p90", Agg::P90},   {"p95", Agg::P95},
    {"p99", Agg::P99}};
std::optional<Agg> parse_agg(std::string_view name);

// Fixed-capacity ring of (timestamp, value) samples of one number signal, oldest overwritten.
class SignalHistory {
 public:
  explicit SignalHistory(std::size_t capacity = 256);

  // Appends a sample. A timestamp equal to the newest replaces it; an older one is ignored.
  void push(double timestamp, double value);
  void clear() {
    times_.clear();
    values_.clear();
    head_ = size_ = 0;
  }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return cap_; }
  // i = 0 is the oldest sample held.
  double time_at(std::size_t i) const { return times_[index(i)]; }
  double value_at(std::size_t i) const { return values_[index(i)]; }

  // Aggregate over samples with now - window < t <= now; nullopt when none (rate needs two).
  // `scratch` is reused for percentiles so a call allocates nothing once warmed up.
  std::optional<double> aggregate(Agg agg, double now, double window,
                                  std::vector<double>& scratch) const;

 private:
  // head_ < size and i < size_ <= size: one compare instead of a division.
  std::size_t index(std::size_t i) const {
    const std::size_t j = head_ + i;
    return j >= times_.size() ? j - times_.size() : j;
  }
  std::size_t cap_ = 2;
  std::vector<double> times_, values_;
  std::size_t head_ = 0, size_ = 0;
};

// One signal of a policy: the latest sample (number or structured) plus the number history.
struct SignalSlot {
  std::string name;
  double stale_after = 45;  // seconds; older latest samples read as nil
  bool has_value = false;
  bool is_number = true;
  double number = 0;
  Value structured;           // when !is_number
  std::uint64_t version = 0;  // bumps on every structured update (Lua-side cache key)
  double timestamp = 0;
  std::string error;  // last fetch error, empty when the last fetch succeeded
  SignalHistory history;
};

// The signals of one policy, by name; indexes are stable once added.
class SignalTable {
 public:
  // Adds (or finds) a signal and returns its index.
  std::size_t add(std::string_view name, double stale_after, std::size_t history_capacity);
  std::optional<std::size_t> find(std::string_view name) const;
  std::size_t size() const { return slots_.size(); }
  SignalSlot& at(std::size_t i) { return slots_[i]; }
  const SignalSlot& at(std::size_t i) const { return slots_[i]; }

  void set_number(std::size_t i, double timestamp, double value);
  void set_structured(std::size_t i, double timestamp, Value v);
  void set_error(std::size_t i, std::string error);
  // True when the slot has a value no older than its staleness limit at `now`.
  bool fresh(std::size_t i, double now) const;

 private:
  std::vector<SignalSlot> slots_;
};

}  // namespace luascale
