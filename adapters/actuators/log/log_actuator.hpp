// adapters/actuators/log/log_actuator.hpp — the "log" actuator: records each decision as one JSON
// object per line (stdout or a file) and remembers the count, touching nothing else.
#pragma once

#include "engine/adapter.hpp"

namespace luascale::actuators {

// {"kind": "log", "path": "decisions.jsonl", "replicas": 3}; no path (or "-") = stdout.
ActuatorFactory log_actuator_factory();

}  // namespace luascale::actuators
