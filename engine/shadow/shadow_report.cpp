// engine/shadow/shadow_report.cpp — see shadow_report.hpp.
#include "engine/shadow/shadow_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "engine/core/text_table.hpp"
#include "engine/core/units.hpp"
#include "engine/replay/report.hpp"
#include "engine/replay/trace.hpp"

namespace luascale {
namespace {

std::string fixed(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

// "+1.5", "-0.3", "0.0"
std::string signed_fixed(double v, int prec) {
  std::string s = fixed(v, prec);
  if (s.find_first_not_of("-0.") == std::string::npos) return fixed(0, prec);
  return v > 0 ? "+" + s : s;
}

std::string percent(double share) {
  return fixed(100 * share, 1) + "%";
}

std::string hours(double seconds) {
  return fixed(seconds / 3600, seconds >= 36000 ? 1 : 2) + " h";
}

// One sentence on a policy: what it would have done against the live count.
std::string verdict(const ShadowComparison& c) {
  if (c.compared == 0) return c.policy + ": no tick read the live target; nothing to compare";
  std::string s = c.policy + ": differed from the live count at " + percent(c.share(c.differed())) +
                  " of " + std::to_string(c.compared) + " ticks (higher " +
                  percent(c.share(c.higher)) + ", lower " + percent(c.share(c.lower)) + ")";
  const double net = c.net_replica_hours();
  if (std::fabs(net) < 0.005)
    s += "; about the same replica-hours as live";
  else
    s += std::string("; it would have ") + (net > 0 ? "cost " : "saved ") +
         fixed(std::fabs(net), 2) + " replica-hours (" + signed_fixed(100 * c.net_share(), 1) +
         "% against live)";
  return s;
}

// ---- the chart: both counts on one time axis, the gaps shaded --------------------------------

constexpr double kWidth = 960, kHeight = 190;
constexpr double kLeft = 60, kRight = 20, kTop = 10, kBottom = 24;

std::string num(double v) {
  return fixed(v, 1);
}

std::string time_label(double t, double span) {
  const std::string s = format_timestamp(t);  // 1995-07-01T04:00:00Z
  if (s.size() < 16) return s;
  if (span > 4 * 86400) return s.substr(5, 5);
  if (span > 86400) return s.substr(5, 5) + " " + s.substr(11, 5);
  return s.substr(11, 5);
}

// A step line over each bucket's last count; a bucket without a count breaks it.
std::string steps(const std::vector<SeriesBucket>& bs, double t1,
                  const std::function<double(double)>& x, const std::function<double(double)>& y) {
  std::string d;
  bool pen = false;
  for (std::size_t i = 0; i < bs.size(); ++i) {
    if (bs[i].replicas.empty()) {
      pen = false;
      continue;
    }
    const double x0 = x(bs[i].time), x1 = x(i + 1 < bs.size() ? bs[i + 1].time : t1);
    d += (pen ? "V" : "M" + num(x0) + " ") + num(y(bs[i].replicas.last)) + "H" + num(x1);
    pen = true;
  }
  return d;
}

void overlay_chart(std::string& s, std::size_t index, const ShadowPolicy& p) {
  // Both series took the same ticks, so their buckets line up one for one.
  const auto& sh = p.shadow_series.buckets();
  const auto& lv = p.live_series.buckets();
  const ShadowComparison& c = p.comparison;
  const double t0 = c.first_time;
  double t1 = std::max(p.shadow.last_time, t0 + 1);
  std::int64_t top = 1;
  for (const auto* bs : {&sh, &lv})
    for (const auto& b : *bs)
      if (!b.replicas.empty()) top = std::max(top, static_cast<std::int64_t>(b.replicas.max));
  // Integer steps of 1, 2, 5 x 10^k, about four of them.
  std::int64_t step = 0;
  for (std::int64_t m = 1; step == 0; m *= 10)
    for (std::int64_t k : {1, 2, 5})
      if (step == 0 && k * m * 4 >= top) step = k * m;
  const double ytop = static_cast<double>((top + step - 1) / step * step);
  auto x = [&](double t) { return kLeft + (t - t0) * (kWidth - kLeft - kRight) / (t1 - t0); };
  auto y = [&](double v) { return kHeight - kBottom - v * (kHeight - kBottom - kTop) / ytop; };

  s += "<div class=\"legend\"><span class=\"key\"><span class=\"swatch live\"></span>live count "
       "(read)</span><span class=\"key\"><span class=\"swatch replicas\"></span>shadow: would have "
       "set</span><span class=\"key\"><span class=\"swatch above\"></span>shadow higher (would "
       "have cost)</span><span class=\"key\"><span class=\"swatch below\"></span>shadow lower "
       "(would have saved)</span></div>\n";
  s += "<svg class=\"chart shadow-chart\" id=\"shadow-chart-" + std::to_string(index) +
       "\" viewBox=\"0 0 " + fixed(kWidth, 0) + " " + fixed(kHeight, 0) +
       "\" role=\"img\" aria-label=\"shadow and live counts over time for " +
       html_escape(c.policy) + "\">";
  for (double v = 0; v <= ytop + 0.5; v += static_cast<double>(step)) {
    s += "<line class=\"grid\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kWidth - kRight) +
         "\" y1=\"" + num(y(v)) + "\" y2=\"" + num(y(v)) + "\"/>";
    s += "<text class=\"tick\" x=\"" + num(kLeft - 6) + "\" y=\"" + num(y(v) + 4) +
         "\" text-anchor=\"end\">" + fixed(v, 0) + "</text>";
  }
  for (int i = 0; i <= 4; ++i) {
    const double t = t0 + (t1 - t0) * i / 4;
    s += "<text class=\"tick\" x=\"" + num(x(t)) + "\" y=\"" + num(kHeight - 6) +
         "\" text-anchor=\"" +
         (i == 0   ? "start"
          : i == 4 ? "end"
                   : "middle") +
         "\">" + html_escape(time_label(t, t1 - t0)) + "</text>";
  }
  // The gaps: one band per bucket where both last counts are known and differ.
  for (std::size_t i = 0; i < sh.size() && i < lv.size(); ++i) {
    if (sh[i].replicas.empty() || lv[i].replicas.empty()) continue;
    const double sv = sh[i].replicas.last, lv_last = lv[i].replicas.last;
    if (sv == lv_last) continue;
    const double a = x(sh[i].time), b = x(i + 1 < sh.size() ? sh[i + 1].time : t1);
    const double hi = std::max(sv, lv_last), lo = std::min(sv, lv_last);
    s += "<rect class=\"" + std::string(sv > lv_last ? "above" : "below") + "\" x=\"" + num(a) +
         "\" y=\"" + num(y(hi)) + "\" width=\"" + num(std::max(b - a, 0.5)) + "\" height=\"" +
         num(y(lo) - y(hi)) + "\"/>";
  }
  s += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kWidth - kRight) + "\" y1=\"" +
       num(y(0)) + "\" y2=\"" + num(y(0)) + "\"/>";
  s += "<path class=\"live\" d=\"" + steps(lv, t1, x, y) + "\"/>";
  s += "<path class=\"replicas\" d=\"" + steps(sh, t1, x, y) + "\"/>";
  s += "</svg>\n";
}

const char* kShadowStyle = R"css(<style>
.swatch.live { background: #3b6fd4; } .swatch.above { background: #f2b27a; height: 10px; }
.swatch.below { background: #8fd1b0; height: 10px; }
path.live { fill: none; stroke: #3b6fd4; stroke-width: 1.6; stroke-dasharray: 5 3; }
rect.above { fill: #f2b27a; fill-opacity: 0.6; } rect.below { fill: #8fd1b0; fill-opacity: 0.6; }
h3 { font-size: 15px; margin: 18px 0 2px; }
</style>
)css";

}  // namespace

void print_shadow_table(const std::vector<ShadowPolicy>& policies, std::ostream& out) {
  std::vector<std::vector<std::string>> cells = {
      {"policy", "span", "ticks", "compared", "differed", "higher", "lower", "mean-above",
       "max-above", "mean-below", "max-below", "shadow-h", "live-h", "net-h", "net%"}};
  for (const auto& p : policies) {
    const ShadowComparison& c = p.comparison;
    const double span_h = (p.shadow.last_time - p.shadow.first_time) / 3600;
    cells.push_back(
        {c.policy, span_h >= 48 ? fixed(span_h / 24, 1) + "d" : fixed(span_h, 1) + "h",
         std::to_string(c.ticks), std::to_string(c.compared), percent(c.share(c.differed())),
         percent(c.share(c.higher)), percent(c.share(c.lower)), fixed(c.mean_above(), 2),
         std::to_string(c.max_above), fixed(c.mean_below(), 2), std::to_string(c.max_below),
         fixed(c.shadow_replica_seconds / 3600, 2), fixed(c.live_replica_seconds / 3600, 2),
         signed_fixed(c.net_replica_hours(), 2), signed_fixed(100 * c.net_share(), 1) + "%"});
  }
  print_text_table(cells, out, {1, false, 1});
  for (const auto& p : policies) out << verdict(p.comparison) << '\n';
  for (const auto& p : policies) {
    const ShadowComparison& c = p.comparison;
    if (c.unread > 0)
      out << c.policy << ": " << c.unread
          << " tick(s) could not read the live target (not compared), first at "
          << p.shadow.first_actuation_error << '\n';
    if (c.skipped > 0)
      out << c.policy << ": " << c.skipped
          << " row(s) earlier than the one before were skipped (give rotated logs oldest "
             "first: shadow.csv.1 before shadow.csv)\n";
  }
}

std::string shadow_section_html(const std::vector<ShadowPolicy>& policies) {
  std::string s = kShadowStyle;
  s += "<section class=\"shadow\" id=\"shadow\">\n<h2>Shadow vs live</h2>\n";
  s += "<p class=\"sub\">What each shadow policy would have set, against the live count read at "
       "the same tick; nothing was written to the targets. Each tick counts for the time to the "
       "next one.</p>\n";
  struct Row {
    const char* name;
    std::function<std::string(const ShadowPolicy&)> text;
  };
  auto ticks_of = [](const ShadowComparison& c, std::int64_t n, double secs) {
    return std::to_string(n) + " ticks (" + fixed(100 * c.share(n), 1) + " %), " + hours(secs);
  };
  const std::vector<Row> rows = {
      {"ticks compared",
       [](const ShadowPolicy& p) {
         const auto& c = p.comparison;
         std::string t = std::to_string(c.compared) + " of " + std::to_string(c.ticks);
         if (c.unread) t += " (" + std::to_string(c.unread) + " could not read the target)";
         return t;
       }},
      {"time compared", [](const ShadowPolicy& p) { return hours(p.comparison.compared_seconds); }},
      {"differed",
       [&](const ShadowPolicy& p) {
         const auto& c = p.comparison;
         return ticks_of(c, c.differed(), c.differed_seconds());
       }},
      {"shadow higher",
       [&](const ShadowPolicy& p) {
         const auto& c = p.comparison;
         return ticks_of(c, c.higher, c.higher_seconds) + "; by " + fixed(c.mean_above(), 2) +
                " replicas on average, at most " + std::to_string(c.max_above);
       }},
      {"shadow lower",
       [&](const ShadowPolicy& p) {
         const auto& c = p.comparison;
         return ticks_of(c, c.lower, c.lower_seconds) + "; by " + fixed(c.mean_below(), 2) +
                " replicas on average, at most " + std::to_string(c.max_below);
       }},
      {"longest stretch apart",
       [](const ShadowPolicy& p) {
         return format_duration(std::round(p.comparison.longest_apart_seconds));
       }},
      {"replica-hours, shadow / live",
       [](const ShadowPolicy& p) {
         return fixed(p.comparison.shadow_replica_seconds / 3600, 2) + " / " +
                fixed(p.comparison.live_replica_seconds / 3600, 2);
       }},
      {"would have cost (while higher)",
       [](const ShadowPolicy& p) {
         return fixed(p.comparison.cost_replica_hours(), 2) + " replica-hours";
       }},
      {"would have saved (while lower)",
       [](const ShadowPolicy& p) {
         return fixed(p.comparison.saved_replica_hours(), 2) + " replica-hours";
       }},
      {"net",
       [](const ShadowPolicy& p) {
         const auto& c = p.comparison;
         const double net = c.net_replica_hours();
         return signed_fixed(net, 2) + " replica-hours (" + signed_fixed(100 * c.net_share(), 1) +
                " %): " +
                (std::fabs(net) < 0.005 ? "the same"
                 : net > 0              ? "would have cost"
                                        : "would have saved");
       }},
      {"scale events, shadow / live",
       [](const ShadowPolicy& p) {
         return std::to_string(p.shadow.scale_ups + p.shadow.scale_downs) + " / " +
                std::to_string(p.live.scale_ups + p.live.scale_downs);
       }},
  };
  s += "<table class=\"comparison shadow-comparison\">\n<thead><tr><th>metric</th>";
  for (std::size_t i = 0; i < policies.size(); ++i)
    s += "<th><a href=\"#shadow-chart-" + std::to_string(i) + "\">" +
         html_escape(policies[i].comparison.policy) + "</a></th>";
  s += "</tr></thead>\n<tbody>\n";
  for (const auto& r : rows) {
    s += "<tr><th scope=\"row\">" + html_escape(r.name) + "</th>";
    for (const auto& p : policies) s += "<td>" + html_escape(r.text(p)) + "</td>";
    s += "</tr>\n";
  }
  s += "</tbody>\n</table>\n";
  for (std::size_t i = 0; i < policies.size(); ++i) {
    s += "<h3>" + html_escape(policies[i].comparison.policy) + ": shadow and live counts</h3>\n";
    s += "<p class=\"meta\">" + html_escape(verdict(policies[i].comparison)) + "</p>\n";
    overlay_chart(s, i, policies[i]);
  }
  s += "</section>\n<h2>Summaries and charts, as replay shows them</h2>\n";
  return s;
}

bool write_shadow_report(const std::string& path, const std::string& title,
                         const std::string& command, const std::vector<ShadowPolicy>& policies,
                         std::string* error) {
  ReportInputs in;
  in.title = title;
  in.command = command;
  in.kind = "shadow";
  in.row_noun = "count";  // each policy's would-be count and its live count
  in.setup = false;       // the shadow section says what was compared
  for (const auto& p : policies) {
    in.rows.push_back(p.shadow);
    in.series.push_back(p.shadow_series);
    in.rows.push_back(p.live);
    in.series.push_back(p.live_series);
  }
  in.lead_html = shadow_section_html(policies);
  return write_html_report(path, in, error);
}

}  // namespace luascale
