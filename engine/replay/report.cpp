// engine/replay/report.cpp — the self-contained HTML replay report: the document, what was
// replayed, the comparison table with its SLO verdicts; the charts are report_charts.cpp's.
#include "engine/replay/report.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "engine/replay/report_charts.hpp"

namespace luascale {
namespace {

std::string code(const std::string& text) {
  return "<code>" + html_escape(text) + "</code>";
}

// What was replayed: the command, the config, each trace with its rows and time span, the demand
// model and the SLO.
void setup_section(std::string& s, const ReportInputs& in) {
  s += "<section class=\"setup\">\n<h2>What was replayed</h2>\n<dl>\n";
  if (!in.command.empty()) s += "<dt>command</dt><dd>" + code(in.command) + "</dd>\n";
  s += "<dt>config</dt><dd>" +
       (in.config_path.empty() ? std::string("none: a bare policy script, without guardrails")
                               : code(in.config_path)) +
       "</dd>\n";
  // One line per trace: its rows and the time its replays covered.
  std::vector<std::string> order;
  std::map<std::string, const ReplaySummary*> first;
  for (const auto& r : in.rows)
    if (!first.count(r.trace)) {
      first[r.trace] = &r;
      order.push_back(r.trace);
    }
  s += "<dt>" + std::string(order.size() == 1 ? "trace" : "traces") +
       "</dt><dd><ul class=\"traces\">";
  for (const auto& t : order) {
    const ReplaySummary& r = *first[t];
    s += "<li>" + code(t) + ": " + std::to_string(r.rows) + " rows replayed, " +
         html_escape(format_timestamp(r.first_time)) + " – " +
         html_escape(format_timestamp(r.last_time)) + " (" +
         html_escape(format_metric(*find_replay_metric("span"), r)) + ")</li>";
  }
  s += "</ul></dd>\n";
  s += "<dt>demand model</dt><dd>" +
       (in.model_json.empty() ? std::string("none: the load chart plots a signal of the trace, and "
                                            "under-provisioning is not measured")
                              : "<pre>" + html_escape(in.model_json) + "</pre>") +
       "</dd>\n";
  if (!in.slos.empty()) {
    std::string bounds;
    for (const auto& b : slo_bounds(in.slos)) bounds += (bounds.empty() ? "" : ", ") + b.text;
    s += "<dt>slo</dt><dd>" + code(bounds) + " (each policy meets every bound or misses)</dd>\n";
  }
  s += "<dt>times</dt><dd>UTC</dd>\n</dl>\n</section>\n";
}

// The comparison table: one column per replayed policy (named as the summary names it), one row
// per metric of the vocabulary that some replay measured, the SLO verdict first. The best value
// of a cost or risk row is marked among the replays of the same trace that meet the SLO (all of
// them without --slo), when they differ.
void comparison_table(std::string& s, const ReportInputs& in) {
  const auto& rows = in.rows;
  const std::vector<MetricBound> slo = slo_bounds(in.slos);
  std::vector<bool> eligible(rows.size(), true);
  bool multi_trace = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!in.slos.empty()) eligible[i] = missed_bounds(slo, rows[i]).empty();
    multi_trace = multi_trace || rows[i].trace != rows.front().trace;
  }

