// Replay: virtual clock, trace columns as signals, staleness over gaps, simulated target.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "engine/config/config.hpp"
#include "engine/replay/replay.hpp"
#include "engine/replay/replay_metrics.hpp"
#include "fixtures.hpp"

using namespace luascale;
using luascale::test::TempDir;

namespace {
const char* kEcho = R"(return { decide = function(ctx)
  local q = ctx:signal("queue")
  if q == nil then return nil end
  return { replicas = math.ceil(q / 10), reason = "queue " .. q .. " ready " .. ctx.target.ready }
end })";

std::unique_ptr<PolicyRuntime> runtime(const TempDir& dir, double interval, std::int64_t min = 0) {
  auto path = dir.write("echo.lua", kEcho);
  PolicyConfig pc = policy_config_for_script(path.string());
  pc.interval_seconds = interval;
  pc.guard.min = min;
  pc.guard.has_behavior = true;  // plain behavior defaults, no scale-down window
  pc.guard.scale_down.stabilization_window_seconds = 0;
  std::string err;
  auto rt = PolicyRuntime::create(pc, &err);
  REQUIRE_MESSAGE(rt, err);
  return rt;
}
}  // namespace

TEST_CASE("ticks step by the interval from the first row, rows feed signals as of each tick") {
  TempDir dir;
  auto rt = runtime(dir, 60);
  auto trace = TraceReader::from_text("timestamp,queue\n0,10\n30,50\n60,40\n120,20\n",
                                      TraceReader::Format::Csv, "t.csv");
  std::ostringstream out;
  DecisionCsvWriter csv(out);
  ReplayOptions ro;
  ro.start_replicas = 1;
  ReplaySummary s = replay_trace(*rt, *trace, ro, &csv);
  CHECK(s.ticks == 3);  // t = 0, 60, 120
  CHECK(s.rows == 4);
  CHECK(s.final_replicas == 2);
  CHECK(s.scale_ups == 1);
  CHECK(s.scale_downs == 1);
  CHECK(out.str() ==
        "timestamp,recommended,replicas,bound_by,reason,policy,status,ready\n"
        "0,1,1,none,queue 10 ready 1,echo,decision,1\n"
        "60,4,4,none,queue 40 ready 1,echo,decision,4\n"
        "120,2,2,none,queue 20 ready 4,echo,decision,2\n");
  // replica-seconds: 1 for 60 s, then 4 for 60 s
  CHECK(s.replica_seconds == 60 * 1 + 60 * 4);
}

TEST_CASE("a gap longer than the staleness limit holds the count instead of guessing") {
  TempDir dir;
  auto rt = runtime(dir, 60);
  auto trace =
      TraceReader::from_text("timestamp,queue\n0,30\n600,90\n", TraceReader::Format::Csv, "t.csv");
  ReplayOptions ro;
  ro.start_replicas = 1;
  ReplaySummary s = replay_trace(*rt, *trace, ro, nullptr);
  CHECK(s.ticks == 11);
  CHECK(s.decisions == 5);       // t = 0..180 (the sample of t=0 is fresh for 3 intervals) and 600
  CHECK(s.holds == 6);           // t = 240..540
  CHECK(s.final_replicas == 7);  // 3 -> 9 wanted; scale-up limited to max(+4, +100%)
}

TEST_CASE("new replicas become ready after the ready delay") {
  TempDir dir;
  auto rt = runtime(dir, 30);
  auto trace = TraceReader::from_text("timestamp,queue\n0,40\n30,40\n60,40\n90,40\n",
                                      TraceReader::Format::Csv, "t.csv");
  std::ostringstream out;
  DecisionCsvWriter csv(out);
  ReplayOptions ro;
  ro.start_replicas = 1;
  ro.ready_delay_seconds = 60;
  replay_trace(*rt, *trace, ro, &csv);
  std::string text = out.str();
  CHECK(text.find("\n0,4,4,none,queue 40 ready 1,echo,decision,1\n") != std::string::npos);
  CHECK(text.find("\n30,4,4,none,queue 40 ready 1,echo,decision,1\n") != std::string::npos);
  CHECK(text.find("\n60,4,4,none,queue 40 ready 4,echo,decision,4\n") != std::string::npos);
}

