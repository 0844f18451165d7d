// engine/replay/report_charts.cpp — see report_charts.hpp. A chart is drawn from the series'
// buckets merged once more into columns about a pixel wide; merging keeps each column's extremes,
// so the highest point drawn is the highest value any tick had.
#include "engine/replay/report_charts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "engine/replay/replay_metrics.hpp"
#include "engine/replay/report.hpp"
#include "engine/replay/trace.hpp"

namespace luascale::report {
namespace {

// Plot geometry, SVG user units. Every chart shares the x range so policies line up.
constexpr double kWidth = 960;
constexpr double kLeft = 60, kRight = 60;  // room for the two y axes
constexpr double kChartHeight = 170;
constexpr double kTop = 10, kBottom = 24;   // room for the time labels
constexpr double kLane = 14, kLaneGap = 2;  // one lane of the event strip
constexpr double kStripHeight = 3 * (kLane + kLaneGap) + 2;
constexpr int kColumns = 1200;   // chart columns (the plot is 840 units wide)
constexpr int kStripBins = 240;  // bars of the event strip

std::string num(double v, int prec = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
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

// A tick label in UTC: the date on long spans, the time of day on short ones.
std::string time_label(double t, double span) {
  std::string s = format_timestamp(t);  // 1995-07-01T04:00:00Z
  if (s.size() < 16) return s;
  if (span > 4 * 86400) return s.substr(5, 5);  // 07-01
  if (span > 86400) return s.substr(5, 5) + " " + s.substr(11, 5);
  return s.substr(11, 5);  // 04:00
}

// "07-01 04:00" for titles.
std::string when(double t) {
  std::string s = format_timestamp(t);
  return s.size() < 16 ? s : s.substr(5, 5) + " " + s.substr(11, 5);
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
  s += "<text class=\"tick zone\" x=\"" + num(kWidth - kRight + 6) + "\" y=\"" + num(y_base + 15) +
       "\" text-anchor=\"start\">UTC</text>";
  s += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kWidth - kRight) + "\" y1=\"" +
       num(y_base) + "\" y2=\"" + num(y_base) + "\"/>";
}

void y_axis(std::string& s, const Linear& y, bool right, const std::string& unit) {
  for (double v : nice_ticks(y.d0, y.d1, 4)) {
    double py = y(v);
    if (!right)
      s += "<line class=\"grid\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kWidth - kRight) +
           "\" y1=\"" + num(py) + "\" y2=\"" + num(py) + "\"/>";
    double x = right ? kWidth - kRight + 6 : kLeft - 6;
    s += "<text class=\"tick\" x=\"" + num(x) + "\" y=\"" + num(py + 4) + "\" text-anchor=\"" +
         (right ? "start" : "end") + "\">" + html_escape(short_number(v) + unit) + "</text>";
  }
}

// The series merged into columns of the frame about a pixel wide (each bucket whole, in the
// column of its first tick), keeping every extreme.
std::vector<SeriesBucket> columns(const ReplaySeries& ser, const Frame& f) {
  std::vector<SeriesBucket> out;
  const double width = (kWidth - kLeft - kRight) / kColumns;
  long last_column = -1;
  for (const auto& b : ser.buckets()) {
    const long c = static_cast<long>(std::floor((f.x(b.time) - kLeft) / width));
    if (!out.empty() && c == last_column)
      out.back().merge(b);
    else
      out.push_back(b);
    last_column = c;
  }
  return out;
}

// A line through each column's extremes in the order they happened; a column without values (a
// gap in the data) breaks it.
std::string line_path(const std::vector<SeriesBucket>& cols, const Frame& f, const Linear& y,
                      const std::function<const Extent&(const SeriesBucket&)>& of) {
  std::string d;
  bool pen = false;
  for (const auto& c : cols) {
    const Extent& e = of(c);
    if (e.empty()) {
      pen = false;
      continue;
    }
    std::pair<double, double> pts[2] = {{e.min_time, e.min}, {e.max_time, e.max}};
    if (pts[1].first < pts[0].first) std::swap(pts[0], pts[1]);
    const int n = e.min == e.max ? 1 : 2;
    for (int i = 0; i < n; ++i) {
      d += pen ? "L" : "M";
      d += num(f.x(pts[i].first)) + " " + num(y(pts[i].second));
      pen = true;
    }
  }
  return d;
}

// A step line: each column's count holds until the next column; a column whose count moved
// draws its whole range as a vertical stroke, so no peak is lost. A column without values
// breaks the line.
std::string step_path(const std::vector<SeriesBucket>& cols, const Frame& f, const Linear& y,
                      const std::function<const Extent&(const SeriesBucket&)>& of) {
  std::string d;
  bool pen = false;
  double current = 0, x_now = 0;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const Extent& e = of(cols[i]);
    const double x0 = f.x(cols[i].time);
    if (e.empty()) {
      if (pen) d += "H" + num(x0);
      pen = false;
      continue;
    }
    if (!pen) {
      d += "M" + num(x0) + " " + num(y(e.first));
      current = e.first;
    } else if (e.min != current || e.max != current) {
      if (x0 != x_now) d += "H" + num(x0);
      if (e.first != current) d += "V" + num(y(e.first));
    }
    if (e.min != e.max) d += "V" + num(y(e.max)) + "V" + num(y(e.min));
    if (e.min != e.max || e.last != e.first) d += "V" + num(y(e.last));
    current = e.last;
    x_now = x0;
    pen = true;
  }
  if (pen) d += "H" + num(f.x(f.t1));
  return d;
}

// Under-provisioned stretches as bands over [top, base]: one <rect class="under"> per run of
// columns with under-provisioned ticks, darker the larger the share of its ticks, titled with
// its time range and share.
void under_bands(std::string& s, const std::vector<SeriesBucket>& cols, const Frame& f, double top,
                 double base) {
  for (std::size_t i = 0; i < cols.size();) {
    if (cols[i].under_ticks == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    std::int64_t under = 0, ticks = 0;
    for (; j < cols.size() && cols[j].under_ticks > 0; ++j) {
      under += cols[j].under_ticks;
      ticks += cols[j].ticks;
    }
    const double a = cols[i].time;
    const double b = j < cols.size() ? cols[j].time : f.t1;
    const double xa = f.x(a), xb = std::max(f.x(b), xa + 1);
    const double share = ticks ? static_cast<double>(under) / static_cast<double>(ticks) : 0;
    s += "<rect class=\"under\" x=\"" + num(xa) + "\" y=\"" + num(top) + "\" width=\"" +
         num(xb - xa) + "\" height=\"" + num(base - top) + "\" fill-opacity=\"" +
         num(0.2 + 0.5 * share, 2) + "\"><title>under-provisioned " +
         format_metric(*find_replay_metric("under"), share) + " of the ticks, " +
         html_escape(when(a)) + " – " + html_escape(when(b)) + " UTC</title></rect>";
    i = j;
  }
}

// A dot and a label at a chart's highest value.
void peak_mark(std::string& s, const std::vector<SeriesBucket>& cols, const Frame& f,
               const Linear& y, const std::function<const Extent&(const SeriesBucket&)>& of,
               const std::string& cls) {
  const Extent* top = nullptr;
  for (const auto& c : cols) {
    const Extent& e = of(c);
    if (!e.empty() && (!top || e.max > top->max)) top = &e;
  }
  if (!top) return;
  const double px = f.x(top->max_time), py = y(top->max);
  const bool left = px > (kLeft + kWidth - kRight) / 2;
  s += "<circle class=\"peak " + cls + "\" cx=\"" + num(px) + "\" cy=\"" + num(py) +
       "\" r=\"2.5\"/><text class=\"peak-label\" x=\"" + num(left ? px - 5 : px + 5) + "\" y=\"" +
       num(std::max(py - 3, kTop + 9)) + "\" text-anchor=\"" + (left ? "end" : "start") +
       "\">max " + html_escape(short_number(top->max)) + "</text>";
}

void legend_item(std::string& s, const std::string& cls, const std::string& label) {
  s += "<span class=\"key\"><span class=\"swatch " + cls + "\"></span>" + html_escape(label) +
       "</span>";
}

// Events per strip bar: [bin] -> ups, downs, errors.
struct StripBins {
  std::vector<std::int64_t> ups, downs, errors;
};

StripBins strip_bins(const ReplaySeries& ser, const ChartScales& sc) {
  StripBins b;
  b.ups.assign(kStripBins, 0);
  b.downs.assign(kStripBins, 0);
  b.errors.assign(kStripBins, 0);
  for (const auto& k : ser.buckets()) {
    const long i =
        std::clamp<long>(static_cast<long>((k.time - sc.t0) / sc.bin_seconds), 0, kStripBins - 1);
    b.ups[static_cast<std::size_t>(i)] += k.scale_ups;
    b.downs[static_cast<std::size_t>(i)] += k.scale_downs;
    b.errors[static_cast<std::size_t>(i)] += k.errors;
  }
  return b;
}

void strip_lane(std::string& s, const std::vector<std::int64_t>& counts, const ChartScales& sc,
                const Frame& f, double lane_top, double top_count, const std::string& cls,
                const std::string& what) {
  const double bar = (kWidth - kLeft - kRight) / kStripBins;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const double t = sc.t0 + static_cast<double>(i) * sc.bin_seconds;
    const double h =
        std::max(2.0, kLane * static_cast<double>(counts[i]) / std::max(top_count, 1.0));
    s += "<rect class=\"" + cls + "\" x=\"" + num(f.x(t)) + "\" y=\"" + num(lane_top + kLane - h) +
         "\" width=\"" + num(std::max(bar - 0.6, 0.8)) + "\" height=\"" + num(h) + "\"><title>" +
         std::to_string(counts[i]) + " " + what + ", " + html_escape(when(t)) + " – " +
         html_escape(when(t + sc.bin_seconds)) + " UTC</title></rect>";
  }
}

const Extent& demand_of(const SeriesBucket& b) {
  return b.demand;
}
const Extent& utilization_of(const SeriesBucket& b) {
  return b.utilization;
}
const Extent& replicas_of(const SeriesBucket& b) {
  return b.replicas;
}
const Extent& ready_of(const SeriesBucket& b) {
  return b.ready;
}
const Extent& recommended_of(const SeriesBucket& b) {
  return b.recommended;
}
const Extent& nodes_of(const SeriesBucket& b) {
  return b.nodes;
}

}  // namespace

