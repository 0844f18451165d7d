// adapters/sources/prometheus/prometheus_source.cpp — building the query request and reading the
// Prometheus HTTP API's instant-query envelope.
#include "adapters/sources/prometheus/prometheus_source.hpp"

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>

#include "adapters/common/http_support.hpp"
#include "adapters/net/url.hpp"

namespace luascale::prometheus {

namespace {

using json = nlohmann::json;

// "{job=\"api\", instance=\"a:9100\"}" for messages.
std::string series_label(const json& metric) {
  std::string out = "{";
  if (metric.is_object()) {
    bool first = true;
    for (auto it = metric.begin(); it != metric.end(); ++it) {
      if (!first) out += ", ";
      first = false;
      out += it.key() + "=\"" + (it->is_string() ? it->get<std::string>() : it->dump()) + "\"";
    }
  }
  return out + "}";
}

// [<unix seconds>, "<value>"] -> value and timestamp, or an error.
bool read_sample(const json& pair, QueryResult& out) {
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_string()) {
    out.error = "malformed sample " + adapters::body_excerpt(pair.dump(), 80);
    return false;
  }
  const std::string text = pair[1].get<std::string>();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    out.error = "sample value \"" + adapters::body_excerpt(text, 40) + "\" is not a number";
    return false;
  }
  if (std::isnan(v)) {
    out.error = "query returned NaN";
    return false;
  }
  if (std::isinf(v)) {
    out.error = std::string("query returned ") + (v > 0 ? "+Inf" : "-Inf");
    return false;
  }
  out.value = v;
  out.timestamp = pair[0].get<double>();
  return true;
}

}  // namespace

QueryResult parse_instant_query(int http_status, std::string_view body) {
  QueryResult out;
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  const bool http_ok = http_status >= 200 && http_status < 300;
  if (doc.is_discarded() || !doc.is_object()) {
    out.error = (http_ok ? "response is not JSON" : "HTTP " + std::to_string(http_status)) +
                (body.empty() ? std::string(" (empty body)") : ": " + adapters::body_excerpt(body));
    return out;
  }
  const auto status = doc.value("status", std::string());
  if (status != "success" || !http_ok) {
    std::string type = doc.value("errorType", std::string());
    std::string message = doc.value("error", std::string());
    out.error = "HTTP " + std::to_string(http_status);
    if (!type.empty()) out.error += ", " + type;
    out.error += message.empty() ? ": " + adapters::body_excerpt(body) : ": " + message;
    return out;
  }
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object() || !data->contains("resultType") ||
      !data->contains("result") || !(*data)["resultType"].is_string()) {
    out.error = "response has no data.resultType/data.result: " + adapters::body_excerpt(body);
    return out;
  }
  const std::string type = (*data)["resultType"].get<std::string>();
  const json& result = (*data)["result"];
  if (type == "scalar") {
    out.series = 1;
    read_sample(result, out);
    return out;
  }
  if (type != "vector") {
    out.error = "query returned a " + type + (type == "matrix" ? " (range vector)" : "") +
                "; use an expression that returns a scalar or an instant vector";
    return out;
  }
  if (!result.is_array()) {
    out.error = "malformed vector result: " + adapters::body_excerpt(result.dump(), 80);
    return out;
  }
  out.series = result.size();
  if (result.empty()) return out;
  if (result.size() > 1) {
    std::string names;
    for (std::size_t i = 0; i < result.size() && i < 3; ++i)
      names += (i ? ", " : "") + series_label(result[i].value("metric", json::object()));
    if (result.size() > 3) names += ", ...";
    out.error = "query returned " + std::to_string(result.size()) + " series (" + names +
                "); aggregate it to one, e.g. sum(...) or max(...)";
    return out;
  }
  const json& first = result[0];
  if (!first.is_object() || !first.contains("value")) {
    out.error = "malformed vector result: " + adapters::body_excerpt(first.dump(), 80);
    return out;
  }
  read_sample(first["value"], out);
  return out;
}

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
