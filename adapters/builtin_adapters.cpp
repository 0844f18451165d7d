// adapters/builtin_adapters.cpp — the one explicit table from adapter name to factory.
#include "engine/adapter.hpp"

namespace luascale {

const std::vector<SourceFactory>& builtin_sources() {
  static const std::vector<SourceFactory> table = {};
  return table;
}

const std::vector<ActuatorFactory>& builtin_actuators() {
  static const std::vector<ActuatorFactory> table = {};
  return table;
}

}  // namespace luascale
