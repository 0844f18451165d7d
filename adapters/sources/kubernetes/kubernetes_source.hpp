// adapters/sources/kubernetes/kubernetes_source.hpp — the `kubernetes` source's factory and keys
// (signal: {"source":"kubernetes","query":"pods","resource":"deployments/api","metric":"cpu"}).
#pragma once

#include <memory>
#include <vector>

#include "engine/adapter.hpp"

namespace luascale::kube {

// Throws std::runtime_error with the reason when the options or cluster configuration are unusable.
std::unique_ptr<Source> make_kubernetes_source(AdapterContext& ctx, const SignalSpec& spec);
const std::vector<ConfigKey>& kubernetes_source_keys();
SourceFactory kubernetes_source_factory();  // for builtin_adapters.cpp

}  // namespace luascale::kube
