// engine/cli/cmd_shadow_report.cpp — `luascale shadow-report`: what shadow policies would have
// done against their live targets, from the shadow logs `run` wrote: a table on stdout and,
// with --report, the replay report with a shadow-vs-live section.
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "engine/cli/commands.hpp"
#include "engine/replay/trace.hpp"
#include "engine/shadow/shadow_report.hpp"

namespace luascale::cli {

int cmd_shadow_report(const ShadowReportOptions& o) {
  ShadowAnalysisOptions ao;
  if (!o.from.empty()) {
    ao.from = parse_timestamp(o.from);
    if (!ao.from) throw std::runtime_error("--from: not a timestamp: " + o.from);
  }
  if (!o.to.empty()) {
    ao.to = parse_timestamp(o.to);
    if (!ao.to) throw std::runtime_error("--to: not a timestamp: " + o.to);
  }
  ao.policies = o.policies;
  for (const auto& f : o.logs)
    ao.source += (ao.source.empty() ? "" : ", ") + std::filesystem::path(f).filename().string();
  ShadowAnalysis analysis(ao);
  try {
    for (const auto& f : o.logs) read_shadow_log(f, [&](ShadowRow& row) { analysis.add(row); });
  } catch (const ShadowLogError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  const std::vector<ShadowPolicy> policies = analysis.finish();
  if (policies.empty()) {
    std::cerr << "no shadow ticks"
              << (o.policies.empty() && o.from.empty() && o.to.empty()
                      ? " in " + ao.source
                      : " in " + ao.source + " match --policy/--from/--to")
              << "\n";
    return 1;
  }
  for (const auto& name : o.policies) {
    bool found = false;
    for (const auto& p : policies) found = found || p.comparison.policy == name;
    if (!found) std::cerr << "warning: no ticks of policy \"" << name << "\"\n";
  }
  print_shadow_table(policies, std::cout);
  if (!o.report.empty()) {
    std::string err;
    if (!write_shadow_report(o.report,
                             o.report_title.empty() ? "luascale shadow report" : o.report_title,
                             o.command_line, policies, &err)) {
      std::cerr << err << "\n";
      return 1;
    }
    std::cerr << "report written to " << o.report << "\n";
  }
  return 0;
}

}  // namespace luascale::cli
