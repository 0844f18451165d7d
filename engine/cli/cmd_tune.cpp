// engine/cli/cmd_tune.cpp — `luascale tune`: replay a config's policy over a grid of settings and
// print the Pareto front and the cheapest setting that meets the SLO, as JSON to paste.
#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"
#include "engine/cli/progress.hpp"
#include "engine/replay/prometheus_trace.hpp"
#include "engine/replay/replay_metrics.hpp"
#include "engine/replay/trace.hpp"
#include "engine/replay/tune.hpp"
#include "engine/replay/tune_holdout.hpp"

namespace luascale::cli {
namespace {

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// The verdict line's figures: "replica_hours 12.3, under 1.20%, flips 4" (slack where measured).
std::string figures(const ReplaySummary& s) {
  std::string out;
  for (const char* name : {"replica_hours", "cost", "under", "slack", "flips"}) {
    const ReplayMetric& m = *find_replay_metric(name);
    if (metric_measured(m, s) && format_metric(m, s) != "-")
      out += (out.empty() ? "" : ", ") + std::string(name) + " " + format_metric(m, s);
  }
  return out;
}

// tune --holdout: the search's Pareto front replayed on the held-out part, both sets of figures
// side by side, the pick by the held-out ones.
int print_holdout(const Config& config, const TuneOptions& t, const TuneResult& r,
                  const PolicyConfig& pc, const std::string& path, const std::string& how,
                  std::size_t failed, const std::string& slo_text, double first, double last) {
  const double split = *t.holdout_from;
  const HoldoutResult h = check_holdout(config, t, r, first, split, last);
  std::cout << r.runs.size() << " settings of " << pc.name << " replayed" << how
            << (failed ? ", " + std::to_string(failed) + " failed" : "") << " on the search part, "
            << format_timestamp(first) << " to " << format_timestamp(split)
            << "; its Pareto front of " << (r.cost_is_money ? "cost" : "replica_hours")
            << ", under and flips replayed on the held-out part, " << format_timestamp(split)
            << " to " << format_timestamp(last) << " (warm: from the start, counted from "
            << format_timestamp(split) << "); slo: met on both parts:\n\n";
  print_holdout_table(r, h, t, std::cout);
  for (const auto& run : h.runs)
    if (!run.error.empty()) std::cerr << "held-out replay failed: " << run.error << "\n";
  if (r.best >= 0) {
    for (const auto& run : h.runs)
      if (static_cast<int>(run.run) == r.best && run.error.empty()) {
        std::string setting;
        for (std::size_t k = 0; k < t.params.size(); ++k)
          setting +=
              (k ? " " : "") + t.params[k].name + "=" + format_number(r.runs[run.run].values[k]);
        std::cout << "\nthe search part alone picks " << setting << ": held out "
                  << figures(run.held) << (run.meets_slo ? "" : ", missing " + slo_text) << "\n";
      }
  }
  if (h.best < 0) {
    std::cout << "\nno setting of the Pareto front meets " << slo_text
              << " on both the search part and the held-out part\n";
    return 3;
  }
  const HoldoutRun& pick = h.runs[static_cast<std::size_t>(h.best)];
  std::cout << "\ncheapest setting meeting " << slo_text
            << " on both parts, cheapest on the held-out part: " << figures(pick.held)
            << " (search part: " << figures(r.runs[pick.run].summary) << ")\n";
  std::cout << "paste into " << pc.key_path << " of " << path << ":\n"
            << holdout_snippet(config, t, r, h) << "\n";
  return 0;
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
  // --holdout: the search replays the rows before the split; the rows from it on are held out.
  double first = 0, last = 0;
  if (!o.holdout.empty()) {
    const HoldoutSpec spec = parse_holdout(o.holdout);
    auto span = trace_time_span(group, window.from, window.to);
    if (!span)
      throw std::runtime_error("--holdout " + o.holdout + ": " + trace_group_name(group) +
                               " has no rows to split" +
                               (window.from || window.to ? " within --from/--to" : ""));
    std::tie(first, last) = *span;
    t.holdout_from = holdout_split(spec, first, last);
  }
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
  std::string slo_text;
  for (const auto& s : t.slos) slo_text += (slo_text.empty() ? "" : ", ") + s.text;
  if (slo_text.empty()) slo_text = "errors=0";
  if (t.holdout_from)
    return print_holdout(config, t, r, pc, o.path, how, failed, slo_text, first, last);
  std::cout << r.runs.size() << " settings of " << pc.name << " replayed" << how
            << (failed ? ", " + std::to_string(failed) + " failed" : "") << "; Pareto front of "
            << (r.cost_is_money ? "cost" : "replica_hours") << ", under and flips:\n\n";
  print_tune_table(r, t, std::cout);
  if (r.best < 0) {
    std::cout << "\nno setting meets " << slo_text << "\n";
    return 3;
  }
  const TuneRun& best = r.runs[static_cast<std::size_t>(r.best)];
  std::cout << "\ncheapest setting meeting " << slo_text << ": " << figures(best.summary) << "\n";
  std::cout << "paste into " << pc.key_path << " of " << o.path << ":\n"
            << tune_snippet(config, t, best) << "\n";
  return 0;
}

}  // namespace luascale::cli
