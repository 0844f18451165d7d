// engine/replay/replay_series.cpp — see replay_series.hpp.
#include "engine/replay/replay_series.hpp"

#include <algorithm>
#include <cmath>

namespace luascale {

void Extent::add(double v, double time) {
  if (!std::isfinite(v)) return;
  if (empty()) {
    first = last = min = max = v;
    min_time = max_time = time;
    return;
  }
  last = v;
  if (v < min) {
    min = v;
    min_time = time;
  }
  if (v > max) {
    max = v;
    max_time = time;
  }
}

void Extent::merge(const Extent& later) {
  if (later.empty()) return;
  if (empty()) {
    *this = later;
    return;
  }
  last = later.last;
  if (later.min < min) {
    min = later.min;
    min_time = later.min_time;
  }
  if (later.max > max) {
    max = later.max;
    max_time = later.max_time;
  }
}

void SeriesBucket::merge(const SeriesBucket& later) {
  end = later.end;
  ticks += later.ticks;
  demand.merge(later.demand);
  utilization.merge(later.utilization);
  recommended.merge(later.recommended);
  replicas.merge(later.replicas);
  ready.merge(later.ready);
  nodes.merge(later.nodes);
  under_ticks += later.under_ticks;
  scale_ups += later.scale_ups;
  scale_downs += later.scale_downs;
  errors += later.errors;
}

ReplaySeries::ReplaySeries(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity + capacity % 2, 16)) {
  buckets_.reserve(capacity_);
}

void ReplaySeries::add(const SeriesPoint& p) {
  if (buckets_.empty() || buckets_.back().ticks >= stride_) {
    if (buckets_.size() >= capacity_) {  // full: merge neighbours, twice the ticks per bucket
      std::size_t w = 0;
      for (std::size_t r = 0; r < buckets_.size(); r += 2, ++w) {
        buckets_[w] = buckets_[r];
        if (r + 1 < buckets_.size()) buckets_[w].merge(buckets_[r + 1]);
      }
      buckets_.resize(w);
      stride_ *= 2;
    }
    buckets_.emplace_back();
    buckets_.back().time = p.time;
  }
  SeriesBucket& b = buckets_.back();
  b.end = p.time;
  ++b.ticks;
  b.demand.add(p.demand, p.time);
  b.demand.add(p.demand_low, p.time);
  b.demand.add(p.demand_high, p.time);
  if (std::isfinite(p.demand)) b.demand.last = p.demand;
  b.utilization.add(p.utilization, p.time);
  if (p.recommended >= 0) b.recommended.add(static_cast<double>(p.recommended), p.time);
  b.replicas.add(static_cast<double>(p.replicas), p.time);
  b.ready.add(static_cast<double>(p.ready), p.time);
  if (p.nodes >= 0) b.nodes.add(static_cast<double>(p.nodes), p.time);
  b.under_ticks += p.under ? 1 : 0;
  b.scale_ups += p.scaled > 0 ? 1 : 0;
  b.scale_downs += p.scaled < 0 ? 1 : 0;
  b.errors += p.error ? 1 : 0;
}

}  // namespace luascale
