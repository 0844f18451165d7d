// engine/state/state_file.hpp — the persisted state: one JSON document
// {"version": 1, "saved_at": T, "policies": {"<name>": {"guardrails": ..., "ctx_state": ...}}},
// written atomically (temp file, fsync, rename) so a crash leaves the old or the new file, never
// a torn one.
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
bool load_state_file(const std::string& path, Value& policies_out, std::string* error);

// Writes {"version","saved_at","policies": policies} atomically. False + *error on failure.
bool save_state_file(const std::string& path, const Value& policies, double saved_at,
                     std::string* error);

// The same document from each policy's state already serialised as JSON (name, text): what
// `luascale run` keeps between saves, a fraction of the memory of the values themselves.
bool save_state_file_json(const std::string& path,
                          const std::vector<std::pair<std::string, std::string_view>>& policies,
                          double saved_at, std::string* error);

// Writes text to path atomically (temp file in the same folder, fsync, rename, fsync folder).
bool write_file_atomic(const std::string& path, const std::string& text, std::string* error);

}  // namespace luascale
