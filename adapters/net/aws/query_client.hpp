// adapters/net/aws/query_client.hpp — one AWS service over its RPC protocol: the Query protocol
// (Auto Scaling, STS, CloudWatch: form-encoded POST bodies, XML answers and ErrorResponse) or AWS
// JSON 1.0 (SQS: a JSON body with X-Amz-Target, JSON answers and errors), each request signed
// with SigV4, and the SDKs' "standard" retry mode — throttling and transient errors retried with
// full-jitter exponential backoff, bounded attempts and a shared retry token bucket so an outage
// never becomes a retry storm.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "adapters/net/aws/credentials.hpp"
#include "adapters/net/aws/sigv4.hpp"

namespace boost::asio {
class io_context;
}
namespace luascale::net {
class HttpClient;
}

namespace luascale::aws {

struct QueryClientOptions {
  std::string endpoint;      // "https://autoscaling.us-east-1.amazonaws.com" (path may follow)
  std::string region;        // signing region
  std::string signing_name;  // "autoscaling"
  std::string version;       // Query protocol: "2011-01-01"
  // AWS JSON 1.0: the X-Amz-Target prefix ("AmazonSQS" -> "AmazonSQS.GetQueueAttributes").
  std::string json_target_prefix;
  std::chrono::milliseconds timeout{10000};  // per attempt, > 0
  int max_attempts = 3;                      // in total, >= 1
  // Full-jitter backoff: delay = rand[0,1) * min(base * 2^(retry-1), max_backoff).
  std::chrono::milliseconds throttle_base{1000};  // after a throttling error
  std::chrono::milliseconds transient_base{50};   // after a 5xx, timeout or connection error
  std::chrono::milliseconds max_backoff{20000};
  int retry_tokens = 500;  // bucket size; a retry costs 5 (10 after a timeout), a success refunds 1
  std::uint32_t seed = 0;  // jitter seed; 0 = random
  std::function<Clock::time_point()> now;  // signing time; null = system clock
};

struct QueryOutcome {
  std::string error;    // "" on success; operator text otherwise (never a secret)
  std::string code;     // the AWS error Code when the service sent one ("Throttling", ...)
  std::string message;  // the AWS error Message
  int status = 0;       // last HTTP status, 0 when no response arrived
  int attempts = 0;     // requests sent
  std::string body;     // the response body (XML or JSON) on success

  bool ok() const { return error.empty(); }
};
using QueryCallback = std::function<void(QueryOutcome)>;

// Throttling error codes (botocore's list).
bool is_throttling_code(std::string_view code);
// Whether an answer is worth retrying: throttling codes, transient codes (RequestTimeout,
// InternalFailure, ServiceUnavailable, ResourceContention...), HTTP 500/502/503/504.
bool is_retryable(int status, std::string_view code);

class QueryClient : public std::enable_shared_from_this<QueryClient> {
 public:
  static std::shared_ptr<QueryClient> create(boost::asio::io_context& io,
                                             std::shared_ptr<net::HttpClient> http,
                                             std::shared_ptr<CredentialChain> credentials,
                                             QueryClientOptions options);

  // Calls `action` with params (Action and Version are added first). done runs exactly once on
  // the io_context. Retries as described above; ExpiredToken / RequestExpired refresh the
  // credentials and retry once.
  void call(std::string action, ParamList params, QueryCallback done);
  // The same over AWS JSON 1.0: `operation` with a JSON object body, sent with
  // X-Amz-Target: <json_target_prefix>.<operation>. Errors are read from the JSON body's
  // "__type" and "message", and from the x-amzn-query-error header when the service sends one.
  void call_json(std::string operation, std::string json_body, QueryCallback done);

  const QueryClientOptions& options() const { return options_; }
  int retry_tokens() const { return tokens_; }

 private:
  QueryClient(boost::asio::io_context& io, std::shared_ptr<net::HttpClient> http,
              std::shared_ptr<CredentialChain> credentials, QueryClientOptions options);
  struct Call;
  void attempt(std::shared_ptr<Call> call);
  void send(std::shared_ptr<Call> call, const ResolvedCredentials& creds);
  void on_response(std::shared_ptr<Call> call, int status, std::string transport_error,
                   std::string body, std::string query_error);
  void retry_later(std::shared_ptr<Call> call, bool throttled, bool timeout);

  boost::asio::io_context& io_;
  std::shared_ptr<net::HttpClient> http_;
  std::shared_ptr<CredentialChain> credentials_;
  QueryClientOptions options_;
  std::mt19937 rng_;
  int tokens_;
};

}  // namespace luascale::aws
