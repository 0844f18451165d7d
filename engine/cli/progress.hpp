// engine/cli/progress.hpp — the progress line `replay` and `tune` draw on stderr while they run:
// only when stderr is a terminal and --quiet is not given, at most ten redraws a second, and
// cleared when the work is done, so pipes, logs and tests never see it.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/replay/prometheus_trace.hpp"
#include "engine/replay/replay.hpp"

namespace luascale::cli {

// True when `fd` is a terminal (isatty).
bool is_terminal(int fd);

// One line: "replay [#######-------]  47%  52,311 ticks/s  ETA 0:12  detail". Work is counted in
// any unit (seconds of trace, settings); the percent and ETA show only when the total is known.
// Thread-safe.
class ProgressBar {
 public:
  // `enabled` false makes every call a no-op (not a terminal, or --quiet). Draws on `fd`.
  ProgressBar(std::string label, bool enabled, int fd = 2);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const { return enabled_; }
  void add_total(double work);                     // total work, 0 = not known
  void add_done(double work, std::int64_t ticks);  // work and replayed ticks since the last call
  void set_detail(std::string text);               // shown after the ETA ("12/27 settings")
  void finish();  // clears the line (once; later calls draw nothing)

  // The line for these figures, at most `width` columns (exposed for tests).
  static std::string render(const std::string& label, double done, double total, std::int64_t ticks,
                            double elapsed_seconds, const std::string& detail, std::size_t width);

 private:
  void draw_locked(bool force);

  std::string label_;
  bool enabled_;
  int fd_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false, finished_ = false;
  double total_ = 0, done_ = 0;
  std::int64_t ticks_ = 0;
  std::string detail_;
};

// Feeds one replay's progress to a bar as seconds of trace replayed; `span` is the seconds the
// replay covers (trace_time_span), and finished() tops the work up to it.
class ReplayBarFeed final : public ReplayProgress {
 public:
  ReplayBarFeed(ProgressBar& bar, std::optional<double> span) : bar_(bar), span_(span) {}
  void advanced(const ReplaySummary& so_far, double now) override;
  void finished(std::int64_t ticks);  // the rest of the span and of the ticks

 private:
  ProgressBar& bar_;
  std::optional<double> span_;
  double told_time_ = 0;
  std::int64_t told_ticks_ = 0;
};

// The first and last timestamps of a trace (a group of --trace arguments), clamped to
// [from, to], for a bar's total. CSV and JSON Lines are read from both ends only; merged
// query_range answers (small by nature) are read through. nullopt when it cannot tell.
std::optional<std::pair<double, double>> trace_time_span(const std::vector<TraceArg>& group,
                                                         std::optional<double> from,
                                                         std::optional<double> to);

}  // namespace luascale::cli
