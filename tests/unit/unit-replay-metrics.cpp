// tests/unit/unit-replay-metrics.cpp — the one vocabulary of replay metrics: names, how values
// print (shares one way, durations one way), how --slo and --fail-if read them, and the
// "did you mean" of mistyped names.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "engine/core/suggest.hpp"
#include "engine/replay/replay_metrics.hpp"

using namespace luascale;

namespace {

ReplaySummary summary() {
  ReplaySummary s;
  s.policy = "api";
  s.first_time = 0;
  s.last_time = 3600;
  s.ticks = 235;
  s.under_ticks = 14;  // 5.957 %
  s.under_seconds = 210;
  s.max_recover_seconds = 45;
  s.peak_shortfall = 7;
  s.errors = 2;
  s.replica_seconds = 7 * 3600;
  s.has_demand = true;
  return s;
}

const ReplayMetric& metric(const char* name) {
  const ReplayMetric* m = find_replay_metric(name);
  REQUIRE(m);
  return *m;
}

}  // namespace

TEST_CASE("shares print as percentages and durations in at most two units, everywhere") {
  const ReplaySummary s = summary();
  CHECK(format_metric(metric("under"), s) == "5.96%");
  CHECK(format_metric(metric("under_time"), s) == "3m30s");
  CHECK(format_metric(metric("recover"), s) == "45s");
  CHECK(format_metric(metric("shortfall"), s) == "7");
  CHECK(format_metric(metric("replica_hours"), s) == "7.0");
  CHECK(format_metric(metric("span"), s) == "1h");
  CHECK(format_metric_duration(0) == "0s");
  CHECK(format_metric_duration(0.25) == "0.25s");
  CHECK(format_metric_duration(135) == "2m15s");
  CHECK(format_metric_duration(3690) == "1h2m");            // 1h1m30s, the second unit rounded
  CHECK(format_metric_duration(62 * 86400 - 60) == "62d");  // 61d23h59m
  CHECK(format_metric_duration(3 * 86400 + 5 * 3600) == "3d5h");
}

TEST_CASE("a metric is measured only with the model it needs") {
  ReplaySummary s = summary();
  CHECK(metric_measured(metric("under"), s));
  s.has_demand = false;
  CHECK_FALSE(metric_measured(metric("under"), s));
  CHECK_FALSE(metric_measured(metric("node_hours"), s));
  CHECK_FALSE(metric_measured(metric("cost"), s));
  CHECK(metric_measured(metric("flips"), s));
  CHECK_THROWS_WITH(check_bounds_measurable({parse_slo("under=5%")}, false, false, false),
                    "--slo under=5%: under is measured only with a demand model (replay.demand "
                    "and replay.capacity_per_replica), which the config does not have");
  CHECK_NOTHROW(check_bounds_measurable({parse_slo("under=5%")}, true, false, false));
}

TEST_CASE("--slo and --fail-if read limits in the metric's unit") {
  CHECK(parse_slo("under=5%").limit == doctest::Approx(0.05));
  CHECK(parse_slo("under=0.05").limit == doctest::Approx(0.05));
  CHECK(parse_slo("under<=1%").op == "<=");
  CHECK(parse_slo("recover=5m").limit == 300);
  CHECK(parse_slo("recover=90").limit == 90);
  CHECK(parse_fail_if("under_time>=1h").limit == 3600);
  CHECK(parse_fail_if("flips>20").op == ">");
  CHECK_THROWS_WITH(parse_slo("under=5"),
                    "--slo under=5: under is a share: a percentage such as 5% or a fraction from 0 "
                    "to 1 such as 0.05, not \"5\"");
  CHECK_THROWS_WITH(parse_fail_if("recover>soon"),
                    "--fail-if recover>soon: recover is a duration such as 90s, 5m or 1h (or "
                    "seconds), not \"soon\"");
  CHECK_THROWS_WITH(parse_fail_if("flips>5%"), "--fail-if flips>5%: flips is a number, not \"5%\"");
  CHECK_THROWS_WITH(parse_fail_if("flips"),
                    "--fail-if flips: expected METRIC>LIMIT (or >=, <, <=), e.g. under>5%");
}