TEST_CASE("a configured signal whose column is absent is a clear error") {
  TempDir dir;
  auto path = dir.write("echo.lua", kEcho);
  dir.write(
      "c.json",
      R"({"policies":[{"name":"p","script":"echo.lua","signals":{"queue":{"column":"depth"}}}]})");
  Config c = load_config((dir.path() / "c.json").string());
  std::string err;
  auto rt = PolicyRuntime::create(c.policies[0], &err);
  REQUIRE(rt);
  auto trace = TraceReader::from_text("timestamp,queue\n0,1\n", TraceReader::Format::Csv, "t.csv");
  CHECK_THROWS_WITH(
      replay_trace(*rt, *trace, {}, nullptr),
      "policies[0].signals.queue: the trace t.csv has no column \"depth\" (columns: queue)");
}

TEST_CASE("a signal the policy reads that nothing feeds is an error naming it and the columns") {
  TempDir dir;
  auto rt = runtime(dir, 15);
  // CSV: the columns are known at the first tick, so the replay stops there.
  auto csv = TraceReader::from_text("timestamp,depth,cpu\n0,1,2\n15,1,2\n",
                                    TraceReader::Format::Csv, "t.csv");
  CHECK_THROWS_WITH(replay_trace(*rt, *csv, {}, nullptr),
                    "policy \"echo\" reads signal \"queue\", which is neither configured nor a "
                    "column of t.csv (columns: depth, cpu); name the column after the signal, map "
                    "it with a signal's \"column\" key, or declare it \"optional\" when the "
                    "policy copes with it missing");
  // JSON Lines: a column may appear on a later row, so only a name that never came fails.
  auto late = TraceReader::from_text(
      "{\"ts\": 0, \"cpu\": 1}\n{\"ts\": 15, \"queue\": 30}\n{\"ts\": 30, \"queue\": 30}\n",
      TraceReader::Format::JsonLines, "t.jsonl");
  auto rt2 = runtime(dir, 15);
  ReplaySummary s = replay_trace(*rt2, *late, {}, nullptr);
  CHECK(s.holds == 1);
  CHECK(s.decisions == 2);
  auto never = TraceReader::from_text("{\"ts\": 0, \"cpu\": 1}\n{\"ts\": 15, \"cpu\": 1}\n",
                                      TraceReader::Format::JsonLines, "t.jsonl");
  auto rt3 = runtime(dir, 15);
  CHECK_THROWS_WITH(replay_trace(*rt3, *never, {}, nullptr),
                    doctest::Contains("reads signal \"queue\", which is neither configured"));
}

TEST_CASE("an optional signal the trace does not record reads nil instead of failing") {
  TempDir dir;
  dir.write("echo.lua", kEcho);
  dir.write(
      "c.json",
      R"({"policies":[{"name":"p","script":"echo.lua","signals":{"queue":{"optional":true}}}]})");
  Config c = load_config((dir.path() / "c.json").string());
  std::string err;
  auto rt = PolicyRuntime::create(c.policies[0], &err);
  REQUIRE_MESSAGE(rt, err);
  auto trace =
      TraceReader::from_text("timestamp,depth\n0,1\n15,1\n", TraceReader::Format::Csv, "t.csv");
  ReplaySummary s = replay_trace(*rt, *trace, {}, nullptr);
  CHECK(s.holds == 2);
  // When the trace does record it, it is read as any signal.
  auto rt2 = PolicyRuntime::create(c.policies[0], &err);
  REQUIRE_MESSAGE(rt2, err);
  auto with =
      TraceReader::from_text("timestamp,queue\n0,30\n15,30\n", TraceReader::Format::Csv, "t.csv");
  CHECK(replay_trace(*rt2, *with, {}, nullptr).decisions == 2);
}

