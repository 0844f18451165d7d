// engine/replay/replay.hpp — dry-run: one policy over a recorded trace with a virtual clock,
// the trace columns served as signals, and a simulated target. Open loop: the recorded signals
// are taken as they are, whatever the simulated count.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/loop/policy_runtime.hpp"
#include "engine/replay/demand_model.hpp"
#include "engine/replay/trace.hpp"

namespace luascale {

class ReplaySeries;

// Closed loop through a real actuator (`replay --actuate`): the recorded signals drive the
// policy on the virtual clock, but the target's count is read from, and every change sent to,
// an actuator (e.g. aws-asg pointed at a test endpoint). Both calls are synchronous.
class ReplayActuation {
 public:
  virtual ~ReplayActuation() = default;
  virtual ReadOutcome read() = 0;
  virtual ApplyOutcome apply(std::int64_t desired, const ActuationInfo& info) = 0;
};

struct ReplaySummary;

// Progress of a long replay (the CLI's progress bar): told every 4096 ticks, from the thread
// running the replay, with the summary so far (ticks, first_time) and the tick's virtual time.
class ReplayProgress {
 public:
  virtual ~ReplayProgress() = default;
  virtual void advanced(const ReplaySummary& so_far, double now) = 0;
};

struct ReplayOptions {
  std::optional<std::int64_t> start_replicas;  // else target.replicas, else a "replicas" column, else min
  double ready_delay_seconds = 0;              // new replicas become ready after this
  std::optional<double> start_time;            // skip rows/ticks before (unix seconds)
  std::optional<double> end_time;              // stop after
  DemandModel model;
  ReplaySeries* series = nullptr;              // when set, receives the plotted ticks
  ReplayActuation* actuation = nullptr;        // not owned; null = the simulated target
  ReplayProgress* progress = nullptr;          // not owned; told at ticks 1, 4097, 8193, ...
};

struct ReplaySummary {
  std::string policy;
  std::string script;
  std::string trace;
  double first_time = 0, last_time = 0;
  std::int64_t rows = 0;
  std::int64_t ticks = 0, decisions = 0, holds = 0, errors = 0;
  std::int64_t scale_ups = 0, scale_downs = 0, direction_changes = 0;
  std::int64_t start_replicas = 0, final_replicas = 0, min_replicas = 0, max_replicas = 0;
  double replica_seconds = 0;
  std::map<std::string, std::int64_t> bound_by;  // ticks where a guardrail changed the count
  std::string first_error;                        // "<time>: <error>"
  std::int64_t actuation_errors = 0;              // failed reads/applies (with --actuate)
  std::string first_actuation_error;              // "<time>: <error>"
  // With a demand model:
  bool has_demand = false, has_nodes = false, has_cost = false;
  std::int64_t under_ticks = 0;     // ticks under-provisioned
  double under_seconds = 0;         // time under-provisioned
  double peak_shortfall = 0;        // most replicas missing at one tick (ceil(needed) - ready)
  double max_recover_seconds = 0;   // longest under-provisioned stretch (time to recover)
  double node_seconds = 0;          // node-seconds, when nodes are simulated
  std::int64_t max_nodes = 0;
  double cost = 0;                  // from the prices per hour, when given
  double mean_replicas() const;
  double under_share() const { return ticks ? static_cast<double>(under_ticks) / static_cast<double>(ticks) : 0; }
  double node_hours() const { return node_seconds / 3600.0; }
  double replica_hours() const { return replica_seconds / 3600.0; }
};

// One plotted tick of a replay.
struct SeriesPoint {
  double time = 0;
  double demand = std::numeric_limits<double>::quiet_NaN();       // the demand column (or the first signal)
  double utilization = std::numeric_limits<double>::quiet_NaN();  // percent, when a demand model is set
  std::int64_t recommended = -1;  // the script's count; -1 on a hold or an error
  std::int64_t replicas = 0;      // the guarded count
  std::int64_t ready = 0;
  std::int64_t nodes = -1;        // -1 when nodes are not simulated
  bool under = false;             // under-provisioned at this tick
  bool scaled = false;            // a scale event happened here (or between this and the previous kept point)
  bool error = false;             // the evaluation failed here (or in between)
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

// Streams decisions as CSV: timestamp,recommended,replicas,bound_by,reason,policy,status,ready
// (the first five are the stable core; later columns are only ever appended).
class DecisionCsvWriter {
 public:
  static constexpr std::size_t kPad = 32;  // the zero padding of the fixed-size copies

  explicit DecisionCsvWriter(std::ostream& out);
  ~DecisionCsvWriter();
  // The policy column of the lines that follow (replay_trace sets it before its first tick).
  void set_policy(const std::string& policy);
  void write(const DecisionRecord& rec, std::int64_t ready);
  // Hands the buffered lines to the stream (replay_trace does this before it returns).
  void flush();

 private:
  static constexpr std::size_t kBufSize = 1 << 16;
  // Formats one line at p (room for 160 bytes, plus the reason twice and 2, plus the policy
  // field, plus kPad twice for the fixed-size copies); returns its end.
  char* format_line(char* p, const DecisionRecord& rec, std::int64_t ready);

  std::ostream& out_;
  std::unique_ptr<char[]> buf_;  // lines not yet written, up to kBufSize bytes
  std::size_t len_ = 0;
  // The policy's CSV field (quoted when needed) and its comma, zero-padded by kPad bytes so a
  // short one is copied in one fixed-size move.
  std::string policy_field_;
  std::size_t policy_len_ = 0;
  // A replay's unix times share all but their last five digits for a day at a time: those
  // leading digits are formatted once per change.
  std::int64_t time_hi_ = -1;
  char time_hi_text_[24] = {};
  std::size_t time_hi_len_ = 0;
};

// Runs the policy over the trace. Throws TraceError on malformed input, std::runtime_error when
// a configured signal's column is absent. `csv` may be null.
ReplaySummary replay_trace(PolicyRuntime& policy, TraceReader& trace, const ReplayOptions& opts,
                           DecisionCsvWriter* csv);

// The summary as an aligned text table, one row per summary.
void print_summary_table(const std::vector<ReplaySummary>& rows, std::ostream& out, bool with_trace = false);

// CSV-quotes a field when needed.
std::string csv_field(const std::string& s);

}  // namespace luascale
