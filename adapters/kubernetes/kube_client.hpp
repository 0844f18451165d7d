// adapters/kubernetes/kube_client.hpp — a small Kubernetes REST client over net::HttpClient: bearer
// token (re-read from its file every minute and after a 401), JSON bodies as Value, API errors
// parsed from the Status object. Also the helpers every Kubernetes adapter shares: workload
// references ("deployments/api"), resource quantities, and capped, jittered retry backoff.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "adapters/kubernetes/kube_config.hpp"
#include "engine/core/value.hpp"

namespace boost::asio {
class io_context;
}

namespace luascale::kube {

struct KubeResponse {
  // "" on 2xx. Otherwise the transport error, or "<Reason> (<code>): <Status message>".
  std::string error;
  int status = 0;           // HTTP status; 0 when no response arrived
  std::string reason;       // Status.reason ("Conflict", "Forbidden"...), "" when none
  Value body;               // the parsed JSON body (object), null when none / not JSON
  double retry_after = -1;  // seconds, from Retry-After or details.retryAfterSeconds; -1 = none

  bool ok() const { return error.empty(); }
  // 409, 429, 5xx and transport errors: worth another try.
  bool retryable() const { return status == 0 || status == 409 || status == 429 || status >= 500; }
};

using KubeCallback = std::function<void(KubeResponse)>;

// A complete HTTP response (status, the Retry-After header or null, body) as a KubeResponse:
// the JSON body, the Status object's reason and message on errors, Retry-After (header or
// details.retryAfterSeconds). A 2xx whose body is not a JSON object is an error.
KubeResponse parse_kube_response(int status, const std::string* retry_after,
                                 const std::string& body);

// A number from an API object as an integer (replicas, lease seconds): def when v is null, not a
// number, or outside the int64 range (converting 1e300 would be undefined behaviour).
std::int64_t integer_value(const Value* v, std::int64_t def = 0);

class KubeClient {
 public:
  KubeClient(boost::asio::io_context& io, KubeConnection connection);
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  // method + path ("/apis/apps/v1/...", query included). body "" = none; content_type defaults to
  // application/json when there is a body. done runs once on the io_context.
  void request(const std::string& method, const std::string& path, const std::string& body,
               const std::string& content_type, std::chrono::milliseconds timeout,
               KubeCallback done);

  const KubeConnection& connection() const;
  std::string user_agent() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// A workload with a scale subresource.
struct ScaleTarget {
  std::string group;     // "" for core
  std::string version;   // "v1"
  std::string resource;  // plural: "deployments"
  std::string name;
  std::string namespace_;

  std::string object_path() const;  // /apis/apps/v1/namespaces/NS/deployments/NAME
  std::string scale_path() const;   // object_path() + "/scale"
  // "deployments.apps/api" (kubectl's spelling) for messages.
  std::string display() const;
  // "deployments/scale" etc. and the API group, for RBAC messages.
  std::string group_display() const { return group.empty() ? "\"\" (core)" : group; }
};

// "deployments/api", "statefulsets/NAME", "replicasets/NAME", "replicationcontrollers/NAME",
// "GROUP/VERSION/RESOURCE/NAME" (any resource with a scale subresource; "core" or "" = core).
std::optional<ScaleTarget> parse_scale_target(std::string_view text, const std::string& ns,
                                              std::string* error);

// A Kubernetes quantity ("250m", "1.5", "128Mi", "1e3", "2Gi") in base units (cores, bytes).
std::optional<double> parse_quantity(std::string_view text);

// "a=b,c=d" from matchLabels, keys sorted (labels.SelectorFromSet).
std::string selector_from_labels(const Value& match_labels);

// Retry delays: exponential from base, capped, with jitter (each delay uniform in [d/2, d]).
class Backoff {
 public:
  Backoff(std::chrono::milliseconds base = std::chrono::milliseconds(200),
          std::chrono::milliseconds cap = std::chrono::milliseconds(5000),
          std::uint64_t seed = std::random_device{}());
  // The next delay; a server's Retry-After (seconds, >= 0) raises it, still capped at 4x cap.
  std::chrono::milliseconds next(double retry_after = -1);
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds base_, cap_;
  std::mt19937_64 rng_;
  int attempts_ = 0;
};

// The current time as Kubernetes MicroTime ("2006-01-02T15:04:05.000000Z").
std::string micro_time_now();

}  // namespace luascale::kube
