// adapters/sources/cloudwatch/cloudwatch_api.hpp — CloudWatch GetMetricData (Query protocol,
// Version 2010-08-01): the queries as typed data, the request parameters, a parser of the XML
// answer with explicit limits (fuzzed), and a call that follows NextToken through the pages.
// Used by the `cloudwatch` source and by `replay --cloudwatch`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/net/aws/query_client.hpp"

namespace luascale::cloudwatch {

// One MetricDataQuery: a metric statistic, or a metric-math expression over other queries' ids.
struct MetricQuery {
  std::string id;  // [a-z][a-zA-Z0-9_]*, unique in a request
  // A metric (when expression is empty):
  std::string namespace_;                                       // "AWS/EC2"
  std::string metric_name;                                      // "CPUUtilization"
  std::vector<std::pair<std::string, std::string>> dimensions;  // (Name, Value), at most 30
  std::string statistic = "Average";  // Average|Sum|Minimum|Maximum|SampleCount or p90, tm99...
  std::int64_t period_seconds = 60;   // > 0; 1, 5, 10, 30 or a multiple of 60
  std::string unit;                   // "" = any
  // Or metric math over the other queries ("m1 + m2", "100 * errors / requests"):
  std::string expression;
  bool return_data = true;  // only returned queries come back
};

// The time series one query returned, newest first as requested (ScanBy TimestampDescending).
struct MetricSeries {
  std::string id;
  std::string label;
  std::string status;  // Complete | PartialData | InternalError | Forbidden
  std::vector<std::pair<double, double>> points;  // (unix seconds, value)
};

// Query-protocol parameters of one GetMetricData page (Action and Version excluded). start and
// end are unix seconds; next_token "" for the first page.
aws::ParamList get_metric_data_params(const std::vector<MetricQuery>& queries, double start,
                                      double end, const std::string& next_token);

// Limits of one parsed answer: a page of at most 500 series and 100,800 points (the service's
// own limits), bytes as the HTTP client caps them.
constexpr std::size_t kMaxSeries = 500;
constexpr std::size_t kMaxPoints = 100800;

// Parses a GetMetricDataResponse; appends each result to *series (merging by id when the page
// continues a series) and sets *next_token ("" on the last page). false + *error when the body
// is not such an answer, a timestamp or value does not parse, the Timestamps and Values lists
// differ in length, or a limit is passed. Never throws.
bool parse_get_metric_data(std::string_view body, std::vector<MetricSeries>* series,
                           std::string* next_token, std::string* error);

struct MetricDataOutcome {
  std::vector<MetricSeries> series;
  aws::QueryOutcome query;  // the last call's outcome; query.error also set on a parse error
  int pages = 0;
};

// GetMetricData over [start, end], following NextToken for at most max_pages pages (an answer
// with more is an error). `stop_when` (optional) ends the paging early once it returns true for
// the series so far. done runs exactly once on the client's io_context.
void get_metric_data(std::shared_ptr<aws::QueryClient> client, std::vector<MetricQuery> queries,
                     double start, double end, int max_pages,
                     std::function<bool(const std::vector<MetricSeries>&)> stop_when,
                     std::function<void(MetricDataOutcome)> done);

}  // namespace luascale::cloudwatch
