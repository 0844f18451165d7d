// engine/replay/replay_series.hpp — a bounded record of a replay's ticks for plots and reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace luascale {

// One plotted tick of a replay.
struct SeriesPoint {
  double time = 0;
  double demand =
      std::numeric_limits<double>::quiet_NaN();  // the demand column (or the first signal)
  double utilization =
      std::numeric_limits<double>::quiet_NaN();  // percent, when a demand model is set
  std::int64_t recommended = -1;                 // the script's count; -1 on a hold or an error
  std::int64_t replicas = 0;                     // the guarded count
  std::int64_t ready = 0;
  std::int64_t nodes = -1;  // -1 when nodes are not simulated
  bool under = false;       // under-provisioned at this tick
  bool scaled = false;  // a scale event happened here (or between this and the previous kept point)
  bool error = false;   // the evaluation failed here (or in between)
};

// A bounded record of one replay for plots and reports: at most `capacity` points; when full,
// every other point is dropped and the stride doubles, so memory is constant in trace length.
// Flags (under, scaled, error) of dropped points are OR-ed into the next kept one.
class ReplaySeries {
 public:
  explicit ReplaySeries(std::size_t capacity = 4096);
  void add(const SeriesPoint& p);
  const std::vector<SeriesPoint>& points() const { return points_; }
  std::string policy;        // the policy name
  std::string demand_label;  // what `demand` holds ("requests_per_second")

 private:
  std::size_t capacity_;
  std::size_t stride_ = 1, seen_ = 0;
  bool pending_under_ = false, pending_scaled_ = false, pending_error_ = false;
  std::vector<SeriesPoint> points_;
};

}  // namespace luascale
