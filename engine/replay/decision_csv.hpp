// engine/replay/decision_csv.hpp — every decision of a replay as a CSV line, streamed.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <string>

#include "engine/loop/policy_runtime.hpp"

namespace luascale {

// Streams decisions as CSV: timestamp,recommended,replicas,bound_by,reason,policy,status,ready
// (the first five are the stable core; later columns are only ever appended). A replay with a
// demand model adds under,shortfall: the tick's values of the summary metrics of those names
// (1 when under-provisioned, else 0; the replicas missing, empty when the demand is not known).
class DecisionCsvWriter {
 public:
  static constexpr std::size_t kPad = 32;  // the zero padding of the fixed-size copies

  explicit DecisionCsvWriter(std::ostream& out, bool demand_columns = false);
  ~DecisionCsvWriter();
  // The policy column of the lines that follow (replay_trace sets it before its first tick).
  void set_policy(const std::string& policy);
  // `under`: 1, 0, or -1 without a demand model; `shortfall`: replicas missing (>= 0), NaN when
  // not known. Both are written only with demand columns.
  void write(const DecisionRecord& rec, std::int64_t ready, int under = -1,
             double shortfall = std::numeric_limits<double>::quiet_NaN());
  // Hands the buffered lines to the stream (replay_trace does this before it returns).
  void flush();

 private:
  static constexpr std::size_t kBufSize = 1 << 16;
  // Formats one line at p (room for 200 bytes, plus the reason twice and 2, plus the policy
  // field, plus kPad twice for the fixed-size copies); returns its end.
  char* format_line(char* p, const DecisionRecord& rec, std::int64_t ready, int under,
                    double shortfall);

  std::ostream& out_;
  bool demand_columns_;          // under,shortfall columns
  std::unique_ptr<char[]> buf_;  // lines not yet written, up to kBufSize bytes
  std::size_t len_ = 0;
  // The policy's CSV field (quoted when needed) and its comma, zero-padded by kPad bytes so a
  // short one is copied in one fixed-size move.
  std::string policy_field_;
  std::size_t policy_len_ = 0;
  // A replay's unix times share all but their last five digits for a day at a time: those
  // leading digits are formatted once per change.
  std::int64_t time_hi_ = -1;
  char time_hi_text_[24] = {};
  std::size_t time_hi_len_ = 0;
};

// CSV-quotes a field when needed.
std::string csv_field(const std::string& s);

}  // namespace luascale
