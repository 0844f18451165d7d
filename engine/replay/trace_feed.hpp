// engine/replay/trace_feed.hpp — a recorded trace served as signal sources on a virtual clock.
// The replay advances the feed to each tick's time; each column's source then hands over the
// rows recorded since its last fetch (the newest as the sample, the others as `earlier`), or
// nothing when no row came (not a failure: the signal keeps its history and goes stale).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "engine/adapter.hpp"
#include "engine/replay/trace.hpp"

namespace luascale {

class TraceFeed {
 public:
  // Rows before `start` are skipped; rows after `end` are never read.
  TraceFeed(TraceReader& reader, std::optional<double> start, std::optional<double> end);
  ~TraceFeed();
  TraceFeed(const TraceFeed&) = delete;
  TraceFeed& operator=(const TraceFeed&) = delete;

  // Reads the first row (at or after start); false when the trace has no rows at all. A trace
  // with rows, none of them between start and end, is a TraceError saying where its rows are.
  bool begin();
  // The first row (valid after begin()).
  const TraceRow& first_row() const { return row_; }
  // Takes in every row at or before `now`. Called with a new column's index when a JSON Lines
  // row brings one (before that row is taken in). Throws TraceError.
  void advance(double now, const std::function<void(std::size_t column)>& new_column = {});
  // True while rows after the last advance remain.
  bool more() const { return have_; }
  std::int64_t rows() const { return rows_; }      // rows read (within the window)
  double last_time() const { return last_time_; }  // the newest row read within the window

  // A new source serving `column` (it lives as long as the feed).
  Source& add_source(std::size_t column);
  // The newest value of a number column taken in so far (NaN when none) and its time.
  void watch(std::size_t column);
  double latest(std::size_t column) const;
  double latest_time(std::size_t column) const;
  // The smallest and largest value of a watched column among the rows taken in since the last
  // call (NaN, NaN when none), so a plot between ticks still reaches every row's peak.
  std::pair<double, double> take_range(std::size_t column);

 private:
  class ColumnSource;
  void take(const TraceRow& row);

  TraceReader& reader_;
  std::optional<double> start_, end_;
  TraceRow row_;
  bool have_ = false;
  std::int64_t rows_ = 0;
  double last_time_ = 0;
  std::size_t known_columns_ = 0;
  std::vector<std::vector<std::unique_ptr<ColumnSource>>> sources_;  // by column
  struct Watched {
    double value = std::numeric_limits<double>::quiet_NaN();
    double time = -1e300;
    double low = std::numeric_limits<double>::infinity(), high = -low;  // since take_range
    bool on = false;
  };
  std::vector<Watched> watched_;  // by column
};

}  // namespace luascale
