// tests/unit/unit-aws-sources.cpp — the "cloudwatch" and "sqs" sources against the AWS test
// server (tests/aws_asg_server, which checks every signature with npm aws4 and that its scope
// names the service): values and sample times, extended statistics, metric math, pagination,
// endpoint variables, and every failure a clear error: AccessDenied, Throttling (retried), a
// missing queue, an empty metric, a slow answer, a wrong secret. Also the pure parsers.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <boost/asio/io_context.hpp>

#include <cmath>
#include <map>
#include <memory>

#include "adapter_helpers.hpp"
#include "adapters/common/http_support.hpp"
#include "adapters/net/aws/aws_json.hpp"
#include "adapters/net/aws/service_client.hpp"
#include "adapters/sources/cloudwatch/cloudwatch_api.hpp"
#include "adapters/sources/sqs/sqs_api.hpp"
#include "aws_test_server.hpp"
#include "fixtures.hpp"

namespace {

using namespace luascale;
using luascale::test::AwsTestServer;

constexpr const char* kKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The test server with the test keys registered; the process environment holds the keys (each
// test case runs in a process of its own) and no endpoint variable unless a case sets one.
struct Harness {
  AwsTestServer server;
  boost::asio::io_context io;
  AdapterContext ctx{io, "."};

  Harness() {
    server.control("credentials", std::string(R"([{"access_key_id": ")") + kKeyId +
                                      R"(", "secret_access_key": ")" + kSecret + R"("}])");
    setenv("AWS_ACCESS_KEY_ID", kKeyId, 1);
    setenv("AWS_SECRET_ACCESS_KEY", kSecret, 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");
    for (const char* v :
         {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_CLOUDWATCH"})
      unsetenv(v);
  }

  // A source from its options (JSON text without "source"), with the test endpoint unless the
  // options say otherwise.
  std::unique_ptr<Source> source(const std::string& kind, const std::string& options,
                                 double timeout = 5, bool endpoint = true) {
    std::string json = R"({"source": ")" + kind + R"(", "region": "us-east-1", )";
    if (endpoint) json += R"("endpoint": ")" + server.url() + R"(", )";
    json += R"("retry_backoff": "10ms", )" + options + "}";
    return luascale::test::make_source(ctx, json, timeout);
  }

  SampleOutcome fetch(Source& s) { return luascale::test::fetch(io, s); }

  void faults(const std::string& json) { server.control("faults", json); }
};

const char* const kCpuMetric = R"([{"namespace": "AWS/EC2", "metric_name": "CPUUtilization",
    "dimensions": {"AutoScalingGroupName": "media"},
    "points": [[-300, 40], [-240, 55], [-180, 62.5]]}])";

const char* const kCpuOptions =
    R"("namespace": "AWS/EC2", "metric_name": "CPUUtilization",
       "dimensions": {"AutoScalingGroupName": "media"}, "statistic": "Average", "period": "1m")";

}  // namespace

TEST_CASE("cloudwatch: the newest datapoint, stamped with its own time") {
  Harness h;
  h.server.control("metrics", kCpuMetric);
  auto src = h.source("cloudwatch", kCpuOptions);
  const double before = adapters::unix_now();
  auto out = h.fetch(*src);
  REQUIRE_MESSAGE(out.sample, out.error);
  CHECK(out.sample->value.as_number() == 62.5);
  CHECK(std::fabs(out.sample->timestamp - (before - 180)) < 3);
  // The wrong dimension finds no series: an error, unless empty_value is set.
  auto other = h.source("cloudwatch", R"("namespace": "AWS/EC2", "metric_name": "CPUUtilization",
                                        "dimensions": {"AutoScalingGroupName": "other"})");
  out = h.fetch(*other);
  CHECK_FALSE(out.sample);
  CHECK(contains(out.error, "no datapoints for \"m1\" in the last 300s"));
  CHECK(contains(out.error, "cloudwatch AWS/EC2 CPUUtilization"));
  auto empty = h.source("cloudwatch", R"("namespace": "AWS/EC2", "metric_name": "Nothing",
                                        "empty_value": 0)");
  out = h.fetch(*empty);
  REQUIRE(out.sample);
  CHECK(out.sample->value.as_number() == 0);
  // A lookback shorter than the data's age sees nothing.
  auto short_look = h.source("cloudwatch", std::string(kCpuOptions) + R"(, "lookback": "1m")");
  CHECK(contains(h.fetch(*short_look).error, "no datapoints"));
  CHECK(h.server.state().find("signature_failures")->as_int() == 0);
}

