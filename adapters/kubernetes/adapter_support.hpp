// adapters/kubernetes/adapter_support.hpp — what the kubernetes source and actuator share: building
// a KubeClient from adapter options ("kubeconfig", "context") and a retry loop with capped,
// jittered backoff inside a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "adapters/kubernetes/kube_client.hpp"
#include "engine/adapter.hpp"

namespace luascale::kube {

// Throws std::runtime_error naming the problem when no cluster configuration loads.
std::shared_ptr<KubeClient> make_kube_client(AdapterContext& ctx, const Value& options);

// A string option, or def when absent; throws when present but not a string.
std::string string_option(const Value& options, const char* key, const std::string& def);
// A duration option ("10s", 2.5) in milliseconds, or def; throws on a malformed value.
std::chrono::milliseconds duration_option(const Value& options, const char* key,
                                          std::chrono::milliseconds def);

using Clock = std::chrono::steady_clock;

// Calls attempt(last, finish) until it succeeds, fails for good, or the deadline would pass.
// attempt runs one try and reports through its callback; a retryable response (409, 429, 5xx,
// transport) is tried again after Backoff::next (honouring Retry-After) if that still ends before
// the deadline; otherwise done gets the last response.
using Attempt = std::function<void(std::function<void(KubeResponse)>)>;
void retry_until(boost::asio::io_context& io, Attempt attempt, Clock::time_point deadline,
                 std::function<void(KubeResponse, int attempts)> done);

}  // namespace luascale::kube
