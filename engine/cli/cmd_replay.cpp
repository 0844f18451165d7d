// engine/cli/cmd_replay.cpp — `luascale replay`: dry-run over recorded traces, one summary row
// per (trace, policy); runs the pairs in parallel with --jobs, results identical to a serial run.
#include <unistd.h>

#include <utility>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <thread>

#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"
#include "engine/cli/progress.hpp"
#include "engine/cli/replay_verdict.hpp"
#include "engine/core/units.hpp"
#include "engine/replay/forecast_backtest.hpp"
#include "engine/replay/prometheus_trace.hpp"
#include "engine/replay/replay.hpp"
#include "engine/replay/report.hpp"
#include "engine/replay/tune_holdout.hpp"
#include "engine/state/state_file.hpp"

namespace luascale::cli {
namespace {

// --actuate: the config's target actuator, answering on a private io_context that the replay
// runs until each tick finishes.
struct RealTarget {
  RealTarget(const PolicyConfig& pc, const std::string& config_dir) : ctx{io, config_dir} {
    for (const auto& f : builtin_actuators())
      if (pc.target.kind == f.kind) actuator = f.make(ctx, pc.name, pc.target.options);
    if (!actuator)
      throw std::runtime_error(pc.key_path +
                               ".target.kind: --actuate needs an actuator kind, not \"" +
                               pc.target.kind + "\"");
  }
  boost::asio::io_context io;
  AdapterContext ctx;
  std::unique_ptr<Actuator> actuator;
};

struct Job {
  PolicyConfig pc;
  std::vector<TraceArg> trace;  // one file, or NAME=FILE inputs merged
  ReplaySummary summary;
  ReplaySeries series;
  Value state;
  std::string state_error;
  std::string error;
  std::string csv_path;                   // per-job decisions, concatenated in order afterwards
  ReportPolicy shown;                     // what the report shows the policy ran with
  std::optional<BacktestTable> backtest;  // --backtest: when the policy forecast
  std::optional<double> measure_from;     // --holdout: the held-out part starts here
};

// --backtest: the trace column a policy's forecast is compared with — --backtest-signal, else
// the demand model's column, else the signal the policy's `signal` param names (through its
// configured "column"). Throws when none is known or the trace lacks it.
std::string backtest_column(const std::string& given, const Config& config, const PolicyConfig& pc,
                            const Value& params, const TraceReader& trace) {
  std::string name = given, how = "--backtest-signal";
  if (name.empty() && !config.replay.model.demand_column.empty()) {
    name = config.replay.model.demand_column;
    how = "replay.demand";
  }
  if (name.empty())
    if (const Value* v = params.find("signal"); v && v->is_string()) {
      name = v->as_string();
      how = "the policy's signal param";
      for (const auto& s : pc.signals)
        if (s.name == name && !s.column.empty()) name = s.column;
    }
  std::string have;
  for (const auto& c : trace.columns()) have += (have.empty() ? "" : ", ") + c;
  if (name.empty())
    throw std::runtime_error(
        "--backtest: which signal does " + pc.name +
        " forecast? name its trace column with --backtest-signal (columns: " + have + ")");
  if (!trace.column(name))
    throw std::runtime_error("--backtest: " + trace.name() + " has no column \"" + name +
                             "\" (from " + how + "; columns: " + have + ")");
  return name;
}

// The forecasts a replay collected, against the column's rows.
BacktestTable backtest_table(const ForecastBacktest& bt, const std::string& policy,
                             const std::vector<TraceArg>& args, const std::string& column) {
  auto trace = open_trace_args(args);
  const std::size_t c = *trace->column(column);
  ForecastBacktest with_rows = bt;
  TraceRow row;
  while (trace->next(row))
    if (c < row.numbers.size()) with_rows.actual(row.time, row.numbers[c]);
  return with_rows.table(policy, column);
}

// The guardrail keys of a config policy's object, as JSON ("{}" when it sets none); "" for a
// bare script, which has none.
std::string guardrails_json(const Config& config, const PolicyConfig& pc) {
  if (pc.bare) return "";
  const Value* policies = config.raw.find("policies");
  const std::size_t open = pc.key_path.find('['), close = pc.key_path.find(']');
  Value out = Value::object();
  if (policies && policies->is_array() && open != std::string::npos && close > open) {
    const std::size_t i = std::stoul(pc.key_path.substr(open + 1, close - open - 1));
    if (i < policies->as_array().size())
      for (const char* key :
           {"minReplicas", "min", "maxReplicas", "max", "behavior", "cooldown", "fallback"})
        if (const Value* v = policies->as_array()[i].find(key)) out.set(key, *v);
  }
  return to_json(out, 2);
}

}  // namespace

int cmd_replay(const ReplayOptionsCli& o) {
  Config config;
  std::vector<PolicyConfig> pcs = load_policies(o.path, &config);
  if (is_script(o.path) && !o.interval.empty()) {
    auto iv = parse_duration(o.interval);
    if (!iv || *iv <= 0) throw std::runtime_error("--interval: not a duration: " + o.interval);
    pcs.front().interval_seconds = *iv;
  } else if (!o.interval.empty()) {
    throw std::runtime_error("--interval applies to a bare policy; set \"interval\" in the config");
  }
  // --policy: the same config policy, run with other scripts, side by side.
  if (!o.policies.empty()) {
    std::vector<PolicyConfig> variants;
    for (const auto& script : o.policies) {
      // Named after the config's policy and the script it runs: "api/hpa.lua" (a bare
      // policy: the script's name), the path when two scripts share a file name.
      PolicyConfig v = pcs.front();
      v.script_path = script;
      v.script_display = script;
      const std::string file = std::filesystem::path(script).filename().string();
      v.name = v.bare ? std::filesystem::path(script).stem().string() : v.name + "/" + file;
      for (const auto& u : variants)
        if (u.name == v.name) v.name = v.bare ? script : pcs.front().name + "/" + script;
      variants.push_back(std::move(v));
    }
    pcs = std::move(variants);
  }
  ReplayGates gates;
  gates.allow_errors = o.allow_errors;
  for (const auto& f : o.fail_if) gates.fail_ifs.push_back(parse_fail_if(f));
  for (const auto& f : o.slos) gates.slos.push_back(parse_slo(f));
  {
    const DemandModel& m = config.replay.model;
    const bool prices = m.price_per_replica_hour > 0 || m.price_per_node_hour > 0;
    check_bounds_measurable(gates.fail_ifs, !m.demand_column.empty(), m.pods_per_node > 0, prices);
    check_bounds_measurable(gates.slos, !m.demand_column.empty(), m.pods_per_node > 0, prices);
  }

  ReplayOptions ro;
  if (o.start_replicas) {
    if (*o.start_replicas < 0) throw std::runtime_error("--start-replicas: must be >= 0");
    ro.start_replicas = *o.start_replicas;
  }
  ro.ready_delay_seconds = config.replay.ready_delay_seconds;
  ro.model = config.replay.model;
  if (!o.ready_delay.empty()) {
    auto d = parse_duration(o.ready_delay);
    if (!d) throw std::runtime_error("--ready-delay: not a duration: " + o.ready_delay);
    ro.ready_delay_seconds = *d;
  }
  const TimeWindow window = parse_time_window(o.from, o.to);
  ro.start_time = window.from;
  ro.end_time = window.to;

  // One job per (trace, policy), in this order.
  std::vector<std::unique_ptr<Job>> jobs;
  ResolvedTraces traces = resolve_traces(o.traces, o.pull, o.quiet);
  for (const auto& trace : traces.groups) {
    // --holdout: each trace replayed whole, counted from where its held-out part starts.
    std::optional<double> measure_from;
    if (!o.holdout.empty()) {
      auto span = trace_time_span(trace, ro.start_time, ro.end_time);
      if (!span)
        throw std::runtime_error("--holdout " + o.holdout + ": " + trace_group_name(trace) +
                                 " has no rows to split");
      measure_from = holdout_split(parse_holdout(o.holdout), span->first, span->second);
    }
    for (const auto& pc : pcs) {
      auto j = std::make_unique<Job>();
      j->measure_from = measure_from;
      j->pc = pc;
      j->trace = trace;
      j->series.policy = pc.name;
      jobs.push_back(std::move(j));
    }
  }
  std::string tmpdir;
  if (!o.out.empty() && jobs.size() > 1) {
    tmpdir = o.out + ".parts." + std::to_string(::getpid());
    std::filesystem::create_directories(tmpdir);
    for (std::size_t i = 0; i < jobs.size(); ++i)
      jobs[i]->csv_path = tmpdir + "/" + std::to_string(i) + ".csv";
  } else if (!o.out.empty()) {
    jobs.front()->csv_path = o.out;
  }

  // The progress line (a terminal only): seconds of trace replayed against all the jobs' spans.
  ProgressBar bar("replay", !o.quiet && is_terminal(2));
  std::vector<std::optional<double>> spans(jobs.size());
  if (bar.enabled()) {
    std::map<std::string, std::optional<double>> by_trace;
    bool all_known = true;
    double total = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const std::string key = trace_group_name(jobs[i]->trace);
      if (!by_trace.count(key)) {
        auto span = trace_time_span(jobs[i]->trace, ro.start_time, ro.end_time);
        by_trace[key] = span ? std::optional<double>(span->second - span->first) : std::nullopt;
      }
      spans[i] = by_trace[key];
      all_known = all_known && spans[i].has_value();
      total += spans[i].value_or(0);
    }
    if (all_known)
      bar.add_total(total);
    else
      spans.assign(jobs.size(), std::nullopt);
    if (jobs.size() > 1) bar.set_detail("0/" + std::to_string(jobs.size()) + " replays");
  }
  std::atomic<std::size_t> jobs_done{0};

