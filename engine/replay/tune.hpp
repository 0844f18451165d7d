// engine/replay/tune.hpp — tuning by replay: one config's policy replayed over a trace for every
// setting of a parameter grid (or a random sample of it when the grid is too large), in
// parallel, with the Pareto front of cost (replica-hours) against under-provisioned share and
// churn (direction changes), and the cheapest setting that meets an SLO.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/replay/replay.hpp"

namespace luascale {

// One tuned parameter: a key path and the values to try.
struct TuneParam {
  // As given: "per_replica" (a bare name is a policy param: params.per_replica),
  // "params.metrics[0].target", "behavior.scaleDown.stabilizationWindowSeconds" (relative to
  // the policy object), or "replay.capacity_per_replica" (relative to the config root).
  std::string name;
  std::vector<double> values;
};

// Parses "NAME=LO:HI:STEP" (LO, LO+STEP, ... <= HI) or "NAME=V1,V2,...". Throws
// std::runtime_error naming the argument.
TuneParam parse_tune_param(const std::string& arg);

// An SLO bound: metric <= limit. Metrics: under (share of ticks, "1%" or 0.01), under_seconds,
// flips, errors, shortfall (replicas), recover (seconds), scale_events.
struct TuneSlo {
  std::string metric;
  double limit = 0;
  std::string text;  // as given
};
TuneSlo parse_tune_slo(const std::string& arg);  // "under=1%"; throws std::runtime_error
double slo_metric(const ReplaySummary& s, const std::string& metric);

struct TuneOptions {
  std::vector<TuneParam> params;
  std::vector<TuneSlo> slos;   // errors=0 is implied unless an errors bound is given
  std::string policy;          // which policy of the config ("" = the first)
  std::size_t max_runs = 256;  // a larger grid is sampled at random, this many settings
  std::uint64_t seed = 1;      // for the random sample
  unsigned jobs = 1;           // parallel replays (one PolicyRuntime and Lua state each)
  // Opens the trace afresh for each replay. Throws TraceError.
  std::function<std::unique_ptr<TraceReader>()> open_trace;
  std::function<void(std::size_t done, std::size_t total)> progress;  // may be null; any thread
};

struct TuneRun {
  std::vector<double> values;  // one per TuneOptions::params
  ReplaySummary summary;
  std::string error;    // the setting failed (bad config value, script load, trace)
  bool pareto = false;  // on the Pareto front of (cost, under share, flips)
  bool meets_slo = false;
};

struct TuneResult {
  std::vector<TuneRun> runs;   // in grid (or sample) order, whatever the number of jobs
  double grid_size = 0;        // settings in the full grid
  bool sampled = false;        // runs are a random sample of the grid
  int best = -1;               // index of the cheapest run meeting the SLO, -1 when none
  bool cost_is_money = false;  // cost is the replay's priced cost (else replica-hours)
};

// The cost a run is ranked by: the priced cost when the replay has prices, else replica-hours.
double tune_cost(const TuneResult& r, const ReplaySummary& s);

// Runs the grid. `config` is the loaded config (its raw document is modified per setting and
// re-parsed). Throws std::runtime_error for a bad parameter path or an empty grid.
TuneResult tune(const Config& config, const TuneOptions& opts);

// The keys of the policy object (and of "replay") that a setting changes, with their new full
// values, as JSON ready to paste into the config: {"params": {...}, "behavior": {...}}.
std::string tune_snippet(const Config& config, const TuneOptions& opts, const TuneRun& run);

// The Pareto front (and the best run) as an aligned text table.
void print_tune_table(const TuneResult& r, const TuneOptions& opts, std::ostream& out);

}  // namespace luascale
