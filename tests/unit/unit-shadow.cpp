// Shadow mode with in-process fakes: the target is read and never written, the guardrails weigh
// the observed count and its changes (across restarts too), a paused target pauses the shadow,
// the shadow log (an owned file: header, rotation, refusals) and its reading, the comparison's
// figures, /metrics and /decisions, and `luascale shadow-report`.
#include <doctest/doctest.h>

#include <unistd.h>

#include <utility>

#include <cmath>
#include <sstream>

#include "engine/loop/policy_runtime.hpp"
#include "engine/loop/tick.hpp"
#include "engine/shadow/shadow_compare.hpp"
#include "engine/shadow/shadow_log.hpp"
#include "engine/shadow/shadow_log_writer.hpp"
#include "engine/shadow/shadow_report.hpp"
#include "run_fakes.hpp"
#include "shadow_rows.hpp"

using namespace luascale;
using namespace luascale::test;
namespace asio = boost::asio;

namespace {

constexpr double kT0 = 1700000000;

// A shadow policy on the fake target: +2 replicas a minute at most, -1 a minute at most.
std::string shadow_config(const std::string& extra = "") {
  return R"({"policies": [{"name": "work", "script": "p.lua", "interval": "30s",
    "shadow": true, "shadow_log": "shadow.csv", "minReplicas": 1, "maxReplicas": 50,
    "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0,
                             "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]},
                 "scaleDown": {"stabilizationWindowSeconds": 0,
                               "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}},
    "target": {"kind": "fake"},
    "signals": {"queue": {"source": "fake", "value": "q", "timeout": "300ms"}})" +
         extra + R"(}], "state_file": "state.json"})";
}

// A runner on the fake adapters and a virtual clock (ticks only when tick() says).
struct FakeRun : VirtualRun {
  explicit FakeRun(const TempDir& dir, const std::string& listen = "off")
      : VirtualRun(options(dir, listen), fake_sources(), fake_actuators(), kT0, 10) {}
  static RunOptions options(const TempDir& dir, const std::string& listen) {
    RunOptions ro = run_options(dir);
    ro.listen = listen;
    return ro;
  }
};

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// The cells of the table row of `text` that starts with `first`.
std::vector<std::string> table_row(const std::string& text, const std::string& first) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::vector<std::string> out;
    for (std::string c; cells >> c;) out.push_back(c);
    if (!out.empty() && out[0] == first && out.size() > 2) return out;
  }
  return {};
}

}  // namespace