  auto run_job = [&](Job& j, std::size_t index) {
    ReplayBarFeed feed(bar, spans[index]);
    try {
      std::string err;
      auto rt = PolicyRuntime::create(j.pc, &err);
      if (!rt) {
        j.error = err;
        return;
      }
      j.shown.params_json = to_json(rt->script().params(), 2);
      j.shown.guardrails_json = guardrails_json(config, j.pc);
      j.shown.interval_seconds = j.pc.interval_seconds;
      auto trace = open_trace_args(j.trace);
      std::ofstream csv_file;
      std::unique_ptr<DecisionCsvWriter> csv;
      if (!j.csv_path.empty()) {
        csv_file.open(j.csv_path, std::ios::binary | std::ios::trunc);
        if (!csv_file) throw std::runtime_error(j.csv_path + ": cannot write");
        csv = std::make_unique<DecisionCsvWriter>(csv_file, !ro.model.demand_column.empty());
      }
      ReplayOptions jo = ro;
      if (!o.report.empty()) jo.series = &j.series;  // the report's charts
      jo.measure_from = j.measure_from;
      ForecastBacktest forecasts(j.pc.interval_seconds);
      std::string backtest_signal;
      if (o.backtest) {
        backtest_signal =
            backtest_column(o.backtest_signal, config, j.pc, rt->script().params(), *trace);
        jo.forecasts = &forecasts;
      }
      std::unique_ptr<RealTarget> real;
      if (o.actuate) {
        real = std::make_unique<RealTarget>(j.pc, config.dir);
        jo.actuator = real->actuator.get();
        jo.io = &real->io;
      }
      if (bar.enabled()) jo.progress = &feed;
      j.summary = replay_trace(*rt, *trace, jo, csv.get());
      feed.finished(j.summary.ticks);
      if (o.backtest) {
        BacktestTable t = backtest_table(forecasts, j.pc.name, j.trace, backtest_signal);
        if (t.forecasts > 0) j.backtest = std::move(t);
      }
      if (csv_file.is_open()) {
        csv_file.flush();
        if (!csv_file) throw std::runtime_error(j.csv_path + ": write failed");
      }
      if (!o.state_out.empty()) j.state = rt->save_state(&j.state_error);
    } catch (const std::exception& e) {
      j.error = e.what();
    }
    const std::size_t done = ++jobs_done;
    if (jobs.size() > 1)
      bar.set_detail(std::to_string(done) + "/" + std::to_string(jobs.size()) + " replays");
  };

