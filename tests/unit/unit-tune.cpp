// tests/unit/unit-tune.cpp — tuning by replay: parameter grammar, key paths, the grid, its
// random sample and coordinate descent over it, the Pareto front, the SLO pick, the pasteable
// snippet, and that parallel runs give the serial results.
#include <doctest/doctest.h>

#include <functional>
#include <set>
#include <sstream>

#include "engine/replay/prometheus_trace.hpp"
#include "engine/replay/tune.hpp"
#include "fixtures.hpp"

using namespace luascale;

namespace {

TuneOptions options_for(const std::string& trace) {
  TuneOptions t;
  t.open_trace = [trace] { return TraceReader::open(trace); };
  return t;
}

const std::string kTrace =
    (test::source_dir() / "examples/traces/azure_llm_conv_requests_per_second.csv").string();
const std::string kConfig = (test::source_dir() / "examples/whatif/config.json").string();

}  // namespace

TEST_CASE("tune parameters: ranges, lists and errors") {
  auto p = parse_tune_param("per_replica=50:200:50");
  CHECK(p.name == "per_replica");
  CHECK(p.values == std::vector<double>{50, 100, 150, 200});
  CHECK(parse_tune_param("x=0.1:0.3:0.1").values == std::vector<double>{0.1, 0.2, 0.3});
  CHECK(parse_tune_param("params.metrics[0].target=60,70,85").values ==
        std::vector<double>{60, 70, 85});
  CHECK_THROWS_WITH(parse_tune_param("x=5:1:1"), "--param x=5:1:1: needs LO <= HI and STEP > 0");
  CHECK_THROWS_WITH(parse_tune_param("x=1:2"),
                    "--param x=1:2: expected NAME=LO:HI:STEP with numbers");
  CHECK_THROWS_WITH(parse_tune_param("x=1,b"), "--param x=1,b: not a number: \"b\"");
  CHECK_THROWS_WITH(parse_tune_param("nothing"),
                    "--param nothing: expected NAME=LO:HI:STEP or NAME=V1,V2,...");
}

TEST_CASE(
    "the grid runs every setting in order and parallel equals serial and the best meets the SLO") {
  Config config = load_config(kConfig);
  TuneOptions t = options_for(kTrace);
  t.params = {parse_tune_param("params.metrics[0].target=50:90:20"),
              parse_tune_param("behavior.scaleDown.stabilizationWindowSeconds=0,300")};
  t.slos = {parse_slo("under=5%")};
  t.jobs = 1;
  TuneResult serial = tune(config, t);
  REQUIRE(serial.runs.size() == 6);
  CHECK_FALSE(serial.sampled);
  CHECK(serial.runs[0].values == std::vector<double>{50, 0});
  CHECK(serial.runs[1].values == std::vector<double>{50, 300});
  CHECK(serial.runs[5].values == std::vector<double>{90, 300});
  for (const auto& r : serial.runs) CHECK(r.error.empty());
  // A higher target means fewer replicas: the settings differ for real.
  CHECK(serial.runs[4].summary.replica_seconds < serial.runs[0].summary.replica_seconds);
  t.jobs = 3;
  TuneResult parallel = tune(config, t);
  REQUIRE(parallel.runs.size() == serial.runs.size());
  for (std::size_t i = 0; i < serial.runs.size(); ++i) {
    CHECK(parallel.runs[i].summary.replica_seconds == serial.runs[i].summary.replica_seconds);
    CHECK(parallel.runs[i].summary.under_ticks == serial.runs[i].summary.under_ticks);
    CHECK(parallel.runs[i].summary.direction_changes == serial.runs[i].summary.direction_changes);
    CHECK(parallel.runs[i].pareto == serial.runs[i].pareto);
  }
  CHECK(parallel.best == serial.best);
  REQUIRE(serial.best >= 0);
  const TuneRun& best = serial.runs[static_cast<std::size_t>(serial.best)];
  CHECK(best.meets_slo);
  CHECK(best.pareto);
  CHECK(best.summary.under_share() <= 0.05);
  for (const auto& r : serial.runs)  // nothing cheaper meets the SLO
    if (r.meets_slo) CHECK(tune_cost(serial, r.summary) >= tune_cost(serial, best.summary));
  // No run on the front is dominated; every run off it is.
  for (const auto& a : serial.runs) {
    bool dominated = false;
    for (const auto& b : serial.runs) {
      bool le = tune_cost(serial, b.summary) <= tune_cost(serial, a.summary) &&
                b.summary.under_share() <= a.summary.under_share() &&
                b.summary.direction_changes <= a.summary.direction_changes;
      bool lt = tune_cost(serial, b.summary) < tune_cost(serial, a.summary) ||
                b.summary.under_share() < a.summary.under_share() ||
                b.summary.direction_changes < a.summary.direction_changes;
      dominated = dominated || (le && lt);
    }
    CHECK(a.pareto == !dominated);
  }
  // The snippet carries the changed policy keys, whole, ready to paste.
  std::string snippet = tune_snippet(config, t, best);
  Value v = parse_json(snippet);
  REQUIRE(v.find("params"));
  CHECK(v.find("params")->find("metrics")->as_array()[0].find("target")->as_number() ==
        best.values[0]);
  CHECK(v.find("params")->find("metrics")->as_array()[0].find("signal")->as_string() == "cpu");
  CHECK(v.find("behavior")->find("scaleDown")->find("stabilizationWindowSeconds")->as_number() ==
        best.values[1]);
  std::ostringstream table;
  print_tune_table(serial, t, table);
  CHECK(table.str().find("best") != std::string::npos);
}

