// adapters/sources/prometheus/prometheus_api.cpp — the Prometheus API client's requests and the
// blocking range pull (see prometheus_api.hpp; responses are read in api_response.cpp).
#include "adapters/sources/prometheus/prometheus_api.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <utility>

#include "adapters/net/http_client.hpp"
#include "adapters/net/url.hpp"
#include "engine/replay/trace.hpp"

namespace luascale::prometheus {

namespace {

// Range answers are large: 10,000 steps of every series a query matches.
constexpr std::size_t kMaxRangeBodyBytes = 256 * 1024 * 1024;

std::string number_text(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// A request to one API endpoint ("api/v1/query") under the server's base path: GET with the
// parameters in the URL, or POST with them as a form body. Prometheus is asked to stop
// evaluating a tenth of the timeout before we stop waiting.
net::HttpRequest api_request(const adapters::HttpEndpoint& server, std::string_view endpoint,
                             net::QueryParams params, std::chrono::milliseconds timeout,
                             const char* method) {
  const std::int64_t ms = std::max<std::int64_t>(1, timeout.count());
  params.emplace_back("timeout", std::to_string(std::max<std::int64_t>(1, ms - ms / 10)) + "ms");
  net::HttpRequest request;
  request.method = method;
  request.headers = server.headers;
  if (!net::find_header(request.headers, "Accept"))
    request.headers.emplace_back("Accept", "application/json");
  request.timeout = std::chrono::milliseconds(ms);
  request.url = server.url.scheme + "://" + server.url.authority() +
                net::join_path(server.url.path, endpoint);
  if (request.method == "GET") {
    request.url += "?" + net::build_query(params);
  } else {
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body = net::build_query(params);
  }
  return request;
}

}  // namespace

adapters::HttpEndpoint server_from_options(const adapters::Options& options) {
  return adapters::http_endpoint(options, /*allow_query=*/false);
}

net::HttpRequest instant_query_request(const adapters::HttpEndpoint& server,
                                       const std::string& promql,
                                       std::chrono::milliseconds timeout) {
  return api_request(server, "api/v1/query", {{"query", promql}}, timeout, "GET");
}

net::HttpRequest range_query_request(const adapters::HttpEndpoint& server, const RangeQuery& query,
                                     std::chrono::milliseconds timeout) {
  return api_request(server, "api/v1/query_range",
                     {{"query", query.promql},
                      {"start", number_text(query.start)},
                      {"end", number_text(query.end)},
                      {"step", number_text(query.step)}},
                     timeout, "POST");
}

std::vector<PromSeries> pull_range(const adapters::HttpEndpoint& server, const RangeQuery& query,
                                   std::chrono::milliseconds timeout, const std::string& what,
                                   const std::function<void(double, std::size_t)>& progress) {
  net::HttpClientOptions client;
  client.tls = server.tls;
  // Series by label set; chunks append in time order.
  std::map<std::vector<std::pair<std::string, std::string>>, PromSeries> by_labels;
  std::vector<std::vector<std::pair<std::string, std::string>>> order;
  const double chunk = query.step * kMaxStepsPerRequest;
  for (double s = query.start; s <= query.end; s += chunk + query.step) {
    RangeQuery part = query;
    part.start = s;
    part.end = std::min(query.end, s + chunk);
    const std::string source =
        what + " [" + format_timestamp(part.start) + ", " + format_timestamp(part.end) + "]";
    net::HttpRequest request = range_query_request(server, part, timeout);
    request.max_body_bytes = kMaxRangeBodyBytes;
    const net::HttpResult res = net::http_request_sync(std::move(request), client);
    if (!res.ok()) throw std::runtime_error(source + ": " + res.error);
    if (auto error = status_error(res.status, res.body); !error.empty())
      throw std::runtime_error(source + ": " + error);
    for (auto& series : parse_query_range(res.body, source, NoSeries::Gap)) {
      auto it = by_labels.find(series.labels);
      if (it == by_labels.end()) {
        order.push_back(series.labels);
        by_labels.emplace(series.labels, std::move(series));
      } else {
        auto& dst = it->second.samples;
        dst.insert(dst.end(), series.samples.begin(), series.samples.end());
      }
    }
    if (progress) progress(part.end, by_labels.size());
  }
  std::vector<PromSeries> out;
  out.reserve(order.size());
  for (const auto& labels : order) out.push_back(std::move(by_labels[labels]));
  return out;
}

}  // namespace luascale::prometheus
