// tests/unit/unit-source-prometheus.cpp — the "prometheus" source against a real prometheus on a
// free loopback port scraping a tiny exporter this test serves (so queries return real data), over
// plain HTTP and TLS; plus a scripted HTTP peer for auth headers, odd statuses and timeouts, and
// for the API client's range pull (chunks, gaps, errors).
#include <doctest/doctest.h>

#include <boost/asio/ssl/context.hpp>
#include <cmath>
#include <functional>
#include <mutex>

#include "adapter_helpers.hpp"
#include "adapters/common/options.hpp"
#include "adapters/net/tls.hpp"
#include "adapters/net/url.hpp"
#include "adapters/sources/prometheus/prometheus_api.hpp"
#include "adapters/sources/prometheus/prometheus_source.hpp"
#include "loopback_server.hpp"
#include "servers.hpp"
#include "test_pki.hpp"

using namespace luascale;
using namespace luascale::test;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string quoted(const std::string& s) {
  return to_json(Value(s));
}

std::string prom_json(const std::string& url, const std::string& query,
                      const std::string& extra = "") {
  return R"({"source": "prometheus", "url": )" + quoted(url) + R"(, "query": )" + quoted(query) +
         extra + "}";
}

// A scripted peer that keeps the requests it answers.
class RecordingServer {
 public:
  explicit RecordingServer(std::function<std::string(const RawRequest&)> reply)
      : server_([this, reply = std::move(reply)](const RawRequest& r) {
          {
            std::lock_guard lock(mutex_);
            seen_.push_back(r);
          }
          return ScriptedReply{reply(r)};
        }) {}
  std::uint16_t port() const { return server_.port(); }
  std::vector<RawRequest> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  RawRequest last() const { return seen().back(); }

 private:
  mutable std::mutex mutex_;
  std::vector<RawRequest> seen_;
  LoopbackServer server_;  // last: its threads use the members above
};

// An exporter whose queue_depth gauges the test can change.
class Exporter {
 public:
  Exporter()
      : server_([this](const RawRequest&) {
          std::lock_guard lock(mutex_);
          std::string body = "# TYPE queue_depth gauge\nqueue_depth{queue=\"a\"} " +
                             std::to_string(a_) + "\nqueue_depth{queue=\"b\"} 3\n";
          return ScriptedReply{
              http_response(200, body, "Content-Type: text/plain; version=0.0.4\r\n")};
        }) {}
  void set_a(int v) {
    std::lock_guard lock(mutex_);
    a_ = v;
  }
  std::uint16_t port() const { return server_.port(); }

 private:
  std::mutex mutex_;
  int a_ = 7;
  LoopbackServer server_;
};

std::string scrape_config(std::uint16_t exporter_port) {
  return "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
         "scrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['127.0.0.1:" +
         std::to_string(exporter_port) + "']\n";
}

struct Fixture {
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  std::string value(const std::string& json, double timeout = 5) {
    auto src = make_source(ctx, json, timeout);
    return fetch_text(io, *src);
  }
};

}  // namespace

