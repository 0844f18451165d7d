// engine/replay/replay_summary.cpp — see replay_summary.hpp.
#include "engine/replay/replay_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "engine/core/units.hpp"

namespace luascale {
namespace {

std::string fmt(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

}  // namespace

double ReplaySummary::mean_replicas() const {
  double span = last_time - first_time;
  return span > 0 ? replica_seconds / span : static_cast<double>(final_replicas);
}

void print_summary_table(const std::vector<ReplaySummary>& rows, std::ostream& out,
                         bool with_trace) {
  bool demand = false, nodes = false, cost = false;
  for (const auto& s : rows) {
    demand = demand || s.has_demand;
    nodes = nodes || s.has_nodes;
    cost = cost || s.has_cost;
  }
  std::vector<std::string> head = {"policy"};
  if (with_trace) head.push_back("trace");
  for (const char* h : {"script", "span", "ticks", "decisions", "holds", "errors", "ups", "downs",
                        "flips", "min", "mean", "max", "final", "replica-h"})
    head.push_back(h);
  if (nodes) {
    head.push_back("max-nodes");
    head.push_back("node-h");
  }
  if (cost) head.push_back("cost");
  if (demand) {
    head.push_back("under%");
    head.push_back("under-h");
    head.push_back("shortfall");
    head.push_back("recover");
  }
  head.push_back("guardrails");
  const std::size_t left_cols = with_trace ? 3 : 2;
  std::vector<std::vector<std::string>> cells{head};
  for (const auto& s : rows) {
    std::string guards;
    for (const auto& [k, n] : s.bound_by)
      guards += (guards.empty() ? "" : " ") + k + "=" + std::to_string(n);
    if (guards.empty()) guards = "-";
    double span_h = (s.last_time - s.first_time) / 3600.0;
    std::string span = span_h >= 48 ? fmt(span_h / 24, 1) + "d" : fmt(span_h, 1) + "h";
    std::vector<std::string> r = {s.policy};
    if (with_trace) r.push_back(std::filesystem::path(s.trace).filename().string());
    for (std::string v :
         {s.script, span, std::to_string(s.ticks), std::to_string(s.decisions),
          std::to_string(s.holds), std::to_string(s.errors), std::to_string(s.scale_ups),
          std::to_string(s.scale_downs), std::to_string(s.direction_changes),
          std::to_string(s.min_replicas), fmt(s.mean_replicas(), 2), std::to_string(s.max_replicas),
          std::to_string(s.final_replicas), fmt(s.replica_hours(), 1)})
      r.push_back(v);
    if (nodes) {
      r.push_back(s.has_nodes ? std::to_string(s.max_nodes) : "-");
      r.push_back(s.has_nodes ? fmt(s.node_hours(), 1) : "-");
    }
    if (cost) r.push_back(s.has_cost ? fmt(s.cost, 2) : "-");
    if (demand) {
      r.push_back(s.has_demand ? fmt(100 * s.under_share(), 2) : "-");
      r.push_back(s.has_demand ? fmt(s.under_seconds / 3600, 1) : "-");
      r.push_back(s.has_demand ? fmt(s.peak_shortfall, 0) : "-");
      r.push_back(s.has_demand ? format_duration(s.max_recover_seconds) : "-");
    }
    r.push_back(guards);
    cells.push_back(std::move(r));
  }
  std::vector<std::size_t> width(cells[0].size(), 0);
  for (const auto& r : cells)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (std::size_t ri = 0; ri < cells.size(); ++ri) {
    std::string line;
    for (std::size_t i = 0; i < cells[ri].size(); ++i) {
      const std::string& c = cells[ri][i];
      bool left = i < left_cols || i + 1 == cells[ri].size();
      std::string pad(width[i] - c.size(), ' ');
      line += left ? c + pad : pad + c;
      if (i + 1 < cells[ri].size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
    if (ri == 0) {
      std::size_t total = 0;
      for (auto w : width) total += w + 2;
      out << std::string(total - 2, '-') << '\n';
    }
  }
  for (const auto& s : rows) {
    if (s.group_node_seconds.empty()) continue;
    out << s.policy << ": node groups:";
    const char* sep = " ";
    for (const auto& [group, seconds] : s.group_node_seconds) {
      out << sep << group << " " << fmt(seconds / 3600.0, 1) << " node-h";
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
