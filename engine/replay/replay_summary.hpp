// engine/replay/replay_summary.hpp — what a replay measured (cost, SLO risk, churn) and the
// aligned table that shows one row per replay.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace luascale {

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
  std::string first_error;                       // "<time>: <error>"
  std::int64_t actuation_errors = 0;             // failed reads/applies (with --actuate)
  std::string first_actuation_error;             // "<time>: <error>"
  // With a demand model:
  bool has_demand = false, has_nodes = false, has_cost = false;
  std::int64_t under_ticks = 0;    // ticks under-provisioned
  double under_seconds = 0;        // time under-provisioned
  double peak_shortfall = 0;       // most replicas missing at one tick (ceil(needed) - ready)
  double max_recover_seconds = 0;  // longest under-provisioned stretch (time to recover)
  // Slack, (capacity - demand) / capacity with capacity = ready replicas x capacity_per_replica,
  // integrated over the time it held: only while the demand is known and some capacity is ready.
  double slack_seconds = 0;   // seconds over which slack was measured
  double slack_integral = 0;  // sum of slack x seconds (may be < 0: demand above capacity)
  double node_seconds = 0;    // node-seconds, when nodes are simulated
  std::int64_t max_nodes = 0;
  double cost = 0;  // from the prices per hour, when given
  // Node-seconds per node group, when the policy's decisions name groups (`groups`).
  std::map<std::string, double> group_node_seconds;
  double mean_replicas() const;
  double under_share() const {
    return ticks ? static_cast<double>(under_ticks) / static_cast<double>(ticks) : 0;
  }
  // Time-weighted mean slack, a share (< 0 when demand exceeded capacity); NaN when never measured.
  double slack() const;
  double node_hours() const { return node_seconds / 3600.0; }
  double replica_hours() const { return replica_seconds / 3600.0; }
};

// The summary as an aligned text table, one row per summary.
void print_summary_table(const std::vector<ReplaySummary>& rows, std::ostream& out,
                         bool with_trace = false);

}  // namespace luascale
