// engine/replay/report.cpp — the self-contained HTML replay report (inline CSS + SVG).
#include "engine/replay/report.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

namespace luascale {
namespace {

// Plot geometry, SVG user units. Every chart shares the x range so policies line up.
constexpr double kWidth = 960;
constexpr double kLeft = 60, kRight = 60;  // room for the two y axes
constexpr double kChartHeight = 170;
constexpr double kTop = 10, kBottom = 24;  // room for the time labels
constexpr double kStripHeight = 34;

std::string num(double v, int prec = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

// A short human number: 12, 1.5, 0.25, 12.3k, 4.1M.
std::string short_num(double v) {
  char buf[64];
  double a = std::fabs(v);
  if (a >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (a >= 1e4)
    std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// Axis ticks at 1, 2, 5 x 10^k covering [lo, hi] with about n steps.
std::vector<double> nice_ticks(double lo, double hi, int n) {
  std::vector<double> out;
  if (!(hi > lo)) return {lo};
  double raw = (hi - lo) / n;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push_back(t);
  return out;
}

// The smallest "nice" top >= v for an axis starting at 0.
double nice_top(double v) {
  if (!(v > 0)) return 1;
  auto t = nice_ticks(0, v, 4);
  double step = t.size() > 1 ? t[1] - t[0] : v;
  return std::ceil(v / step - 1e-9) * step;
}

struct Linear {
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  double operator()(double v) const {
    if (d1 == d0) return (r0 + r1) / 2;
    return r0 + (v - d0) * (r1 - r0) / (d1 - d0);
  }
};

std::string time_label(double t, double span) {
  std::string s = format_timestamp(t);  // 1995-07-01T04:00:00Z
  if (s.size() < 16) return s;
  if (span > 4 * 86400) return s.substr(5, 5);  // 07-01
  if (span > 86400) return s.substr(5, 5) + " " + s.substr(11, 5);
  return s.substr(11, 5);  // 04:00
}

// Time ticks on round UTC boundaries, at most about 8.
std::vector<double> time_ticks(double t0, double t1) {
  static const double steps[] = {60,         300,        600,       900,        1800,
                                 3600,       2 * 3600,   3 * 3600,  6 * 3600,   12 * 3600,
                                 86400,      2 * 86400,  7 * 86400, 14 * 86400, 30 * 86400,
                                 91 * 86400, 365 * 86400};
  double span = t1 - t0;
  double step = steps[std::size(steps) - 1];
  for (double s : steps)
    if (span / s <= 8) {
      step = s;
      break;
    }
  std::vector<double> out;
  if (!(span > 0)) return {t0};
  for (double t = std::ceil(t0 / step) * step; t <= t1; t += step) out.push_back(t);
  return out;
}

struct Frame {
  double t0 = 0, t1 = 1;
  Linear x;
};

void x_axis(std::string& s, const Frame& f, double y_base, double y_top) {
  for (double t : time_ticks(f.t0, f.t1)) {
    double x = f.x(t);
    s += "<line class=\"grid\" x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(y_top) +
         "\" y2=\"" + num(y_base) + "\"/>";
    s += "<text class=\"tick\" x=\"" + num(x) + "\" y=\"" + num(y_base + 15) +
         "\" text-anchor=\"middle\">" + html_escape(time_label(t, f.t1 - f.t0)) + "</text>";
  }
}

void y_axis(std::string& s, const Linear& y, double top, bool right, const std::string& unit) {
  for (double v : nice_ticks(y.d0, y.d1, 4)) {
    double py = y(v);
    if (!right)
      s += "<line class=\"grid\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kWidth - kRight) +
           "\" y1=\"" + num(py) + "\" y2=\"" + num(py) + "\"/>";
    double x = right ? kWidth - kRight + 6 : kLeft - 6;
    s += "<text class=\"tick\" x=\"" + num(x) + "\" y=\"" + num(py + 4) + "\" text-anchor=\"" +
         (right ? "start" : "end") + "\">" + html_escape(short_num(v) + unit) + "</text>";
  }
  (void)top;
}

// Under-provisioned spans as shaded bands over [top, base]; each band a <rect class="under">
// with a <title> giving its time range.
void under_bands(std::string& s, const ReplaySeries& ser, const Frame& f, double top, double base) {
  const auto& p = ser.points();
  for (std::size_t i = 0; i < p.size();) {
    if (!p[i].under) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < p.size() && p[j].under) ++j;
    double a = p[i].time;
    double b = j < p.size() ? p[j].time : f.t1;
    if (b <= a) b = a + (f.t1 - f.t0) / 1000;
    double xa = f.x(a), xb = std::max(f.x(b), xa + 1);
    s += "<rect class=\"under\" x=\"" + num(xa) + "\" y=\"" + num(top) + "\" width=\"" +
         num(xb - xa) + "\" height=\"" + num(base - top) + "\"><title>under-provisioned " +
         html_escape(format_timestamp(a)) + " – " + html_escape(format_timestamp(b)) +
         "</title></rect>";
    i = j;
  }
}

// A polyline path over finite values; NaN (a gap in the data) breaks the line.
std::string line_path(const ReplaySeries& ser, const Frame& f, const Linear& y,
                      const std::function<double(const SeriesPoint&)>& value) {
  std::string d;
  bool pen = false;
  for (const auto& p : ser.points()) {
    double v = value(p);
    if (!std::isfinite(v)) {
      pen = false;
      continue;
    }
    d += pen ? "L" : "M";
    d += num(f.x(p.time)) + " " + num(y(v));
    pen = true;
  }
  return d;
}

// A step path: each point's value holds until the next point (the last until the frame's end).
// Negative values (unknown) break the line.
std::string step_path(const ReplaySeries& ser, const Frame& f, const Linear& y,
                      const std::function<double(const SeriesPoint&)>& value) {
  std::string d;
  const auto& p = ser.points();
  bool pen = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    double v = value(p[i]);
    if (!(v >= 0)) {
      pen = false;
      continue;
    }
    double x0 = f.x(p[i].time);
    double x1 = f.x(i + 1 < p.size() ? p[i + 1].time : f.t1);
    double py = y(v);
    if (!pen)
      d += "M" + num(x0) + " " + num(py);
    else
      d += "V" + num(py);
    d += "H" + num(x1);
    pen = true;
  }
  return d;
}

void legend_item(std::string& s, const std::string& cls, const std::string& label) {
  s += "<span class=\"key\"><span class=\"swatch " + cls + "\"></span>" + html_escape(label) +
       "</span>";
}

void policy_section(std::string& s, std::size_t index, const ReplaySummary* sum,
                    const ReplaySeries& ser, const Frame& f, double replicas_top) {
  const auto& pts = ser.points();
  std::string name = !ser.policy.empty() ? ser.policy : sum ? sum->policy : "policy";
  s += "<section class=\"policy\" id=\"policy-" + std::to_string(index) + "\">\n";
  s += "<h2>" + html_escape(name) + "</h2>\n";
  if (sum)
    s += "<p class=\"meta\">" + html_escape(sum->script) + " over " + html_escape(sum->trace) +
         "</p>\n";
  if (pts.empty()) {
    s += "<p class=\"empty\">no ticks were recorded</p>\n</section>\n";
    return;
  }

  // Demand / utilization.
  double dmax = 0, umax = 0;
  bool have_demand = false, have_util = false;
  for (const auto& p : pts) {
    if (std::isfinite(p.demand)) {
      have_demand = true;
      dmax = std::max(dmax, p.demand);
    }
    if (std::isfinite(p.utilization)) {
      have_util = true;
      umax = std::max(umax, p.utilization);
    }
  }
  const double base = kChartHeight - kBottom;
  std::string demand_label = ser.demand_label.empty() ? "demand" : ser.demand_label;
  if (have_demand || have_util) {
    s += "<div class=\"legend\">";
    if (have_demand) legend_item(s, "demand", demand_label + " (left axis)");
    if (have_util) legend_item(s, "utilization", "utilization % (right axis)");
    if (!sum || sum->has_demand) legend_item(s, "under", "under-provisioned");
    s += "</div>\n";
    s += "<svg class=\"chart demand-chart\" viewBox=\"0 0 " + num(kWidth, 0) + " " +
         num(kChartHeight, 0) + "\" role=\"img\" aria-label=\"" + html_escape(demand_label) +
         " over time for " + html_escape(name) + "\">";
    Linear yd{0, nice_top(dmax), base, kTop};
    Linear yu{0, nice_top(std::max(umax, 100.0)), base, kTop};
    under_bands(s, ser, f, kTop, base);
    if (have_demand) y_axis(s, yd, kTop, false, "");
    if (have_util) y_axis(s, yu, kTop, true, "%");
    x_axis(s, f, base, kTop);
    s += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kWidth - kRight) +
         "\" y1=\"" + num(base) + "\" y2=\"" + num(base) + "\"/>";
    if (have_demand)
      s += "<path class=\"demand\" d=\"" +
           line_path(ser, f, yd, [](const SeriesPoint& p) { return p.demand; }) + "\"/>";
    if (have_util)
      s += "<path class=\"utilization\" d=\"" +
           line_path(ser, f, yu, [](const SeriesPoint& p) { return p.utilization; }) + "\"/>";
    s += "</svg>\n";
  }

  // Replicas (and nodes).
  bool have_nodes = false, ready_differs = false, rec_differs = false;
  for (const auto& p : pts) {
    have_nodes = have_nodes || p.nodes >= 0;
    ready_differs = ready_differs || p.ready != p.replicas;
    rec_differs = rec_differs || (p.recommended >= 0 && p.recommended != p.replicas);
  }
  s += "<div class=\"legend\">";
  legend_item(s, "replicas", "replicas");
  if (ready_differs) legend_item(s, "ready", "ready");
  if (rec_differs) legend_item(s, "recommended", "script's recommendation");
  if (have_nodes) legend_item(s, "nodes", "nodes");
  s += "</div>\n";
  s += "<svg class=\"chart replicas-chart\" viewBox=\"0 0 " + num(kWidth, 0) + " " +
       num(kChartHeight, 0) + "\" role=\"img\" aria-label=\"replicas over time for " +
       html_escape(name) + "\">";
  Linear yr{0, replicas_top, base, kTop};
  under_bands(s, ser, f, kTop, base);
  y_axis(s, yr, kTop, false, "");
  x_axis(s, f, base, kTop);
  s += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kWidth - kRight) + "\" y1=\"" +
       num(base) + "\" y2=\"" + num(base) + "\"/>";
  if (rec_differs)
    s += "<path class=\"recommended\" d=\"" +
         step_path(ser, f, yr,
                   [](const SeriesPoint& p) { return static_cast<double>(p.recommended); }) +
         "\"/>";
  if (ready_differs)
    s += "<path class=\"ready\" d=\"" +
         step_path(ser, f, yr, [](const SeriesPoint& p) { return static_cast<double>(p.ready); }) +
         "\"/>";
  if (have_nodes)
    s += "<path class=\"nodes\" d=\"" +
         step_path(ser, f, yr, [](const SeriesPoint& p) { return static_cast<double>(p.nodes); }) +
         "\"/>";
  s += "<path class=\"replicas\" d=\"" +
       step_path(ser, f, yr, [](const SeriesPoint& p) { return static_cast<double>(p.replicas); }) +
       "\"/>";
  s += "</svg>\n";

