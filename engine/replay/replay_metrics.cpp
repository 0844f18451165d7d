// engine/replay/replay_metrics.cpp — see replay_metrics.hpp.
#include "engine/replay/replay_metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "engine/core/suggest.hpp"
#include "engine/core/units.hpp"

namespace luascale {
namespace {

double as_double(std::int64_t v) {
  return static_cast<double>(v);
}

const std::vector<ReplayMetric> kMetrics = {
    {"span", "time replayed, first tick to last", MetricUnit::Duration, MetricNeeds::Nothing, false,
     [](const ReplaySummary& s) { return s.last_time - s.first_time; }},
    {"ticks", "evaluations", MetricUnit::Count, MetricNeeds::Nothing, false,
     [](const ReplaySummary& s) { return as_double(s.ticks); }},
    {"decisions", "ticks where the script returned a count", MetricUnit::Count,
     MetricNeeds::Nothing, false, [](const ReplaySummary& s) { return as_double(s.decisions); }},
    {"holds", "ticks where the script returned nil", MetricUnit::Count, MetricNeeds::Nothing, false,
     [](const ReplaySummary& s) { return as_double(s.holds); }},
    {"errors", "ticks where the evaluation failed", MetricUnit::Count, MetricNeeds::Nothing, true,
     [](const ReplaySummary& s) { return as_double(s.errors); }},
    {"scale_ups", "changes of count upwards", MetricUnit::Count, MetricNeeds::Nothing, false,
     [](const ReplaySummary& s) { return as_double(s.scale_ups); }},
    {"scale_downs", "changes of count downwards", MetricUnit::Count, MetricNeeds::Nothing, false,
     [](const ReplaySummary& s) { return as_double(s.scale_downs); }},
    {"scale_events", "changes of count (scale_ups + scale_downs)", MetricUnit::Count,
     MetricNeeds::Nothing, true,
     [](const ReplaySummary& s) { return as_double(s.scale_ups + s.scale_downs); }, -1, false},
    {"flips", "changes of scaling direction", MetricUnit::Count, MetricNeeds::Nothing, true,
     [](const ReplaySummary& s) { return as_double(s.direction_changes); }},
    {"min_replicas", "fewest replicas", MetricUnit::Replicas, MetricNeeds::Nothing, false,
     [](const ReplaySummary& s) { return as_double(s.min_replicas); }},
    {"mean_replicas", "replicas on average over time", MetricUnit::Replicas, MetricNeeds::Nothing,
     false, [](const ReplaySummary& s) { return s.mean_replicas(); }, 2},
    {"max_replicas", "most replicas", MetricUnit::Replicas, MetricNeeds::Nothing, false,
     [](const ReplaySummary& s) { return as_double(s.max_replicas); }},
    {"final_replicas", "replicas at the end", MetricUnit::Replicas, MetricNeeds::Nothing, false,
     [](const ReplaySummary& s) { return as_double(s.final_replicas); }},
    {"replica_hours", "replicas x hours they ran", MetricUnit::Hours, MetricNeeds::Nothing, true,
     [](const ReplaySummary& s) { return s.replica_hours(); }, 1},
    {"max_nodes", "most nodes", MetricUnit::Replicas, MetricNeeds::Nodes, false,
     [](const ReplaySummary& s) { return as_double(s.max_nodes); }},
    {"node_hours", "nodes x hours they ran", MetricUnit::Hours, MetricNeeds::Nodes, true,
     [](const ReplaySummary& s) { return s.node_hours(); }, 1},
    {"cost", "replica-hours and node-hours at their prices", MetricUnit::Money, MetricNeeds::Prices,
     true, [](const ReplaySummary& s) { return s.cost; }},
    {"under", "share of ticks under-provisioned", MetricUnit::Share, MetricNeeds::Demand, true,
     [](const ReplaySummary& s) { return s.under_share(); }},
    {"under_time", "time under-provisioned", MetricUnit::Duration, MetricNeeds::Demand, true,
     [](const ReplaySummary& s) { return s.under_seconds; }},
    {"shortfall", "most replicas missing at one tick", MetricUnit::Replicas, MetricNeeds::Demand,
     true, [](const ReplaySummary& s) { return s.peak_shortfall; }},
    {"recover", "longest under-provisioned stretch", MetricUnit::Duration, MetricNeeds::Demand,
     true, [](const ReplaySummary& s) { return s.max_recover_seconds; }},
    {"slack", "spare capacity, (capacity - demand) / capacity, over time", MetricUnit::Share,
     MetricNeeds::Demand, false, [](const ReplaySummary& s) { return s.slack(); }},
};

// Names other spellings have used, for the suggestion in an unknown-metric error.
const std::pair<const char*, const char*> kOtherNames[] = {
    {"under_share", "under"},
    {"under_seconds", "under_time"},
    {"peak_shortfall", "shortfall"},
    {"recover_seconds", "recover"},
    {"ups", "scale_ups"},
    {"downs", "scale_downs"},
    {"direction_changes", "flips"},
    {"replica-h", "replica_hours"},
    {"under%", "under"},
    {"node-h", "node_hours"},
    {"headroom", "slack"},
    {"spare", "slack"},
};

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const auto& m : kMetrics) names.push_back(m.name);
  return names;
}