TEST_CASE("shadow: the target is read, never written; the guardrails weigh the observed count") {
  reset();
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", shadow_config());
  // (time offset, live count set underneath before the tick, queue)
  const std::vector<std::tuple<double, std::int64_t, double>> steps = {
      {0, 3, 100}, {30, 3, 100}, {61, 6, 100}, {91, 6, 100}, {122, 6, 100}, {152, 12, 10}};
  std::string metrics, decisions;
  {
    FakeRun run(dir, "127.0.0.1:0");
    std::string err;
    REQUIRE_MESSAGE(run.start(&err), err);
    for (const auto& [dt, live, q] : steps) {
      g.replicas = live;
      g.values["q"] = q;
      run.tick(kT0 + dt);
    }
    metrics = serve_get(run.io, run.runner->listen_address(), "/metrics");
    decisions = run.runner->decisions_json("work");
  }
  CHECK(g.applies == 0);    // nothing was ever written
  CHECK(g.replicas == 12);  // the live count is what the test last set
  const auto rows = read_rows(dir.path() / "shadow.csv");
  REQUIRE(rows.size() == 6);
  // The script wants 10, then 1. Each limit counts from the live count, less the changes of the
  // live count within the policy's period (the scale events a live policy would have made):
  // 3 + 2 = 5, twice; at 61 s the live 6 (+3 just now: the period started at 3, so 5) is kept;
  // at 91 s the +3 is still in its minute: 6; at 122 s it is not: 6 + 2 = 8; at 152 s the live
  // 12 (+6 just now) may go down 1 from the period's start, 12 - 6 = 6: 5.
  const std::int64_t want_shadow[] = {5, 5, 6, 6, 8, 5};
  const char* want_rule[] = {"scaleUpLimit", "scaleUpLimit", "scaleUpLimit",
                             "scaleUpLimit", "scaleUpLimit", "scaleDownLimit"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i);
    CHECK(rows[i].time == kT0 + std::get<0>(steps[i]));
    CHECK(rows[i].policy == "work");
    CHECK(rows[i].status == "decision");
    CHECK(rows[i].live == std::get<1>(steps[i]));  // the live count of that very tick
    CHECK(rows[i].ready == std::get<1>(steps[i]));
    CHECK(rows[i].replicas == want_shadow[i]);
    CHECK(rows[i].bound_by == want_rule[i]);
    CHECK(rows[i].recommended == (i < 5 ? 10 : 1));
    CHECK(rows[i].interval == 30);
    CHECK(rows[i].demand_signal == "queue");
    CHECK(rows[i].demand == std::get<2>(steps[i]));
  }
  // /metrics: the would-be and the live count side by side; no applied count.
  CHECK(has(metrics, "luascale_shadow_desired_replicas{policy=\"work\"} 5\n"));
  CHECK(has(metrics, "luascale_current_replicas{policy=\"work\"} 12\n"));
  CHECK(!has(metrics, "luascale_desired_replicas{policy=\"work\"}"));
  CHECK(has(metrics, "luascale_shadow_ticks_total{policy=\"work\",comparison=\"higher\"} 3\n"));
  CHECK(has(metrics, "luascale_shadow_ticks_total{policy=\"work\",comparison=\"lower\"} 1\n"));
  CHECK(has(metrics, "luascale_shadow_ticks_total{policy=\"work\",comparison=\"same\"} 2\n"));
  CHECK(has(metrics, "luascale_actuations_total{policy=\"work\"} 0\n"));
  CHECK(has(metrics, "luascale_shadow_log_errors_total 0\n"));
  CHECK(has(decisions, "\"shadow\": true"));
  CHECK(has(decisions, "\"current\": 12"));
  CHECK(has(decisions, "\"desired\": 5"));

  // The observed count and the changes seen are persisted...
  const Value saved = saved_policy(dir, "work");
  REQUIRE(saved.find("shadow"));
  CHECK(saved.find("shadow")->find("observed")->as_int() == 12);
  // ...and a restart goes on from them: at t0 + 300 the live count is 10, a change of -2 from
  // the 12 saved, so the period started at 12 and the limit is 11, above the live 10: 10 is
  // kept (from a fresh history it would be 9). Its rows are appended to the same log.
  g.replicas = 10;
  {
    FakeRun run(dir);
    run.now = kT0 + 300;
    std::string err;
    REQUIRE_MESSAGE(run.start(&err), err);
    run.tick(kT0 + 300);
  }
  CHECK(g.applies == 0);
  const auto after = read_rows(dir.path() / "shadow.csv");
  REQUIRE(after.size() == 7);
  CHECK(after[6].replicas == 10);
  CHECK(after[6].live == 10);
  CHECK(after[6].bound_by == "scaleDownLimit");
  CHECK(read_file(dir.path() / "shadow.csv").rfind(kShadowLogHeader, 0) == 0);

  // The comparison over the first six ticks (30 s apart, the 31 s gaps too; the last tick counts
  // one interval). Shadow: 5x30 + 5x31 + 6x30 + 6x31 + 8x30 + 5x30 = 1061 replica-seconds;
  // live: 3x30 + 3x31 + 6x30 + 6x31 + 6x30 + 12x30 = 1089.
  ShadowAnalysisOptions ao;
  ao.to = kT0 + 152;
  ShadowAnalysis analysis(ao);
  for (const auto& r : after) analysis.add(r);
  const auto policies = analysis.finish();
  REQUIRE(policies.size() == 1);
  const ShadowComparison& c = policies[0].comparison;
  CHECK(c.ticks == 6);
  CHECK(c.compared == 6);
  CHECK(c.higher == 3);
  CHECK(c.lower == 1);
  CHECK(c.higher_seconds == 91);
  CHECK(c.lower_seconds == 30);
  CHECK(c.above_replica_seconds == 2 * 30 + 2 * 31 + 2 * 30);
  CHECK(c.below_replica_seconds == 7 * 30);
  CHECK(c.max_above == 2);
  CHECK(c.max_below == 7);
  CHECK(c.shadow_replica_seconds == 1061);
  CHECK(c.live_replica_seconds == 1089);
  CHECK(c.net_replica_hours() == doctest::Approx(-28.0 / 3600));
  CHECK(c.net_share() == doctest::Approx(-28.0 / 1089));
  CHECK(c.longest_apart_seconds == 61);        // 0 s to 61 s
  CHECK(policies[0].shadow.scale_ups == 2);    // 5 -> 6 -> 8
  CHECK(policies[0].shadow.scale_downs == 1);  // 8 -> 5
  CHECK(policies[0].live.scale_ups == 2);      // 3 -> 6 -> 12
  CHECK(policies[0].live.scale_downs == 0);
  CHECK(policies[0].shadow.bound_by.at("scaleUpLimit") == 5);

  // The command: the same figures as text, and the HTML report.
  std::string out;
  const std::string cmd = std::string(LUASCALE_BINARY) + " shadow-report " +
                          (dir.path() / "shadow.csv").string() + " --to " +
                          std::to_string(static_cast<long long>(kT0 + 152)) + " --report " +
                          (dir.path() / "shadow.html").string() + " 2>&1";
  REQUIRE_MESSAGE(run_command(cmd, &out) == 0, out);
  CAPTURE(out);
  // policy, span, ticks, compared, differed, higher, lower, mean-above (182/91), max-above,
  // mean-below (210/30), max-below, shadow-h (1061/3600), live-h (1089/3600), net-h, net%.
  const std::vector<std::string> want = {"work",
                                         "0.1h",
                                         "6",
                                         "6",
                                         "66.7%",
                                         "50.0%",
                                         "16.7%",
                                         "2.00",
                                         "2",
                                         "7.00",
                                         "7",
                                         fmt(1061.0 / 3600),
                                         fmt(1089.0 / 3600),
                                         "-" + fmt(28.0 / 3600),
                                         "-2.6%"};
  CHECK(table_row(out, "work") == want);
  CHECK(has(out,
            "work: differed from the live count at 66.7% of 6 ticks (higher 50.0%, lower "
            "16.7%); it would have saved " +
                fmt(28.0 / 3600) + " replica-hours (-2.6% against live)"));
  const std::string html = read_file(dir.path() / "shadow.html");
  CHECK(has(html, "<h2>Shadow vs live</h2>"));
  CHECK(has(html, "id=\"shadow-chart-0\""));
  CHECK(has(html, "<td>6 of 6</td>"));
  CHECK(has(html, "<td>4 ticks (66.7 %), 0.03 h</td>"));  // differed: 121 s
  CHECK(has(html, "<td>3 ticks (50.0 %), 0.03 h; by 2.00 replicas on average, at most 2</td>"));
  CHECK(has(html, "<td>1 ticks (16.7 %), 0.01 h; by 7.00 replicas on average, at most 7</td>"));
  CHECK(has(html, "<td>" + fmt(182.0 / 3600) + " replica-hours</td>"));  // cost, while higher
  CHECK(has(html, "<td>" + fmt(210.0 / 3600) + " replica-hours</td>"));  // saved, while lower
  CHECK(has(html, "<td>-" + fmt(28.0 / 3600) + " replica-hours (-2.6 %): would have saved</td>"));
  CHECK(has(html, "<td>3 / 2</td>"));                         // scale events, shadow / live
  CHECK(has(html, "<a href=\"#policy-1\">work (live)</a>"));  // the replay table, both counts
  CHECK(has(html, "class=\"chart replicas-chart\""));
  CHECK(has(html, "class=\"chart demand-chart\""));  // the queue, as the demand
  CHECK(has(html, "luascale " LUASCALE_VERSION " shadow report</footer>"));
}

