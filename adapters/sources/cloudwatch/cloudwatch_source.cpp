// adapters/sources/cloudwatch/cloudwatch_source.cpp — the "cloudwatch" source: options, one
// GetMetricData over the lookback per fetch (pages followed until the value is found), the
// newest datapoint as the sample.
#include "adapters/sources/cloudwatch/cloudwatch_source.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "adapters/common/aws_options.hpp"
#include "adapters/common/http_support.hpp"

namespace luascale::cloudwatch {

namespace {

const aws::ServiceId kCloudWatch{"CloudWatch", "monitoring", "monitoring", "2010-08-01", ""};

std::int64_t period_of(const adapters::Options& o, const Value& obj, const char* key) {
  adapters::Options sub(obj, o.adapter(), "");
  const auto p = sub.duration(key);
  if (!p) return 60;
  const auto secs = static_cast<std::int64_t>(std::llround(*p));
  if (secs <= 0 || std::fabs(*p - static_cast<double>(secs)) > 1e-9 ||
      !(secs == 1 || secs == 5 || secs == 10 || secs == 30 || secs % 60 == 0))
    o.fail(key, "must be 1s, 5s, 10s, 30s or a whole number of minutes");
  return secs;
}

// One metric query from an object with namespace/metric_name/dimensions/statistic/period/unit.
MetricQuery metric_query(const adapters::Options& o, const Value& obj, std::string id) {
  adapters::Options sub(obj, o.adapter(), "");
  MetricQuery q;
  q.id = std::move(id);
  q.namespace_ = *sub.string("namespace", true);
  q.metric_name = *sub.string("metric_name", true);
  if (const Value* d = obj.find("dimensions"); d && !d->is_null()) {
    if (!d->is_object()) o.fail("dimensions", "must be an object {\"Name\": \"value\"}");
    for (const auto& [name, value] : d->as_object()) {
      if (!value.is_string()) o.fail("dimensions", "the value of " + name + " must be a string");
      q.dimensions.emplace_back(name, value.as_string());
    }
    if (q.dimensions.size() > 30) o.fail("dimensions", "at most 30");
  }
  q.statistic = sub.string("statistic").value_or("Average");
  static const std::set<std::string> kStats = {"Average", "Sum", "Minimum", "Maximum",
                                               "SampleCount"};
  // Extended statistics: p90, p99.9, tm99, wm98, tc90, ts99, TM(10%:90%), IQM...
  if (!kStats.count(q.statistic) &&
      !(q.statistic.size() > 1 && std::islower(static_cast<unsigned char>(q.statistic[0]))) &&
      q.statistic.find('(') == std::string::npos && q.statistic != "IQM")
    o.fail("statistic",
           "must be Average, Sum, Minimum, Maximum, SampleCount or an extended statistic such "
           "as p90");
  q.period_seconds = period_of(o, obj, "period");
  q.unit = sub.string("unit").value_or("");
  return q;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 255 || !std::islower(static_cast<unsigned char>(id[0])))
    return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

class CloudWatchSource final : public Source {
 public:
  CloudWatchSource(boost::asio::io_context& io, std::shared_ptr<aws::QueryClient> client,
                   std::vector<MetricQuery> queries, std::string result_id, double lookback,
                   std::optional<double> empty_value, std::string what, std::string setup_error)
      : io_(io),
        client_(std::move(client)),
        queries_(std::move(queries)),
        result_id_(std::move(result_id)),
        lookback_(lookback),
        empty_value_(empty_value),
        what_(std::move(what)),
        setup_error_(std::move(setup_error)) {}

