// engine/adapter.hpp — the two narrow roles the engine sees from the outside world: a Source
// (fetches one signal) and an Actuator (reads and sets one target's count). Implementations live
// in adapters/<role>/<name>/ and are reached only through the name -> factory table that
// adapters/builtin_adapters.cpp exports. Callbacks run on the io_context the adapter was made with.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/value.hpp"

namespace boost::asio {
class io_context;
}

namespace luascale {

// What a factory throws for an option it cannot use: the key at fault and what is wrong with
// it, so validation can name the key path ("policies[0].signals.q.command: ..."). what() reads
// "redis: key 'command': 'lenn' is not one of ...".
struct AdapterOptionError : std::invalid_argument {
  AdapterOptionError(const std::string& adapter, std::string key_, std::string message_)
      : std::invalid_argument(adapter + ": key '" + key_ + "': " + message_),
        key(std::move(key_)),
        message(std::move(message_)) {}
  std::string key;      // the option's key in the signal or target object
  std::string message;  // without the adapter and key
};

// One config key an adapter accepts; the loader rejects keys no adapter declares.
struct ConfigKey {
  const char* key;
  const char* type;  // "string", "number", "boolean", "duration", "object", "array"
  bool required;
  const char* help;
};

// A fetched signal: a number, or a structured value (per-pod list, pending pods...).
struct Sample {
  Value value;
  double timestamp = 0;  // unix seconds
};

// What one fetch delivered: the newest sample, or an error. A source that replays recorded data
// also hands over the samples recorded since its last fetch (`earlier`, oldest first), and may
// have nothing new at all (sample and error both empty), which is not a failure.
struct SampleOutcome {
  std::optional<Sample> sample;  // the newest sample; empty on error or when nothing is new
  std::string error;             // set when the fetch failed
  std::vector<Sample> earlier;   // older samples not delivered before, oldest first
};

// The config block of one signal: {"source": "...", ...adapter keys...}.
struct SignalSpec {
  std::string name;    // the signal name the policy reads
  std::string source;  // adapter name
  Value options;       // the whole config object of the signal
  double timeout_seconds = 5;
};

class Source {
 public:
  virtual ~Source() = default;
  // Fetches the current value; calls done exactly once. Never throws.
  virtual void fetch(std::function<void(SampleOutcome)> done) = 0;
};

// What an actuator reports about its target.
struct TargetState {
  std::int64_t replicas = 0;        // desired/spec count
  std::int64_t ready = 0;           // ready/in-service count
  std::optional<std::int64_t> min;  // bounds the platform enforces (ASG min/max), if any
  std::optional<std::int64_t> max;
};

struct ReadOutcome {
  std::optional<TargetState> state;
  std::string error;
};

struct ApplyOutcome {
  bool ok = false;
  std::int64_t applied = 0;  // the count now set (may differ when the platform clamped it)
  std::string note;          // e.g. "clamped to group max 10"
  std::string error;
};

// One step of a capacity plan: from `time` on, the target should have `capacity`.
struct PlannedCapacity {
  double time = 0;            // unix seconds
  std::int64_t capacity = 0;  // >= 0
};

// Context the engine hands to a decision it actuates (for annotations, logs).
struct ActuationInfo {
  std::string policy;
  std::string reason;
  std::string bound_by;
  std::int64_t recommended = 0;
  // The policy's planned counts for the coming hours (a decision's `plan` list, e.g. a
  // forecast), ascending by time; empty when the policy returned none. Actuators that can
  // publish a plan ahead of time (aws-asg-scheduled) use it; the others ignore it.
  std::vector<PlannedCapacity> plan = {};
  // The policy's count per node group (a decision's `groups`, sorted by name; their sum is the
  // count applied); empty when it named none. The replay's node model prices each group.
  std::vector<std::pair<std::string, std::int64_t>> groups = {};
};

class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual void read(std::function<void(ReadOutcome)> done) = 0;
  // Sets the count (idempotent: never increments). Calls done exactly once. Never throws.
  virtual void apply(std::int64_t desired, const ActuationInfo& info,
                     std::function<void(ApplyOutcome)> done) = 0;
};

// Everything an adapter may need from the process.
struct AdapterContext {
  boost::asio::io_context& io;
  std::string config_dir;  // relative paths in adapter options resolve here
};

struct SourceFactory {
  const char* name;
  std::vector<ConfigKey> keys;  // besides "source", "column", "stale_after", "timeout", "optional"
  std::unique_ptr<Source> (*make)(AdapterContext&, const SignalSpec&);
};

struct ActuatorFactory {
  const char* kind;
  std::vector<ConfigKey> keys;  // besides "kind", "replicas"
  std::unique_ptr<Actuator> (*make)(AdapterContext&, const std::string& policy,
                                    const Value& target);
};

// The table adapters/builtin_adapters.cpp exports. Only engine/cli links it.
const std::vector<SourceFactory>& builtin_sources();
const std::vector<ActuatorFactory>& builtin_actuators();

}  // namespace luascale
