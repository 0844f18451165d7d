// engine/cli/cmd_tune.cpp — `luascale tune`: replay a config's policy over a grid of settings and
// print the Pareto front and the cheapest setting that meets the SLO, as JSON to paste.
#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"
#include "engine/cli/progress.hpp"
#include "engine/replay/replay_metrics.hpp"
#include "engine/replay/trace.hpp"
#include "engine/replay/tune.hpp"

namespace luascale::cli {
namespace {

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

int cmd_tune(const TuneOptionsCli& o) {
  if (is_script(o.path))
    throw std::runtime_error("tune needs a config (.json): its values are what it changes");
  Config config = load_config(o.path, adapter_catalog(false));
  if (config.policies.empty()) throw std::runtime_error(o.path + ": no policies");
  const TimeWindow window = parse_time_window(o.from, o.to);
  ResolvedTraces traces = resolve_traces(o.traces, o.pull, o.quiet);
  if (traces.groups.size() != 1)
    throw std::runtime_error("tune replays one trace (NAME=FILE inputs merge into one)");

  TuneOptions t;
  for (const auto& p : o.params) t.params.push_back(parse_tune_param(p));
  for (const auto& s : o.slos) t.slos.push_back(parse_slo(s));
  {
    const DemandModel& m = config.replay.model;
    check_bounds_measurable(t.slos, !m.demand_column.empty(), m.pods_per_node > 0,
                            m.price_per_replica_hour > 0 || m.price_per_node_hour > 0);
  }
  t.policy = o.policy;
  if (o.max_runs < 1) throw std::runtime_error("--max-runs: must be >= 1");
  t.max_runs = static_cast<std::size_t>(o.max_runs);
  t.seed = o.seed;
  t.search = parse_tune_search(o.search);
  t.start = o.start == "middle" ? TuneStart::Middle : TuneStart::Config;
  t.start_time = window.from;
  t.end_time = window.to;
  t.jobs = o.jobs > 0 ? static_cast<unsigned>(o.jobs)
                      : std::max(1u, std::thread::hardware_concurrency());
  const auto group = traces.groups.front();
  t.open_trace = [group] { return open_trace_args(group); };
  // On a terminal a progress line (settings done of the total when known ahead, ticks/s);
  // elsewhere, unless --quiet, a line every 25 settings.
  ProgressBar bar("tune", !o.quiet && is_terminal(2));
  std::mutex progress_mutex;
  if (bar.enabled()) {
    t.progress = [&bar, total_set = std::make_shared<std::atomic<bool>>(false)](std::size_t done,
                                                                                std::size_t total) {
      if (total > 0 && !total_set->exchange(true)) bar.add_total(static_cast<double>(total));
      bar.set_detail(std::to_string(done) + (total ? "/" + std::to_string(total) : "") +
                     " settings");
      bar.add_done(total ? 1 : 0, 0);
    };
    t.ticks_progress = [&bar](std::int64_t ticks) { bar.add_done(0, ticks); };
  } else if (!o.quiet) {
    t.progress = [&](std::size_t done, std::size_t total) {
      if (done == 0 || (done != total && done % 25 != 0)) return;
      std::lock_guard<std::mutex> lock(progress_mutex);
      std::cerr << "replayed " << done;
      if (total) std::cerr << "/" << total;
      std::cerr << " settings\n";
    };
  }

  TuneResult r = tune(config, t);
  bar.finish();
  std::size_t failed = 0;
  for (const auto& run : r.runs)
    if (!run.error.empty()) {
      if (failed++ < 5) {
        std::string setting;
        for (std::size_t k = 0; k < t.params.size(); ++k)
          setting += (k ? " " : "") + t.params[k].name + "=" + format_number(run.values[k]);
        std::cerr << "setting " << setting << " failed: " << run.error << "\n";
      }
    }
  if (failed == r.runs.size()) {
    std::cerr << "every setting failed\n";
    return 1;
  }
  const PolicyConfig& pc =
      t.policy.empty() ? config.policies.front() : [&]() -> const PolicyConfig& {
    for (const auto& p : config.policies)
      if (p.name == t.policy) return p;
    return config.policies.front();
  }();
  const std::string grid_text = std::to_string(static_cast<long long>(r.grid_size));
  std::string how;
  if (r.search == TuneSearch::Coordinate)
    how = " (coordinate descent over the " + grid_text + "-setting grid, " +
          std::to_string(r.sweeps) + (r.sweeps == 1 ? " sweep, " : " sweeps, ") +
          (r.converged ? "converged" : "stopped at --max-runs") + ")";
  else if (r.sampled)
    how = " (a random sample of the " + grid_text + "-setting grid)";
  std::cout << r.runs.size() << " settings of " << pc.name << " replayed" << how
            << (failed ? ", " + std::to_string(failed) + " failed" : "") << "; Pareto front of "
            << (r.cost_is_money ? "cost" : "replica_hours") << ", under and flips:\n\n";
  print_tune_table(r, t, std::cout);
  std::string slo_text;
  for (const auto& s : t.slos) slo_text += (slo_text.empty() ? "" : ", ") + s.text;
  if (r.best < 0) {
    std::cout << "\nno setting meets " << (slo_text.empty() ? "errors=0" : slo_text) << "\n";
    return 3;
  }
  const TuneRun& best = r.runs[static_cast<std::size_t>(r.best)];
  std::string figures;
  for (const char* name : {"replica_hours", "cost", "under", "flips"}) {
    const ReplayMetric& m = *find_replay_metric(name);
    if (metric_measured(m, best.summary))
      figures +=
          (figures.empty() ? "" : ", ") + std::string(name) + " " + format_metric(m, best.summary);
  }
  std::cout << "\ncheapest setting meeting " << (slo_text.empty() ? "errors=0" : slo_text) << ": "
            << figures << "\n";
  std::cout << "paste into " << pc.key_path << " of " << o.path << ":\n"
            << tune_snippet(config, t, best) << "\n";
  return 0;
}

}  // namespace luascale::cli
