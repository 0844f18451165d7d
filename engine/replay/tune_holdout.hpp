// engine/replay/tune_holdout.hpp — out-of-sample tuning (`tune --holdout`): the trace is split in
// time into a search part and a held-out part; the search runs on the first, its Pareto front is
// replayed on the second, and the setting is picked by the held-out figures.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/replay/tune.hpp"

namespace luascale {

// Where the held-out part starts, as given to --holdout.
struct HoldoutSpec {
  std::optional<double> fraction;  // 0 < f < 1: the last f of the trace's time span
  std::optional<double> time;      // else: from this time on (unix s)
  std::string text;                // as given, for messages
};
// "0.3" or "30%" (a fraction of the time span), a whole number of unix seconds, or an RFC 3339
// time. Throws std::runtime_error naming --holdout and what it takes.
HoldoutSpec parse_holdout(const std::string& text);

// The time the held-out part starts for a trace whose rows (within --from/--to) run from `first`
// to `last`: rows before it are searched on, rows from it on are held out. Throws
// std::runtime_error when either part would be empty.
double holdout_split(const HoldoutSpec& spec, double first, double last);

// One setting of the search, replayed on the held-out part.
struct HoldoutRun {
  std::size_t run = 0;            // index into TuneResult::runs
  ReplaySummary held;             // its figures on the held-out part
  std::string error;              // the held-out replay failed
  bool meets_slo = false;         // meets the SLO on the held-out part
  bool meets_search_slo = false;  // and did on the search part
};

struct HoldoutResult {
  double first = 0, split = 0, last = 0;  // searched on [first, split), judged on [split, last]
  std::vector<HoldoutRun> runs;           // the search's Pareto front and its best, by search cost
  int best = -1;  // index into runs: the cheapest on the held-out part meeting the SLO on both
};

// Replays the search's Pareto front (and its best setting) on the held-out part, in parallel on
// opts.jobs threads (the same result on any number). Each replay runs from the start of the trace
// — the policy learns and the target moves as they would have — and is counted from the split.
// The pick: meets every --slo bound (errors=0 implied) on both parts — a setting that missed
// on the search part and meets on the held-out one is lucky, not tuned — then the cheapest on
// the held-out part; ties as in the search.
HoldoutResult check_holdout(const Config& config, const TuneOptions& opts, const TuneResult& search,
                            double first, double split, double last);

// The candidates with their search and held-out figures side by side.
void print_holdout_table(const TuneResult& search, const HoldoutResult& h, const TuneOptions& opts,
                         std::ostream& out);

// tune_snippet() of the held-out pick, with a comment saying which part it was judged on.
std::string holdout_snippet(const Config& config, const TuneOptions& opts, const TuneResult& search,
                            const HoldoutResult& h);

}  // namespace luascale
