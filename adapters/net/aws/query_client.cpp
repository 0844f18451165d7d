// adapters/net/aws/query_client.cpp — signing, sending, classifying and retrying Query calls.
#include "adapters/net/aws/query_client.hpp"

#include <utility>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "adapters/net/aws/aws_json.hpp"
#include "adapters/net/aws/aws_xml.hpp"
#include "adapters/net/http_client.hpp"
#include "adapters/net/url.hpp"

namespace luascale::aws {

namespace {
constexpr int kRetryCost = 5;
constexpr int kTimeoutRetryCost = 10;
}  // namespace

bool is_throttling_code(std::string_view code) {
  static constexpr std::array<std::string_view, 14> kCodes = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException",
      "RequestThrottled",
      "SlowDown",
      "PriorRequestNotComplete",
      "EC2ThrottledException"};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

bool is_retryable(int status, std::string_view code) {
  if (is_throttling_code(code)) return true;
  if (code == "RequestTimeout" || code == "RequestTimeoutException" || code == "InternalFailure" ||
      code == "InternalError" || code == "ServiceUnavailable" || code == "ResourceContention") {
    return true;
  }
  return status == 500 || status == 502 || status == 503 || status == 504;
}

struct QueryClient::Call {
  std::string action;
  ParamList params;       // Query protocol
  std::string json_body;  // AWS JSON 1.0 (json = true)
  bool json = false;
  QueryCallback done;
  int attempts = 0;
  bool refreshed_credentials = false;
  bool retried = false;
};

std::shared_ptr<QueryClient> QueryClient::create(boost::asio::io_context& io,
                                                 std::shared_ptr<net::HttpClient> http,
                                                 std::shared_ptr<CredentialChain> credentials,
                                                 QueryClientOptions options) {
  return std::shared_ptr<QueryClient>(
      new QueryClient(io, std::move(http), std::move(credentials), std::move(options)));
}

QueryClient::QueryClient(boost::asio::io_context& io, std::shared_ptr<net::HttpClient> http,
                         std::shared_ptr<CredentialChain> credentials, QueryClientOptions options)
    : io_(io),
      http_(std::move(http)),
      credentials_(std::move(credentials)),
      options_(std::move(options)),
      rng_(options_.seed ? options_.seed : std::random_device{}()),
      tokens_(options_.retry_tokens) {
  options_.max_attempts = std::max(1, options_.max_attempts);
}

void QueryClient::call(std::string action, ParamList params, QueryCallback done) {
  auto c = std::make_shared<Call>();
  c->action = std::move(action);
  c->params.emplace_back("Action", c->action);
  c->params.emplace_back("Version", options_.version);
  for (auto& p : params) c->params.push_back(std::move(p));
  c->done = std::move(done);
  attempt(std::move(c));
}

void QueryClient::call_json(std::string operation, std::string json_body, QueryCallback done) {
  auto c = std::make_shared<Call>();
  c->action = std::move(operation);
  c->json_body = std::move(json_body);
  c->json = true;
  c->done = std::move(done);
  attempt(std::move(c));
}

void QueryClient::attempt(std::shared_ptr<Call> call) {
  auto self = shared_from_this();
  credentials_->get([self, call](CredentialsOutcome creds) {
    if (!creds.value) {
      QueryOutcome out;
      out.error = "credentials: " + creds.error;
      out.attempts = call->attempts;
      return call->done(std::move(out));
    }
    self->send(call, *creds.value);
  });
}

void QueryClient::send(std::shared_ptr<Call> call, const ResolvedCredentials& creds) {
  std::string url_error;
  const auto url = net::parse_url(options_.endpoint, &url_error);
  if (!url) {
    QueryOutcome out;
    out.error = "endpoint " + net::redact_url(options_.endpoint) + ": " + url_error;
    return boost::asio::post(
        io_, [call, out = std::move(out)]() mutable { call->done(std::move(out)); });
  }
  SignableRequest req;
  req.method = "POST";
  req.path = url->path;
  if (!url->query.empty()) req.query = parse_query(url->query);
  if (call->json) {
    req.headers = {{"Host", url->authority()},
                   {"Content-Type", "application/x-amz-json-1.0"},
                   {"X-Amz-Target", options_.json_target_prefix + "." + call->action}};
    req.body = call->json_body;
  } else {
    req.headers = {{"Host", url->authority()},
                   {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    req.body = encode_query(call->params);
  }
  SigningParams sp;
  sp.region = options_.region;
  sp.service = options_.signing_name;
  sp.time = options_.now ? options_.now() : Clock::now();
  SignedRequest signed_req;
  try {
    signed_req = sign(req, creds.credentials, sp);
  } catch (const std::exception& e) {
    QueryOutcome out;
    out.error = std::string("signing: ") + e.what();
    return boost::asio::post(
        io_, [call, out = std::move(out)]() mutable { call->done(std::move(out)); });
  }

  net::HttpRequest http_req;
  http_req.method = "POST";
  http_req.url = options_.endpoint;
  http_req.headers = std::move(signed_req.headers);
  http_req.body = std::move(req.body);
  http_req.timeout = options_.timeout;
  ++call->attempts;
  auto self = shared_from_this();
  http_->request(std::move(http_req), [self, call](net::HttpResult r) {
    const std::string* query_error = r.header("x-amzn-query-error");
    self->on_response(call, r.status, std::move(r.error), std::move(r.body),
                      query_error ? *query_error : std::string());
  });
}

void QueryClient::on_response(std::shared_ptr<Call> call, int status, std::string transport_error,
                              std::string body, std::string query_error) {
  QueryOutcome out;
  out.attempts = call->attempts;
  out.status = status;
  if (transport_error.empty() && status >= 200 && status < 300) {
    if (!call->retried) tokens_ = std::min(options_.retry_tokens, tokens_ + 1);
    out.body = std::move(body);
    return call->done(std::move(out));
  }
  bool retryable = false, throttled = false, timeout = false;
  std::string request_id;
  if (!transport_error.empty()) {
    out.error = transport_error;
    retryable = true;
    timeout = transport_error.rfind("timeout", 0) == 0;
  } else {
    std::string query_code;  // the Query-protocol code a JSON service also names, if any
    if (call->json) {
      if (auto e = parse_json_error(body, query_error)) {
        out.code = e->code;
        out.message = e->message;
        query_code = e->query_code;
      }
    } else if (auto e = parse_error_response(body)) {
      out.code = e->code;
      out.message = e->message;
      request_id = e->request_id;
    }
    throttled = is_throttling_code(out.code) || (call->json && is_throttling_code(query_code));
    retryable = is_retryable(status, out.code) || (call->json && is_retryable(status, query_code));
    out.error =
        (out.code.empty() ? std::string("HTTP ") + std::to_string(status)
                          : out.code + (out.message.empty() ? "" : ": " + out.message) + " (HTTP " +
                                std::to_string(status) +
                                (request_id.empty() ? "" : ", request id " + request_id) + ")");
  }
  // Expired credentials or clock skew: fetch fresh credentials and resend once.
  if ((out.code == "ExpiredToken" || out.code == "ExpiredTokenException" ||
       out.code == "RequestExpired") &&
      !call->refreshed_credentials) {
    call->refreshed_credentials = true;
    credentials_->invalidate();
    return attempt(call);
  }
  if (retryable && call->attempts < options_.max_attempts) {
    const int cost = timeout ? kTimeoutRetryCost : kRetryCost;
    if (tokens_ >= cost) {
      tokens_ -= cost;
      return retry_later(call, throttled, timeout);
    }
    out.error += " (retry budget exhausted)";
  }
  if (call->attempts > 1) out.error += " after " + std::to_string(call->attempts) + " attempts";
  call->done(std::move(out));
}

void QueryClient::retry_later(std::shared_ptr<Call> call, bool throttled, bool /*timeout*/) {
  call->retried = true;
  const auto base = throttled ? options_.throttle_base : options_.transient_base;
  const int retry = call->attempts;  // 1 for the first retry
  const double cap =
      std::min<double>(static_cast<double>(options_.max_backoff.count()),
                       static_cast<double>(base.count()) * (1 << std::min(retry - 1, 20)));
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  const auto delay = std::chrono::milliseconds(static_cast<long long>(jitter(rng_) * cap));
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
  auto self = shared_from_this();
  timer->async_wait([self, call, timer](const boost::system::error_code&) { self->attempt(call); });
}

}  // namespace luascale::aws