TEST_CASE("cloudwatch: extended statistics and metric math over several queries") {
  Harness h;
  h.server.control("metrics", R"([
    {"namespace": "Media", "metric_name": "Requests", "points": [[-120, 200], [-60, 400]]},
    {"namespace": "Media", "metric_name": "Errors", "points": [[-120, 2], [-60, 10]]}])");
  auto p90 = h.source("cloudwatch", R"("namespace": "Media", "metric_name": "Requests",
                                      "statistic": "p90")");
  auto out = h.fetch(*p90);
  REQUIRE_MESSAGE(out.sample, out.error);
  CHECK(out.sample->value.as_number() == 400);
  auto math = h.source("cloudwatch", R"("queries": [
      {"id": "req", "namespace": "Media", "metric_name": "Requests", "statistic": "Sum"},
      {"id": "err", "namespace": "Media", "metric_name": "Errors", "statistic": "Sum"},
      {"id": "rate", "expression": "100 * err / req"}])");
  out = h.fetch(*math);
  REQUIRE_MESSAGE(out.sample, out.error);
  CHECK(out.sample->value.as_number() == doctest::Approx(2.5));
  // Only the result comes back (ReturnData false for the inputs).
  CHECK_THROWS_WITH(h.source("cloudwatch", R"("queries": [{"id": "Bad", "expression": "1"}])"),
                    doctest::Contains("must start with a lowercase letter"));
  CHECK_THROWS_WITH(h.source("cloudwatch", R"("queries": [{"id": "a", "expresion": "1"}])"),
                    doctest::Contains("unknown key \"expresion\" in a query"));
  CHECK_THROWS_WITH(h.source("cloudwatch", R"("namespace": "A", "metric_name": "B",
                                             "statistic": "Median")"),
                    doctest::Contains("statistic"));
  CHECK_THROWS_WITH(h.source("cloudwatch", R"("namespace": "A", "metric_name": "B",
                                             "period": "45s")"),
                    doctest::Contains("whole number of minutes"));
}

TEST_CASE("cloudwatch: GetMetricData pages are followed through NextToken") {
  Harness h;
  h.server.control("metrics", R"([{"namespace": "Media", "metric_name": "Backlog",
      "points": [[-300, 1], [-240, 2], [-180, 3], [-120, 4], [-60, 5]]}])");
  h.server.control("metric_page_size", R"({"n": 2})");
  aws::ServiceSettings settings;
  settings.region = "us-east-1";
  settings.endpoint = h.server.url();
  std::string error;
  auto client = aws::make_service_client(
      h.io, adapters::shared_http_client(h.io, {}),
      {"CloudWatch", "monitoring", "monitoring", "2010-08-01", ""}, settings, &error);
  REQUIRE_MESSAGE(client, error);
  cloudwatch::MetricQuery q;
  q.id = "b";
  q.namespace_ = "Media";
  q.metric_name = "Backlog";
  const double now = adapters::unix_now();
  std::optional<cloudwatch::MetricDataOutcome> result;
  cloudwatch::get_metric_data(client, {q}, now - 600, now, 10, nullptr,
                              [&](cloudwatch::MetricDataOutcome o) { result = std::move(o); });
  luascale::test::run_until(h.io, [&] { return result.has_value(); });
  REQUIRE_MESSAGE(result->query.ok(), result->query.error);
  CHECK(result->pages == 3);
  REQUIRE(result->series.size() == 1);
  REQUIRE(result->series[0].points.size() == 5);
  CHECK(result->series[0].points.front().second == 5);  // newest first
  CHECK(result->series[0].points.back().second == 1);
  // Too many pages is an error, not a silent truncation.
  result.reset();
  cloudwatch::get_metric_data(client, {q}, now - 600, now, 2, nullptr,
                              [&](cloudwatch::MetricDataOutcome o) { result = std::move(o); });
  luascale::test::run_until(h.io, [&] { return result.has_value(); });
  CHECK(contains(result->query.error, "more than 2 pages"));
  // The source stops at the first page that holds its value.
  auto src = h.source("cloudwatch", R"("namespace": "Media", "metric_name": "Backlog")");
  const auto calls = h.server.state().find("metric_calls")->find("GetMetricData")->as_int();
  auto out = h.fetch(*src);
  REQUIRE_MESSAGE(out.sample, out.error);
  CHECK(out.sample->value.as_number() == 5);
  CHECK(h.server.state().find("metric_calls")->find("GetMetricData")->as_int() == calls + 1);
}

