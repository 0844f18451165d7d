// adapters/sources/prometheus/prometheus_api.hpp — the one client of the Prometheus HTTP API
// (https://prometheus.io/docs/prometheus/latest/querying/api/): the server as options give it
// (URL, auth, TLS), the requests of instant queries (GET /api/v1/query) and range queries (POST
// /api/v1/query_range), and the reading of its responses: the error envelope
// ({"status":"error","errorType":...,"error":...}, sent with 400, 422 or 503) of either call, and
// the instant-query result. Range bodies are read by engine/replay/prometheus_trace's streaming
// parser. The "prometheus" source sends instant queries through this; `replay --prometheus` and
// `tune --prometheus` range queries (pull_range).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/common/http_support.hpp"
#include "engine/replay/prometheus_trace.hpp"

namespace luascale::prometheus {

// The server named by "url" (the base URL: http://prometheus:9090, or one with a path prefix
// behind a proxy; no query string) and adapters::http_keys() (auth, extra headers, TLS).
// Throws adapters::OptionError.
adapters::HttpEndpoint server_from_options(const adapters::Options& options);

// An instant query: GET with the PromQL and, so that Prometheus gives up before we do, an
// evaluation timeout a tenth below ours.
net::HttpRequest instant_query_request(const adapters::HttpEndpoint& server,
                                       const std::string& promql,
                                       std::chrono::milliseconds timeout);

struct RangeQuery {
  std::string promql;
  double start = 0;  // unix seconds
  double end = 0;    // unix seconds, >= start
  double step = 15;  // seconds, > 0
};
// One range query request (POST, form body, so long PromQL fits), timeout as for instant queries.
net::HttpRequest range_query_request(const adapters::HttpEndpoint& server, const RangeQuery& query,
                                     std::chrono::milliseconds timeout);

// The error of a response: "" for a 2xx status (its body is the caller's to read). Otherwise
// "HTTP 422, execution: <error>" from the API's error envelope, or "HTTP 503: <body excerpt>"
// ("HTTP 503 (empty body)") when the body is not one (a proxy's page, say).
std::string status_error(int http_status, std::string_view body);

// An instant query's answer.
struct QueryResult {
  std::optional<double> value;  // finite; empty on error or an empty result
  double timestamp = 0;         // unix seconds of the sample
  std::size_t series = 0;       // how many series the result held (vector results)
  std::string error;            // "" unless the response is unusable
};
// Reads an /api/v1/query response: status_error() first, then the body. An empty vector gives
// neither value nor error; several series, NaN, +-Inf, a matrix or string result, a body that is
// not the API's JSON give an error.
QueryResult parse_instant_query(int http_status, std::string_view body);

// Most steps one range request asks for: Prometheus refuses more than 11,000 points per series.
constexpr double kMaxStepsPerRequest = 10000;

// Runs a range query, blocking, in requests of at most kMaxStepsPerRequest steps, and joins the
// chunks' series by label set (in the order they first appear; none when the query matched
// nothing anywhere). A chunk in which the query matches nothing is a gap. `what` names the query
// in errors ("prometheus query cpu"), which also give the chunk's time range. `progress` (may be
// empty) runs after each chunk with its end time and the series seen so far. Throws
// std::runtime_error (TraceError when a body does not parse).
std::vector<PromSeries> pull_range(const adapters::HttpEndpoint& server, const RangeQuery& query,
                                   std::chrono::milliseconds timeout, const std::string& what,
                                   const std::function<void(double, std::size_t)>& progress);

}  // namespace luascale::prometheus
