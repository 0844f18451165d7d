// tests/unit/unit-forecast-backtest.cpp — the forecast backtest's arithmetic, checked by hand:
// what came in each step, the horizon of each point, MAE, MAPE, bias and interval coverage per
// horizon and over all, the points it cannot score; and a replay handing it each decision's
// forecast.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "engine/config/config.hpp"
#include "engine/replay/forecast_backtest.hpp"
#include "fixtures.hpp"

using namespace luascale;
using luascale::test::TempDir;

namespace {

ForecastPoint point(double time, double value, double lo = NAN, double hi = NAN) {
  ForecastPoint p;
  p.time = time;
  p.value = value;
  p.lo = lo;
  p.hi = hi;
  return p;
}

}  // namespace

TEST_CASE("backtest arithmetic: per horizon and over all, by hand") {
  ForecastBacktest bt(60);
  // Rows: step [0, 60) holds 10 and 20 (mean 15), [60, 120) holds 30, [120, 180) holds 0.
  bt.actual(0, 10);
  bt.actual(30, 20);
  bt.actual(60, 30);
  bt.actual(90, NAN);  // a gap in the signal: skipped
  bt.actual(120, 0);
  // Decided at 30: h = ceil((0 + 60 - 30) / 60) = 1, then 2, 3.
  bt.forecast(30, {point(0, 12, 10, 20), point(60, 27, 20, 28), point(120, 3)});
  // Decided at 60: its first step starts there, h = 1, then 2.
  bt.forecast(60, {point(60, 33, 25, 35), point(120, 2, 0, 1)});
  // Decided at 200: two steps over before the decision; then a step without a row (a single
  // point: its step is the interval, [300, 360)). None scored.
  bt.forecast(200, {point(60, 1), point(120, 1)});
  bt.forecast(260, {point(300, 5)});
  bt.forecast(210, {});  // no forecast: not counted
  const BacktestTable t = bt.table("p", "rps");
  CHECK(t.forecasts == 4);
  CHECK(t.step == 60);
  CHECK(t.unscored == 3);
  REQUIRE(t.horizons.size() == 3);

  // h = 1: errors -3 (actual 15, inside [10, 20]) and +3 (actual 30, inside [25, 35]).
  const BacktestHorizon& h1 = t.horizons[0];
  CHECK(h1.steps == 1);
  CHECK(h1.points == 2);
  CHECK(h1.mae == doctest::Approx(3));
  CHECK(h1.bias == doctest::Approx(0));
  CHECK(h1.mape == doctest::Approx((3.0 / 15 + 3.0 / 30) / 2));
  CHECK(h1.mape_points == 2);
  CHECK(h1.coverage == doctest::Approx(1));
  CHECK(h1.interval_points == 2);

  // h = 2: -3 (actual 30, outside [20, 28]) and +2 (actual 0: no percentage; inside [0, 1]).
  const BacktestHorizon& h2 = t.horizons[1];
  CHECK(h2.points == 2);
  CHECK(h2.mae == doctest::Approx(2.5));
  CHECK(h2.bias == doctest::Approx(-0.5));
  CHECK(h2.mape == doctest::Approx(0.1));
  CHECK(h2.mape_points == 1);
  CHECK(h2.coverage == doctest::Approx(0.5));

  // h = 3: +3 against 0, no interval: no MAPE, no coverage.
  const BacktestHorizon& h3 = t.horizons[2];
  CHECK(h3.points == 1);
  CHECK(h3.mae == doctest::Approx(3));
  CHECK(h3.bias == doctest::Approx(3));
  CHECK(std::isnan(h3.mape));
  CHECK(std::isnan(h3.coverage));

  // Over all: |errors| 3 3 3 2 3, signed -3 +3 -3 +2 +3, percentages .2 .1 .1, 3 of 4 inside.
  CHECK(t.all.points == 5);
  CHECK(t.all.mae == doctest::Approx(14.0 / 5));
  CHECK(t.all.bias == doctest::Approx(2.0 / 5));
  CHECK(t.all.mape == doctest::Approx(0.4 / 3));
  CHECK(t.all.coverage == doctest::Approx(0.75));

  std::ostringstream out;
  print_backtest_table(t, out);
  CHECK(
      out.str().find("forecast backtest of p against rps (4 forecasts; horizon in steps of 1m)") !=
      std::string::npos);
  CHECK(out.str().find("  all") != std::string::npos);
  CHECK(out.str().find("75.00%") != std::string::npos);
  CHECK(out.str().find("13.33%") != std::string::npos);
  CHECK(out.str().find("3 forecast point(s) not scored") != std::string::npos);
}

TEST_CASE("a replay hands every forecast its decisions carry to the backtest") {
  TempDir dir;
  // Forecasts the next two minutes as the current value plus 1: every error is +1.
  dir.write("f.lua", R"(return { decide = function(ctx)
    local v = ctx:signal("rps")
    if v == nil then return nil end
    local b = math.floor(ctx.now / 60) * 60
    return { replicas = 1, forecast = { {time = b, value = v + 1, lo = v, hi = v + 2},
                                        {time = b + 60, value = v + 1} } }
  end })");
  dir.write("c.json", R"({"policies": [{"name": "f", "script": "f.lua", "interval": "60s"}]})");
  Config c = load_config((dir.path() / "c.json").string());
  std::string err;
  auto rt = PolicyRuntime::create(c.policies[0], &err);
  REQUIRE_MESSAGE(rt, err);
  const std::string rows = "timestamp,rps\n0,5\n60,5\n120,5\n180,5\n";
  auto trace = TraceReader::from_text(rows, TraceReader::Format::Csv, "t.csv");
  ForecastBacktest bt(60);
  ReplayOptions ro;
  ro.forecasts = &bt;
  replay_trace(*rt, *trace, ro, nullptr);
  auto again = TraceReader::from_text(rows, TraceReader::Format::Csv, "t.csv");
  TraceRow row;
  while (again->next(row)) bt.actual(row.time, row.numbers[0]);
  const BacktestTable t = bt.table("f", "rps");
  CHECK(t.forecasts == 4);  // ticks at 0, 60, 120, 180
  CHECK(t.unscored == 1);   // the step after the last row
  REQUIRE(t.horizons.size() == 2);
  CHECK(t.horizons[0].points == 4);
  CHECK(t.horizons[1].points == 3);
  CHECK(t.all.mae == doctest::Approx(1));
  CHECK(t.all.bias == doctest::Approx(1));
  CHECK(t.all.mape == doctest::Approx(0.2));
  CHECK(t.horizons[0].coverage == doctest::Approx(1));
  CHECK(std::isnan(t.horizons[1].coverage));
}
