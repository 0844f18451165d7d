// engine/shadow/shadow_log.hpp — the shadow log's format: one CSV line per tick of a shadow
// policy, the columns of replay's decisions CSV (the count being the one the policy would have
// set) followed by the live count read at the same tick; its header line, writing a line, and
// reading a file back.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

namespace luascale {

// The first line of every shadow log. Columns are only ever appended: a reader accepts a header
// that starts with this one (and ignores the columns after).
inline constexpr const char* kShadowLogHeader =
    "timestamp,recommended,replicas,bound_by,reason,policy,status,ready,live,interval,"
    "demand_signal,demand";

// One tick of a shadow policy.
struct ShadowRow {
  double time = 0;                          // unix seconds
  std::optional<std::int64_t> recommended;  // the script's count; none on a hold or an error
  // The count the policy would have set (after its guardrails); none until a tick has read the
  // target.
  std::optional<std::int64_t> replicas;
  std::string bound_by;  // the rule that set `replicas` (none, hold, error, scaleUpLimit...)
  std::string reason;
  std::string policy;
  std::string status;                 // decision, hold or error
  std::optional<std::int64_t> ready;  // the live target's ready count; none when unread
  std::optional<std::int64_t> live;   // the live target's count; none when it could not be read
  double interval = 0;                // the policy's interval, seconds (> 0)
  std::string demand_signal;          // the signal in `demand` ("" when none)
  double demand = std::numeric_limits<double>::quiet_NaN();  // its value; NaN when unknown
};

// The row as one CSV line, ending in '\n' (the reason quoted when needed, line breaks as spaces).
std::string shadow_log_line(const ShadowRow& row);

// A file that is not a readable shadow log; what() names the file and line.
struct ShadowLogError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads a shadow log, giving each row to `each` in file order. The first line must be the header.
// A last line without its line break (a write cut short) is skipped. Throws ShadowLogError
// ("shadow.csv:12: column \"live\": not a count: \"x\"").
void read_shadow_log(const std::string& path, const std::function<void(ShadowRow&)>& each);

}  // namespace luascale
