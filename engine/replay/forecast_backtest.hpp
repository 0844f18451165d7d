// engine/replay/forecast_backtest.hpp — the forecast backtest of `replay --backtest`: what a policy
// forecast h steps ahead (the `forecast` its decisions carry) against what came in the trace, per
// horizon: mean absolute error, mean absolute percentage error, bias and, where the forecast
// gives an interval, the share of actual values inside it.
//
// A forecast point {time T, value V, lo, hi} stands for one step of the forecast, [T, T + step),
// where step is the spacing of the forecast's points (a single-point forecast: the policy's
// interval). What came is the mean of the signal's rows in that step; a step without a row is not
// scored. The point's horizon is h = ceil((T + step - decided) / step): the step ends within h
// steps after the decision (1 = the step the decision falls in). A point whose step ended before
// the decision is not a forecast and is not scored.
#pragma once

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "engine/replay/replay.hpp"

namespace luascale {

// The errors at one horizon (or over all of them).
struct BacktestHorizon {
  int steps = 0;                                          // h; 0 for the row over every horizon
  std::int64_t points = 0;                                // forecast points compared with what came
  double mae = std::numeric_limits<double>::quiet_NaN();  // mean |V - actual|
  double bias = std::numeric_limits<double>::quiet_NaN();  // mean (V - actual); > 0: too high
  // mean |V - actual| / |actual| over the points whose actual is not 0 (mape_points of them)
  double mape = std::numeric_limits<double>::quiet_NaN();
  std::int64_t mape_points = 0;
  // share of the points with an interval (interval_points) whose actual is in [lo, hi]
  double coverage = std::numeric_limits<double>::quiet_NaN();
  std::int64_t interval_points = 0;
};

struct BacktestTable {
  std::string policy;  // as the summary names it
  std::string signal;  // the trace column compared with
  double step = 0;     // seconds of one horizon step (the most common spacing of the points)
  std::int64_t forecasts = 0;             // decisions that carried a forecast
  std::int64_t unscored = 0;              // points not compared: no row in their step, or not ahead
  std::vector<BacktestHorizon> horizons;  // h = 1, 2, ... (those with points)
  BacktestHorizon all;                    // every scored point
};

// Collects a replay's forecasts (as its ForecastLog) and the signal's rows, then compares them.
class ForecastBacktest final : public ForecastLog {
 public:
  // `single_step`: the step of a forecast of one point (the policy's interval), seconds > 0.
  explicit ForecastBacktest(double single_step) : single_step_(single_step) {}

  void forecast(double decided_at, const std::vector<ForecastPoint>& points) override;
  // One row of the compared signal; rows in increasing time, NaN values are skipped.
  void actual(double time, double value);

  // The comparison. `policy` and `signal` only label it.
  BacktestTable table(const std::string& policy, const std::string& signal) const;

 private:
  struct Point {
    double decided_at, time, step, value, lo, hi;
  };
  double single_step_;
  std::int64_t forecasts_ = 0;
  std::vector<Point> points_;
  std::vector<double> times_;  // the signal's rows
  std::vector<double> sums_;   // sums_[i]: the sum of the first i values
};

// The table's cells, header first, as text and the report show them: one row per horizon (h, how
// far ahead its step ends, points, mae, mape, bias, coverage), then the row over all of them.
std::vector<std::vector<std::string>> backtest_cells(const BacktestTable& t);
// "forecast backtest of POLICY against SIGNAL (N forecasts; horizon in steps of 10m)"
std::string backtest_title(const BacktestTable& t);

// The table as aligned text: one line per horizon, then the line over all of them.
void print_backtest_table(const BacktestTable& t, std::ostream& out);

}  // namespace luascale