TEST_CASE("a replay window without rows is an error saying where the rows are") {
  TempDir dir;
  const char* text = "timestamp,queue\n100,1\n200,1\n300,1\n";
  auto rt = runtime(dir, 60);
  auto after = TraceReader::from_text(text, TraceReader::Format::Csv, "t.csv");
  ReplayOptions ro;
  ro.start_time = 1000;
  CHECK_THROWS_WITH(replay_trace(*rt, *after, ro, nullptr),
                    "t.csv: no rows in the replay window (from 1970-01-01T00:16:40Z to the end): "
                    "the trace's rows run from 1970-01-01T00:01:40Z to 1970-01-01T00:05:00Z");
  auto between = TraceReader::from_text(text, TraceReader::Format::Csv, "t.csv");
  ro.start_time = 210;
  ro.end_time = 290;
  CHECK_THROWS_WITH(replay_trace(*rt, *between, ro, nullptr),
                    "t.csv: no rows in the replay window (from 1970-01-01T00:03:30Z to "
                    "1970-01-01T00:04:50Z): the first row at or after its start is at "
                    "1970-01-01T00:05:00Z");
  auto before = TraceReader::from_text(text, TraceReader::Format::Csv, "t.csv");
  ro.start_time.reset();
  ro.end_time = 50;
  CHECK_THROWS_WITH(replay_trace(*rt, *before, ro, nullptr),
                    doctest::Contains("the first row at or after its start is at "
                                      "1970-01-01T00:01:40Z, the trace's first row"));
}

TEST_CASE("an interval longer than the trace is an error, not a tick far past the last row") {
  TempDir dir;
  auto rt = runtime(dir, 3600);
  auto trace = TraceReader::from_text("timestamp,queue\n0,1\n30,1\n60,1\n",
                                      TraceReader::Format::Csv, "t.csv");
  CHECK_THROWS_WITH(replay_trace(*rt, *trace, {}, nullptr),
                    "the interval of policy \"echo\" (1h) is longer than the rows of t.csv it "
                    "replays (1m, from 1970-01-01T00:00:00Z to 1970-01-01T00:01:00Z)");
  // As long as the rows: a tick at the first row and one at the last.
  auto rt2 = runtime(dir, 60);
  auto exact = TraceReader::from_text("timestamp,queue\n0,1\n30,1\n60,1\n",
                                      TraceReader::Format::Csv, "t.csv");
  CHECK(replay_trace(*rt2, *exact, {}, nullptr).ticks == 2);
}

TEST_CASE("a bare policy starts at 1, the default minReplicas; a config at its minReplicas") {
  TempDir dir;
  auto path = dir.write("hold.lua", "return { decide = function(ctx) return nil end }");
  auto trace = [] {
    return TraceReader::from_text("timestamp,x\n0,1\n15,1\n", TraceReader::Format::Csv, "t.csv");
  };
  std::string err;
  auto bare = PolicyRuntime::create(policy_config_for_script(path.string()), &err);
  REQUIRE_MESSAGE(bare, err);
  auto t1 = trace();
  CHECK(replay_trace(*bare, *t1, {}, nullptr).start_replicas == 1);
  dir.write("c.json", R"({"policies":[{"name":"p","script":"hold.lua","minReplicas":3}]})");
  Config c = load_config((dir.path() / "c.json").string());
  auto configured = PolicyRuntime::create(c.policies[0], &err);
  REQUIRE_MESSAGE(configured, err);
  auto t2 = trace();
  CHECK(replay_trace(*configured, *t2, {}, nullptr).start_replicas == 3);
}

TEST_CASE("the demo config over the NASA trace: two months, every tick accounted for") {
  Config c = load_config((luascale::test::source_dir() / "examples/demo/config.json").string());
  std::string err;
  auto rt = PolicyRuntime::create(c.policies.at(0), &err);
  REQUIRE_MESSAGE(rt, err);
  auto trace = TraceReader::open(
      (luascale::test::source_dir() / "examples/traces/nasa_http_1995_requests_per_minute.csv")
          .string());
  ReplaySummary s = replay_trace(*rt, *trace, {}, nullptr);
  CHECK(s.rows == 84333);
  CHECK(s.ticks == (809927940 - 804571200) / 60 + 1);
  CHECK(s.errors == 0);
  CHECK(s.decisions + s.holds == s.ticks);
  CHECK(s.holds > 4000);  // the 3.4-day outage: stale signal, count held
  CHECK(s.max_replicas <= 30);
  CHECK(s.min_replicas >= 1);
  CHECK(s.replica_hours() > 0);
}