std::string short_number(double v) {
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

ChartScales chart_scales(const std::vector<ReplaySummary>& rows,
                         const std::vector<ReplaySeries>& series) {
  ChartScales sc;
  bool any = false;
  auto widen = [&](double a, double b) {
    if (!std::isfinite(a) || !std::isfinite(b)) return;
    sc.t0 = any ? std::min(sc.t0, a) : a;
    sc.t1 = any ? std::max(sc.t1, b) : b;
    any = true;
  };
  double rtop = 0, utop = 100;
  for (const auto& r : rows) {
    if (r.ticks > 0) widen(r.first_time, r.last_time);
    rtop = std::max(rtop, static_cast<double>(r.max_replicas));
  }
  for (const auto& ser : series)
    for (const auto& b : ser.buckets()) {
      widen(b.time, b.end);
      for (const Extent* e : {&b.replicas, &b.recommended, &b.nodes})
        if (!e->empty()) rtop = std::max(rtop, e->max);
      if (!b.utilization.empty()) utop = std::max(utop, b.utilization.max);
    }
  if (sc.t1 <= sc.t0) sc.t1 = sc.t0 + 1;
  sc.replicas_top = nice_top(std::max(rtop, 1.0));
  sc.utilization_top = nice_top(utop);
  sc.bin_seconds = (sc.t1 - sc.t0) / kStripBins;
  double events = 1, errors = 1;
  for (const auto& ser : series) {
    StripBins b = strip_bins(ser, sc);
    for (std::size_t i = 0; i < b.ups.size(); ++i) {
      events = std::max({events, static_cast<double>(b.ups[i]), static_cast<double>(b.downs[i])});
      errors = std::max(errors, static_cast<double>(b.errors[i]));
    }
  }
  sc.events_top = events;
  sc.errors_top = errors;
  return sc;
}

void policy_charts(std::string& s, const ReplaySeries& ser, const ReplaySummary* sum,
                   const ChartScales& sc) {
  const std::string name = !ser.policy.empty() ? ser.policy : sum ? sum->policy : "policy";
  const Frame f{sc.t0, sc.t1, Linear{sc.t0, sc.t1, kLeft, kWidth - kRight}};
  const std::vector<SeriesBucket> cols = columns(ser, f);
  const double base = kChartHeight - kBottom;
  const std::string svg_open = "<svg class=\"chart ";
  const std::string view = "\" viewBox=\"0 0 " + num(kWidth, 0) + " ";

  // Load: the demand model's demand (or, without one, the first signal) and utilization.
  double dmax = 0;
  bool have_load = false, have_util = false;
  for (const auto& c : cols) {
    if (!c.demand.empty()) {
      have_load = true;
      dmax = std::max(dmax, c.demand.max);
    }
    have_util = have_util || !c.utilization.empty();
  }
  const std::string load_label =
      ser.demand_model ? "demand: " + ser.demand_label : "signal " + ser.demand_label;
  if (have_load || have_util) {
    s += "<div class=\"legend\">";
    if (have_load) legend_item(s, "demand", load_label + " (left axis)");
    if (have_util)
      legend_item(s, "utilization", "utilization % (right axis, same on every policy)");
    if (sum && sum->has_demand)
      legend_item(s, "under", "under-provisioned (darker: more of the ticks)");
    s += "</div>\n";
    s += svg_open + "demand-chart" + view + num(kChartHeight, 0) + "\" role=\"img\" aria-label=\"" +
         html_escape((have_load ? load_label : std::string("utilization")) + " over time for " +
                     name) +
         "\">";
    const Linear yd{0, nice_top(dmax), base, kTop};
    const Linear yu{0, sc.utilization_top, base, kTop};
    under_bands(s, cols, f, kTop, base);
    if (have_load) y_axis(s, yd, false, "");
    if (have_util) y_axis(s, yu, true, "%");
    x_axis(s, f, base, kTop);
    if (have_load)
      s += "<path class=\"" + std::string(ser.demand_model ? "demand" : "signal") + "\" d=\"" +
           line_path(cols, f, yd, demand_of) + "\"/>";
    if (have_util)
      s += "<path class=\"utilization\" d=\"" + line_path(cols, f, yu, utilization_of) + "\"/>";
    if (have_load) peak_mark(s, cols, f, yd, demand_of, "demand");
    s += "</svg>\n";
  }

  // Replicas (and nodes).
  bool have_nodes = false, ready_differs = false, rec_differs = false;
  for (const auto& c : cols) {
    have_nodes = have_nodes || !c.nodes.empty();
    ready_differs = ready_differs || c.ready.min != c.replicas.min ||
                    c.ready.max != c.replicas.max || c.ready.last != c.replicas.last;
    rec_differs = rec_differs || (!c.recommended.empty() && (c.recommended.min != c.replicas.min ||
                                                             c.recommended.max != c.replicas.max));
  }
  s += "<div class=\"legend\">";
  legend_item(s, "replicas", "replicas");
  if (ready_differs) legend_item(s, "ready", "ready");
  if (rec_differs) legend_item(s, "recommended", "script's recommendation");
  if (have_nodes) legend_item(s, "nodes", "nodes");
  s += "</div>\n";
  s += svg_open + "replicas-chart" + view + num(kChartHeight, 0) +
       "\" role=\"img\" aria-label=\"replicas over time for " + html_escape(name) + "\">";
  const Linear yr{0, sc.replicas_top, base, kTop};
  under_bands(s, cols, f, kTop, base);
  y_axis(s, yr, false, "");
  x_axis(s, f, base, kTop);
  if (rec_differs)
    s += "<path class=\"recommended\" d=\"" + step_path(cols, f, yr, recommended_of) + "\"/>";
  if (ready_differs) s += "<path class=\"ready\" d=\"" + step_path(cols, f, yr, ready_of) + "\"/>";
  if (have_nodes) s += "<path class=\"nodes\" d=\"" + step_path(cols, f, yr, nodes_of) + "\"/>";
  s += "<path class=\"replicas\" d=\"" + step_path(cols, f, yr, replicas_of) + "\"/>";
  peak_mark(s, cols, f, yr, replicas_of, "replicas");
  s += "</svg>\n";

  // Scale events and errors: bars counting them per stretch of time, on scales every policy
  // shares, so a busy policy shows taller bars, not a solid block.
  const StripBins bins = strip_bins(ser, sc);
  s += svg_open + "strip" + view + num(kStripHeight, 0) +
       "\" role=\"img\" aria-label=\"scale events and errors for " + html_escape(name) + "\">";
  const char* lanes[] = {"up", "down", "errors"};
  for (int l = 0; l < 3; ++l) {
    const double y0 = 1 + l * (kLane + kLaneGap);
    s += "<text class=\"tick\" x=\"" + num(kLeft - 6) + "\" y=\"" + num(y0 + 11) +
         "\" text-anchor=\"end\">" + lanes[l] + "</text>";
    s += "<rect class=\"lane\" x=\"" + num(kLeft) + "\" y=\"" + num(y0) + "\" width=\"" +
         num(kWidth - kLeft - kRight) + "\" height=\"" + num(kLane) + "\"/>";
  }
  strip_lane(s, bins.ups, sc, f, 1, sc.events_top, "scale-event up", "scale-ups");
  strip_lane(s, bins.downs, sc, f, 1 + kLane + kLaneGap, sc.events_top, "scale-event down",
             "scale-downs");
  strip_lane(s, bins.errors, sc, f, 1 + 2 * (kLane + kLaneGap), sc.errors_top, "error-mark",
             "failed evaluations");
  s += "</svg>\n";
  auto count = [](double n, const char* one, const char* many) {
    return short_number(n) + " " + (n == 1 ? one : many);
  };
  s += "<p class=\"strip-note\">Each bar counts the events of " +
       html_escape(format_metric_duration(sc.bin_seconds)) + " (UTC); a full-height bar is " +
       count(sc.events_top, "scale event", "scale events") + " in one direction";
  std::int64_t errors = 0;
  for (auto e : bins.errors) errors += e;
  if (errors > 0) s += ", or " + count(sc.errors_top, "failed evaluation", "failed evaluations");
  s += ".</p>\n";
}

}  // namespace luascale::report