TEST_CASE("cloudwatch: AccessDenied, Throttling, a slow answer and a wrong secret") {
  Harness h;
  h.server.control("metrics", kCpuMetric);
  auto src = h.source("cloudwatch", kCpuOptions, 1);
  h.faults(R"([{"action": "GetMetricData", "kind": "accessdenied"}])");
  auto out = h.fetch(*src);
  CHECK_FALSE(out.sample);
  CHECK(contains(out.error,
                 "AccessDenied: User: arn:aws:iam::123456789012:user/luascale is not "
                 "authorized to perform: cloudwatch:GetMetricData (HTTP 403"));
  CHECK_FALSE(contains(out.error, "attempts"));  // not retried
  h.faults(R"([{"action": "GetMetricData", "kind": "throttle", "count": 2}])");
  out = h.fetch(*src);  // two throttles, then the answer, within 3 attempts
  REQUIRE_MESSAGE(out.sample, out.error);
  CHECK(out.sample->value.as_number() == 62.5);
  h.faults(R"([{"action": "GetMetricData", "kind": "throttle", "count": 5}])");
  out = h.fetch(*src);
  CHECK(contains(out.error, "Throttling: Rate exceeded (HTTP 400"));
  CHECK(contains(out.error, "after 3 attempts"));
  h.server.control("faults", "[]");
  h.faults(R"([{"action": "GetMetricData", "kind": "slow", "delay_ms": 3000, "count": 3}])");
  out = h.fetch(*src);
  CHECK(contains(out.error, "timeout after 1s"));
  setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
  auto wrong = h.source("cloudwatch", kCpuOptions);
  out = h.fetch(*wrong);
  CHECK(contains(out.error, "SignatureDoesNotMatch"));
  CHECK_FALSE(contains(out.error, "not-the-secret"));
}

TEST_CASE("sqs: queue counts over AWS JSON 1.0, by URL or by name and account") {
  Harness h;
  h.server.control("queues", R"([{"account": "123456789012", "name": "media-jobs", "attributes":
      {"ApproximateNumberOfMessages": 120, "ApproximateNumberOfMessagesNotVisible": 30,
       "ApproximateNumberOfMessagesDelayed": 5}}])");
  const std::string url = h.server.url() + "/123456789012/media-jobs";
  auto one = h.source("sqs", R"("queue_url": ")" + url + "\"");
  auto out = h.fetch(*one);
  REQUIRE_MESSAGE(out.sample, out.error);
  CHECK(out.sample->value.as_number() == 120);
  CHECK(std::fabs(out.sample->timestamp - adapters::unix_now()) < 5);
  auto sum = h.source("sqs", R"("queue": "media-jobs", "account": "123456789012",
      "attributes": ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                     "ApproximateNumberOfMessagesDelayed"])");
  out = h.fetch(*sum);
  REQUIRE_MESSAGE(out.sample, out.error);
  CHECK(out.sample->value.as_number() == 155);
  // The endpoint from AWS_ENDPOINT_URL_SQS, then AWS_ENDPOINT_URL.
  setenv("AWS_ENDPOINT_URL_SQS", h.server.url().c_str(), 1);
  auto by_env = h.source("sqs", R"("queue": "media-jobs", "account": "123456789012")", 5, false);
  out = h.fetch(*by_env);
  REQUIRE_MESSAGE(out.sample, out.error);
  CHECK(out.sample->value.as_number() == 120);
  unsetenv("AWS_ENDPOINT_URL_SQS");
  setenv("AWS_ENDPOINT_URL", h.server.url().c_str(), 1);
  auto by_global = h.source("sqs", R"("queue": "media-jobs", "account": "123456789012")", 5, false);
  CHECK(h.fetch(*by_global).sample);
  CHECK(h.server.state().find("signature_failures")->as_int() == 0);
  CHECK_THROWS_WITH(h.source("sqs", R"("queue": "q")"), doctest::Contains("account"));
  CHECK_THROWS_WITH(h.source("sqs", R"("queue_url": "x", "attributes": ["VisibilityTimeout"])"),
                    doctest::Contains("is not one of ApproximateNumberOfMessages"));
}