TEST_CASE("shadow: a paused live target pauses the shadow; an unread target is not compared") {
  reset();
  TempDir dir;
  dir.write("p.lua", kPolicy);
  // No behavior: the legacy rules (scale-up at most max(2 x current, 4) per tick).
  dir.write("c.json", R"({"policies": [{"name": "work", "script": "p.lua", "interval": "30s",
    "shadow": true, "shadow_log": "shadow.csv", "minReplicas": 1, "maxReplicas": 50,
    "target": {"kind": "fake"},
    "signals": {"queue": {"source": "fake", "value": "q"}}}]})");
  g.values["q"] = 100;
  {
    FakeRun run(dir);
    std::string err;
    REQUIRE_MESSAGE(run.start(&err), err);
    g.replicas = 3;
    run.tick(kT0);  // 3 -> 6
    g.replicas = 0;
    run.tick(kT0 + 30);  // paused: nothing is decided
    g.replicas = 4;
    run.tick(kT0 + 60);  // from the live 4: 8
    g.fail_read = true;
    run.tick(kT0 + 90);  // the target cannot be read: nothing to decide from, nor to compare
  }
  CHECK(g.applies == 0);
  const auto rows = read_rows(dir.path() / "shadow.csv");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].replicas == 6);
  CHECK(rows[1].replicas == 0);
  CHECK(rows[1].live == 0);
  CHECK(rows[1].bound_by == "paused");
  CHECK(rows[2].replicas == 8);
  CHECK(rows[2].live == 4);
  CHECK(!rows[3].replicas);
  CHECK(!rows[3].live);
  CHECK(!rows[3].ready);
  CHECK(rows[3].status == "error");
  CHECK(has(rows[3].reason, "injected read failure"));
  ShadowAnalysis analysis({});
  for (const auto& r : rows) analysis.add(r);
  const auto p = analysis.finish();
  REQUIRE(p.size() == 1);
  CHECK(p[0].comparison.unread == 1);
  CHECK(p[0].comparison.compared == 3);
  CHECK(p[0].comparison.higher == 2);
  CHECK(p[0].shadow.actuation_errors == 1);
}