  s += "<table class=\"comparison\">\n<thead><tr><th>metric</th>";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    s += "<th><a href=\"#policy-" + std::to_string(i) + "\">" + html_escape(rows[i].policy) +
         "</a><span class=\"script\">" + html_escape(rows[i].script);
    if (multi_trace)
      s += "<br>" + html_escape(std::filesystem::path(rows[i].trace).filename().string());
    s += "</span></th>";
  }
  s += "</tr></thead>\n<tbody>\n";

  if (!in.slos.empty()) {
    s += "<tr class=\"verdict\"><th scope=\"row\">slo<span class=\"desc\">meets every bound "
         "of the SLO</span></th>";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      std::string detail;
      for (const auto* b : missed_bounds(slo, rows[i]))
        detail += (detail.empty() ? "" : ", ") + std::string(b->metric->name) + " " +
                  format_metric(*b->metric, rows[i]) + " > " + format_metric(*b->metric, b->limit);
      s += eligible[i] ? "<td class=\"meets\">meets</td>"
                       : "<td class=\"misses\">misses: " + html_escape(detail) + "</td>";
    }
    s += "</tr>\n";
  }

  for (const auto& m : replay_metrics()) {
    bool any = false;
    for (const auto& r : rows) any = any || metric_measured(m, r);
    if (!any || !m.in_table) continue;
    s += "<tr><th scope=\"row\">" + code(m.name) + "<span class=\"desc\">" +
         html_escape(m.description) + "</span></th>";
    // Best per trace, among the eligible replays that measured it.
    std::map<std::string, std::pair<double, bool>> best;  // trace -> (lowest, values differ)
    if (m.ranked && rows.size() > 1)
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!eligible[i] || !metric_measured(m, rows[i])) continue;
        const double v = m.value(rows[i]);
        auto it = best.find(rows[i].trace);
        if (it == best.end()) {
          best[rows[i].trace] = {v, false};
        } else {
          it->second.second = it->second.second || v != it->second.first;
          it->second.first = std::min(it->second.first, v);
        }
      }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const ReplaySummary& r = rows[i];
      if (!metric_measured(m, r)) {
        s += "<td class=\"na\">not measured</td>";
        continue;
      }
      auto it = best.find(r.trace);
      const bool is_best =
          eligible[i] && it != best.end() && it->second.second && m.value(r) == it->second.first;
      s += is_best ? "<td class=\"best\">" : "<td>";
      s += html_escape(format_metric(m, r)) + "</td>";
    }
    s += "</tr>\n";
  }
  s += "<tr><th scope=\"row\">guardrails<span class=\"desc\">ticks where a guardrail changed the "
       "count</span></th>";
  for (const auto& r : rows) {
    std::string g;
    for (const auto& [k, n] : r.bound_by)
      g += (g.empty() ? "" : ", ") + k + " " + std::to_string(n);
    s += "<td>" + html_escape(g.empty() ? "none" : g) + "</td>";
  }
  s += "</tr>\n<tr><th scope=\"row\">first error</th>";
  for (const auto& r : rows)
    s += "<td>" + html_escape(r.first_error.empty() ? "-" : r.first_error) + "</td>";
  s += "</tr>\n</tbody>\n</table>\n";
  if (!in.slos.empty())
    s += "<p class=\"sub\">Best values are marked among the policies that meet the SLO, when two "
         "or more do.</p>\n";
}

// replay --backtest: per policy that forecast, its errors per horizon (the same cells as the
// text table), after the comparison table.
void backtest_section(std::string& s, const ReportInputs& in) {
  bool any = false;
  for (const auto& b : in.backtests) any = any || b.has_value();
  if (!any) return;
  s += "<section class=\"backtest\">\n<h2>Forecast backtest</h2>\n<p class=\"sub\">What each "
       "forecast said a step would hold against the mean of the rows in that step; horizon h: the "
       "step ends within h steps of the decision. mae: mean absolute error, mape: mean absolute "
       "percentage error (steps whose actual is 0 left out), bias: mean of forecast − actual "
       "(> 0: too high), coverage: share of actuals inside the forecast's interval.</p>\n";
  for (std::size_t i = 0; i < in.backtests.size(); ++i) {
    if (!in.backtests[i]) continue;
    const std::vector<std::vector<std::string>> cells = backtest_cells(*in.backtests[i]);
    s += "<h3>" + html_escape(backtest_title(*in.backtests[i])) + "</h3>\n";
    s += "<table class=\"comparison backtest\">\n<thead><tr>";
    for (const auto& c : cells.front()) s += "<th>" + html_escape(c) + "</th>";
    s += "</tr></thead>\n<tbody>\n";
    for (std::size_t r = 1; r < cells.size(); ++r) {
      s += "<tr>";
      for (const auto& c : cells[r]) s += "<td>" + html_escape(c) + "</td>";
      s += "</tr>\n";
    }
    s += "</tbody>\n</table>\n";
  }
  s += "</section>\n";
}

