// engine/loop/run_log.hpp — the log of `luascale run`: one record per event on stderr, JSON Lines
// ({"ts","level","event","policy","msg"}) by default or plain text.
#pragma once

#include <string>

namespace luascale {

// Chooses JSON Lines (default) or text for every later record (process-wide).
void set_log_json(bool json);
// Writes one record; safe from any thread.
void log_event(const std::string& level, const std::string& policy, const char* event,
               const std::string& msg);

}  // namespace luascale
