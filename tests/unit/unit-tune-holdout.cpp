// tests/unit/unit-tune-holdout.cpp — out-of-sample tuning: how --holdout is read, where it splits
// a trace (and refuses a split that leaves a part empty), that the search sees only the rows
// before the split, that a held-out replay counts only the rows after it, and the pick by the
// held-out figures.
#include <doctest/doctest.h>

#include <sstream>

#include "engine/replay/tune_holdout.hpp"
#include "fixtures.hpp"

using namespace luascale;

namespace {

const std::string kTrace =
    (test::source_dir() / "examples/traces/azure_llm_conv_requests_per_second.csv").string();
const std::string kConfig = (test::source_dir() / "examples/whatif/config.json").string();
constexpr double kFirst = 1700158546, kLast = 1700162048;  // the Azure trace's rows

}  // namespace

TEST_CASE("--holdout reads a fraction, a percentage or a time, and refuses anything else") {
  CHECK(*parse_holdout("0.5").fraction == 0.5);
  CHECK(*parse_holdout("30%").fraction == doctest::Approx(0.3));
  CHECK(*parse_holdout("1700160000").time == 1700160000);
  CHECK(*parse_holdout("2023-11-16T18:45:00Z").time == 1700160300);
  CHECK_THROWS_WITH(parse_holdout("1.5"),
                    doctest::Contains("--holdout 1.5: a fraction must be above 0 and below 1"));
  CHECK_THROWS_WITH(parse_holdout("0"), doctest::Contains("a fraction must be above 0"));
  CHECK_THROWS_WITH(parse_holdout("-0.2"), doctest::Contains("a fraction must be above 0"));
  CHECK_THROWS_WITH(parse_holdout("100%"), doctest::Contains("a percentage must be above 0"));
  CHECK_THROWS_WITH(parse_holdout("half"), doctest::Contains("neither a fraction nor a time"));
}

TEST_CASE("the split holds out the last fraction of the time span, and never leaves a part empty") {
  CHECK(holdout_split(parse_holdout("0.5"), 0, 1000) == 500);
  CHECK(holdout_split(parse_holdout("25%"), 1000, 2000) == 1750);
  CHECK(holdout_split(parse_holdout("1500"), 1000, 2000) == 1500);
  CHECK(holdout_split(parse_holdout("2000"), 1000, 2000) == 2000);  // the last row alone
  CHECK_THROWS_WITH(holdout_split(parse_holdout("1000"), 1000, 2000),
                    doctest::Contains("leave nothing to search on"));
  CHECK_THROWS_WITH(holdout_split(parse_holdout("2001"), 1000, 2000),
                    doctest::Contains("after the last row, and hold nothing"));
  CHECK_THROWS_WITH(holdout_split(parse_holdout("0.5"), 1000, 1000),
                    doctest::Contains("too short to split"));
}

TEST_CASE("the search replays the rows before the split; the held-out part is judged after it") {
  Config config = load_config(kConfig);
  TuneOptions t;
  t.open_trace = [] { return TraceReader::open(kTrace); };
  t.params = {parse_tune_param("params.metrics[0].target=50,70,90")};
  t.slos = {parse_slo("under=10%")};
  const double split = holdout_split(parse_holdout("0.5"), kFirst, kLast);
  CHECK(split == (kFirst + kLast) / 2);
  t.holdout_from = split;
  t.jobs = 1;
  TuneResult r = tune(config, t);
  REQUIRE(r.runs.size() == 3);
  for (const auto& run : r.runs) {
    REQUIRE(run.error.empty());
    CHECK(run.summary.first_time == kFirst);
    CHECK(run.summary.last_time < split);
  }
  HoldoutResult h = check_holdout(config, t, r, kFirst, split, kLast);
  CHECK(h.split == split);
  REQUIRE_FALSE(h.runs.empty());
  for (const auto& hr : h.runs) {
    REQUIRE(hr.error.empty());
    CHECK(hr.held.first_time >= split);
    CHECK(hr.held.first_time < split + 15);  // the first tick at or after the split
    CHECK(hr.held.last_time >= kLast - 15);
    CHECK(hr.held.ticks ==
          static_cast<std::int64_t>((hr.held.last_time - hr.held.first_time) / 15) + 1);
    // Each held-out figure is that part's alone: the search part and the held-out part together
    // are no more than the whole trace.
    CHECK(hr.held.replica_seconds + r.runs[hr.run].summary.replica_seconds <=
          (kLast - kFirst + 30) * 20);
  }
  // The pick meets the SLO on the held-out part and nothing cheaper there does.
  REQUIRE(h.best >= 0);
  const HoldoutRun& pick = h.runs[static_cast<std::size_t>(h.best)];
  CHECK(pick.meets_slo);
  CHECK(pick.meets_search_slo);
  CHECK(pick.held.under_share() <= 0.10);
  CHECK(r.runs[pick.run].summary.under_share() <= 0.10);
  for (const auto& hr : h.runs)
    if (hr.meets_slo && hr.meets_search_slo)
      CHECK(hr.held.replica_seconds >= pick.held.replica_seconds);
  // The same on any number of threads.
  t.jobs = 3;
  HoldoutResult h3 = check_holdout(config, t, tune(config, t), kFirst, split, kLast);
  REQUIRE(h3.runs.size() == h.runs.size());
  CHECK(h3.best == h.best);
  for (std::size_t i = 0; i < h.runs.size(); ++i)
    CHECK(h3.runs[i].held.replica_seconds == h.runs[i].held.replica_seconds);
  // The table shows both parts; the snippet says which part it was judged on.
  std::ostringstream table;
  print_holdout_table(r, h, t, table);
  CHECK(table.str().find("search:") != std::string::npos);
  CHECK(table.str().find("held out:") != std::string::npos);
  const std::string snippet = holdout_snippet(config, t, r, h);
  CHECK(snippet.find("// judged on the held-out part, 2023-11-16T18:44:57Z to "
                     "2023-11-16T19:14:08Z") != std::string::npos);
  CHECK(snippet.find("\"params\"") != std::string::npos);
}