const ReplayMetric& metric_or_throw(const std::string& option, const std::string& text,
                                    const std::string& name) {
  if (const ReplayMetric* m = find_replay_metric(name)) return *m;
  std::string hint;
  for (const auto& [other, name_now] : kOtherNames)
    if (name == other) hint = std::string(" (did you mean \"") + name_now + "\"?)";
  if (hint.empty()) hint = did_you_mean(name, metric_names());
  throw std::runtime_error(option + " " + text + ": unknown metric \"" + name + "\"" + hint +
                           "; metrics: " + word_list(metric_names()));
}

std::optional<double> plain_number(std::string_view text) {
  std::string t(text);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A limit in the metric's unit. Throws naming the option and the unit.
double read_limit(const std::string& option, const std::string& text, const ReplayMetric& m,
                  std::string_view limit) {
  auto bad = [&](const std::string& want) -> double {
    throw std::runtime_error(option + " " + text + ": " + m.name + " is " + want + ", not \"" +
                             std::string(limit) + "\"");
  };
  switch (m.unit) {
    case MetricUnit::Share: {
      if (!limit.empty() && limit.back() == '%') {
        auto v = plain_number(limit.substr(0, limit.size() - 1));
        if (!v || *v < 0 || *v > 100) return bad("a share: a percentage such as 5% or a fraction");
        return *v / 100;
      }
      auto v = plain_number(limit);
      if (!v || *v < 0 || *v > 1)
        return bad("a share: a percentage such as 5% or a fraction from 0 to 1 such as 0.05");
      return *v;
    }
    case MetricUnit::Duration: {
      auto v = parse_duration(limit);
      if (!v) return bad("a duration such as 90s, 5m or 1h (or seconds)");
      return *v;
    }
    default: {
      auto v = plain_number(limit);
      if (!v) return bad("a number");
      return *v;
    }
  }
}

}  // namespace

const std::vector<ReplayMetric>& replay_metrics() {
  return kMetrics;
}

const ReplayMetric* find_replay_metric(std::string_view name) {
  for (const auto& m : kMetrics)
    if (name == m.name) return &m;
  return nullptr;
}

bool metric_measured(const ReplayMetric& m, const ReplaySummary& s) {
  switch (m.needs) {
    case MetricNeeds::Nothing:
      return true;
    case MetricNeeds::Demand:
      return s.has_demand;
    case MetricNeeds::Nodes:
      return s.has_nodes;
    case MetricNeeds::Prices:
      return s.has_cost;
  }
  return true;
}

