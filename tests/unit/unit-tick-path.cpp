// One tick path: the same trace, policy and guardrails go through `replay` (trace sources,
// simulated target, virtual clock) and through the live loop of `run` (Runner with its live
// adapter wrappers, on a virtual clock, with an in-memory source and target); every tick's
// decision must be the same, byte for byte in the decisions CSV.
#include <doctest/doctest.h>

#include <utility>

#include <boost/asio/io_context.hpp>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/loop/memory_adapters.hpp"
#include "engine/loop/runner.hpp"
#include "engine/loop/tick.hpp"
#include "engine/replay/replay.hpp"
#include "fixtures.hpp"

using namespace luascale;
using luascale::test::TempDir;

namespace {

// The recorded signal, as (time, value) rows, and the virtual clock, shared with the adapters
// the live loop makes through its factory tables.
struct Recording {
  std::vector<std::pair<double, double>> rows;
  double now = 0;
} g_rec;

// Hands over the recorded rows up to the virtual clock that it has not handed over yet.
class RecordedSource final : public Source {
 public:
  void fetch(std::function<void(SampleOutcome)> done) override {
    SampleOutcome out;
    while (next_ < g_rec.rows.size() && g_rec.rows[next_].first <= g_rec.now) {
      const auto& [t, v] = g_rec.rows[next_++];
      if (std::isnan(v)) continue;
      if (out.sample) out.earlier.push_back(std::move(*out.sample));
      out.sample = Sample{Value(v), t};
    }
    done(std::move(out));
  }

 private:
  std::size_t next_ = 0;
};

const std::vector<SourceFactory>& sources() {
  static const std::vector<SourceFactory> table = {
      {"recorded", {}, [](AdapterContext&, const SignalSpec&) -> std::unique_ptr<Source> {
         return std::make_unique<RecordedSource>();
       }}};
  return table;
}

const std::vector<ActuatorFactory>& actuators() {
  static const std::vector<ActuatorFactory> table = {
      {"memory",
       {},
       [](AdapterContext&, const std::string&, const Value& target) -> std::unique_ptr<Actuator> {
         auto t = std::make_unique<MemoryTarget>();
         const std::int64_t start = target.find("replicas")->as_int();
         t->state = TargetState{start, start, std::nullopt, std::nullopt};
         return t;
       }}};
  return table;
}

const char* const kPolicy = R"(return {
  params = { per = 10 },
  decide = function(ctx, p)
    local q = ctx:signal("queue")
    if q == nil then return nil end
    local avg = ctx:signal("queue", { window = "2m", agg = "avg" })
    local peak = ctx:signal("queue", { window = "5m", agg = "p90" })
    ctx.state.n = (ctx.state.n or 0) + 1
    if q > 440 then error("queue off the scale: " .. q) end
    return { replicas = math.ceil(math.max(q, avg, peak / 2) / p.per),
             reason = string.format("q=%g avg=%.2f p90=%g n=%d", q, avg, peak, ctx.state.n) }
  end,
})";

}  // namespace

TEST_CASE("replay and the live loop on a virtual clock make the same decision at every tick") {
  TempDir dir;
  dir.write("queue.lua", kPolicy);
  const auto config = dir.write("config.json", R"({
    "policies": [{
      "name": "queue", "script": "queue.lua", "interval": "15s",
      "target": { "kind": "memory", "replicas": 3 },
      "minReplicas": 2, "maxReplicas": 40,
      "behavior": { "scaleDown": { "stabilizationWindowSeconds": 60,
                                   "policies": [{ "type": "Pods", "value": 2, "periodSeconds": 30 }] },
                    "scaleUp": { "policies": [{ "type": "Percent", "value": 50, "periodSeconds": 15 }] } },
      "fallback": { "failureThreshold": 2, "replicas": 25 },
      "signals": { "queue": { "source": "recorded" } }
    }]
  })");
  // 10-second rows (several per 15-second tick now and then), a gap that goes stale, values
  // that make the script fail (and the fallback fire), and a climb and fall for the limits.
  g_rec.rows.clear();
  std::ostringstream trace;
  trace << "timestamp,queue\n";
  const double t0 = 1700000000;
  for (int i = 0; i < 600; ++i) {
    const double t = t0 + 10.0 * i;
    double v =
        std::round(1000 * (20 + 200 * std::sin(i / 40.0) * std::sin(i / 40.0) + (i * 7919 % 37))) /
        1000;
    if (i >= 300 && i < 315) v = NAN;  // no data for 150 s: the signal goes stale
    if (i >= 420 && i < 426) v = 450;  // the script errors; the fallback takes over
    g_rec.rows.emplace_back(t, v);
    trace << static_cast<long long>(t) << ',';
    if (!std::isnan(v)) trace << v;
    trace << '\n';
  }
  const auto trace_path = dir.write("trace.csv", trace.str());

  AdapterCatalog catalog{&sources(), &actuators(), true, nullptr};
  const Config cfg = load_config(config.string(), catalog);

  // Replay.
  std::ostringstream replayed;
  std::vector<double> times;
  {
    std::string err;
    auto rt = PolicyRuntime::create(cfg.policies.at(0), &err);
    REQUIRE_MESSAGE(rt, err);
    auto reader = TraceReader::open(trace_path.string());
    DecisionCsvWriter csv(replayed);
    ReplaySeries series(1 << 20);
    ReplayOptions opts;
    opts.series = &series;
    const ReplaySummary sum = replay_trace(*rt, *reader, opts, &csv);
    CHECK(sum.errors > 0);
    CHECK(sum.holds > 0);
    CHECK(sum.bound_by.count("fallback") == 1);
    CHECK(sum.bound_by.count("scaleDownStabilization") == 1);
    for (const auto& b : series.buckets()) times.push_back(b.time);
  }
  REQUIRE(times.size() > 300);

  // The live loop, on the same virtual clock times.
  std::ostringstream live;
  {
    boost::asio::io_context io;
    RunOptions ro;
    ro.config_path = config.string();
    ro.listen = "off";
    ro.reload_poll_seconds = 0;
    ro.log_json = false;
    ro.manual_ticks = true;
    ro.clock = [] { return g_rec.now; };
    DecisionCsvWriter csv(live);
    csv.set_policy("queue");
    int ticks = 0;
    ro.on_tick = [&](const std::string&, const TickRecord& r) {
      csv.write(r.decision, r.decision.desired);
      ++ticks;
    };
    Runner runner(io, ro, sources(), actuators());
    std::string err;
    REQUIRE_MESSAGE(runner.start(&err), err);
    for (double t : times) {
      g_rec.now = t;
      runner.tick_all();
      io.restart();
      io.poll();
    }
    CHECK(ticks == static_cast<int>(times.size()));
    runner.stop();
    io.restart();
    io.poll();
    csv.flush();
  }
  // The ready column differs by design (the replay writes the simulated target's, the live loop
  // here the count); everything before it must match line by line.
  auto strip_ready = [](const std::string& text) {
    std::istringstream in(text);
    std::string line, out;
    while (std::getline(in, line)) out += line.substr(0, line.rfind(',')) + "\n";
    return out;
  };
  const std::string a = strip_ready(replayed.str()), b = strip_ready(live.str());
  std::istringstream ia(a), ib(b);
  std::string la, lb;
  int line = 0;
  while (std::getline(ia, la) && std::getline(ib, lb)) {
    ++line;
    CAPTURE(line);
    REQUIRE(la == lb);
  }
  CHECK(a == b);
}
