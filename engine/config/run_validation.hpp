// engine/config/run_validation.hpp — what `luascale run` needs of a loaded config beyond its
// shape: every source and actuator built from its options (on a scratch io_context that never
// runs, so nothing connects or starts), the listen address, the token file, the state file's
// folder and each shadow policy's shadow log (a file luascale may append to). `check` and `run`
// both ask this, so `check` refuses what `run` would refuse, with the same message and key path.
#pragma once

#include <string>
#include <vector>

#include "engine/adapter.hpp"
#include "engine/config/config.hpp"

namespace luascale {

// What `run` is told besides the config.
struct RunSettings {
  std::string listen;      // --listen ("" = the config's server.listen; "off" = no server)
  std::string state_file;  // --state ("" = the config's state_file)
  // Build every source and actuator to validate its options. `run` builds them for real right
  // after and reports a failure with adapter_problem(), so it skips this (building twice would
  // double its start-up: a TLS client loads the trust store).
  bool build_adapters = true;
};

struct RunValidation {
  // What `run` refuses, one per entry: "file: key.path: message".
  std::vector<std::string> problems;
  // What only `run` needs and the config leaves out, as a replay-only config does (a target
  // without a kind, a signal without a source): "file: key.path: message". `run` refuses these
  // too; for `check` they are notes.
  std::vector<std::string> run_only;
};

RunValidation validate_for_run(const Config& cfg, const std::vector<SourceFactory>& sources,
                               const std::vector<ActuatorFactory>& actuators,
                               const RunSettings& settings = {});

// "file: path.key: message" for what an adapter factory threw while building the signal or
// target at `path` ("policies[0].signals.q"): the option's own key when the error names it.
std::string adapter_problem(const Config& cfg, const std::string& path, const std::exception& e);

// The problem with a listen address ("host:port", "[v6]:port", ":port"; "off" is none), or "".
std::string listen_address_problem(const std::string& listen);

}  // namespace luascale