TEST_CASE("prometheus source: instant queries against a real prometheus scraping an exporter") {
  Exporter exporter;
  PrometheusServer prom(scrape_config(exporter.port()));
  Fixture f;
  const auto url = prom.url();

  // Bounded wait for the first scrape.
  auto a = make_source(f.ctx, prom_json(url, "queue_depth{queue=\"a\"}"));
  std::string last;
  REQUIRE_MESSAGE(wait_until(
                      [&] {
                        last = fetch_text(f.io, *a);
                        return last == "7";
                      },
                      std::chrono::seconds(60)),
                  last, "\n", prom.log());

  auto out = fetch(f.io, *a);
  REQUIRE(out.sample);
  // The sample's own evaluation time, in unix seconds.
  CHECK(std::fabs(out.sample->timestamp - adapters::unix_now()) < 60);

  CHECK(f.value(prom_json(url, "sum(queue_depth)")) == "10");
  CHECK(f.value(prom_json(url, "scalar(sum(queue_depth))")) == "10");
  CHECK(f.value(prom_json(url, "2 * 21")) == "42");
  CHECK(f.value(prom_json(url, "avg(queue_depth)")) == "5");
  CHECK(f.value(prom_json(url, "queue_depth{queue=\"a\"} / 2")) == "3.5");

  const std::string where = "ERROR: prometheus " + url + "/: ";
  CHECK(f.value(prom_json(url, "queue_depth")) ==
        where + "query returned 2 series ({__name__=\"queue_depth\", instance=\"127.0.0.1:" +
            std::to_string(exporter.port()) +
            "\", job=\"app\", queue=\"a\"}, {__name__=\"queue_depth\", instance=\"127.0.0.1:" +
            std::to_string(exporter.port()) +
            "\", job=\"app\", queue=\"b\"}); aggregate it to one, e.g. sum(...) or max(...)");
  CHECK(f.value(prom_json(url, "queue_depth{queue=\"zzz\"}")) ==
        where + "query returned no series: queue_depth{queue=\"zzz\"}");
  CHECK(f.value(prom_json(url, "queue_depth{queue=\"zzz\"}", R"(, "empty_value": 0)")) == "0");
  CHECK(f.value(prom_json(url, "sum(queue_depth[1m])")) ==
        where +
            "HTTP 400, bad_data: invalid parameter \"query\": 1:5: parse error: expected type "
            "instant vector in aggregation "
            "expression, got range vector");
  CHECK(f.value(prom_json(url, "queue_depth{queue=\"a\"}[1m]")) ==
        where +
            "query returned a matrix (range vector); use an expression that returns a scalar "
            "or an instant vector");
  CHECK(contains(f.value(prom_json(url, "sum(queue_depth")), where + "HTTP 400, bad_data: "));
  CHECK(f.value(prom_json(url, "0/0")) == where + "query returned NaN");
  CHECK(f.value(prom_json(url, "sum(queue_depth) / 0")) == where + "query returned +Inf");

  // Live data: the exporter changes, the next scrapes show it.
  exporter.set_a(12);
  REQUIRE(wait_until(
      [&] {
        last = fetch_text(f.io, *a);
        return last == "12";
      },
      std::chrono::seconds(30)));

  // The same server through the http-json source: the API's own JSON, a pointer into it.
  CHECK(
      f.value(R"({"source": "http-json", "url": ")" + url +
              R"x(/api/v1/query?query=sum(queue_depth)", "pointer": "/data/result/0/value/1"})x") ==
      "15");
}

TEST_CASE("prometheus source: https with a private CA (prometheus web config)") {
  TempDir dir;
  auto pki = make_test_pki(dir.path());
  auto web = dir.write("web.yml", "tls_server_config:\n  cert_file: " + pki.server_cert.string() +
                                      "\n  key_file: " + pki.server_key.string() + "\n");
  PrometheusServer prom("global:\n  scrape_interval: 1m\n", {"--web.config.file=" + web.string()});
  Fixture f;
  const auto url = prom.url("https");
  // Prometheus answers 503 until its TSDB is open: bounded wait for readiness.
  auto trusted = make_source(
      f.ctx, prom_json(url, "1 + 1", R"(, "ca_file": )" + quoted(pki.ca_cert.string())));
  std::string last;
  CHECK_MESSAGE(wait_until(
                    [&] {
                      last = fetch_text(f.io, *trusted);
                      return last == "2";
                    },
                    std::chrono::seconds(60)),
                last);
  CHECK(contains(
      f.value(prom_json(url, "1 + 1", R"(, "ca_file": )" + quoted(pki.other_ca_cert.string()))),
      "certificate verify failed"));
  // Plain HTTP against the TLS listener is answered with HTTP 400.
  CHECK(contains(f.value(prom_json(prom.url("http"), "1")), "HTTP 400"));
}

TEST_CASE("prometheus source: auth headers, path prefix, timeout sent to the server") {
  RecordingServer server([](const RawRequest&) {
    return http_response(
        200, R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"4"]}})");
  });
  Fixture f;
  auto base = "http://127.0.0.1:" + std::to_string(server.port());
  auto last = [&] { return server.last(); };

  CHECK(f.value(prom_json(base + "/prom/", "up == 1", R"(, "bearer_token": "t0ken")"), 2) == "4");
  CHECK(last().target == "/prom/api/v1/query?query=up%20%3D%3D%201&timeout=1800ms");
  CHECK(last().header("Authorization") == "Bearer t0ken");
  CHECK(last().header("Accept") == "application/json");

  CHECK(f.value(prom_json(base, "up", R"(, "username": "ops", "password": "pa:ss")")) == "4");
  CHECK(last().target.rfind("/api/v1/query?query=up&", 0) == 0);
  CHECK(last().header("Authorization") == "Basic b3BzOnBhOnNz");

  auto with_userinfo = "http://ops:pa%3Ass@127.0.0.1:" + std::to_string(server.port());
  auto src = make_source(
      f.ctx, prom_json(with_userinfo, "up", R"(, "headers": {"X-Scope-OrgID": "team-a"})"));
  auto out = fetch(f.io, *src);
  REQUIRE(out.sample);
  CHECK(out.sample->timestamp == 1700000000.5);
  CHECK(last().header("Authorization") == "Basic b3BzOnBhOnNz");
  CHECK(last().header("X-Scope-OrgID") == "team-a");
}

