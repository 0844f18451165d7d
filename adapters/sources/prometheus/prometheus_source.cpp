// adapters/sources/prometheus/prometheus_source.cpp — the "prometheus" source: its options, one
// instant query per fetch on the shared HTTP client, the answer as a sample.
#include "adapters/sources/prometheus/prometheus_source.hpp"

#include <boost/asio/io_context.hpp>
#include <utility>

#include "adapters/common/http_support.hpp"
#include "adapters/sources/prometheus/prometheus_api.hpp"

namespace luascale::prometheus {

namespace {

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
        out.sample = Sample{adapters::sample_value(*q.value), q.timestamp};
      } else if (empty) {
        out.sample = Sample{adapters::sample_value(*empty), adapters::unix_now()};
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
  const adapters::HttpEndpoint server = server_from_options(opt);
  const std::string query = *opt.string("query", true);
  auto empty_value = opt.number("empty_value");
  const auto timeout = std::chrono::milliseconds(
      std::max<std::int64_t>(1, static_cast<std::int64_t>(spec.timeout_seconds * 1000)));
  return std::make_unique<PrometheusSource>(adapters::shared_http_client(ctx.io, server.tls),
                                            instant_query_request(server, query, timeout),
                                            "prometheus " + server.url.to_string(), query,
                                            empty_value);
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