// One policy: what it ran with, then its charts.
void policy_section(std::string& s, std::size_t index, const ReplaySummary* sum,
                    const ReplaySeries* ser, const ReportPolicy* pol,
                    const report::ChartScales& scales) {
  std::string name = ser && !ser->policy.empty() ? ser->policy : sum ? sum->policy : "policy";
  s += "<section class=\"policy\" id=\"policy-" + std::to_string(index) + "\">\n";
  s += "<h2>" + html_escape(name) + "</h2>\n";
  if (sum) {
    s += "<p class=\"meta\">" + html_escape(sum->script) + " over " + html_escape(sum->trace);
    if (pol && pol->interval_seconds > 0)
      s += ", every " + html_escape(format_metric_duration(pol->interval_seconds));
    s += "</p>\n";
  }
  if (pol) {
    s += "<div class=\"policy-config\"><div><h3>params</h3><pre class=\"params\">" +
         html_escape(pol->params_json.empty() ? "{}" : pol->params_json) +
         "</pre></div><div><h3>guardrails</h3>";
    if (pol->guardrails_json.empty())
      s += "<p class=\"sub guardrails\">none: a bare script's counts are validated, not "
           "bounded</p>";
    else if (pol->guardrails_json == "{}")
      s += "<p class=\"sub guardrails\">none configured: minReplicas 1, and the legacy HPA "
           "rules (scale-up at most max(2 × current, 4) per evaluation, scale-down held to the "
           "highest recommendation of the last 5 minutes)</p>";
    else
      s += "<pre class=\"guardrails\">" + html_escape(pol->guardrails_json) + "</pre>";
    s += "</div></div>\n";
  }
  if (!ser || ser->buckets().empty()) {
    s += "<p class=\"empty\">no ticks were recorded</p>\n</section>\n";
    return;
  }
  report::policy_charts(s, *ser, sum, scales);
  s += "</section>\n";
}

