// engine/replay/decision_csv.hpp — every decision of a replay as a CSV line, streamed.
#pragma once

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "engine/core/csv_text.hpp"  // csv_field
#include "engine/loop/policy_runtime.hpp"

namespace luascale {

// Streams decisions as CSV: timestamp,recommended,replicas,bound_by,reason,policy,status,ready
// (the first five are the stable core; later columns are only ever appended). A replay with a
// demand model adds under,shortfall: the tick's values of the summary metrics of those names
// (1 when under-provisioned, else 0; the replicas missing, empty when the demand is not known).
// Lines are gathered and handed to the stream in blocks of about 64 KiB.
class DecisionCsvWriter {
 public:
  explicit DecisionCsvWriter(std::ostream& out, bool demand_columns = false);
  ~DecisionCsvWriter();  // flushes
  // The policy column of the lines that follow (replay_trace sets it before its first tick).
  void set_policy(const std::string& policy);
  // `under`: 1, 0, or -1 without a demand model; `shortfall`: replicas missing (>= 0), NaN when
  // not known. Both are written only with demand columns.
  void write(const DecisionRecord& rec, std::int64_t ready, int under = -1,
             double shortfall = std::numeric_limits<double>::quiet_NaN());
  // Hands the gathered lines to the stream (replay_trace does this before it returns).
  void flush();

 private:
  std::ostream& out_;
  bool demand_columns_;    // under,shortfall columns
  std::vector<char> buf_;  // lines not yet handed over: the first len_ bytes
  std::size_t len_ = 0;
  std::string policy_field_;  // the policy's CSV field (quoted when needed) and its comma
};

}  // namespace luascale
