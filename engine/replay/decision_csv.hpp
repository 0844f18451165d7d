// engine/replay/decision_csv.hpp — every decision of a replay as a CSV line, streamed.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "engine/loop/policy_runtime.hpp"

namespace luascale {

// Streams decisions as CSV: timestamp,recommended,replicas,bound_by,reason,policy,status,ready
// (the first five are the stable core; later columns are only ever appended). Lines are
// gathered and handed to the stream in blocks of about 64 KiB.
class DecisionCsvWriter {
 public:
  explicit DecisionCsvWriter(std::ostream& out);
  ~DecisionCsvWriter();  // flushes
  // The policy column of the lines that follow (replay_trace sets it before its first tick).
  void set_policy(const std::string& policy);
  void write(const DecisionRecord& rec, std::int64_t ready);
  // Hands the gathered lines to the stream (replay_trace does this before it returns).
  void flush();

 private:
  std::ostream& out_;
  std::vector<char> buf_;  // lines not yet handed over: the first len_ bytes
  std::size_t len_ = 0;
  std::string policy_field_;  // the policy's CSV field (quoted when needed) and its comma
};

// CSV-quotes a field when needed (a comma, quote or line break; line breaks become spaces).
std::string csv_field(const std::string& s);

}  // namespace luascale
