// engine/replay/replay.hpp — dry-run: one policy over a recorded trace with a virtual clock,
// the trace columns served as signals, and a simulated target. Open loop: the recorded signals
// are taken as they are, whatever the simulated count.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/loop/policy_runtime.hpp"
#include "engine/replay/trace.hpp"

namespace luascale {

struct ReplayOptions {
  std::optional<std::int64_t> start_replicas;  // else target.replicas, else a "replicas" column, else min
  double ready_delay_seconds = 0;              // new replicas become ready after this
  std::optional<double> start_time;            // skip rows/ticks before (unix seconds)
  std::optional<double> end_time;              // stop after
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
  double mean_replicas() const;
  double replica_hours() const { return replica_seconds / 3600.0; }
};

// Streams decisions as CSV: timestamp,recommended,replicas,bound_by,reason,policy,status,ready
// (the first five are the stable core; later columns are only ever appended).
class DecisionCsvWriter {
 public:
  explicit DecisionCsvWriter(std::ostream& out);
  void write(const std::string& policy, const DecisionRecord& rec, std::int64_t ready);

 private:
  std::ostream& out_;
  std::string line_;  // reused
};

// Runs the policy over the trace. Throws TraceError on malformed input, std::runtime_error when
// a configured signal's column is absent. `csv` may be null.
ReplaySummary replay_trace(PolicyRuntime& policy, TraceReader& trace, const ReplayOptions& opts,
                           DecisionCsvWriter* csv);

// The summary as an aligned text table, one row per summary.
void print_summary_table(const std::vector<ReplaySummary>& rows, std::ostream& out);

// CSV-quotes a field when needed.
std::string csv_field(const std::string& s);

}  // namespace luascale