TEST_CASE("closed loop: utilization is recomputed from demand and the ready replicas") {
  TempDir dir;
  auto path = dir.write("util.lua", R"(return { decide = function(ctx)
    local u = ctx:signal("cpu")
    if u == nil then return nil end
    return { replicas = math.ceil(u * ctx.target.ready / 70), reason = string.format("u=%g", u) }
  end })");
  dir.write(
      "c.json",
      R"({"policies": [{"name": "p", "script": "util.lua", "interval": "15s", "target": {"replicas": 2}}],
    "replay": {"demand": "rps", "capacity_per_replica": 10, "target_utilization": 70, "margin": 10,
               "closed_loop": true, "utilization_signal": "cpu", "ready_delay": "15s"}})");
  Config c = load_config((dir.path() / "c.json").string());
  std::string err;
  auto rt = PolicyRuntime::create(c.policies[0], &err);
  REQUIRE_MESSAGE(rt, err);
  // The trace also has a recorded cpu column: closed loop must ignore it.
  auto trace =
      TraceReader::from_text("timestamp,rps,cpu\n0,10,1\n15,10,1\n30,40,1\n45,40,1\n60,40,1\n",
                             TraceReader::Format::Csv, "t.csv");
  std::ostringstream out;
  DecisionCsvWriter csv(out);
  ReplayOptions ro;
  ro.model = c.replay.model;
  ro.ready_delay_seconds = c.replay.ready_delay_seconds;
  ReplaySeries series(64);
  ro.series = &series;
  ReplaySummary s = replay_trace(*rt, *trace, ro, &csv);
  CHECK(
      out.str() ==
      "timestamp,recommended,replicas,bound_by,reason,policy,status,ready\n"
      "0,2,2,none,u=50,p,decision,2\n"
      "15,2,2,none,u=50,p,decision,2\n"
      "30,6,4,scaleUpLimit,u=200,p,decision,2\n"  // legacy limit max(2x, 4); new pods not ready yet
      "45,6,6,none,u=100,p,decision,4\n"
      "60,6,6,none,u=66.6667,p,decision,6\n");  // the two added at t=45 are ready at 60
  CHECK(s.has_demand);
  CHECK(s.under_ticks == 2);           // t = 30, 45
  CHECK(s.under_seconds == 30);        // the intervals after t = 30 and 45
  CHECK(s.peak_shortfall == 4);        // needs ceil(40 / 7) = 6 with 2 ready
  CHECK(s.max_recover_seconds == 30);  // under from t = 30, recovered at t = 60
  // Slack (capacity - demand) / capacity at each tick, ready capacity 20, 20, 20, 40, 60 against
  // demand 10, 10, 40, 40, 40: 0.5, 0.5, -1, 0, 1/3; each holds for the interval after its tick,
  // so the last one counts for nothing: (0.5 + 0.5 - 1 + 0) x 15 s over 60 s.
  CHECK(s.slack_seconds == 60);
  CHECK(s.slack_integral == doctest::Approx(0.0));
  CHECK(s.slack() == doctest::Approx(0.0));
  REQUIRE(series.buckets().size() == 5);
  const SeriesBucket& t30 = series.buckets()[2];
  CHECK(t30.under_ticks == 1);
  CHECK(t30.scale_ups == 1);
  CHECK(t30.scale_downs == 0);
  CHECK(t30.utilization.max == 200);
  // Closed loop: the plotted load is the demand model's column.
  CHECK(series.demand_model);
  CHECK(series.demand_label == "rps");
  CHECK(t30.demand.max == 40);

  // With demand columns the decisions CSV carries each tick's under and shortfall: summed and
  // maxed they are the summary's under and shortfall.
  auto rt2 = PolicyRuntime::create(c.policies[0], &err);
  REQUIRE_MESSAGE(rt2, err);
  auto trace2 =
      TraceReader::from_text("timestamp,rps,cpu\n0,10,1\n15,10,1\n30,40,1\n45,40,1\n60,40,1\n",
                             TraceReader::Format::Csv, "t.csv");
  std::ostringstream out2;
  DecisionCsvWriter csv2(out2, true);
  ReplayOptions ro2 = ro;
  ro2.series = nullptr;
  replay_trace(*rt2, *trace2, ro2, &csv2);
  std::istringstream lines(out2.str());
  std::string line;
  std::getline(lines, line);
  CHECK(line ==
        "timestamp,recommended,replicas,bound_by,reason,policy,status,ready,under,shortfall");
  int under = 0, ticks = 0;
  double shortfall = 0;
  while (std::getline(lines, line)) {
    ++ticks;
    const auto last = line.rfind(','), before = line.rfind(',', last - 1);
    under += std::stoi(line.substr(before + 1, last - before - 1));
    shortfall = std::max(shortfall, std::stod(line.substr(last + 1)));
  }
  CHECK(ticks == 5);
  CHECK(under == s.under_ticks);
  CHECK(shortfall == s.peak_shortfall);
}

