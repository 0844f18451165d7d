// adapters/net/aws/service_client.hpp — one AWS service client made the way every adapter needs
// it: the region resolved (setting, AWS_REGION, AWS_DEFAULT_REGION, profile), the endpoint
// resolved (setting, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, regional), the default
// credential chain, and a QueryClient with the retry settings.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "adapters/net/aws/aws_env.hpp"
#include "adapters/net/aws/query_client.hpp"

namespace boost::asio {
class io_context;
}
namespace luascale::net {
class HttpClient;
}

namespace luascale::aws {

// Which service, as the SDKs name it.
struct ServiceId {
  const char* id;                  // "Auto Scaling", "CloudWatch", "SQS" (AWS_ENDPOINT_URL_<ID>)
  const char* endpoint_prefix;     // "autoscaling", "monitoring", "sqs"
  const char* signing_name;        // SigV4 service name
  const char* version;             // Query protocol version; "" for JSON services
  const char* json_target_prefix;  // AWS JSON 1.0 X-Amz-Target prefix; "" for Query services
};

// The settings an adapter's config gives.
struct ServiceSettings {
  std::string region;    // "" = AWS_REGION / AWS_DEFAULT_REGION / shared config
  std::string endpoint;  // "" = AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL / regional
  std::string profile;   // "" = AWS_PROFILE / "default"
  std::chrono::milliseconds timeout{10000};       // per request attempt, > 0
  int max_attempts = 3;                           // per call, >= 1
  std::chrono::milliseconds retry_backoff{1000};  // full-jitter base after throttling; 5xx: 1/20
  Environment env;                                // null = the process environment
  std::function<Clock::time_point()> now;         // null = system clock
  std::uint32_t jitter_seed = 0;                  // 0 = random
};

// A client for `service`, or nullptr with *error set ("no region (set region, AWS_REGION or
// AWS_DEFAULT_REGION)"). `http` is shared with the credential chain.
std::shared_ptr<QueryClient> make_service_client(boost::asio::io_context& io,
                                                 std::shared_ptr<net::HttpClient> http,
                                                 const ServiceId& service, ServiceSettings settings,
                                                 std::string* error);

}  // namespace luascale::aws
