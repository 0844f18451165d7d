// engine/replay/replay_series.cpp — see replay_series.hpp.
#include "engine/replay/replay_series.hpp"

#include <algorithm>

namespace luascale {

ReplaySeries::ReplaySeries(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 16)) {
  points_.reserve(capacity_);
}

void ReplaySeries::add(const SeriesPoint& in) {
  pending_under_ = pending_under_ || in.under;
  pending_scaled_ = pending_scaled_ || in.scaled;
  pending_error_ = pending_error_ || in.error;
  if (seen_++ % stride_ != 0) return;
  SeriesPoint p = in;
  p.under = pending_under_;
  p.scaled = pending_scaled_;
  p.error = pending_error_;
  pending_under_ = pending_scaled_ = pending_error_ = false;
  points_.push_back(p);
  if (points_.size() >= capacity_) {  // halve: keep every other point, OR-ing flags forward
    std::size_t w = 0;
    for (std::size_t r = 0; r < points_.size(); r += 2) {
      SeriesPoint q = points_[r];
      if (r + 1 < points_.size()) {
        q.under = q.under || points_[r + 1].under;
        q.scaled = q.scaled || points_[r + 1].scaled;
        q.error = q.error || points_[r + 1].error;
      }
      points_[w++] = q;
    }
    points_.resize(w);
    stride_ *= 2;
    seen_ = 1;  // the last kept tick starts the new stride
  }
}

}  // namespace luascale