TEST_CASE("queue model: arrivals minus service, fed back as the queue signal") {
  TempDir dir;
  auto path = dir.write("q.lua", R"(return { decide = function(ctx)
    local q = ctx:signal("depth")
    if q == nil then return nil end
    return { replicas = math.max(1, math.ceil(q / 10)), reason = "q=" .. q }
  end })");
  dir.write(
      "c.json",
      R"({"policies": [{"name": "q", "script": "q.lua", "interval": "10s", "target": {"replicas": 1}, "maxReplicas": 10}],
    "replay": {"demand": "arrivals", "closed_loop": true, "queue": {"signal": "depth", "service_rate_per_replica": 1, "slo": "5s"}}})");
  Config c = load_config((dir.path() / "c.json").string());
  std::string err;
  auto rt = PolicyRuntime::create(c.policies[0], &err);
  REQUIRE_MESSAGE(rt, err);
  auto trace = TraceReader::from_text("timestamp,arrivals\n0,3\n10,3\n20,3\n30,0\n40,0\n50,0\n",
                                      TraceReader::Format::Csv, "t.csv");
  std::ostringstream out;
  DecisionCsvWriter csv(out);
  ReplayOptions ro;
  ro.model = c.replay.model;
  ReplaySummary s = replay_trace(*rt, *trace, ro, &csv);
  // t=10: queue (3-1)*10 = 20 -> 2 replicas; t=20: 20 + (3-2)*10 = 30 -> 3 (legacy limit 4);
  // t=30: 30 + (0-3)*10 = 0 -> 1 held by the 300 s downscale window.
  CHECK(out.str().find("\n10,2,2,none,q=20,q,decision,2\n") != std::string::npos);
  CHECK(out.str().find("\n20,3,3,none,q=30,q,decision,3\n") != std::string::npos);
  CHECK(out.str().find("\n30,1,3,scaleDownStabilization,q=0,q,decision,3\n") != std::string::npos);
  CHECK(s.under_ticks == 2);  // waits of 20 s and 15 s exceed the 5 s SLO
  // Without a capacity per replica there is no capacity to hold slack against.
  CHECK(s.slack_seconds == 0);
  CHECK(std::isnan(s.slack()));
}