  // Scale events and errors.
  s += "<svg class=\"chart strip\" viewBox=\"0 0 " + num(kWidth, 0) + " " + num(kStripHeight, 0) +
       "\" role=\"img\" aria-label=\"scale events and errors for " + html_escape(name) + "\">";
  s +=
      "<text class=\"tick\" x=\"" + num(kLeft - 6) + "\" y=\"13\" text-anchor=\"end\">scale</text>";
  s += "<text class=\"tick\" x=\"" + num(kLeft - 6) +
       "\" y=\"29\" text-anchor=\"end\">errors</text>";
  s += "<rect class=\"lane\" x=\"" + num(kLeft) + "\" y=\"2\" width=\"" +
       num(kWidth - kLeft - kRight) + "\" height=\"14\"/>";
  s += "<rect class=\"lane\" x=\"" + num(kLeft) + "\" y=\"18\" width=\"" +
       num(kWidth - kLeft - kRight) + "\" height=\"14\"/>";
  std::int64_t prev = -1;
  for (const auto& p : pts) {
    double x = f.x(p.time);
    if (p.scaled) {
      const char* dir = prev < 0 || p.replicas >= prev ? "up" : "down";
      s += "<line class=\"scale-event " + std::string(dir) + "\" x1=\"" + num(x) + "\" x2=\"" +
           num(x) + "\" y1=\"3\" y2=\"15\"/>";
    }
    if (p.error)
      s += "<rect class=\"error-mark\" x=\"" + num(x - 1.5) +
           "\" y=\"19\" width=\"3\" height=\"12\"/>";
    prev = p.replicas;
  }
  s += "</svg>\n</section>\n";
}

struct Metric {
  std::string name;
  std::function<std::string(const ReplaySummary&)> text;
  std::function<double(const ReplaySummary&)> value;  // null: not ranked
  bool lower_is_better = true;
};

void comparison_table(std::string& s, const std::vector<ReplaySummary>& rows) {
  bool any_demand = false, any_nodes = false, any_cost = false, multi_trace = false;
  for (const auto& r : rows) {
    any_demand = any_demand || r.has_demand;
    any_nodes = any_nodes || r.has_nodes;
    any_cost = any_cost || r.has_cost;
    multi_trace = multi_trace || r.trace != rows.front().trace;
  }
  auto i64 = [](std::int64_t v) { return std::to_string(v); };
  std::vector<Metric> m;
  m.push_back({"script", [](const ReplaySummary& r) { return r.script; }, nullptr});
  if (multi_trace) m.push_back({"trace", [](const ReplaySummary& r) { return r.trace; }, nullptr});
  m.push_back({"span",
               [](const ReplaySummary& r) {
                 double h = (r.last_time - r.first_time) / 3600.0;
                 return h >= 48 ? num(h / 24, 1) + " d" : num(h, 1) + " h";
               },
               nullptr});
  m.push_back({"ticks", [&](const ReplaySummary& r) { return i64(r.ticks); }, nullptr});
  m.push_back({"replica-hours", [](const ReplaySummary& r) { return num(r.replica_hours(), 1); },
               [](const ReplaySummary& r) { return r.replica_hours(); }});
  if (any_nodes)
    m.push_back({"node-hours", [](const ReplaySummary& r) { return num(r.node_hours(), 1); },
                 [](const ReplaySummary& r) { return r.node_hours(); }});
  if (any_cost)
    m.push_back({"cost", [](const ReplaySummary& r) { return num(r.cost, 2); },
                 [](const ReplaySummary& r) { return r.cost; }});
  m.push_back({"replicas min / mean / max",
               [&](const ReplaySummary& r) {
                 return i64(r.min_replicas) + " / " + num(r.mean_replicas(), 2) + " / " +
                        i64(r.max_replicas);
               },
               nullptr});
  if (any_nodes)
    m.push_back({"max nodes", [&](const ReplaySummary& r) { return i64(r.max_nodes); }, nullptr});
  if (any_demand) {
    m.push_back({"under-provisioned",
                 [](const ReplaySummary& r) {
                   if (!r.has_demand) return std::string("not measured");
                   return num(100 * r.under_share(), 2) + " % of ticks (" +
                          num(r.under_seconds / 3600.0, 2) + " h)";
                 },
                 [](const ReplaySummary& r) { return r.has_demand ? r.under_share() : 1e300; }});
    m.push_back({"peak shortfall (replicas)",
                 [](const ReplaySummary& r) { return num(r.peak_shortfall, 1); },
                 [](const ReplaySummary& r) { return r.peak_shortfall; }});
    m.push_back(
        {"longest under-provisioned stretch",
         [](const ReplaySummary& r) { return num(r.max_recover_seconds / 60.0, 1) + " min"; },
         [](const ReplaySummary& r) { return r.max_recover_seconds; }});
  }
  m.push_back(
      {"scale events (up / down)",
       [&](const ReplaySummary& r) {
         return i64(r.scale_ups + r.scale_downs) + " (" + i64(r.scale_ups) + " / " +
                i64(r.scale_downs) + ")";
       },
       [](const ReplaySummary& r) { return static_cast<double>(r.scale_ups + r.scale_downs); }});
  m.push_back({"direction changes",
               [&](const ReplaySummary& r) { return i64(r.direction_changes); },
               [](const ReplaySummary& r) { return static_cast<double>(r.direction_changes); }});
  m.push_back({"decisions / holds",
               [&](const ReplaySummary& r) { return i64(r.decisions) + " / " + i64(r.holds); },
               nullptr});
  m.push_back({"script errors", [&](const ReplaySummary& r) { return i64(r.errors); },
               [](const ReplaySummary& r) { return static_cast<double>(r.errors); }});
  m.push_back({"guardrail interventions",
               [&](const ReplaySummary& r) {
                 std::string g;
                 for (const auto& [k, n] : r.bound_by)
                   g += (g.empty() ? "" : ", ") + k + " " + i64(n);
                 return g.empty() ? std::string("none") : g;
               },
               nullptr});
  m.push_back({"first error",
               [](const ReplaySummary& r) { return r.first_error.empty() ? "-" : r.first_error; },
               nullptr});

  s += "<table class=\"comparison\">\n<thead><tr><th>metric</th>";
  for (std::size_t i = 0; i < rows.size(); ++i)
    s += "<th><a href=\"#policy-" + std::to_string(i) + "\">" + html_escape(rows[i].policy) +
         "</a></th>";
  s += "</tr></thead>\n<tbody>\n";
  for (const auto& metric : m) {
    s += "<tr><th scope=\"row\">" + html_escape(metric.name) + "</th>";
    double best = 0;
    bool rank = metric.value && rows.size() > 1;
    if (rank) {
      best = metric.value(rows.front());
      for (const auto& r : rows) best = std::min(best, metric.value(r));
      bool all_same = true;
      for (const auto& r : rows) all_same = all_same && metric.value(r) == best;
      rank = !all_same;
    }
    for (const auto& r : rows) {
      bool is_best = rank && metric.value(r) == best;
      s += is_best ? "<td class=\"best\">" : "<td>";
      s += html_escape(metric.text(r)) + "</td>";
    }
    s += "</tr>\n";
  }
  s += "</tbody>\n</table>\n";
}

const char* kStyle = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 24px auto; max-width: 1000px; padding: 0 16px; color: #1d2330; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 2px; border-top: 1px solid #dde1e8; padding-top: 14px; }
p.meta, p.sub { color: #5b6475; margin: 0 0 8px; font-size: 13px; }
table.comparison { border-collapse: collapse; font-size: 13px; margin: 12px 0 8px; }
table.comparison th, table.comparison td { border: 1px solid #dde1e8; padding: 4px 10px; text-align: right; }
table.comparison thead th { background: #f2f4f8; text-align: center; }
table.comparison tbody th { text-align: left; font-weight: normal; color: #3b4354; background: #fafbfc; }
table.comparison td.best { background: #e3f4e6; font-weight: 600; }
table.comparison a { color: inherit; }
svg.chart { display: block; width: 100%; height: auto; }
svg text { font-size: 11px; fill: #5b6475; font-family: inherit; }
.grid { stroke: #eceef2; stroke-width: 1; }
.axis { stroke: #9aa2b1; stroke-width: 1; }
rect.under { fill: #f4a3a3; fill-opacity: 0.45; }
rect.lane { fill: #f6f7f9; }
path.demand { fill: none; stroke: #3b6fd4; stroke-width: 1.5; }
path.utilization { fill: none; stroke: #d9822b; stroke-width: 1.2; }
path.replicas { fill: none; stroke: #1f8a4c; stroke-width: 2; }
path.ready { fill: none; stroke: #1f8a4c; stroke-width: 1.2; stroke-dasharray: 4 3; }
path.recommended { fill: none; stroke: #9aa2b1; stroke-width: 1; }
path.nodes { fill: none; stroke: #7a4fc9; stroke-width: 1.8; }
line.scale-event { stroke-width: 1.2; }
line.scale-event.up { stroke: #1f8a4c; }
line.scale-event.down { stroke: #3b6fd4; }
rect.error-mark { fill: #c62828; }
.legend { font-size: 12px; color: #3b4354; margin: 10px 0 2px; }
.key { margin-right: 16px; white-space: nowrap; }
.swatch { display: inline-block; width: 14px; height: 4px; vertical-align: middle; margin-right: 5px; }
.swatch.demand { background: #3b6fd4; } .swatch.utilization { background: #d9822b; }
.swatch.replicas { background: #1f8a4c; } .swatch.ready { background: repeating-linear-gradient(90deg, #1f8a4c 0 4px, transparent 4px 7px); }
.swatch.recommended { background: #9aa2b1; } .swatch.nodes { background: #7a4fc9; }
.swatch.under { background: #f4a3a3; height: 10px; }
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

void render_html_report(std::ostream& out, const std::string& title,
                        const std::vector<ReplaySummary>& rows,
                        const std::vector<ReplaySeries>& series, const std::string& lead_html) {
  std::string s;
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s +=
      "<title>" + html_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  s += "<h1>" + html_escape(title) + "</h1>\n";
  s += lead_html;

  // The shared time frame and replica axis.
  double t0 = 0, t1 = 0, rtop = 0;
  bool any = false;
  auto widen = [&](double a, double b) {
    if (!std::isfinite(a) || !std::isfinite(b)) return;
    if (!any) {
      t0 = a;
      t1 = b;
      any = true;
    }
    t0 = std::min(t0, a);
    t1 = std::max(t1, b);
  };
  for (const auto& r : rows)
    if (r.ticks > 0) widen(r.first_time, r.last_time);
  for (const auto& ser : series) {
    if (!ser.points().empty()) widen(ser.points().front().time, ser.points().back().time);
    for (const auto& p : ser.points())
      rtop = std::max({rtop, static_cast<double>(p.replicas), static_cast<double>(p.recommended),
                       static_cast<double>(p.nodes)});
  }
  for (const auto& r : rows) rtop = std::max(rtop, static_cast<double>(r.max_replicas));
  if (t1 <= t0) t1 = t0 + 1;
  Frame f{t0, t1, Linear{t0, t1, kLeft, kWidth - kRight}};

  if (rows.empty()) {
    s += "<p class=\"empty\">No replays to report.</p>\n";
  } else {
    std::string traces;
    for (const auto& r : rows)
      if (traces.find(r.trace) == std::string::npos)
        traces += (traces.empty() ? "" : ", ") + r.trace;
    s += "<p class=\"sub\">" + std::to_string(rows.size()) +
         (rows.size() == 1 ? " policy" : " policies") + " over " + html_escape(traces) + ", " +
         html_escape(format_timestamp(t0)) + " – " + html_escape(format_timestamp(t1)) + "</p>\n";
    comparison_table(s, rows);
  }
  for (std::size_t i = 0; i < series.size(); ++i)
    policy_section(s, i, i < rows.size() ? &rows[i] : nullptr, series[i], f,
                   nice_top(std::max(rtop, 1.0)));
  s += "<footer>luascale " LUASCALE_VERSION " replay report</footer>\n</body>\n</html>\n";
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

bool write_html_report(const std::string& path, const std::string& title,
                       const std::vector<ReplaySummary>& rows,
                       const std::vector<ReplaySeries>& series, std::string* error,
                       const std::string& lead_html) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      if (error) *error = path + ": cannot write: " + std::strerror(errno);
      return false;
    }
    render_html_report(out, title, rows, series, lead_html);
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
