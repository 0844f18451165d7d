// engine/replay/tune.hpp — tuning by replay: one config's policy replayed over a trace for every
// setting of a parameter grid (or a random sample of it, or a coordinate descent over it when
// the grid is too large), in parallel, with the Pareto front of cost (replica-hours) against
// under-provisioned share and churn (direction changes), and the cheapest setting that meets an
// SLO.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/replay/replay.hpp"
#include "engine/replay/replay_metrics.hpp"

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

// How the settings to replay are chosen.
enum class TuneSearch {
  Auto,        // Grid when the grid fits in max_runs, else Coordinate
  Grid,        // every setting (at most max_runs, else an error)
  Random,      // max_runs distinct settings drawn at random (seeded), or the whole grid if smaller
  Coordinate,  // coordinate descent from a start point (see coordinate_descent), at most max_runs
};
const char* tune_search_name(TuneSearch s);
TuneSearch parse_tune_search(const std::string& text);  // throws std::runtime_error

// Where coordinate descent starts.
enum class TuneStart {
  Config,  // each parameter at the grid value nearest its value in the config (else the middle)
  Middle,  // each parameter at the middle of its values
};

struct TuneOptions {
  std::vector<TuneParam> params;
  std::vector<MetricBound> slos;  // --slo bounds; errors=0 is implied unless one bounds errors
  std::string policy;             // which policy of the config ("" = the first)
  std::size_t max_runs = 256;     // at most this many replays
  TuneSearch search = TuneSearch::Auto;
  TuneStart start = TuneStart::Config;         // coordinate descent only
  std::uint64_t seed = 1;                      // for the random sample
  std::optional<double> start_time, end_time;  // replay only this part of the trace (unix s)
  // tune --holdout: the search replays only the rows before this time (unix s); the rows from it
  // on are held out (see tune_holdout.hpp).
  std::optional<double> holdout_from;
  unsigned jobs = 1;  // parallel replays (one PolicyRuntime and Lua state each)
  // Opens the trace afresh for each replay. Throws TraceError.
  std::function<std::unique_ptr<TraceReader>()> open_trace;
  // Settings replayed so far, of `total` (0 when not known ahead: coordinate descent). May be
  // null; called from any thread.
  std::function<void(std::size_t done, std::size_t total)> progress;
  // Ticks replayed since the last call (every 4096 ticks of each replay, and at its end). May be
  // null; called from any thread.
  std::function<void(std::int64_t ticks)> ticks_progress;
};

// How good a setting is, for the search: a failed setting ranks last; one that breaks an SLO
// ranks after every one that meets them all, by how far it misses (the sum of each bound's excess
// relative to the bound); then the cheaper, then less under-provisioned, then fewer flips.
struct TuneScore {
  bool failed = false;
  double violation = 0;  // 0 = meets every SLO bound
  double cost = 0, under = 0, flips = 0;
};
bool operator<(const TuneScore& a, const TuneScore& b);

// Coordinate descent over a grid of value indices (sizes[k] values for parameter k): from
// `start`, replay every value of one parameter with the others held (one batch, which the
// caller may run in parallel), move to the best when it is strictly better than the current
// point, and go on to the next parameter; a sweep is one pass over all parameters, and sweeps
// repeat until one moves nowhere. Settings are memoised (never scored twice), and at most
// `budget` are scored in all; a parameter's values nearest the current one go first when the
// budget runs out mid-line. `score` gets each batch of new settings and returns one score each.
struct CoordinateOutcome {
  std::vector<std::size_t> best;  // where the descent ended
  std::size_t evaluations = 0;    // settings scored
  int sweeps = 0;
  bool converged = false;  // the last sweep moved nowhere (else the budget ran out)
};
CoordinateOutcome coordinate_descent(
    const std::vector<std::size_t>& sizes, std::vector<std::size_t> start, std::size_t budget,
    const std::function<std::vector<TuneScore>(const std::vector<std::vector<std::size_t>>&)>&
        score);

struct TuneRun {
  std::vector<double> values;  // one per TuneOptions::params
  ReplaySummary summary;
  std::string error;    // the setting failed (bad config value, script load, trace)
  bool pareto = false;  // on the Pareto front of (cost, under share, flips)
  bool meets_slo = false;
};

struct TuneResult {
  std::vector<TuneRun> runs;  // in grid (sample, search) order, whatever the number of jobs
  double grid_size = 0;       // settings in the full grid
  TuneSearch search = TuneSearch::Grid;  // the search used (never Auto)
  bool sampled = false;                  // runs are a random sample of the grid
  int sweeps = 0;                        // coordinate descent: sweeps done
  bool converged = false;                // coordinate descent: the last sweep moved nowhere
  int best = -1;                         // index of the cheapest run meeting the SLO, -1 when none
  bool cost_is_money = false;            // cost is the replay's priced cost (else replica-hours)
};

// The cost a run is ranked by: the priced cost when the replay has prices, else replica-hours.
double tune_cost(const TuneResult& r, const ReplaySummary& s);

// The score of a run (cost as tune_cost(), violations of opts.slos, errors=0 implied).
TuneScore tune_score(const TuneResult& r, const TuneOptions& opts, const TuneRun& run);

// Which part of the trace a replay of a setting covers and measures, within the options' own
// --from/--to: `end` replaces TuneOptions::end_time when set; ticks before `measure_from` run but
// are not counted (ReplayOptions::measure_from).
struct TuneWindow {
  std::optional<double> end;
  std::optional<double> measure_from;
};

// Replays one setting (values[k] for opts.params[k]) over the trace, as the search does. Throws
// std::runtime_error for a setting the config refuses, a script that fails to load, a bad trace.
ReplaySummary replay_setting(const Config& config, const TuneOptions& opts,
                             const std::vector<double>& values, const TuneWindow& window,
                             ReplayProgress* progress = nullptr);

// Runs the search. `config` is the loaded config (its raw document is modified per setting and
// re-parsed). Throws std::runtime_error for a bad parameter path or an empty grid.
TuneResult tune(const Config& config, const TuneOptions& opts);

// The keys of the policy object (and of "replay") that a setting changes, with their new full
// values, as JSON ready to paste into the config: {"params": {...}, "behavior": {...}}.
std::string tune_snippet(const Config& config, const TuneOptions& opts, const TuneRun& run);

// The Pareto front (and the best run) as an aligned text table.
void print_tune_table(const TuneResult& r, const TuneOptions& opts, std::ostream& out);

// The pieces of that table, for the held-out table beside it: the runs on the Pareto front,
// cheapest first (then in run order); the metrics shown, by name (slack where measured); a
// parameter value as the table prints it ("120", "0.25").
std::vector<std::size_t> pareto_order(const TuneResult& r);
std::vector<const ReplayMetric*> tune_table_metrics(const TuneResult& r);
std::string tune_value_text(double v);

}  // namespace luascale