TEST_CASE("a grid larger than the cap is sampled at random, distinct and reproducible") {
  Config config = load_config(kConfig);
  TuneOptions t = options_for(kTrace);
  t.params = {parse_tune_param("params.metrics[0].target=40:95:5"),
              parse_tune_param("maxReplicas=5:20:1")};
  t.max_runs = 7;
  t.jobs = 2;
  t.search = TuneSearch::Random;
  TuneResult a = tune(config, t);
  CHECK(a.search == TuneSearch::Random);
  CHECK(a.sampled);
  CHECK(a.grid_size == 12 * 16);
  REQUIRE(a.runs.size() == 7);
  TuneResult b = tune(config, t);
  for (std::size_t i = 0; i < a.runs.size(); ++i) {
    CHECK(a.runs[i].values == b.runs[i].values);
    for (std::size_t j = 0; j < i; ++j) CHECK(a.runs[i].values != a.runs[j].values);
  }
}

TEST_CASE("bare names are params unless they are policy keys and replay.* is the config root") {
  test::TempDir dir;
  dir.write("p.lua",
            "return { params = { per_replica = 10 }, decide = function(ctx, p)\n"
            "  local rps = ctx:signal('requests_per_second')\n"
            "  if not rps then return nil end\n"
            "  return { replicas = math.ceil(rps / p.per_replica) } end }\n");
  auto cfg = dir.write(
      "c.json",
      R"({"policies": [{"name": "p", "script": "p.lua", "minReplicas": 1, "maxReplicas": 50}],
                                     "replay": {"demand": "requests_per_second", "capacity_per_replica": 2}})");
  Config config = load_config(cfg.string());
  TuneOptions t = options_for(kTrace);
  t.params = {parse_tune_param("per_replica=1,4"), parse_tune_param("maxReplicas=2,50"),
              parse_tune_param("replay.capacity_per_replica=2")};
  TuneResult r = tune(config, t);
  REQUIRE(r.runs.size() == 4);
  for (const auto& run : r.runs) REQUIRE(run.error.empty());
  CHECK(r.runs[0].summary.max_replicas <= 2);  // per_replica=1, capped by maxReplicas=2
  CHECK(r.runs[1].summary.max_replicas > 2);   // per_replica=1, max 50
  CHECK(r.runs[3].summary.max_replicas < r.runs[1].summary.max_replicas);  // per_replica=4
  Value v = parse_json(tune_snippet(config, t, r.runs[1]));
  CHECK(v.find("params")->find("per_replica")->as_number() == 1);
  CHECK(v.find("maxReplicas")->as_number() == 50);
  CHECK(v.find("replay")->find("capacity_per_replica")->as_number() == 2);
}

TEST_CASE("bad settings fail the run with the config's message and a bad path fails up front") {
  Config config = load_config(kConfig);
  TuneOptions t = options_for(kTrace);
  t.params = {parse_tune_param("minReplicas=-1,1")};
  TuneResult r = tune(config, t);
  REQUIRE(r.runs.size() == 2);
  CHECK(r.runs[0].error.find("minReplicas") != std::string::npos);
  CHECK(r.runs[1].error.empty());
  t.params = {parse_tune_param("params.metrics[3].target=1")};
  CHECK_THROWS_WITH(tune(config, t), "params.metrics[3].target: no element [3] in the config");
}