const char* kStyle = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 24px auto; max-width: 1000px; padding: 0 16px; color: #1d2330; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 2px; border-top: 1px solid #dde1e8; padding-top: 14px; }
h3 { font-size: 13px; margin: 6px 0 2px; color: #3b4354; }
p.meta, p.sub, p.strip-note { color: #5b6475; margin: 0 0 8px; font-size: 13px; }
p.strip-note { font-size: 12px; margin-top: 2px; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #f6f7f9; border: 1px solid #e6e9ef; padding: 6px 8px; margin: 2px 0; overflow-x: auto; }
section.setup dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; font-size: 13px; margin: 8px 0; }
section.setup dt { color: #5b6475; } section.setup dd { margin: 0; }
section.setup dd code { word-break: break-all; }
ul.traces { margin: 0; padding-left: 16px; }
.policy-config { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
table.comparison { border-collapse: collapse; font-size: 13px; margin: 12px 0 8px; }
table.comparison th, table.comparison td { border: 1px solid #dde1e8; padding: 4px 10px; text-align: right; }
table.comparison thead th { background: #f2f4f8; text-align: center; vertical-align: top; }
table.comparison thead .script { display: block; font-weight: normal; font-size: 11px; color: #5b6475; }
table.comparison tbody th { text-align: left; font-weight: normal; color: #3b4354; background: #fafbfc; }
table.comparison tbody th .desc { display: block; font-size: 11px; color: #8a91a0; }
table.comparison td.best { background: #e3f4e6; font-weight: 600; }
table.comparison td.meets { background: #e3f4e6; font-weight: 600; text-align: center; }
table.comparison td.misses { background: #fbe4e4; color: #8e1c1c; text-align: center; }
table.comparison td.na { color: #8a91a0; }
table.comparison a { color: inherit; }
svg.chart { display: block; width: 100%; height: auto; }
svg text { font-size: 11px; fill: #5b6475; font-family: inherit; }
svg text.peak-label { font-size: 10px; fill: #1d2330; }
.grid { stroke: #eceef2; stroke-width: 1; }
.axis { stroke: #9aa2b1; stroke-width: 1; }
rect.under { fill: #e35d5d; }
rect.lane { fill: #f6f7f9; }
path.demand, path.signal { fill: none; stroke: #3b6fd4; stroke-width: 1.2; }
path.utilization { fill: none; stroke: #d9822b; stroke-width: 1; }
path.replicas { fill: none; stroke: #1f8a4c; stroke-width: 1.6; }
path.ready { fill: none; stroke: #1f8a4c; stroke-width: 1; stroke-dasharray: 4 3; }
path.recommended { fill: none; stroke: #9aa2b1; stroke-width: 1; }
path.nodes { fill: none; stroke: #7a4fc9; stroke-width: 1.4; }
circle.peak { fill: #1d2330; }
rect.scale-event.up { fill: #1f8a4c; }
rect.scale-event.down { fill: #3b6fd4; }
rect.error-mark { fill: #c62828; }
.legend { font-size: 12px; color: #3b4354; margin: 10px 0 2px; }
.key { margin-right: 16px; white-space: nowrap; }
.swatch { display: inline-block; width: 14px; height: 4px; vertical-align: middle; margin-right: 5px; }
.swatch.demand { background: #3b6fd4; } .swatch.utilization { background: #d9822b; }
.swatch.replicas { background: #1f8a4c; } .swatch.ready { background: repeating-linear-gradient(90deg, #1f8a4c 0 4px, transparent 4px 7px); }
.swatch.recommended { background: #9aa2b1; } .swatch.nodes { background: #7a4fc9; }
.swatch.under { background: #e35d5d; opacity: 0.5; height: 10px; }
footer { color: #8a91a0; font-size: 12px; margin-top: 28px; }
)css";

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void render_html_report(std::ostream& out, const ReportInputs& in) {
  std::string s;
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s += "<title>" + html_escape(in.title) + "</title>\n<style>" + kStyle +
       "</style>\n</head>\n<body>\n";
  s += "<h1>" + html_escape(in.title) + "</h1>\n";
  s += in.lead_html;
  const report::ChartScales scales = report::chart_scales(in.rows, in.series);
  if (in.rows.empty()) {
    s += "<p class=\"empty\">No " + html_escape(in.row_noun) + "s to report.</p>\n";
  } else {
    s += "<p class=\"sub\">" + std::to_string(in.rows.size()) + " " + html_escape(in.row_noun) +
         (in.rows.size() == 1 ? "" : "s") + ", " + html_escape(format_timestamp(scales.t0)) +
         " – " + html_escape(format_timestamp(scales.t1)) + "</p>\n";
    comparison_table(s, in);
    backtest_section(s, in);
    if (in.setup) setup_section(s, in);
  }
  const std::size_t sections = std::max(in.rows.size(), in.series.size());
  for (std::size_t i = 0; i < sections; ++i)
    policy_section(s, i, i < in.rows.size() ? &in.rows[i] : nullptr,
                   i < in.series.size() ? &in.series[i] : nullptr,
                   i < in.policies.size() ? &in.policies[i] : nullptr, scales);
  s += "<footer>luascale " LUASCALE_VERSION " " + html_escape(in.kind) +
       " report</footer>\n</body>\n</html>\n";
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

bool write_html_report(const std::string& path, const ReportInputs& in, std::string* error) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      if (error) *error = path + ": cannot write: " + std::strerror(errno);
      return false;
    }
    render_html_report(out, in);
    out.flush();
    if (!out) {
      if (error) *error = path + ": write failed";
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (error) *error = path + ": cannot write: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace luascale
