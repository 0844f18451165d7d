// engine/replay/forecast_backtest.cpp — see forecast_backtest.hpp.
#include "engine/replay/forecast_backtest.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "engine/core/text_table.hpp"
#include "engine/replay/replay_metrics.hpp"

namespace luascale {
namespace {

// Running sums of one horizon's errors.
struct Errors {
  std::int64_t n = 0, n_pct = 0, n_interval = 0, inside = 0;
  double abs_sum = 0, signed_sum = 0, pct_sum = 0;

  void add(double forecast, double actual, double lo, double hi) {
    const double e = forecast - actual;
    ++n;
    abs_sum += std::fabs(e);
    signed_sum += e;
    if (actual != 0) {
      ++n_pct;
      pct_sum += std::fabs(e) / std::fabs(actual);
    }
    if (!std::isnan(lo) && !std::isnan(hi)) {
      ++n_interval;
      if (actual >= lo && actual <= hi) ++inside;
    }
  }

  BacktestHorizon horizon(int steps) const {
    BacktestHorizon h;
    h.steps = steps;
    h.points = n;
    if (n > 0) {
      h.mae = abs_sum / static_cast<double>(n);
      h.bias = signed_sum / static_cast<double>(n);
    }
    h.mape_points = n_pct;
    if (n_pct > 0) h.mape = pct_sum / static_cast<double>(n_pct);
    h.interval_points = n_interval;
    if (n_interval > 0) h.coverage = static_cast<double>(inside) / static_cast<double>(n_interval);
    return h;
  }
};

std::string number(double v) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

void ForecastBacktest::forecast(double decided_at, const std::vector<ForecastPoint>& points) {
  if (points.empty()) return;
  ++forecasts_;
  for (std::size_t i = 0; i < points.size(); ++i) {
    double step = single_step_;
    if (i + 1 < points.size())
      step = points[i + 1].time - points[i].time;
    else if (i > 0)
      step = points[i].time - points[i - 1].time;
    points_.push_back(
        {decided_at, points[i].time, step, points[i].value, points[i].lo, points[i].hi});
  }
}

void ForecastBacktest::actual(double time, double value) {
  if (std::isnan(value)) return;
  if (sums_.empty()) sums_.push_back(0);
  times_.push_back(time);
  sums_.push_back(sums_.back() + value);
}

BacktestTable ForecastBacktest::table(const std::string& policy, const std::string& signal) const {
  BacktestTable t;
  t.policy = policy;
  t.signal = signal;
  t.forecasts = forecasts_;
  std::map<int, Errors> by_h;
  Errors all;
  std::map<double, std::int64_t> steps;  // spacing -> points, for the table's step
  for (const Point& p : points_) {
    ++steps[p.step];
    // What came: the mean of the rows in [time, time + step).
    const auto from = std::lower_bound(times_.begin(), times_.end(), p.time);
    const auto to = std::lower_bound(from, times_.end(), p.time + p.step);
    const double h_real = (p.time + p.step - p.decided_at) / p.step;
    if (from == to || !(p.step > 0) || h_real <= 1e-9) {
      ++t.unscored;
      continue;
    }
    const auto a = static_cast<std::size_t>(from - times_.begin());
    const auto b = static_cast<std::size_t>(to - times_.begin());
    const double actual = (sums_[b] - sums_[a]) / static_cast<double>(b - a);
    const int h = static_cast<int>(std::ceil(h_real - 1e-9));
    by_h[h].add(p.value, actual, p.lo, p.hi);
    all.add(p.value, actual, p.lo, p.hi);
  }
  std::int64_t most = 0;
  for (const auto& [step, n] : steps)
    if (n > most) {
      most = n;
      t.step = step;
    }
  for (const auto& [h, e] : by_h) t.horizons.push_back(e.horizon(h));
  t.all = all.horizon(0);
  return t;
}

std::vector<std::vector<std::string>> backtest_cells(const BacktestTable& t) {
  const ReplayMetric& share = *find_replay_metric("under");  // a share, printed as shares are
  std::vector<std::vector<std::string>> cells = {
      {"horizon", "ahead", "points", "mae", "mape", "bias", "coverage"}};
  auto row = [&](const BacktestHorizon& h, const std::string& name, const std::string& ahead) {
    cells.push_back({name, ahead, std::to_string(h.points), number(h.mae),
                     std::isnan(h.mape) ? "-" : format_metric(share, h.mape), number(h.bias),
                     std::isnan(h.coverage) ? "-" : format_metric(share, h.coverage)});
  };
  for (const auto& h : t.horizons)
    row(h, std::to_string(h.steps), format_metric_duration(h.steps * t.step));
  row(t.all, "all", "");
  return cells;
}

std::string backtest_title(const BacktestTable& t) {
  return "forecast backtest of " + t.policy + " against " + t.signal + " (" +
         std::to_string(t.forecasts) + " forecasts; horizon in steps of " +
         format_metric_duration(t.step) + ")";
}

void print_backtest_table(const BacktestTable& t, std::ostream& out) {
  out << backtest_title(t) << ":\n";
  const std::vector<std::vector<std::string>> cells = backtest_cells(t);
  print_text_table(cells, out);
  if (t.unscored > 0)
    out << t.unscored << " forecast point(s) not scored: no row of " << t.signal
        << " in their step, or their step ended before the decision\n";
}

}  // namespace luascale
