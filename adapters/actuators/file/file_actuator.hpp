// adapters/actuators/file/file_actuator.hpp — the "file" actuator: keeps the desired count in a
// file another process watches, replaced atomically (temp file, fsync, rename, fsync folder).
#pragma once

#include <cstdint>
#include <string>

#include "engine/adapter.hpp"

namespace luascale::actuators {

// {"kind": "file", "path": "/run/workers/count", "replicas": 2}; replicas is the count read()
// reports while the file does not exist yet.
ActuatorFactory file_actuator_factory();

// Writes "<count>\n" to path atomically; "" or the error ("rename /x.tmp -> /x: ...").
std::string write_count_atomically(const std::string& path, std::int64_t count);

}  // namespace luascale::actuators