TEST_CASE("an unknown metric names the metrics and suggests the nearest") {
  CHECK_THROWS_WITH(parse_slo("undr=5%"),
                    doctest::Contains("--slo undr=5%: unknown metric \"undr\" (did you mean "
                                      "\"under\"?); metrics: span, ticks, decisions"));
  // The names other spellings used lead to the vocabulary's.
  CHECK_THROWS_WITH(parse_fail_if("under_share>0.05"),
                    doctest::Contains("unknown metric \"under_share\" (did you mean \"under\"?)"));
  CHECK_THROWS_WITH(parse_fail_if("recover_seconds>60"),
                    doctest::Contains("(did you mean \"recover\"?)"));
  CHECK_THROWS_WITH(parse_slo("latency=5"),
                    doctest::Contains("unknown metric \"latency\"; metrics:"));
}

TEST_CASE("bounds hold as their operator says; an SLO implies errors=0 unless it bounds errors") {
  const ReplaySummary s = summary();
  CHECK(parse_fail_if("under>5%").holds(s));
  CHECK_FALSE(parse_fail_if("under>6%").holds(s));
  CHECK(parse_fail_if("errors>=2").holds(s));
  CHECK_FALSE(parse_fail_if("errors<2").holds(s));
  auto slo = slo_bounds({parse_slo("under=10%")});
  REQUIRE(slo.size() == 2);
  auto missed = missed_bounds(slo, s);
  REQUIRE(missed.size() == 1);  // under meets; errors (2) misses the implied errors=0
  CHECK(missed[0]->text == "errors=0");
  CHECK(missed_bounds(slo_bounds({parse_slo("under=10%"), parse_slo("errors=5")}), s).empty());
  CHECK(describe_bound(parse_fail_if("under>5%"), s) == "under = 5.96% (under>5%)");
}

TEST_CASE("did you mean: the nearest accepted word, only when it is a likely typo") {
  const std::vector<std::string> keys = {"target", "signals", "expect", "history", "replicas"};
  CHECK(closest_word("targt", keys) == "target");
  CHECK(closest_word("histroy", keys) == "history");  // two letters swapped: one edit
  CHECK(closest_word("Expect", keys) == "expect");
  CHECK(closest_word("banana", keys).empty());
  CHECK(closest_word("x", keys).empty());
  CHECK(did_you_mean("signal", keys) == " (did you mean \"signals\"?)");
  CHECK(did_you_mean("zzz", keys).empty());
  CHECK(word_list({"a", "b"}) == "a, b");
}

TEST_CASE("slack: a share of the capacity, time-weighted, unmeasured without a capacity model") {
  ReplaySummary s = summary();
  s.slack_seconds = 3600;
  s.slack_integral = 0.4 * 1800 + 0.2 * 1800;  // 40 % for half an hour, 20 % for the other half
  CHECK(s.slack() == doctest::Approx(0.3));
  CHECK(format_metric(metric("slack"), s) == "30.00%");
  s.slack_integral = -0.1 * 3600;  // demand above the ready capacity on average
  CHECK(format_metric(metric("slack"), s) == "-10.00%");
  s.slack_seconds = 0;
  s.slack_integral = 0;
  CHECK(std::isnan(s.slack()));
  CHECK(format_metric(metric("slack"), s) == "-");
  CHECK(metric("slack").needs == MetricNeeds::Demand);
  CHECK(metric("slack").unit == MetricUnit::Share);
  CHECK(parse_slo("slack=40%").limit == doctest::Approx(0.4));
  CHECK(parse_fail_if("slack>0.5").limit == doctest::Approx(0.5));
  CHECK_THROWS_WITH(parse_slo("headroom=40%"), doctest::Contains("(did you mean \"slack\"?)"));
  CHECK_THROWS_WITH(check_bounds_measurable({parse_slo("slack=40%")}, false, false, false),
                    doctest::Contains("slack is measured only with a demand model"));
  std::ostringstream table;
  s.slack_seconds = 100;
  s.slack_integral = 25;
  print_summary_table({s}, table);
  CHECK(table.str().find(" slack ") != std::string::npos);
  CHECK(table.str().find("25.00%") != std::string::npos);
}