TEST_CASE("prometheus source: refused, timeout, non-JSON and error statuses") {
  Fixture f;
  auto port = free_port();
  CHECK(f.value(prom_json("http://127.0.0.1:" + std::to_string(port), "up")) ==
        "ERROR: prometheus http://127.0.0.1:" + std::to_string(port) +
            "/: connect 127.0.0.1:" + std::to_string(port) + ": connection refused");

  LoopbackServer hang([](const RawRequest&) {
    ScriptedReply r;
    r.hang = true;
    return r;
  });
  CHECK(contains(f.value(prom_json("http://127.0.0.1:" + std::to_string(hang.port()), "up"), 0.3),
                 "timeout after 300ms"));

  LoopbackServer odd([](const RawRequest& r) {
    if (r.target.find("query=a") != std::string::npos)
      return ScriptedReply{http_response(503, "<html>Service Unavailable</html>")};
    if (r.target.find("query=b") != std::string::npos)
      return ScriptedReply{http_response(
          422, R"({"status":"error","errorType":"execution","error":"too many samples"})")};
    if (r.target.find("query=c") != std::string::npos) return ScriptedReply{http_response(200, "")};
    return ScriptedReply{http_response(
        200, R"({"status":"success","data":{"resultType":"string","result":[1,"x"]}})")};
  });
  auto url = "http://127.0.0.1:" + std::to_string(odd.port());
  auto where = "ERROR: prometheus " + url + "/: ";
  CHECK(f.value(prom_json(url, "a")) == where + "HTTP 503: <html>Service Unavailable</html>");
  CHECK(f.value(prom_json(url, "b")) == where + "HTTP 422, execution: too many samples");
  CHECK(f.value(prom_json(url, "c")) == where + "response is not JSON (empty body)");
  CHECK(f.value(prom_json(url, "d")) ==
        where +
            "query returned a string; use an expression that returns a scalar or an instant "
            "vector");
}

TEST_CASE("prometheus: parse_instant_query on hostile bodies") {
  using prometheus::parse_instant_query;
  CHECK(parse_instant_query(200, "[1,2]").error == "response is not JSON: [1,2]");
  CHECK(
      parse_instant_query(200, R"({"status":"success"})").error.rfind("response has no data", 0) ==
      0);
  CHECK(parse_instant_query(
            200,
            R"({"status":"success","data":{"resultType":"vector","result":[{"value":[1,"abc"]}]}})")
            .error == "sample value \"abc\" is not a number");
  CHECK(parse_instant_query(
            200, R"({"status":"success","data":{"resultType":"vector","result":[{"value":[1]}]}})")
            .error == "malformed sample [1]");
  CHECK(
      parse_instant_query(
          200,
          R"({"status":"success","data":{"resultType":"vector","result":[{"value":[1,"-Inf"]}]}})")
          .error == "query returned -Inf");
  auto ok = parse_instant_query(
      200,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"1e3"]}]}})");
  CHECK(ok.error == "");
  CHECK(*ok.value == 1000);
  auto empty = parse_instant_query(
      200, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  CHECK(empty.error == "");
  CHECK(!empty.value);
}

