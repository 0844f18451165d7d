// engine/config/config.hpp — the config file (JSON, comments tolerated) parsed once into typed
// structs. Every problem is reported with its key path ("policies[0].behavior.scaleUp...") and
// all problems are reported at once.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/adapter.hpp"
#include "engine/core/value.hpp"
#include "engine/guard/guardrails.hpp"
#include "engine/lua/policy_script.hpp"
#include "engine/replay/demand_model.hpp"

namespace luascale {

struct SignalConfig {
  std::string name;
  std::string source;                 // adapter name; empty for replay-only signals
  std::string column;                 // trace column in replay (default: name)
  std::optional<double> stale_after;  // seconds; default 3 intervals
  double timeout_seconds = 5;
  bool optional = false;  // replay: a trace without its column is no error (the signal reads nil)
  Value options;          // the whole signal object (adapter keys included)
};

struct TargetConfig {
  std::string kind;  // adapter kind ("kubernetes", "aws-asg", "log"...); empty = none
  std::optional<std::int64_t> replicas;  // the starting count in replay
  Value options;                         // the whole target object
};

struct PolicyConfig {
  std::string name;
  std::string script_path;     // resolved against the config file's folder
  std::string script_display;  // as written in the config, for messages
  Value params = Value::object();
  double interval_seconds = 15;
  double history_seconds = 3600;  // how far back ctx:signal windows can reach
  bool history_set = false;       // "history" given: keep every sample of it (else at most 512)
  TargetConfig target;
  GuardrailConfig guard;
  std::vector<SignalConfig> signals;
  LuaLimits limits;
  std::string key_path;  // "policies[0]"; "" for a bare script
  bool bare = false;     // a script without a config: no guardrails; a replay starts it at 1
  // Shadow mode (`run`): the target and signals are read, the policy decides, nothing is ever
  // written; each tick's decision is recorded beside the live count (engine/shadow/).
  bool shadow = false;
  std::string shadow_log;  // where shadow ticks are appended (resolved); "" = not to a file
};

struct ServerConfig {
  std::string listen = "127.0.0.1:9464";
  std::string token;  // bearer token; never logged
  std::string token_file;
};

struct ReplayConfig {
  double ready_delay_seconds = 0;   // new replicas count as ready after this delay
  DemandModel model;                // demand, capacity, closed loop, queue, nodes, prices
  Value options = Value::object();  // the whole "replay" object (simulation keys)
};

struct Config {
  std::string path;  // the config file as given
  std::string dir;   // its folder
  std::vector<PolicyConfig> policies;
  ServerConfig server;
  std::string state_file;
  ReplayConfig replay;
  Value leader_election;  // the "leader_election" object (null when absent or disabled)
  Value raw;              // the parsed document
};

// All problems found in a config; what() lists them one per line as "file: key.path: message".
struct ConfigError : std::runtime_error {
  explicit ConfigError(std::vector<std::string> problems);
  std::vector<std::string> problems;
};

// Which adapters exist, for validating adapter keys. Null pointers skip that validation.
struct AdapterCatalog {
  const std::vector<SourceFactory>* sources = nullptr;
  const std::vector<ActuatorFactory>* actuators = nullptr;
  bool require_known = false;  // unknown source/kind names are errors (run mode)
  const std::vector<ConfigKey>* leader_election_keys = nullptr;  // keys of "leader_election"
};

Config load_config(const std::string& path, const AdapterCatalog& catalog = {});
Config parse_config(const std::string& text, const std::string& path,
                    const AdapterCatalog& catalog = {});

// A config for a bare policy file (eval/check/replay on a script alone): no guardrails beyond
// count validation, interval 15 s; a replay's simulated target starts at 1 (the default
// minReplicas) unless told otherwise.
PolicyConfig policy_config_for_script(const std::string& script_path);

// The stdlib folder: $LUASCALE_STDLIB, else <exe dir>/../policies/lib and the source tree.
std::string stdlib_dir();

}  // namespace luascale
