// tests/unit/unit-prometheus-trace.cpp — Prometheus query_range bodies as traces: parsing, key-path
// errors, column naming, and merging several inputs by timestamp without interpolation.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/replay/prometheus_trace.hpp"
#include "fixtures.hpp"

using namespace luascale;

namespace {

std::string body(const std::string& result) {
  return R"({"status":"success","data":{"resultType":"matrix","result":)" + result + "}}";
}

std::string error_of(const std::string& text) {
  try {
    parse_query_range(text, "q.json");
  } catch (const TraceError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a query_range body parses into series with labels and samples") {
  auto s = parse_query_range(
      body(
          R"([{"metric":{"job":"api","__name__":"up"},"values":[[1700000000,"1"],[1700000015.5,"0.25"],[1700000030,"NaN"]]}])"),
      "q.json");
  REQUIRE(s.size() == 1);
  CHECK(s[0].labels.front().first == "__name__");  // sorted
  REQUIRE(s[0].samples.size() == 3);
  CHECK(s[0].samples[1].first == 1700000015.5);
  CHECK(s[0].samples[1].second == 0.25);
  CHECK(std::isnan(s[0].samples[2].second));  // NaN is a gap
  CHECK(series_column_names(s, "cpu", "q.json") == std::vector<std::string>{"cpu"});
  CHECK(series_column_names(s, "", "q.json") == std::vector<std::string>{"up"});
}

TEST_CASE("key order does not matter and unknown keys are ignored") {
  auto s = parse_query_range(
      R"({"data":{"result":[{"values":[[1,"2"]],"metric":{}}],"resultType":"matrix"},"warnings":["x"],"status":"success"})",
      "q.json");
  REQUIRE(s.size() == 1);
  CHECK(s[0].samples.at(0).second == 2);
}

TEST_CASE("errors name the source and the JSON key path") {
  CHECK(error_of(body(R"([{"metric":{},"values":[[1,"1"],[2,"abc"]]}])")) ==
        "q.json: data.result[0].values[1][1]: not a number: \"abc\"");
  CHECK(error_of(body(R"([{"metric":{},"values":[[1,"1"],[2]]}])")) ==
        "q.json: data.result[0].values[1]: expected [time, \"value\"], found 1 elements");
  CHECK(error_of(body(R"([{"metric":{},"values":[[1,"1"],[1e300,"2"]]}])")) ==
        "q.json: data.result[0].values[1][0]: bad timestamp");
  CHECK(error_of(body(R"([{"metric":{"pod":3},"values":[]}])")) ==
        "q.json: data.result[0].metric.pod: expected a string label value");
  CHECK(error_of(body(R"([{"metric":{},"values":[[5,"1"],[4,"1"]]}])"))
            .find("q.json: data.result[0].values[1]: timestamp 1970-01-01T00:00:04Z goes back in "
                  "time") == 0);
  CHECK(error_of(body(R"([{"metric":{},"values":[[5,"1"],[5,"2"]]}])")) ==
        "q.json: data.result[0].values[1]: timestamp 1970-01-01T00:00:05Z repeats (previous "
        "sample 1970-01-01T00:00:05Z)");
  CHECK(error_of(R"({"status":"success","data":{"resultType":"vector","result":[]}})") ==
        "q.json: data.resultType: expected \"matrix\" (a /api/v1/query_range answer), found "
        "\"vector\" (an instant query)");
  CHECK(error_of(R"({"status":"error","errorType":"bad_data","error":"parse error at char 4"})") ==
        "q.json: status: the query failed: bad_data: parse error at char 4");
  CHECK(error_of(body("[]")) == "q.json: data.result: no series (the query matched nothing)");
  CHECK(error_of("[1,2]").find("q.json: expected a JSON object") == 0);
  CHECK(error_of(
            R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"1"]]})")
            .find("q.json: data.result[1]: invalid JSON at byte 81: parse error at line 1, column "
                  "81") == 0);
}

TEST_CASE("several series in one answer are named by the labels that differ") {
  auto s = parse_query_range(body(R"([
    {"metric":{"job":"api","pod":"a"},"values":[[1,"1"]]},
    {"metric":{"job":"api","pod":"b"},"values":[[1,"2"]]}])"),
                             "q.json");
  CHECK(series_column_names(s, "cpu", "q.json") ==
        std::vector<std::string>{"cpu{pod=\"a\"}", "cpu{pod=\"b\"}"});
  CHECK_THROWS_WITH_AS(series_column_names(s, "", "q.json"),
                       "q.json: data.result[0].metric: no __name__ label to name the signal; name "
                       "it: --trace NAME=q.json",
                       TraceError);
}

TEST_CASE("merged inputs give rows at the union of timestamps, gaps stay gaps") {
  test::TempDir dir;
  auto cpu =
      dir.write("cpu.json", body(R"([{"metric":{},"values":[[0,"50"],[15,"60"],[45,"70"]]}])"));
  auto rps = dir.write(
      "rps.json", body(R"([{"metric":{},"values":[[0,"100"],[15,"110"],[30,"120"],[37,"125"]]}])"));
  auto groups = group_trace_args({"cpu=" + cpu.string(), "rps=" + rps.string()});
  REQUIRE(groups.size() == 1);
  auto t = open_trace_args(groups[0]);
  CHECK(t->columns() == std::vector<std::string>{"cpu", "rps"});
  TraceRow row;
  std::vector<double> times, cpus, rpss;
  while (t->next(row)) {
    times.push_back(row.time);
    cpus.push_back(row.numbers[0]);
    rpss.push_back(row.numbers[1]);
  }
  CHECK(times == std::vector<double>{0, 15, 30, 37, 45});
  CHECK(cpus[1] == 60);
  CHECK(std::isnan(cpus[2]));  // cpu has no sample at 30: not interpolated
  CHECK(std::isnan(cpus[3]));  // nor at the irregular 37
  CHECK(rpss[3] == 125);
  CHECK(std::isnan(rpss[4]));
}

TEST_CASE("trace arguments: plain files stand alone, NAME=FILE arguments merge") {
  auto g =
      group_trace_args({"a.csv", "cpu=x/cpu.json", "b.csv", "rps=rps.json", "dir/with=sign.csv"});
  REQUIRE(g.size() == 4);
  CHECK(g[0][0].path == "a.csv");
  CHECK(g[1].size() == 2);
  CHECK(trace_group_name(g[1]) == "cpu=x/cpu.json+rps=rps.json");
  CHECK(g[3][0].name.empty());  // '=' after a '/' is part of the path
  CHECK_THROWS_WITH_AS(open_trace_args({TraceArg{"cpu", "t.csv"}}),
                       "t.csv: cpu=FILE merges Prometheus query_range answers (.json); a CSV or "
                       "JSON Lines trace is given alone",
                       TraceError);
}

TEST_CASE("duplicate columns across inputs are refused") {
  test::TempDir dir;
  auto a = dir.write("a.json", body(R"([{"metric":{},"values":[[0,"1"]]}])"));
  CHECK_THROWS_WITH_AS(
      open_trace_args({TraceArg{"cpu", a.string()}, TraceArg{"cpu", a.string()}}),
      (a.string() + ": column \"cpu\" is already given by another --trace").c_str(), TraceError);
}