TEST_CASE("shadow: switching a policy between shadow and live starts a fresh guardrail history") {
  TempDir dir;
  dir.write("p.lua", kPolicy);
  PolicyConfig pc = policy_config_for_script((dir.path() / "p.lua").string());
  pc.guard.min = 1;
  std::string err;
  auto shadow = PolicyRuntime::create(pc, &err);
  REQUIRE_MESSAGE(shadow, err);
  shadow->set_shadow(true);
  shadow->add_signal("queue");
  shadow->signals().set_number(0, kT0, 70);
  DecisionRecord rec;
  shadow->observe_shadow(kT0, 3);
  shadow->tick(kT0, TargetState{3, 3, std::nullopt, std::nullopt}, rec);
  CHECK(rec.desired == 6);  // max(2 x 3, 4), from the observed 3
  CHECK(shadow->observed() == 3);
  CHECK(!shadow->guardrails().state().last_scale_time);  // nothing was scaled
  // The live count moves underneath: a scale event the guardrails count.
  shadow->observe_shadow(kT0 + 30, 5);
  CHECK(shadow->observed() == 5);
  CHECK(shadow->guardrails().state().last_scale_time == kT0 + 30);
  // A pause and its end are not.
  shadow->observe_shadow(kT0 + 60, 0);
  shadow->observe_shadow(kT0 + 90, 5);
  CHECK(shadow->guardrails().state().last_scale_time == kT0 + 30);
  const Value saved = parse_json(shadow->persisted_json(nullptr));
  REQUIRE(saved.find("shadow"));
  CHECK(saved.find("shadow")->find("observed")->as_int() == 5);

  // The same policy, now actuating: ctx.state comes back, the guardrail history does not.
  auto live = PolicyRuntime::create(pc, &err);
  REQUIRE(live);
  std::vector<std::string> warnings;
  REQUIRE(live->restore_state(saved, kT0 + 100, warnings, &err));
  REQUIRE(warnings.size() == 1);
  CHECK(has(warnings[0], "saved by the policy in shadow mode"));
  CHECK(!live->guardrails().state().last_scale_time);
  CHECK(live->save_state().find("ctx_state")->find("ticks")->as_int() == 1);
  CHECK(!live->save_state().find("shadow"));

  // Back in shadow mode, from its own state: the observed count and history are restored.
  auto again = PolicyRuntime::create(pc, &err);
  REQUIRE(again);
  again->set_shadow(true);
  warnings.clear();
  REQUIRE(again->restore_state(saved, kT0 + 100, warnings, &err));
  CHECK(warnings.empty());
  CHECK(again->observed() == 5);
  CHECK(again->guardrails().state().last_scale_time == kT0 + 30);
  // A live policy's state restored in shadow mode: fresh history, with the warning.
  warnings.clear();
  REQUIRE(again->restore_state(live->save_state(), kT0 + 100, warnings, &err));
  CHECK(warnings.size() == 1);
  CHECK(!again->observed());
  // An observed count that is not a count rejects the entry.
  Value bad = saved;
  Value s = Value::object();
  s.set("observed", Value(-2));
  bad.set("shadow", s);
  CHECK(!again->restore_state(bad, kT0 + 100, warnings, &err));
  CHECK(has(err, "shadow.observed"));
}