TEST_CASE(
    "slack is the time-weighted mean of (capacity - demand) / capacity where demand is known") {
  TempDir dir;
  dir.write("hold.lua", "return { decide = function(ctx) return nil end }");
  dir.write(
      "c.json",
      R"({"policies": [{"name": "p", "script": "hold.lua", "interval": "10s", "target": {"replicas": 4},
                       "signals": {"rps": {"stale_after": "1h"}}}],
    "replay": {"demand": "rps", "capacity_per_replica": 10}})");
  Config c = load_config((dir.path() / "c.json").string());
  std::string err;
  auto rt = PolicyRuntime::create(c.policies[0], &err);
  REQUIRE_MESSAGE(rt, err);
  // 4 replicas of 10: capacity 40. Demand 10 (slack 0.75) for 10 s, 30 (0.25) for 20 s, then a
  // gap: the demand of t = 30 is stale from t = 70 (3 intervals), so t = 70 and 80 are not
  // measured; 50 (-0.25) at t = 90 holds until the last tick at 100.
  auto trace = TraceReader::from_text("timestamp,rps\n0,10\n10,30\n20,30\n30,20\n90,50\n100,50\n",
                                      TraceReader::Format::Csv, "t.csv");
  ReplayOptions ro;
  ro.model = c.replay.model;
  ReplaySummary s = replay_trace(*rt, *trace, ro, nullptr);
  // Measured: t = 0 (0.75), 10 (0.25), 20 (0.25), 30, 40, 50, 60 (0.5 each), 90 (-0.25), each for
  // 10 s; t = 70 and 80 are stale; t = 100 is the last tick.
  CHECK(s.slack_seconds == 80);
  CHECK(s.slack_integral == doctest::Approx(10 * (0.75 + 0.25 + 0.25 + 4 * 0.5 - 0.25)));
  CHECK(s.slack() == doctest::Approx(3.0 / 8.0));
  CHECK(format_metric(*find_replay_metric("slack"), s) == "37.50%");
}

TEST_CASE("the plot series stays bounded and keeps every extreme and event of merged ticks") {
  ReplaySeries s(16);
  for (int i = 0; i < 1000; ++i) {
    SeriesPoint p;
    p.time = i;
    p.demand = i == 777 ? 1000 : i == 123 ? -5 : 10;  // one spike, one dip
    p.replicas = i == 400 ? 9 : 2;
    p.ready = 2;
    p.under = i == 501;
    p.scaled = i == 400 ? 1 : i == 401 ? -1 : 0;
    p.error = i == 900;
    s.add(p);
  }
  const auto& b = s.buckets();
  CHECK(b.size() <= 16);
  CHECK(b.size() >= 8);
  double dmax = -1e9, dmin = 1e9, rmax = 0, spike_time = -1;
  std::int64_t ticks = 0, under = 0, ups = 0, downs = 0, errors = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i > 0) CHECK(b[i].time == b[i - 1].end + 1);  // consecutive, nothing skipped
    ticks += b[i].ticks;
    if (b[i].demand.max > dmax) {
      dmax = b[i].demand.max;
      spike_time = b[i].demand.max_time;
    }
    dmin = std::min(dmin, b[i].demand.min);
    rmax = std::max(rmax, b[i].replicas.max);
    under += b[i].under_ticks;
    ups += b[i].scale_ups;
    downs += b[i].scale_downs;
    errors += b[i].errors;
  }
  CHECK(ticks == 1000);
  CHECK(dmax == 1000);
  CHECK(spike_time == 777);
  CHECK(dmin == -5);
  CHECK(rmax == 9);
  CHECK(under == 1);
  CHECK(ups == 1);
  CHECK(downs == 1);
  CHECK(errors == 1);
  CHECK(b.back().replicas.last == 2);
}

TEST_CASE(
    "rows between ticks reach the plot: the series keeps the highest row, not just the "
    "ticks' rows") {
  TempDir dir;
  auto path = dir.write("p.lua", "return { decide = function(ctx) return { replicas = 1 } end }");
  PolicyConfig pc = policy_config_for_script(path.string());
  pc.interval_seconds = 60;
  std::string err;
  auto rt = PolicyRuntime::create(pc, &err);
  REQUIRE_MESSAGE(rt, err);
  // Rows every 10 s, ticks every 60 s: the spike at t = 30 falls between two ticks.
  auto trace = TraceReader::from_text(
      "timestamp,rps\n0,5\n10,5\n20,5\n30,99\n40,5\n50,5\n60,5\n70,5\n120,5\n",
      TraceReader::Format::Csv, "t.csv");
  ReplaySeries series(64);
  ReplayOptions ro;
  ro.series = &series;
  replay_trace(*rt, *trace, ro, nullptr);
  double top = 0;
  for (const auto& b : series.buckets()) top = std::max(top, b.demand.max);
  CHECK(top == 99);
  CHECK_FALSE(series.demand_model);
  CHECK(series.demand_label == "rps");  // a signal, not "demand": there is no demand model
}

