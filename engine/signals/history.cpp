// engine/signals/history.cpp — history rings, aggregates, the per-policy signal table.
#include "engine/signals/history.hpp"

#include <algorithm>
#include <cmath>

namespace luascale {

std::optional<Agg> parse_agg(std::string_view n) {
  for (const auto& e : kAggNames)
    if (n == e.name) return e.agg;
  return std::nullopt;
}

SignalHistory::SignalHistory(std::size_t capacity) : cap_(std::max<std::size_t>(capacity, 2)) {
  // Storage grows with the samples (up to the capacity), so an idle or young signal costs little.
  times_.reserve(std::min<std::size_t>(cap_, 8));
  values_.reserve(std::min<std::size_t>(cap_, 8));
}

void SignalHistory::push(double t, double v) {
  if (size_ > 0) {
    std::size_t last = index(size_ - 1);
    if (t < times_[last]) return;
    if (t == times_[last]) {
      values_[last] = v;
      return;
    }
  }
  if (size_ < cap_) {  // growing: head_ is 0 and the vectors hold exactly size_ samples
    times_.push_back(t);
    values_.push_back(v);
    ++size_;
  } else {
    times_[head_] = t;
    values_[head_] = v;
    if (++head_ == times_.size()) head_ = 0;
  }
}

namespace {
// Nearest-rank percentile on a sorted-in-place copy (the definition Prometheus' quantile uses
// is interpolated; nearest-rank is what autoscaler docs describe for pXX of samples).
double percentile(std::vector<double>& v, double q) {
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  if (rank == 0) rank = 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return v[rank - 1];
}
}  // namespace

std::optional<double> SignalHistory::aggregate(Agg agg, double now, double window,
                                               std::vector<double>& scratch) const {
  // Find the first sample inside (now - window, now]. Samples are time-ordered.
  const double from = now - window;
  std::size_t lo = 0, hi = size_;
  while (lo < hi) {  // first index with t > from
    std::size_t mid = (lo + hi) / 2;
    if (time_at(mid) > from)
      hi = mid;
    else
      lo = mid + 1;
  }
  std::size_t end = size_;
  while (end > lo && time_at(end - 1) > now) --end;
  if (lo >= end) return std::nullopt;
  const std::size_t n = end - lo;
  switch (agg) {
    case Agg::Last:
      return value_at(end - 1);
    case Agg::Count:
      return static_cast<double>(n);
    case Agg::Avg:
    case Agg::Sum: {
      double s = 0;
      for (std::size_t i = lo; i < end; ++i) s += value_at(i);
      return agg == Agg::Sum ? s : s / static_cast<double>(n);
    }
    case Agg::Min: {
      double m = value_at(lo);
      for (std::size_t i = lo + 1; i < end; ++i) m = std::min(m, value_at(i));
      return m;
    }
    case Agg::Max: {
      double m = value_at(lo);
      for (std::size_t i = lo + 1; i < end; ++i) m = std::max(m, value_at(i));
      return m;
    }
    case Agg::Rate: {  // per-second increase of a counter, counter resets handled as Prometheus
                       // does
      if (n < 2) return std::nullopt;
      double increase = 0;
      for (std::size_t i = lo + 1; i < end; ++i) {
        double d = value_at(i) - value_at(i - 1);
        increase += d >= 0 ? d : value_at(i);
      }
      double dt = time_at(end - 1) - time_at(lo);
      if (dt <= 0) return std::nullopt;
      return increase / dt;
    }
    case Agg::P50:
    case Agg::P90:
    case Agg::P95:
    case Agg::P99: {
      scratch.clear();
      for (std::size_t i = lo; i < end; ++i) scratch.push_back(value_at(i));
      double q = agg == Agg::P50 ? 0.5 : agg == Agg::P90 ? 0.9 : agg == Agg::P95 ? 0.95 : 0.99;
      return percentile(scratch, q);
    }
  }
  return std::nullopt;
}

std::size_t SignalTable::add(std::string_view name, double stale_after, std::size_t capacity) {
  if (auto i = find(name)) return *i;
  SignalSlot slot;
  slot.name = std::string(name);
  slot.stale_after = stale_after;
  slot.history = SignalHistory(capacity);
  slots_.push_back(std::move(slot));
  return slots_.size() - 1;
}

std::optional<std::size_t> SignalTable::find(std::string_view name) const {
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].name == name) return i;
  return std::nullopt;
}

void SignalTable::set_number(std::size_t i, double t, double v) {
  auto& s = slots_[i];
  s.has_value = true;
  s.is_number = true;
  s.number = v;
  s.timestamp = t;
  s.error.clear();
  s.history.push(t, v);
}

void SignalTable::set_structured(std::size_t i, double t, Value v) {
  auto& s = slots_[i];
  s.has_value = true;
  s.is_number = false;
  s.structured = std::move(v);
  s.timestamp = t;
  s.error.clear();
  ++s.version;
}

void SignalTable::set_error(std::size_t i, std::string error) {
  slots_[i].error = std::move(error);
}

bool SignalTable::fresh(std::size_t i, double now) const {
  const auto& s = slots_[i];
  return s.has_value && now - s.timestamp <= s.stale_after;
}

}  // namespace luascale