TEST_CASE("shadow log: created with its header, appended to only while it is ours, rotated") {
  TempDir dir;
  const std::string path = (dir.path() / "shadow.csv").string();
  ShadowRow row;
  row.time = kT0 + 0.25;
  row.recommended = 4;
  row.replicas = 3;
  row.bound_by = "scaleUpLimit";
  row.reason = "queue \"deep\", 12,\nsee runbook";
  row.policy = "a,b";
  row.status = "decision";
  row.ready = 2;
  row.live = 2;
  row.interval = 15;
  row.demand_signal = "rps";
  row.demand = 12.5;
  const std::string line = shadow_log_line(row);
  CHECK(line ==
        "1700000000.250,4,3,scaleUpLimit,\"queue \"\"deep\"\", 12, see runbook\",\"a,b\","
        "decision,2,2,15,rps,12.5\n");
  CHECK(ShadowLogWriter::check(path).empty());  // absent: fine
  {
    ShadowLogWriter w(400);
    for (int i = 0; i < 5; ++i) {
      row.time = kT0 + 15 * i;
      row.replicas = i;
      w.append(path, shadow_log_line(row));
      w.flush();
    }
    CHECK(w.errors() == 0);
  }
  // 90 bytes a line: the file rotates before it would pass 400 bytes; both start with the header.
  const std::string older = read_file(path + ".1"), newer = read_file(path);
  CHECK(older.rfind(std::string(kShadowLogHeader) + "\n", 0) == 0);
  CHECK(newer.rfind(std::string(kShadowLogHeader) + "\n", 0) == 0);
  CHECK(older.size() <= 400);
  std::vector<ShadowRow> rows = read_rows(path + ".1");
  const std::size_t in_older = rows.size();
  for (auto& r : read_rows(path)) rows.push_back(r);
  REQUIRE(rows.size() == 5);
  CHECK(in_older >= 2);
  for (int i = 0; i < 5; ++i) {
    CHECK(rows[i].time == kT0 + 15 * i);
    CHECK(rows[i].replicas == i);
    CHECK(rows[i].reason == "queue \"deep\", 12, see runbook");
    CHECK(rows[i].policy == "a,b");
    CHECK(rows[i].demand == 12.5);
  }
  CHECK(ShadowLogWriter::check(path).empty());  // ours: fine

  // Someone else's file is neither appended to nor replaced.
  const auto other = dir.write("notes.csv", "timestamp,value\n1,2\n");
  CHECK(has(ShadowLogWriter::check(other.string()), "not a shadow log"));
  {
    ShadowLogWriter w;
    w.append(other.string(), shadow_log_line(row));
    w.flush();
    CHECK(w.errors() == 1);
  }
  CHECK(read_file(other) == "timestamp,value\n1,2\n");
  // Nor a link to one.
  const auto link = dir.path() / "link.csv";
  REQUIRE(::symlink(path.c_str(), link.c_str()) == 0);
  CHECK(has(ShadowLogWriter::check(link.string()), "symbolic link"));
  {
    ShadowLogWriter w;
    w.append(link.string(), shadow_log_line(row));
    w.flush();
    CHECK(w.errors() == 1);
  }
  CHECK(read_rows(path).size() == 5 - in_older);
  CHECK(has(ShadowLogWriter::check((dir.path() / "no/such/dir/s.csv").string()), "does not exist"));
}

