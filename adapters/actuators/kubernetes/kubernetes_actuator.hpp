// adapters/actuators/kubernetes/kubernetes_actuator.hpp — the `kubernetes` actuator's factory and
// config keys (target: {"kind":"kubernetes","namespace":"default","resource":"deployments/api"}).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/adapter.hpp"

namespace luascale::kube {

// Throws std::runtime_error with the reason when the target or cluster configuration is unusable.
std::unique_ptr<Actuator> make_kubernetes_actuator(AdapterContext& ctx, const std::string& policy,
                                                   const Value& target);
const std::vector<ConfigKey>& kubernetes_actuator_keys();
ActuatorFactory kubernetes_actuator_factory();  // for builtin_adapters.cpp

}  // namespace luascale::kube