  void fetch(std::function<void(SampleOutcome)> done) override {
    if (!setup_error_.empty())
      return adapters::post_setup_error(io_, what_ + ": " + setup_error_, std::move(done));
    const double now = adapters::unix_now();
    const std::string id = result_id_;
    get_metric_data(
        client_, queries_, now - lookback_, now, 10,
        [id](const std::vector<MetricSeries>& s) {
          for (const auto& x : s)
            if (x.id == id && !x.points.empty()) return true;
          return false;
        },
        [what = what_, id, lookback = lookback_, empty = empty_value_,
         done = std::move(done)](MetricDataOutcome r) {
          SampleOutcome out;
          if (!r.query.ok()) {
            out.error = what + ": " + r.query.error;
            return done(std::move(out));
          }
          const MetricSeries* series = nullptr;
          for (const auto& s : r.series)
            if (s.id == id) series = &s;
          if (series && (series->status == "Forbidden" || series->status == "InternalError")) {
            out.error = what + ": query \"" + id + "\": status " + series->status;
            return done(std::move(out));
          }
          if (!series || series->points.empty()) {
            if (empty) {
              out.sample = Sample{adapters::sample_value(*empty), adapters::unix_now()};
            } else {
              out.error = what + ": no datapoints for \"" + id + "\" in the last " +
                          std::to_string(static_cast<long long>(lookback)) + "s";
            }
            return done(std::move(out));
          }
          auto newest = series->points.front();
          for (const auto& p : series->points)
            if (p.first > newest.first) newest = p;
          out.sample = Sample{adapters::sample_value(newest.second), newest.first};
          done(std::move(out));
        });
  }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<aws::QueryClient> client_;
  std::vector<MetricQuery> queries_;
  std::string result_id_;
  double lookback_;
  std::optional<double> empty_value_;
  std::string what_;
  std::string setup_error_;
};

std::unique_ptr<Source> make_cloudwatch_source(AdapterContext& ctx, const SignalSpec& spec) {
  adapters::Options opt(spec.options, "cloudwatch", ctx.config_dir);
  std::string result_id;
  auto queries = queries_from_options(opt, &result_id);
  std::int64_t longest = 60;
  for (const auto& q : queries)
    if (q.expression.empty()) longest = std::max(longest, q.period_seconds);
  const double lookback =
      opt.duration("lookback").value_or(std::max<double>(300, 3.0 * static_cast<double>(longest)));
  if (lookback <= 0) opt.fail("lookback", "must be > 0");
  aws::ServiceSettings settings = adapters::aws_settings(opt, spec.timeout_seconds);
  settings.endpoint = opt.string("endpoint").value_or("");
  std::string error;
  auto client = aws::make_service_client(ctx.io, adapters::shared_http_client(ctx.io, opt.tls()),
                                         kCloudWatch, std::move(settings), &error);
  const MetricQuery& shown = queries.back();
  const std::string what =
      "cloudwatch " + (shown.expression.empty() ? shown.namespace_ + " " + shown.metric_name
                                                : "expression " + shown.expression);
  return std::make_unique<CloudWatchSource>(ctx.io, std::move(client), std::move(queries),
                                            result_id, lookback, opt.number("empty_value"), what,
                                            error);
}

}  // namespace

std::vector<MetricQuery> queries_from_options(const adapters::Options& opt,
                                              std::string* result_id) {
  std::vector<MetricQuery> queries;
  const Value* list = opt.object().find("queries");
  if (list && !list->is_null()) {
    if (opt.object().find("metric_name") || opt.object().find("namespace"))
      opt.fail("queries", "give either queries or namespace/metric_name, not both");
    if (!list->is_array() || list->as_array().empty())
      opt.fail("queries",
               "must be a non-empty list of {id, namespace, metric_name, ...} or "
               "{id, expression}");
    std::set<std::string> ids;
    for (const Value& item : list->as_array()) {
      if (!item.is_object()) opt.fail("queries", "each query must be an object");
      for (const auto& [key, v] : item.as_object()) {
        static const std::set<std::string> kKeys = {"id",         "namespace", "metric_name",
                                                    "dimensions", "statistic", "period",
                                                    "unit",       "expression"};
        if (!kKeys.count(key))
          opt.fail("queries", "unknown key \"" + key +
                                  "\" in a query (id, namespace, metric_name, dimensions, "
                                  "statistic, period, unit, expression)");
      }
      adapters::Options sub(item, opt.adapter(), "");
      const std::string id = sub.string("id").value_or("");
      if (!valid_id(id))
        opt.fail("queries", "id \"" + id +
                                "\" must start with a lowercase letter and hold only letters, "
                                "digits and _");
      if (!ids.insert(id).second) opt.fail("queries", "duplicate id \"" + id + "\"");
      if (const auto e = sub.string("expression")) {
        MetricQuery q;
        q.id = id;
        q.expression = *e;
        if (q.expression.empty()) opt.fail("queries", "empty expression in \"" + id + "\"");
        queries.push_back(std::move(q));
      } else {
        queries.push_back(metric_query(opt, item, id));
      }
    }
    *result_id = opt.string("result").value_or(queries.back().id);
    if (!ids.count(*result_id)) opt.fail("result", "no query has the id \"" + *result_id + "\"");
  } else {
    queries.push_back(metric_query(opt, opt.object(), "m1"));
    *result_id = "m1";
  }
  for (auto& q : queries) q.return_data = q.id == *result_id;
  return queries;
}

SourceFactory cloudwatch_source_factory() {
  return {
      "cloudwatch",
      adapters::concat_keys(
          {
              {"namespace", "string", false, "metric namespace, e.g. AWS/EC2"},
              {"metric_name", "string", false, "metric name, e.g. CPUUtilization"},
              {"dimensions", "object", false, "{\"Name\": \"value\"} dimensions"},
              {"statistic", "string", false,
               "Average (default), Sum, Minimum, Maximum, SampleCount, or p90, tm99..."},
              {"period", "duration", false, "datapoint period (default 1m)"},
              {"unit", "string", false, "unit filter (default any)"},
              {"queries", "array", false,
               "several queries: [{id, namespace, metric_name, ...} | {id, expression}]"},
              {"result", "string", false,
               "the query id whose value is the signal (default "
               "the last)"},
              {"lookback", "duration", false,
               "how far back to look for the newest datapoint (default max(5m, 3 periods))"},
              {"empty_value", "number", false, "value when there is no datapoint (else an error)"},
              {"endpoint", "string", false,
               "endpoint URL; default AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL, regional"},
          },
          adapters::aws_source_keys()),
      &make_cloudwatch_source};
}

}  // namespace luascale::cloudwatch