TEST_CASE("shadow log: reading names the file and line; a line cut short is skipped") {
  TempDir dir;
  const std::string head = std::string(kShadowLogHeader) + "\n";
  const std::string good = "1700000000,4,3,none,ok,p,decision,3,3,15,,\n";
  const auto cut = dir.write("cut.csv", head + good + "1700000015,4,3,no");
  CHECK(read_rows(cut).size() == 1);
  const auto bad =
      dir.write("bad.csv", head + good + "1700000015,4,3,none,ok,p,decision,3,x,15,,\n");
  const std::string why = bad.string() + ":3: column \"live\": not a count: \"x\"";
  CHECK_THROWS_WITH_AS(read_rows(bad), why.c_str(), ShadowLogError);
  const auto other = dir.write("other.csv", "timestamp,recommended,replicas\n");
  CHECK_THROWS_WITH_AS(read_rows(other), doctest::Contains("not a shadow log"), ShadowLogError);
  // `shadow-report` stops at the first bad line: the file and line on stderr, exit 1, no report.
  std::string out;
  CHECK(run_command(std::string(LUASCALE_BINARY) + " shadow-report " + bad.string() + " --report " +
                        (dir.path() / "r.html").string() + " 2>&1",
                    &out) == 1);
  CHECK(has(out, why));
  CHECK(!std::filesystem::exists(dir.path() / "r.html"));
  const auto quote =
      dir.write("quote.csv", head + "1700000000,4,3,none,\"open,p,decision,3,3,15,,\n");
  CHECK(run_command(std::string(LUASCALE_BINARY) + " shadow-report " + quote.string() + " 2>&1",
                    &out) == 1);
  CHECK(has(out, quote.string() + ":2: malformed CSV (an unclosed quote)"));
  const auto few = dir.write("few.csv", head + "1700000000,4,3\n");
  CHECK_THROWS_WITH_AS(read_rows(few), doctest::Contains(":2: expected 12 columns, found 3"),
                       ShadowLogError);
  CHECK(run_command(std::string(LUASCALE_BINARY) + " shadow-report " +
                        (dir.path() / "absent.csv").string() + " 2>&1",
                    &out) == 1);
  CHECK(has(out, "absent.csv: cannot read"));
  // Columns appended by a later version are ignored.
  const auto later = dir.write("later.csv", std::string(kShadowLogHeader) + ",extra\n" +
                                                "1700000000,4,3,none,ok,p,decision,3,3,15,,,7\n");
  REQUIRE(read_rows(later).size() == 1);
  CHECK(read_rows(later)[0].live == 3);
}

TEST_CASE("shadow: config keys, and a shadow log run will not write to refuses the start") {
  reset();
  TempDir dir;
  dir.write("p.lua", kPolicy);
  dir.write("c.json", config(R"(, "shadow_log": "s.csv")"));
  CHECK_THROWS_WITH_AS(load_config((dir.path() / "c.json").string()),
                       doctest::Contains("policies[0].shadow_log: only a shadow policy records"),
                       ConfigError);
  dir.write("c.json", config(R"(, "shadow": "yes")"));
  CHECK_THROWS_WITH_AS(load_config((dir.path() / "c.json").string()),
                       doctest::Contains("policies[0].shadow: must be true or false"), ConfigError);
  dir.write("c.json", config(R"(, "shadow": true, "shadow_log": "notes.csv")"));
  const Config cfg = load_config((dir.path() / "c.json").string());
  CHECK(cfg.policies[0].shadow);
  CHECK(cfg.policies[0].shadow_log == (dir.path() / "notes.csv").lexically_normal().string());
  dir.write("notes.csv", "my,own\n");
  asio::io_context io;
  Runner r(io, run_options(dir), fake_sources(), fake_actuators());
  std::string err;
  CHECK(!r.start(&err));
  CHECK(has(err, "policies[0].shadow_log: "));
  CHECK(has(err, "not a shadow log"));
  CHECK(read_file(dir.path() / "notes.csv") == "my,own\n");
}
