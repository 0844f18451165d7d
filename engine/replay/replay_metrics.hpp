// engine/replay/replay_metrics.hpp — the one vocabulary of what a replay measured: each metric's
// name, unit and how its value is printed and read. The summary table's columns, the report's
// rows, `--slo`, `--fail-if` and `tune` all speak it, so a name means one thing everywhere, a
// share always prints as "5.96%" and a duration always as "2m15s".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/replay/replay_summary.hpp"

namespace luascale {

enum class MetricUnit {
  Count,     // whole number of ticks or events: "12"
  Replicas,  // a count of replicas or nodes: "7", a mean "6.43"
  Hours,     // replica-hours or node-hours: "1296.8"
  Money,     // priced cost: "1555.20"
  Share,     // a share of ticks, 0..1, printed as a percentage: "5.96%"
  Duration,  // seconds, printed "45s", "12m30s", "3h5m", "61d23h"
};

enum class MetricNeeds { Nothing, Demand, Nodes, Prices };  // what the replay must model

struct ReplayMetric {
  const char* name;         // "under", "replica_hours"
  const char* description;  // "share of ticks under-provisioned"
  MetricUnit unit;
  MetricNeeds needs;
  bool ranked;  // a cost or a risk (lower is better): the report marks the best value
  double (*value)(const ReplaySummary&);
  int decimals = -1;     // Replicas/Hours: fixed decimals (-1: whole numbers)
  bool in_table = true;  // a column of the summary table (scale_events sums two that are)
};

// Every metric, in the order the summary table shows them.
const std::vector<ReplayMetric>& replay_metrics();
// The metric called `name`, or null.
const ReplayMetric* find_replay_metric(std::string_view name);
// True when the summary measured it (a demand metric needs a demand model, and so on).
bool metric_measured(const ReplayMetric& m, const ReplaySummary& s);
// The value as the vocabulary prints it.
std::string format_metric(const ReplayMetric& m, double value);
std::string format_metric(const ReplayMetric& m, const ReplaySummary& s);
// A duration as the vocabulary prints it: at most two units, the second rounded.
std::string format_metric_duration(double seconds);

// A bound on a metric: `--slo under=5%` (metric <= limit), `--fail-if errors>0`.
struct MetricBound {
  const ReplayMetric* metric = nullptr;
  std::string op;  // ">", ">=", "<", "<="
  double limit = 0;
  std::string text;    // as given: "under=5%"
  std::string option;  // "--slo" or "--fail-if", for messages
  // True when the value satisfies `metric op limit`.
  bool holds(double value) const;
  bool holds(const ReplaySummary& s) const { return holds(metric->value(s)); }
};
// "--slo METRIC=LIMIT" or "METRIC<=LIMIT": a bound the policy must meet (metric <= limit).
// Throws std::runtime_error naming the option, the metric (with a suggestion) and the unit.
MetricBound parse_slo(const std::string& text);
// "--fail-if METRIC>LIMIT" (or >=, <, <=): a condition that fails the replay.
MetricBound parse_fail_if(const std::string& text);
// "under = 5.96% (under<=5%)": a bound's metric, its value and the bound.
std::string describe_bound(const MetricBound& b, const ReplaySummary& s);

// The bounds of an SLO as applied: the given ones, and errors=0 unless one of them bounds errors
// (a policy whose evaluations fail does not meet an SLO by holding its count).
std::vector<MetricBound> slo_bounds(const std::vector<MetricBound>& given);
// The bounds of `slo` (as slo_bounds gives them) that a summary misses; empty = it meets them.
std::vector<const MetricBound*> missed_bounds(const std::vector<MetricBound>& slo,
                                              const ReplaySummary& s);
// Throws std::runtime_error when a bound's metric needs a model the replay does not have
// (under-provisioning without a demand model, nodes without a node model, cost without prices):
// such a bound would be met by a value never measured.
void check_bounds_measurable(const std::vector<MetricBound>& bounds, bool demand, bool nodes,
                             bool prices);

}  // namespace luascale