std::string format_metric_duration(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  if (seconds < 0) return "-" + format_metric_duration(-seconds);
  char buf[64];
  if (seconds < 60 && seconds != std::floor(seconds)) {
    std::snprintf(buf, sizeof buf, "%.3gs", seconds);
    return buf;
  }
  static const std::pair<long long, const char*> units[] = {
      {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  const long long total = std::llround(seconds);
  if (total == 0) return "0s";
  for (std::size_t i = 0; i < std::size(units); ++i) {
    const auto [size, name] = units[i];
    if (total < size) continue;
    long long first = total / size;
    if (i + 1 == std::size(units)) return std::to_string(first) + name;
    const auto [next_size, next_name] = units[i + 1];
    long long second = std::llround(static_cast<double>(total % size) / next_size);
    if (second * next_size == size) {
      ++first;
      second = 0;
    }
    return std::to_string(first) + name + (second ? std::to_string(second) + next_name : "");
  }
  return "0s";
}

std::string format_metric(const ReplayMetric& m, double v) {
  if (std::isnan(v)) return "-";  // never measured (slack without a capacity model)
  char buf[64];
  switch (m.unit) {
    case MetricUnit::Count:
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::llround(v)));
      break;
    case MetricUnit::Replicas:
    case MetricUnit::Hours:
      std::snprintf(buf, sizeof buf, "%.*f", m.decimals < 0 ? 0 : m.decimals, v);
      break;
    case MetricUnit::Money:
      std::snprintf(buf, sizeof buf, "%.2f", v);
      break;
    case MetricUnit::Share:
      std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
      break;
    case MetricUnit::Duration:
      return format_metric_duration(v);
  }
  return buf;
}

std::string format_metric(const ReplayMetric& m, const ReplaySummary& s) {
  return format_metric(m, m.value(s));
}

bool MetricBound::holds(double v) const {
  const double eps = 1e-12 * std::max(1.0, std::fabs(limit));
  if (op == ">") return v > limit + eps;
  if (op == ">=") return v >= limit - eps;
  if (op == "<") return v < limit - eps;
  return v <= limit + eps;
}

MetricBound parse_slo(const std::string& text) {
  std::size_t at = text.find("<=");
  std::size_t skip = 2;
  if (at == std::string::npos) {
    at = text.find('=');
    skip = 1;
  }
  if (at == std::string::npos || at == 0)
    throw std::runtime_error("--slo " + text + ": expected METRIC=LIMIT (e.g. under=1%)");
  MetricBound b;
  b.text = text;
  b.option = "--slo";
  b.op = "<=";
  b.metric = &metric_or_throw("--slo", text, text.substr(0, at));
  b.limit = read_limit("--slo", text, *b.metric, std::string_view(text).substr(at + skip));
  return b;
}

MetricBound parse_fail_if(const std::string& text) {
  for (const char* op : {">=", "<=", ">", "<"}) {
    const std::size_t at = text.find(op);
    if (at == std::string::npos) continue;
    if (at == 0) break;
    MetricBound b;
    b.text = text;
    b.option = "--fail-if";
    b.op = op;
    b.metric = &metric_or_throw("--fail-if", text, text.substr(0, at));
    b.limit = read_limit("--fail-if", text, *b.metric,
                         std::string_view(text).substr(at + std::strlen(op)));
    return b;
  }
  throw std::runtime_error("--fail-if " + text +
                           ": expected METRIC>LIMIT (or >=, <, <=), e.g. under>5%");
}

std::string describe_bound(const MetricBound& b, const ReplaySummary& s) {
  return std::string(b.metric->name) + " = " + format_metric(*b.metric, s) + " (" + b.text + ")";
}

std::vector<MetricBound> slo_bounds(const std::vector<MetricBound>& given) {
  std::vector<MetricBound> out = given;
  bool errors = false;
  for (const auto& b : given) errors = errors || std::string_view(b.metric->name) == "errors";
  if (!errors) out.push_back(parse_slo("errors=0"));
  return out;
}

std::vector<const MetricBound*> missed_bounds(const std::vector<MetricBound>& slo,
                                              const ReplaySummary& s) {
  std::vector<const MetricBound*> missed;
  for (const auto& b : slo)
    if (!b.holds(s)) missed.push_back(&b);
  return missed;
}

void check_bounds_measurable(const std::vector<MetricBound>& bounds, bool demand, bool nodes,
                             bool prices) {
  for (const auto& b : bounds) {
    const char* model = nullptr;
    if (b.metric->needs == MetricNeeds::Demand && !demand)
      model = "a demand model (replay.demand and replay.capacity_per_replica)";
    else if (b.metric->needs == MetricNeeds::Nodes && !nodes)
      model = "a node model (replay.nodes)";
    else if (b.metric->needs == MetricNeeds::Prices && !prices)
      model = "prices (replay.price_per_replica_hour, replay.nodes.price_per_hour)";
    if (model)
      throw std::runtime_error(b.option + " " + b.text + ": " + b.metric->name +
                               " is measured only with " + model +
                               ", which the config does not have");
  }
}

}  // namespace luascale
