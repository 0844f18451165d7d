// adapters/sources/prometheus/prometheus_source.cpp — building the query request and turning the
// answer into a sample (the envelope itself is read by instant_query.cpp).
#include "adapters/sources/prometheus/prometheus_source.hpp"

#include <boost/asio/io_context.hpp>
#include <cmath>
#include <utility>

#include "adapters/common/http_support.hpp"
#include "adapters/net/url.hpp"

namespace luascale::prometheus {

namespace {

Value number_value(double d) {
  if (d == std::floor(d) && std::fabs(d) < 9e15) return Value(static_cast<std::int64_t>(d));
  return Value(d);
}

class PrometheusSource final : public Source {
 public:
  PrometheusSource(std::shared_ptr<net::HttpClient> client, net::HttpRequest request,
                   std::string what, std::string query, std::optional<double> empty_value)
      : client_(std::move(client)),
        request_(std::move(request)),
        what_(std::move(what)),
        query_(std::move(query)),
        empty_value_(empty_value) {}

  void fetch(std::function<void(SampleOutcome)> done) override {
    client_->request(request_, [what = what_, query = query_, empty = empty_value_,
                                done = std::move(done)](net::HttpResult r) {
      SampleOutcome out;
      if (!r.ok()) {
        out.error = what + ": " + r.error;
        done(std::move(out));
        return;
      }
      auto q = parse_instant_query(r.status, r.body);
      if (!q.error.empty()) {
        out.error = what + ": " + q.error;
      } else if (q.value) {
        out.sample = Sample{number_value(*q.value), q.timestamp};
      } else if (empty) {
        out.sample = Sample{number_value(*empty), adapters::unix_now()};
      } else {
        out.error = what + ": query returned no series: " + adapters::body_excerpt(query, 120);
      }
      done(std::move(out));
    });
  }

 private:
  std::shared_ptr<net::HttpClient> client_;
  net::HttpRequest request_;
  std::string what_;
  std::string query_;
  std::optional<double> empty_value_;
};

std::unique_ptr<Source> make_prometheus_source(AdapterContext& ctx, const SignalSpec& spec) {
  adapters::Options opt(spec.options, "prometheus", ctx.config_dir);
  const std::string url_text = *opt.string("url", true);
  std::string error;
  auto url = net::parse_url(url_text, &error);
  if (!url) opt.fail("url", error);
  if (url->scheme != "http" && url->scheme != "https")
    opt.fail("url", "must be an http:// or https:// URL");
  if (!url->query.empty()) opt.fail("url", "must not have a query string");
  const std::string query = *opt.string("query", true);
  auto empty_value = opt.number("empty_value");
  auto tls = opt.tls();
  if (url->is_https()) {
    auto tls_error = net::check_client_tls(tls);
    if (!tls_error.empty()) opt.fail("ca_file", tls_error);
  }

  net::HttpRequest request;
  request.method = "GET";
  request.headers = adapters::request_headers(opt, *url);
  request.headers.emplace_back("Accept", "application/json");
  const auto timeout_ms =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(spec.timeout_seconds * 1000));
  request.timeout = std::chrono::milliseconds(timeout_ms);
  // Prometheus stops evaluating at its own timeout; ask for a little less than ours.
  net::QueryParams params = {
      {"query", query},
      {"timeout", std::to_string(std::max<std::int64_t>(1, timeout_ms - timeout_ms / 10)) + "ms"}};
  request.url = url->scheme + "://" + url->authority() + net::join_path(url->path, "api/v1/query") +
                "?" + net::build_query(params);
  net::Url shown = *url;
  shown.userinfo.clear();
  return std::make_unique<PrometheusSource>(adapters::shared_http_client(ctx.io, tls),
                                            std::move(request), "prometheus " + shown.to_string(),
                                            query, empty_value);
}

}  // namespace

SourceFactory prometheus_source_factory() {
  return {"prometheus",
          adapters::concat_keys(
              {
                  {"url", "string", true, "Prometheus base URL, e.g. http://prometheus:9090"},
                  {"query", "string", true, "PromQL returning a scalar or a one-series vector"},
                  {"empty_value", "number", false,
                   "value when the query returns no series (else an error)"},
              },
              adapters::http_keys()),
          &make_prometheus_source};
}

}  // namespace luascale::prometheus