TEST_CASE(
    "the decisions CSV writer: lines across many buffer flushes, quoting, every bound, a policy "
    "renamed") {
  std::ostringstream out;
  std::string expected = "timestamp,recommended,replicas,bound_by,reason,policy,status,ready\n";
  {
    DecisionCsvWriter csv(out);
    std::string policy = "api";
    for (int i = 0; i < 6000; ++i) {
      if (i == 0) csv.set_policy(policy);
      if (i == 3000) csv.set_policy(policy = "we,b");  // quoted from now on
      if (i == 4500) csv.set_policy(policy = "a-policy-name-longer-than-the-padded-slot,2");
      DecisionRecord rec;
      rec.time = 1600000000 + 15.0 * i + (i % 7 == 0 ? 0.25 : 0);
      if (i % 5 != 0) rec.recommended = i;
      rec.desired = i % 97;
      rec.bound_by = static_cast<BoundBy>(i % (static_cast<int>(BoundBy::Cooldown) + 1));
      rec.status = i % 11 == 0 ? EvalOutcome::Status::Hold : EvalOutcome::Status::Decision;
      rec.reason =
          std::string(static_cast<std::size_t>(i % 200), 'r') + (i % 13 == 0 ? ", \"q\"\nx" : "");
      csv.write(rec, i % 41);
      std::ostringstream line;
      if (i % 7 == 0) {
        char t[32];
        std::snprintf(t, sizeof t, "%.3f", rec.time);
        line << t;
      } else {
        line << static_cast<long long>(rec.time);
      }
      line << ',' << (rec.recommended ? std::to_string(*rec.recommended) : "") << ',' << rec.desired
           << ',' << bound_by_name(rec.bound_by) << ',' << csv_field(rec.reason) << ','
           << csv_field(policy) << ','
           << (rec.status == EvalOutcome::Status::Hold ? "hold" : "decision") << ',' << i % 41
           << '\n';
      expected += line.str();
    }
    // A reason longer than the whole buffer is written through.
    DecisionRecord big;
    big.time = 1;
    big.desired = 1;
    big.reason = std::string(100000, 'z');
    csv.write(big, 1);
    expected += "1,,1,none," + big.reason + "," + csv_field(policy) + ",hold,1\n";
  }
  CHECK(out.str().size() > (1u << 16) * 3);
  CHECK(out.str() == expected);
}

TEST_CASE("the decisions CSV writer: an empty policy name is an empty field") {
  std::ostringstream out;
  {
    DecisionCsvWriter csv(out);
    DecisionRecord rec;
    rec.time = 15;
    rec.desired = 2;
    csv.set_policy("");
    csv.write(rec, 2);
    csv.set_policy("a");
    csv.write(rec, 2);
  }
  CHECK(out.str() ==
        "timestamp,recommended,replicas,bound_by,reason,policy,status,ready\n"
        "15,,2,none,,,hold,2\n"
        "15,,2,none,,a,hold,2\n");
}

TEST_CASE("the decisions CSV writer: times across digit boundaries, small, negative and huge") {
  const std::vector<double> times = {
      0,          5,          99999,      100000, 100001,  199999, 200000, 1600000000, 1600099999,
      1600100000, 1600100015, 1500000000, -5,     -100000, 1e15,   9e15,   1e16,       2.5};
  std::ostringstream out;
  std::string expected = "timestamp,recommended,replicas,bound_by,reason,policy,status,ready\n";
  {
    DecisionCsvWriter csv(out);
    csv.set_policy("p");
    for (double t : times) {
      DecisionRecord rec;
      rec.time = t;
      rec.desired = 1;
      csv.write(rec, 1);
      char buf[64];
      if (t == std::floor(t) && std::fabs(t) < 9007199254740992.0)
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(t));
      else
        std::snprintf(buf, sizeof buf, "%.3f", t);
      expected += std::string(buf) + ",,1,none,,p,hold,1\n";
    }
  }
  CHECK(out.str() == expected);
}