TEST_CASE("prometheus source: option errors") {
  Fixture f;
  auto error_of = [&](const std::string& json) {
    try {
      make_source(f.ctx, json);
    } catch (const adapters::OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of(R"({"source":"prometheus","url":"http://x"})") ==
        "prometheus: key 'query': required");
  CHECK(error_of(R"({"source":"prometheus","url":"ftp://x","query":"up"})") ==
        "prometheus: key 'url': must be an http:// or https:// URL");
  CHECK(
      error_of(
          R"({"source":"prometheus","url":"http://x","query":"up","bearer_token":"t","username":"u"})") ==
      "prometheus: key 'bearer_token': give either a bearer token or basic auth, not both");
  CHECK(error_of(R"({"source":"prometheus","url":"http://x","query":"up","password":"p"})") ==
        "prometheus: key 'password': a password needs a username");
  CHECK(contains(
      error_of(
          R"({"source":"prometheus","url":"https://x","query":"up","ca_file":"/nonexistent/ca.pem"})"),
      "prometheus: key 'ca_file': TLS: cannot read ca_file /nonexistent/ca.pem"));
}

TEST_CASE("prometheus api: status_error reads the error envelope of any call") {
  using prometheus::status_error;
  CHECK(status_error(200, "anything") == "");
  CHECK(status_error(204, "") == "");
  CHECK(status_error(400, R"({"status":"error","errorType":"bad_data","error":"parse error"})") ==
        "HTTP 400, bad_data: parse error");
  CHECK(status_error(503, R"({"status":"error","errorType":"timeout"})") ==
        "HTTP 503, timeout: {\"status\":\"error\",\"errorType\":\"timeout\"}");
  CHECK(status_error(502, "<html>Bad Gateway</html>") == "HTTP 502: <html>Bad Gateway</html>");
  CHECK(status_error(502, "") == "HTTP 502 (empty body)");
  CHECK(status_error(422, R"({"status":"error","errorType":5})") ==
        "HTTP 422: {\"status\":\"error\",\"errorType\":5}");
}

TEST_CASE("prometheus api: a range pull goes in chunks, joins series by labels, keeps gaps") {
  // Chunk 1 has series a; chunk 2 matches nothing; chunk 3 has a and b.
  RecordingServer server([](const RawRequest& r) {
    const std::string start = net::parse_query(r.body).at(1).second;
    std::string result = "[]";
    if (start == "0")
      result = R"([{"metric":{"q":"a"},"values":[[0,"1"],[10,"2"]]}])";
    else if (start == "20002")
      result = R"([{"metric":{"q":"b"},"values":[[20002,"7"]]},)"
               R"({"metric":{"q":"a"},"values":[[25000,"3"]]}])";
    return http_response(
        200, R"({"status":"success","data":{"resultType":"matrix","result":)" + result + "}}");
  });
  Value options = Value::object();
  options.set("url", Value("http://ops:pw@127.0.0.1:" + std::to_string(server.port()) + "/prom"));
  const auto endpoint =
      prometheus::server_from_options(adapters::Options(options, "prometheus", ""));
  // Steps of 1 s: 10,000 of them per request, so [0, 25000] takes three.
  std::vector<double> chunk_ends;
  const auto series = prometheus::pull_range(
      endpoint, prometheus::RangeQuery{"up == 1", 0, 25000, 1}, std::chrono::seconds(5),
      "prometheus query up", [&](double end, std::size_t) { chunk_ends.push_back(end); });
  REQUIRE(series.size() == 2);
  CHECK(series[0].labels.at(0).second == "a");
  CHECK(series[0].samples.size() == 3);
  CHECK(series[0].samples.back().first == 25000);
  CHECK(series[1].labels.at(0).second == "b");
  CHECK(chunk_ends == std::vector<double>{10000, 20001, 25000});
  const auto seen = server.seen();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/prom/api/v1/query_range");
  CHECK(seen[0].header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(seen[0].header("Authorization") == "Basic b3BzOnB3");
  CHECK(seen[0].body == "query=up%20%3D%3D%201&start=0&end=10000&step=1&timeout=4500ms");
  CHECK(seen[1].body.find("&start=10001&end=20001&") != std::string::npos);
}

TEST_CASE("prometheus api: a range pull reports the server's error with the chunk's range") {
  LoopbackServer server([](const RawRequest&) {
    return ScriptedReply{http_response(
        422, R"({"status":"error","errorType":"execution","error":"too many samples"})")};
  });
  Value options = Value::object();
  options.set("url", Value("http://127.0.0.1:" + std::to_string(server.port())));
  const auto endpoint =
      prometheus::server_from_options(adapters::Options(options, "prometheus", ""));
  CHECK_THROWS_WITH_AS(
      prometheus::pull_range(endpoint, prometheus::RangeQuery{"x", 60, 120, 15},
                             std::chrono::seconds(5), "prometheus query x", nullptr),
      "prometheus query x [1970-01-01T00:01:00Z, 1970-01-01T00:02:00Z]: HTTP 422, execution: too "
      "many samples",
      std::runtime_error);
}
