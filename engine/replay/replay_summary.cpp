// engine/replay/replay_summary.cpp — see replay_summary.hpp.
#include "engine/replay/replay_summary.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>

#include "engine/core/text_table.hpp"
#include "engine/replay/replay_metrics.hpp"

namespace luascale {

double ReplaySummary::mean_replicas() const {
  double span = last_time - first_time;
  return span > 0 ? replica_seconds / span : static_cast<double>(final_replicas);
}

double ReplaySummary::slack() const {
  return slack_seconds > 0 ? slack_integral / slack_seconds
                           : std::numeric_limits<double>::quiet_NaN();
}

void print_summary_table(const std::vector<ReplaySummary>& rows, std::ostream& out,
                         bool with_trace) {
  // A metric's column is shown when some row measures it; a row that does not shows "-".
  std::vector<const ReplayMetric*> columns;
  for (const auto& m : replay_metrics()) {
    if (!m.in_table) continue;
    bool any = false;
    for (const auto& s : rows) any = any || metric_measured(m, s);
    if (any) columns.push_back(&m);
  }
  std::vector<std::string> head = {"policy"};
  if (with_trace) head.push_back("trace");
  head.push_back("script");
  for (const auto* m : columns) head.push_back(m->name);
  head.push_back("guardrails");
  const std::size_t left_cols = with_trace ? 3 : 2;
  std::vector<std::vector<std::string>> cells{head};
  for (const auto& s : rows) {
    std::string guards;
    for (const auto& [k, n] : s.bound_by)
      guards += (guards.empty() ? "" : " ") + k + "=" + std::to_string(n);
    if (guards.empty()) guards = "-";
    std::vector<std::string> r = {s.policy};
    if (with_trace) r.push_back(std::filesystem::path(s.trace).filename().string());
    r.push_back(s.script);
    for (const auto* m : columns) r.push_back(metric_measured(*m, s) ? format_metric(*m, s) : "-");
    r.push_back(guards);
    cells.push_back(std::move(r));
  }
  print_text_table(cells, out, {left_cols, true, 1});
  for (const auto& s : rows) {
    if (s.group_node_seconds.empty()) continue;
    out << s.policy << ": node groups:";
    const char* sep = " ";
    for (const auto& [group, seconds] : s.group_node_seconds) {
      out << sep << group << " "
          << format_metric(*find_replay_metric("node_hours"), seconds / 3600.0) << " node-h";
      sep = ", ";
    }
    out << '\n';
  }
  for (const auto& s : rows)
    if (!s.first_error.empty()) out << s.policy << ": first error at " << s.first_error << '\n';
  for (const auto& s : rows)
    if (s.actuation_errors > 0)
      out << s.policy << ": " << s.actuation_errors << " actuation error(s), first at "
          << s.first_actuation_error << '\n';
}

}  // namespace luascale
