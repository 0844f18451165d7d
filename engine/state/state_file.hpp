// engine/state/state_file.hpp — the persisted state: one JSON document
// {"version": 1, "saved_at": T, "policies": {"<name>": {"guardrails": ..., "ctx_state": ...}}},
// indented one space per level throughout, written atomically (common/files: exclusive temp
// file, fsync, rename) so a crash leaves the old or the new file, never a torn one.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/value.hpp"

namespace luascale {

inline constexpr int kStateVersion = 1;

// Reads a state file. A missing file gives an empty state and true. False + *error when the
// file exists but is unreadable, not JSON, or of another version (error names the file).
// *saved_at (when given) receives the file's "saved_at" (unix seconds), or stays as it was when the
// file has none.
bool load_state_file(const std::string& path, Value& policies_out, std::string* error,
                     double* saved_at = nullptr);

// Sets aside saved policy states a restore rejected: merged by policy name into
// "<state_file>.rejected" ({"version": 1, "policies": {"<name>": {"rejected_at": T, "reason":
// "...", "state": {...}}}}), so that nothing a later save overwrites is lost. False + *error.
struct RejectedState {
  std::string policy;
  std::string reason;  // why the restore refused it
  Value state;         // the entry as it was in the state file
};
bool set_aside_states(const std::string& state_file, const std::vector<RejectedState>& rejected,
                      double now, std::string* error);

// Writes {"version","saved_at","policies": policies} atomically. False + *error on failure.
bool save_state_file(const std::string& path, const Value& policies, double saved_at,
                     std::string* error);

// The same document from each policy's state already serialised as JSON (name, text, compact or
// not; it is laid out afresh): what `luascale run` keeps between saves, a fraction of the memory
// of the values themselves.
bool save_state_file_json(const std::string& path,
                          const std::vector<std::pair<std::string, std::string_view>>& policies,
                          double saved_at, std::string* error);

// Writes text to path atomically (files::replace_file: an exclusive temp file in the same folder,
// fsync, rename, fsync folder); a new file gets mode 0600, an existing one keeps its mode. A path
// that is a symbolic link or not a regular file is refused.
bool write_file_atomic(const std::string& path, const std::string& text, std::string* error);

}  // namespace luascale