namespace {

// A synthetic objective on a 21 x 21 grid: a coupled convex bowl with its minimum at (13, 4),
// scored as cost; `floor_x` makes x < floor_x break an SLO (violation = the shortfall).
struct Bowl {
  std::size_t floor_x = 0;
  std::set<std::vector<std::size_t>> scored;
  int repeats = 0;
  std::vector<TuneScore> operator()(const std::vector<std::vector<std::size_t>>& batch) {
    std::vector<TuneScore> out;
    for (const auto& s : batch) {
      if (!scored.insert(s).second) ++repeats;
      double x = static_cast<double>(s[0]) - 13, y = static_cast<double>(s[1]) - 4;
      TuneScore score;
      score.cost = x * x + y * y + 0.3 * x * y;
      if (s[0] < floor_x) score.violation = static_cast<double>(floor_x - s[0]);
      out.push_back(score);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("coordinate descent finds the minimum of a synthetic objective and memoises settings") {
  Bowl bowl;
  auto out = coordinate_descent({21, 21}, {0, 20}, 1000, std::ref(bowl));
  CHECK(out.best == std::vector<std::size_t>{13, 4});
  CHECK(out.converged);
  CHECK(out.sweeps >= 2);
  CHECK(bowl.repeats == 0);
  CHECK(out.evaluations == bowl.scored.size());
  CHECK(out.evaluations < 21 * 21 / 2);  // far fewer than the grid
}

TEST_CASE("coordinate descent ranks SLO violations after every setting that meets the SLO") {
  Bowl bowl;
  bowl.floor_x = 16;  // the unconstrained minimum (13, 4) breaks the SLO
  auto out = coordinate_descent({21, 21}, {2, 2}, 1000, std::ref(bowl));
  // The cheapest setting with x >= 16: x = 16, y = round(4 - 0.15 * 3) = 4.
  CHECK(out.best == std::vector<std::size_t>{16, 4});
  CHECK(out.converged);
  TuneScore feasible, infeasible;
  feasible.cost = 100;
  infeasible.cost = 1;
  infeasible.violation = 0.01;
  CHECK(feasible < infeasible);
  TuneScore failed;
  failed.failed = true;
  CHECK(infeasible < failed);
}

TEST_CASE("coordinate descent stops at its budget, nearest values first") {
  Bowl bowl;
  auto out = coordinate_descent({21, 21}, {10, 10}, 5, std::ref(bowl));
  CHECK(out.evaluations == 5);
  CHECK(bowl.scored.size() == 5);
  CHECK_FALSE(out.converged);
  // The start and its nearest neighbours along x: 10, 9, 11, 8, 12.
  for (std::size_t x : {8, 9, 10, 11, 12}) CHECK(bowl.scored.count({x, 10}) == 1);
  CHECK(out.best == std::vector<std::size_t>{12, 10});
}

TEST_CASE(
    "the coordinate search on a trace finds the grid's best setting, the same with 1 or 2 jobs") {
  Config config = load_config(kConfig);
  TuneOptions t = options_for(kTrace);
  t.params = {parse_tune_param("params.metrics[0].target=40:90:5"),
              parse_tune_param("maxReplicas=4:20:2")};
  t.slos = {parse_slo("under=5%")};
  t.jobs = 2;
  t.search = TuneSearch::Grid;
  TuneResult grid = tune(config, t);
  REQUIRE(grid.runs.size() == 99);
  REQUIRE(grid.best >= 0);
  t.search = TuneSearch::Coordinate;
  t.jobs = 1;
  TuneResult serial = tune(config, t);
  t.jobs = 2;
  TuneResult parallel = tune(config, t);
  CHECK(serial.search == TuneSearch::Coordinate);
  CHECK(serial.converged);
  CHECK(serial.runs.size() < grid.runs.size());
  REQUIRE(serial.best >= 0);
  CHECK(serial.runs[static_cast<std::size_t>(serial.best)].values ==
        grid.runs[static_cast<std::size_t>(grid.best)].values);
  // It starts at the config's values: target 70, maxReplicas 20.
  CHECK(serial.runs.front().values == std::vector<double>{70, 20});
  REQUIRE(parallel.runs.size() == serial.runs.size());
  for (std::size_t i = 0; i < serial.runs.size(); ++i) {
    CHECK(parallel.runs[i].values == serial.runs[i].values);
    CHECK(parallel.runs[i].summary.replica_seconds == serial.runs[i].summary.replica_seconds);
    CHECK(parallel.runs[i].summary.under_ticks == serial.runs[i].summary.under_ticks);
  }
  CHECK(parallel.best == serial.best);
  CHECK(parallel.sweeps == serial.sweeps);
  // From the middle of the ranges it ends at the same setting here.
  t.start = TuneStart::Middle;
  TuneResult middle = tune(config, t);
  CHECK(middle.runs.front().values == std::vector<double>{65, 12});
  REQUIRE(middle.best >= 0);
  CHECK(middle.runs[static_cast<std::size_t>(middle.best)].values ==
        grid.runs[static_cast<std::size_t>(grid.best)].values);
}

TEST_CASE("auto search: the grid when it fits in max_runs, else coordinate descent") {
  Config config = load_config(kConfig);
  TuneOptions t = options_for(kTrace);
  t.params = {parse_tune_param("params.metrics[0].target=50:90:20"),
              parse_tune_param("maxReplicas=5:20:5")};
  t.jobs = 2;
  t.max_runs = 12;
  CHECK(tune(config, t).search == TuneSearch::Grid);
  t.max_runs = 11;
  TuneResult r = tune(config, t);
  CHECK(r.search == TuneSearch::Coordinate);
  CHECK(r.runs.size() <= 11);
  t.search = TuneSearch::Grid;
  CHECK_THROWS_WITH(tune(config, t),
                    "the grid has 12 settings, more than --max-runs 11: raise --max-runs or use "
                    "--search coordinate or random");
  CHECK(parse_tune_search("coordinate") == TuneSearch::Coordinate);
  CHECK_THROWS_WITH(parse_tune_search("annealing"),
                    "--search annealing: expected grid, random, coordinate or auto");
}
