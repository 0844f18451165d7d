// adapters/sources/cloudwatch/cloudwatch_api.cpp — the GetMetricData call that follows NextToken
// (see cloudwatch_api.hpp; the request parameters and the parser are in cloudwatch_parse.cpp).
#include "adapters/sources/cloudwatch/cloudwatch_api.hpp"

#include <algorithm>

namespace luascale::cloudwatch {

namespace {

struct Paging : std::enable_shared_from_this<Paging> {
  std::shared_ptr<aws::QueryClient> client;
  std::vector<MetricQuery> queries;
  double start = 0, end = 0;
  int max_pages = 1;
  std::function<bool(const std::vector<MetricSeries>&)> stop_when;
  std::function<void(MetricDataOutcome)> done;
  MetricDataOutcome out;

  void page(const std::string& token) {
    auto self = shared_from_this();
    client->call(
        "GetMetricData", get_metric_data_params(queries, start, end, token),
        [self](aws::QueryOutcome q) {
          self->out.query = std::move(q);
          if (!self->out.query.ok()) return self->finish();
          ++self->out.pages;
          std::string next, error;
          if (!parse_get_metric_data(self->out.query.body, &self->out.series, &next, &error)) {
            self->out.query.error = error;
            return self->finish();
          }
          self->out.query.body.clear();
          if (next.empty() || (self->stop_when && self->stop_when(self->out.series)))
            return self->finish();
          if (self->out.pages >= self->max_pages) {
            self->out.query.error = "GetMetricData: more than " + std::to_string(self->max_pages) +
                                    " pages (narrow the range or the queries)";
            return self->finish();
          }
          self->page(next);
        });
  }
  void finish() { done(std::move(out)); }
};

}  // namespace

void get_metric_data(std::shared_ptr<aws::QueryClient> client, std::vector<MetricQuery> queries,
                     double start, double end, int max_pages,
                     std::function<bool(const std::vector<MetricSeries>&)> stop_when,
                     std::function<void(MetricDataOutcome)> done) {
  auto p = std::make_shared<Paging>();
  p->client = std::move(client);
  p->queries = std::move(queries);
  p->start = start;
  p->end = end;
  p->max_pages = std::max(1, max_pages);
  p->stop_when = std::move(stop_when);
  p->done = std::move(done);
  p->page("");
}

}  // namespace luascale::cloudwatch
