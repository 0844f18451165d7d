// engine/replay/replay_series.hpp — a bounded record of a replay's ticks for plots and reports:
// consecutive ticks share a bucket that keeps each quantity's first, last, smallest and largest
// value (with when the extremes happened) and counts its events, so a chart drawn from the
// buckets reaches every peak and trough the ticks had, however long the trace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace luascale {

// One tick of a replay, as the replay hands it over.
struct SeriesPoint {
  double time = 0;
  double demand = std::numeric_limits<double>::quiet_NaN();  // the plotted load (NaN: none)
  // The lowest and highest load of the trace rows since the previous tick (NaN: none), when
  // rows come more often than ticks.
  double demand_low = std::numeric_limits<double>::quiet_NaN();
  double demand_high = std::numeric_limits<double>::quiet_NaN();
  double utilization =
      std::numeric_limits<double>::quiet_NaN();  // percent, when a demand model is set
  std::int64_t recommended = -1;                 // the script's count; -1 on a hold or an error
  std::int64_t replicas = 0;                     // the guarded count
  std::int64_t ready = 0;
  std::int64_t nodes = -1;  // -1 when nodes are not simulated
  bool under = false;       // under-provisioned at this tick
  int scaled = 0;           // the count changed here: +1 up, -1 down, 0 not
  bool error = false;       // the evaluation failed here
};

// The values one quantity took within a bucket (values that are not finite, or negative for
// counts, are skipped). Empty when it took none.
struct Extent {
  double first = std::numeric_limits<double>::quiet_NaN();
  double last = first, min = first, max = first;
  double min_time = 0, max_time = 0;  // when min and max were first reached
  bool empty() const { return first != first; }
  void add(double v, double time);
  void merge(const Extent& later);
};

// Consecutive ticks: [time, end], `ticks` of them.
struct SeriesBucket {
  double time = 0;  // the first tick's
  double end = 0;   // the last tick's
  std::int64_t ticks = 0;
  Extent demand, utilization, recommended, replicas, ready, nodes;
  std::int64_t under_ticks = 0, scale_ups = 0, scale_downs = 0, errors = 0;
  void merge(const SeriesBucket& later);
};

// At most `capacity` buckets: one tick each until full, then neighbours merge pairwise and each
// bucket takes twice as many ticks, so memory is constant in trace length.
class ReplaySeries {
 public:
  explicit ReplaySeries(std::size_t capacity = 4096);
  void add(const SeriesPoint& tick);
  const std::vector<SeriesBucket>& buckets() const { return buckets_; }
  std::string policy;         // the policy name
  std::string demand_label;   // what `demand` holds: the demand column, else the signal plotted
  bool demand_model = false;  // `demand` is the demand model's column (else just a signal)

 private:
  std::size_t capacity_;
  std::int64_t stride_ = 1;  // ticks per full bucket
  std::vector<SeriesBucket> buckets_;
};

}  // namespace luascale
