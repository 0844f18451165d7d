// engine/replay/report.hpp — the replay report: one self-contained HTML file (inline CSS and SVG,
// no scripts, no external fonts or images) with what was replayed (the command, config, traces,
// demand model, SLO), a comparison table of the summaries side by side in the metrics' own
// names, with the SLO verdict per policy and the best value of each cost or risk marked among
// the policies that meet it, and per policy its params and guardrails and charts of load,
// utilization, replicas (and nodes), under-provisioned periods and a strip of scale events and
// errors.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/replay/forecast_backtest.hpp"
#include "engine/replay/replay.hpp"
#include "engine/replay/replay_metrics.hpp"

namespace luascale {

// What one replayed policy ran with, shown beside its charts.
struct ReportPolicy {
  std::string params_json;      // the params the script ran with (its own merged with config's)
  std::string guardrails_json;  // the guardrail keys of its config object; "" for a bare script
  double interval_seconds = 0;
};

struct ReportInputs {
  std::string title = "luascale replay";
  std::string command;            // the command line that made the report
  std::string config_path;        // "" for a bare script
  std::string model_json;         // the config's "replay" object; "" when it has none
  std::vector<MetricBound> slos;  // --slo: a verdict per policy, "best" only among those meeting it
  std::vector<ReplaySummary> rows;
  std::vector<ReplaySeries> series;    // series[i] is rows[i]'s (may be shorter: no charts)
  std::vector<ReportPolicy> policies;  // policies[i] is rows[i]'s (may be shorter)
  // Another command reusing the document names it ("luascale <kind> report") and its rows
  // ("<n> <row_noun>s").
  std::string kind = "replay";
  std::string row_noun = "replay";
  bool setup = true;  // the "What was replayed" section (command, config, traces, model, SLO)
  // HTML placed right after the title, built and escaped by the caller (the shadow report's
  // own summary); "" for none.
  std::string lead_html;
  // replay --backtest: backtests[i] is rows[i]'s forecast backtest, when it forecast (may be
  // shorter, or empty without --backtest)
  std::vector<std::optional<BacktestTable>> backtests;
};

// Writes the report to `path` (replaced atomically: written to "<path>.tmp", then renamed).
// False + *error when the file cannot be written.
bool write_html_report(const std::string& path, const ReportInputs& in, std::string* error);

// The same document, to a stream.
void render_html_report(std::ostream& out, const ReportInputs& in);

// Escapes text for HTML element content and attribute values (& < > " ').
std::string html_escape(const std::string& text);

}  // namespace luascale
