// engine/cli/replay_verdict.cpp — see replay_verdict.hpp.
#include "engine/cli/replay_verdict.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace luascale::cli {
namespace {

std::string row_name(const ReplaySummary& s, bool multi_trace) {
  return s.policy +
         (multi_trace ? " (" + std::filesystem::path(s.trace).filename().string() + ")" : "");
}

}  // namespace

bool errors_handled(const ReplayGates& g) {
  if (g.allow_errors) return true;
  for (const auto* list : {&g.slos, &g.fail_ifs})
    for (const auto& b : *list)
      if (std::string(b.metric->name) == "errors") return true;
  return false;
}

int replay_verdict(const std::vector<ReplaySummary>& rows, const ReplayGates& g, bool multi_trace,
                   std::ostream& out, std::ostream& err) {
  int status = 0;
  if (!g.slos.empty()) {
    const std::vector<MetricBound> slo = slo_bounds(g.slos);
    std::string bounds;
    for (const auto& b : slo) bounds += (bounds.empty() ? "" : ", ") + b.text;
    out << "\nslo " << bounds << ":\n";
    std::size_t width = 0;
    for (const auto& s : rows) width = std::max(width, row_name(s, multi_trace).size());
    std::map<std::string, bool> trace_met;  // trace -> some policy meets the SLO on it
    for (const auto& s : rows) {
      const auto missed = missed_bounds(slo, s);
      std::string detail;
      for (const auto& b : slo) {
        const bool miss = !b.holds(s);
        if (miss || missed.empty())
          detail += (detail.empty() ? "" : ", ") + std::string(b.metric->name) + " " +
                    format_metric(*b.metric, s) +
                    (miss ? " > " + format_metric(*b.metric, b.limit) : "");
      }
      const std::string name = row_name(s, multi_trace);
      out << "  " << name << std::string(width - name.size(), ' ') << "  "
          << (missed.empty() ? "meets " : "misses") << "  " << detail << "\n";
      trace_met[s.trace] = trace_met[s.trace] || missed.empty();
    }
    for (const auto& [trace, met] : trace_met)
      if (!met) {
        err << "no policy meets the SLO" << (multi_trace ? " on " + trace : "") << "\n";
        status = 3;
      }
  }
  for (const auto& f : g.fail_ifs)
    for (const auto& s : rows)
      if (f.holds(s)) {
        out << "fail-if: " << row_name(s, multi_trace) << ": " << describe_bound(f, s) << "\n";
        status = 3;
      }
  if (!errors_handled(g)) {
    bool errored = false;
    for (const auto& s : rows) {
      if (s.errors == 0) continue;
      errored = true;
      err << "error: " << row_name(s, multi_trace) << ": " << s.errors << " of " << s.ticks
          << " evaluations failed; the first at " << s.first_error << "\n";
    }
    if (errored) {
      err << "a replay whose evaluations fail measures the held count, not the policy: fix the "
             "policy, or pass --allow-errors to accept them\n";
      status = 1;
    }
  }
  return status;
}

}  // namespace luascale::cli
