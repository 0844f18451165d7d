// engine/replay/replay.hpp — dry-run: one policy over a recorded trace, through the same
// per-tick path as `run` (engine/loop/tick.hpp), on a virtual clock, with the trace columns
// served as signal sources and a simulated target (or, with --actuate, a real one). Open loop:
// recorded signals are taken as they are; with a closed-loop demand model the utilization and
// queue signals are computed from the simulated ready capacity.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/adapter.hpp"
#include "engine/loop/policy_runtime.hpp"
#include "engine/replay/decision_csv.hpp"
#include "engine/replay/demand_model.hpp"
#include "engine/replay/replay_series.hpp"
#include "engine/replay/replay_summary.hpp"
#include "engine/replay/trace.hpp"

namespace boost::asio {
class io_context;
}

namespace luascale {

// Progress of a long replay (the CLI's progress bar): told every 4096 ticks, from the thread
// running the replay, with the summary so far (ticks, first_time) and the tick's virtual time.
class ReplayProgress {
 public:
  virtual ~ReplayProgress() = default;
  virtual void advanced(const ReplaySummary& so_far, double now) = 0;
};

// Receives the forecasts a policy's decisions carry (`forecast = {{time, value, lo, hi}, ...}`),
// in tick order, from the thread running the replay.
class ForecastLog {
 public:
  virtual ~ForecastLog() = default;
  virtual void forecast(double decided_at, const std::vector<ForecastPoint>& points) = 0;
};

struct ReplayOptions {
  std::optional<std::int64_t>
      start_replicas;                // else target.replicas, else a "replicas" column, else min
  double ready_delay_seconds = 0;    // new replicas become ready after this
  std::optional<double> start_time;  // skip rows/ticks before (unix seconds)
  std::optional<double> end_time;    // stop after
  // Count only the ticks at or after this time (unix s): the ticks before it run (the policy
  // learns, the target moves) but the summary opens its books at the first tick from here.
  std::optional<double> measure_from;
  DemandModel model;
  ReplaySeries* series = nullptr;      // when set, receives the plotted ticks
  ReplayProgress* progress = nullptr;  // not owned; told at ticks 1, 4097, 8193, ...
  ForecastLog* forecasts = nullptr;    // when set, receives every forecast a decision carries
  // Closed loop through a real target (`replay --actuate`): its count is read and every change
  // sent to it; it answers on `io`, which the replay runs until each tick finishes. Not owned.
  Actuator* actuator = nullptr;
  boost::asio::io_context* io = nullptr;
};

// Runs the policy over the trace. Throws TraceError on malformed input, std::runtime_error when
// a configured signal's column is absent. `csv` may be null.
ReplaySummary replay_trace(PolicyRuntime& policy, TraceReader& trace, const ReplayOptions& opts,
                           DecisionCsvWriter* csv);

}  // namespace luascale