  // --actuate drives real targets: one job at a time, in order.
  const unsigned workers =
      o.actuate ? 1 : std::max(1, std::min<int>(o.jobs, static_cast<int>(jobs.size())));
  if (workers <= 1) {
    for (std::size_t i = 0; i < jobs.size(); ++i) run_job(*jobs[i], i);
  } else {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (unsigned w = 0; w < workers; ++w)
      pool.emplace_back([&] {
        for (std::size_t i; (i = next++) < jobs.size();) run_job(*jobs[i], i);
      });
    for (auto& t : pool) t.join();
  }
  bar.finish();

  int rc = 0;
  for (const auto& j : jobs)
    if (!j->error.empty()) {
      std::cerr << j->error << "\n";
      rc = 1;
    }
  if (!tmpdir.empty()) {
    if (rc == 0) {  // concatenate the parts in job order, one header
      std::ofstream out(o.out, std::ios::binary | std::ios::trunc);
      bool first = true;
      for (const auto& j : jobs) {
        std::ifstream in(j->csv_path, std::ios::binary);
        std::string line;
        bool header = true;
        while (std::getline(in, line)) {
          if (header && !first) {
            header = false;
            continue;
          }
          header = false;
          out << line << '\n';
        }
        first = false;
      }
      if (!out) {
        std::cerr << o.out << ": write failed\n";
        rc = 1;
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(tmpdir, ec);
  }
  if (rc) return rc;

  std::vector<ReplaySummary> rows;
  for (const auto& j : jobs) rows.push_back(j->summary);
  if (!o.quiet)
    for (const auto& s : rows)
      std::cerr << "replayed " << s.policy << " over " << s.trace << ": " << s.rows << " rows, "
                << s.ticks << " ticks\n";
  print_summary_table(rows, std::cout, traces.groups.size() > 1);
  if (o.backtest) {
    std::size_t forecasting = 0;
    for (const auto& j : jobs) {
      std::cout << "\n";
      if (j->backtest) {
        ++forecasting;
        print_backtest_table(*j->backtest, std::cout);
      } else {
        std::cout << j->summary.policy << ": no forecast to backtest (none of its "
                  << j->summary.decisions << " decisions carried one)\n";
      }
    }
    if (forecasting == 0) {
      std::cerr << "--backtest: "
                << (jobs.size() == 1 ? "the policy made no forecast" : "no policy made a forecast")
                << "; a forecasting policy returns forecast = {{time=T, "
                   "value=V, lo=L, hi=H}, ...} with its decisions (policies/predictive.lua does "
                   "once its model has warmed up)\n";
      return 1;
    }
  }
  if (!o.report.empty()) {
    ReportInputs report;
    if (!o.report_title.empty()) report.title = o.report_title;
    report.command = o.command_line;
    if (!is_script(o.path)) report.config_path = o.path;
    if (const Value* model = config.raw.find("replay")) report.model_json = to_json(*model, 2);
    report.slos = gates.slos;
    report.rows = rows;
    for (const auto& j : jobs) {
      report.series.push_back(std::move(j->series));
      report.policies.push_back(j->shown);
      report.backtests.push_back(j->backtest);
    }
    std::string err;
    if (!write_html_report(o.report, report, &err)) {
      std::cerr << err << "\n";
      return 1;
    }
    if (!o.quiet) std::cerr << "report written to " << o.report << "\n";
  }

  if (!o.state_out.empty()) {
    Value states = Value::object();
    for (const auto& j : jobs) {
      if (!j->state_error.empty()) std::cerr << "warning: " << j->state_error << "\n";
      states.set(j->pc.name, j->state);
    }
    std::string err;
    if (!save_state_file(o.state_out, states, rows.back().last_time, &err)) {
      std::cerr << err << "\n";
      return 1;
    }
  }
  return replay_verdict(rows, gates, traces.groups.size() > 1, std::cout, std::cerr);
}

}  // namespace luascale::cli