TEST_CASE("sqs: a missing queue, AccessDenied, Throttling and a slow answer") {
  Harness h;
  h.server.control("queues", R"([{"account": "123456789012", "name": "jobs",
                                  "attributes": {"ApproximateNumberOfMessages": 7}}])");
  auto missing = h.source("sqs", R"("queue": "gone", "account": "123456789012")");
  auto out = h.fetch(*missing);
  CHECK_FALSE(out.sample);
  CHECK(contains(out.error,
                 "sqs gone: QueueDoesNotExist: The specified queue does not exist. "
                 "(HTTP 400)"));
  auto src = h.source("sqs", R"("queue": "jobs", "account": "123456789012")", 1);
  h.faults(R"([{"action": "GetQueueAttributes", "kind": "accessdenied"}])");
  out = h.fetch(*src);
  CHECK(contains(out.error,
                 "AccessDeniedException: User: arn:aws:iam::123456789012:user/"
                 "luascale is not authorized to perform: sqs:getqueueattributes (HTTP "
                 "403)"));
  h.faults(R"([{"action": "GetQueueAttributes", "kind": "throttle", "count": 1}])");
  out = h.fetch(*src);
  REQUIRE_MESSAGE(out.sample, out.error);
  CHECK(out.sample->value.as_number() == 7);
  h.faults(R"([{"action": "GetQueueAttributes", "kind": "throttle", "count": 3}])");
  out = h.fetch(*src);
  CHECK(contains(out.error, "ThrottlingException: Rate exceeded (HTTP 400) after 3 attempts"));
  h.faults(R"([{"action": "GetQueueAttributes", "kind": "slow", "delay_ms": 3000, "count": 3}])");
  out = h.fetch(*src);
  CHECK(contains(out.error, "timeout after 1s"));
}

TEST_CASE("parsers: GetMetricData XML, GetQueueAttributes JSON, JSON errors, queue URLs") {
  std::vector<cloudwatch::MetricSeries> series;
  std::string next, error;
  const char* ok =
      R"(<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
    <GetMetricDataResult><MetricDataResults><member><Id>m1</Id><Label>CPU</Label>
    <StatusCode>PartialData</StatusCode>
    <Timestamps><member>2026-01-01T00:01:00Z</member><member>2026-01-01T00:00:00Z</member></Timestamps>
    <Values><member>12.5</member><member>1e2</member></Values></member></MetricDataResults>
    <NextToken>tok</NextToken></GetMetricDataResult></GetMetricDataResponse>)";
  REQUIRE(cloudwatch::parse_get_metric_data(ok, &series, &next, &error));
  CHECK(next == "tok");
  REQUIRE(series.size() == 1);
  CHECK(series[0].status == "PartialData");
  CHECK(series[0].points[0] == std::make_pair(1767225660.0, 12.5));
  CHECK(series[0].points[1].second == 100);
  CHECK_FALSE(cloudwatch::parse_get_metric_data(
      "<GetMetricDataResponse><GetMetricDataResult><MetricDataResults><member><Id>a</Id>"
      "<Timestamps><member>2026-01-01T00:00:00Z</member></Timestamps><Values/></member>"
      "</MetricDataResults></GetMetricDataResult></GetMetricDataResponse>",
      &series, &next, &error));
  CHECK(contains(error, "has 1 timestamps but 0 values"));
  CHECK_FALSE(cloudwatch::parse_get_metric_data("<Other/>", &series, &next, &error));
  CHECK_FALSE(cloudwatch::parse_get_metric_data("not xml <", &series, &next, &error));
  const auto params = cloudwatch::get_metric_data_params({cloudwatch::MetricQuery{}}, 0, 60, "");
  CHECK(std::find(params.begin(), params.end(),
                  std::make_pair(std::string("ScanBy"), std::string("TimestampDescending"))) !=
        params.end());

  std::map<std::string, double> counts;
  REQUIRE(sqs::parse_queue_attributes(
      R"({"Attributes":{"ApproximateNumberOfMessages":"12","QueueArn":"arn:aws:sqs:x"}})", &counts,
      &error));
  CHECK(counts.at("ApproximateNumberOfMessages") == 12);
  CHECK_FALSE(counts.count("QueueArn"));
  CHECK_FALSE(sqs::parse_queue_attributes("[1]", &counts, &error));
  CHECK_FALSE(sqs::parse_queue_attributes("{\"Attributes\": 3}", &counts, &error));
  CHECK(sqs::get_queue_attributes_body("u", {"A"}) == R"({"AttributeNames":["A"],"QueueUrl":"u"})");

  auto e = aws::parse_json_error(
      R"({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "gone"})",
      "AWS.SimpleQueueService.NonExistentQueue;Sender");
  REQUIRE(e);
  CHECK(e->code == "QueueDoesNotExist");
  CHECK(e->query_code == "AWS.SimpleQueueService.NonExistentQueue");
  CHECK(e->type == "Sender");
  CHECK(e->message == "gone");
  CHECK_FALSE(aws::parse_json_error("<html>", ""));

  CHECK(sqs::region_of_queue_url("https://sqs.eu-west-1.amazonaws.com/1/q") == "eu-west-1");
  CHECK(sqs::region_of_queue_url("https://us-east-2.queue.amazonaws.com/1/q") == "us-east-2");
  CHECK(sqs::region_of_queue_url("http://127.0.0.1:4566/1/q") == "");
}
