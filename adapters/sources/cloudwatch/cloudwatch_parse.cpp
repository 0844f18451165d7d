// adapters/sources/cloudwatch/cloudwatch_parse.cpp — the pure half of cloudwatch_api.hpp: the
// GetMetricData request parameters and the parser of its answer (no I/O; fuzzed).
#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "adapters/net/aws/aws_xml.hpp"
#include "adapters/sources/cloudwatch/cloudwatch_api.hpp"
#include "common/time/timestamp_text.hpp"

namespace luascale::cloudwatch {

namespace {

std::string iso_time(double unix_seconds) {
  UnixTime t;
  t.seconds = static_cast<std::int64_t>(std::floor(unix_seconds));
  return format_timestamp_text(t, TimestampSyntax::Rfc3339);
}

bool parse_double(const std::string& text, double* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto r = std::from_chars(text.data(), end, *out);
  return r.ec == std::errc() && r.ptr == end && std::isfinite(*out);
}

}  // namespace

aws::ParamList get_metric_data_params(const std::vector<MetricQuery>& queries, double start,
                                      double end, const std::string& next_token) {
  aws::ParamList p;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const MetricQuery& q = queries[i];
    const std::string m = "MetricDataQueries.member." + std::to_string(i + 1) + ".";
    p.emplace_back(m + "Id", q.id);
    if (!q.expression.empty()) {
      p.emplace_back(m + "Expression", q.expression);
    } else {
      const std::string ms = m + "MetricStat.";
      p.emplace_back(ms + "Metric.Namespace", q.namespace_);
      p.emplace_back(ms + "Metric.MetricName", q.metric_name);
      for (std::size_t d = 0; d < q.dimensions.size(); ++d) {
        const std::string dm = ms + "Metric.Dimensions.member." + std::to_string(d + 1) + ".";
        p.emplace_back(dm + "Name", q.dimensions[d].first);
        p.emplace_back(dm + "Value", q.dimensions[d].second);
      }
      p.emplace_back(ms + "Period", std::to_string(q.period_seconds));
      p.emplace_back(ms + "Stat", q.statistic);
      if (!q.unit.empty()) p.emplace_back(ms + "Unit", q.unit);
    }
    p.emplace_back(m + "ReturnData", q.return_data ? "true" : "false");
  }
  p.emplace_back("StartTime", iso_time(start));
  p.emplace_back("EndTime", iso_time(end));
  p.emplace_back("ScanBy", "TimestampDescending");
  if (!next_token.empty()) p.emplace_back("NextToken", next_token);
  return p;
}

bool parse_get_metric_data(std::string_view body, std::vector<MetricSeries>* series,
                           std::string* next_token, std::string* error) {
  next_token->clear();
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) {
    *error = "GetMetricData: the answer is not XML";
    return false;
  }
  const pugi::xml_node root = doc.document_element();
  if (aws::local_name(root) != "GetMetricDataResponse") {
    *error = "GetMetricData: expected a GetMetricDataResponse, found <" +
             std::string(aws::local_name(root)) + ">";
    return false;
  }
  const pugi::xml_node result = aws::child(root, "GetMetricDataResult");
  if (!result) {
    *error = "GetMetricData: no GetMetricDataResult";
    return false;
  }
  std::size_t points = 0;
  for (const auto& s : *series) points += s.points.size();
  for (const pugi::xml_node& m : aws::children(aws::child(result, "MetricDataResults"), "member")) {
    const std::string id = aws::text_at(m, "Id");
    MetricSeries* target = nullptr;
    for (auto& s : *series)
      if (s.id == id) target = &s;
    if (!target) {
      if (series->size() >= kMaxSeries) {
        *error = "GetMetricData: more than 500 results";
        return false;
      }
      series->push_back(MetricSeries{id, aws::text_at(m, "Label"), "", {}});
      target = &series->back();
    }
    target->status = aws::text_at(m, "StatusCode");
    const auto times = aws::children(aws::child(m, "Timestamps"), "member");
    const auto values = aws::children(aws::child(m, "Values"), "member");
    if (times.size() != values.size()) {
      *error = "GetMetricData: result \"" + id + "\" has " + std::to_string(times.size()) +
               " timestamps but " + std::to_string(values.size()) + " values";
      return false;
    }
    points += times.size();
    if (points > kMaxPoints) {
      *error = "GetMetricData: more than 100800 points";
      return false;
    }
    for (std::size_t i = 0; i < times.size(); ++i) {
      const std::string ts = times[i].child_value();
      const auto t = parse_timestamp_text(ts, TimestampSyntax::Rfc3339);
      if (!t) {
        *error =
            "GetMetricData: result \"" + id + "\": not a timestamp: \"" + ts.substr(0, 40) + "\"";
        return false;
      }
      double v = 0;
      const std::string vs = values[i].child_value();
      if (!parse_double(vs, &v)) {
        *error = "GetMetricData: result \"" + id + "\": not a number: \"" + vs.substr(0, 40) + "\"";
        return false;
      }
      target->points.emplace_back(t->unix_seconds(), v);
    }
  }
  *next_token = aws::text_at(result, "NextToken");
  return true;
}

}  // namespace luascale::cloudwatch
