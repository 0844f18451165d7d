// engine/cli/replay_verdict.hpp — what a replay's summaries mean for its exit status: evaluations
// that errored (exit 1 unless allowed), the --slo verdict per policy and the --fail-if gates
// (exit 3).
#pragma once

#include <ostream>
#include <vector>

#include "engine/replay/replay_metrics.hpp"

namespace luascale::cli {

struct ReplayGates {
  std::vector<MetricBound> slos;      // --slo: a verdict per policy (errors=0 implied)
  std::vector<MetricBound> fail_ifs;  // --fail-if: any that holds fails the replay
  bool allow_errors = false;          // --allow-errors: evaluation errors do not fail it
};

// True when the user took charge of evaluation errors: --allow-errors, or a --slo or --fail-if
// bound on `errors`.
bool errors_handled(const ReplayGates& g);

// Prints the verdicts to `out` (the SLO verdict per row, the --fail-if conditions that hold) and
// the evaluation errors to `err`; returns the exit status: 1 when evaluations errored and the
// user did not take charge of them, else 3 when a --fail-if holds or, with --slo, a trace has no
// policy that meets it, else 0. `multi_trace`: rows name their trace too.
int replay_verdict(const std::vector<ReplaySummary>& rows, const ReplayGates& g, bool multi_trace,
                   std::ostream& out, std::ostream& err);

}  // namespace luascale::cli
