// adapters/sources/cloudwatch/cloudwatch_source.hpp — the "cloudwatch" signal source: the newest
// datapoint of one CloudWatch metric (namespace, name, dimensions, statistic or extended
// statistic such as p90, period) or of a metric-math expression over several queries, read
// with GetMetricData over a lookback window. The datapoint's own timestamp is the sample time.
#pragma once

#include <vector>

#include "adapters/sources/cloudwatch/cloudwatch_api.hpp"
#include "engine/adapter.hpp"

namespace luascale::adapters {
class Options;
}

namespace luascale::cloudwatch {

// {"source": "cloudwatch", "namespace": "AWS/EC2", "metric_name": "CPUUtilization",
//  "dimensions": {"AutoScalingGroupName": "media"}, "statistic": "Average", "period": "1m"}
SourceFactory cloudwatch_source_factory();

// The queries a source's (or `replay --cloudwatch`'s) options describe, the returned one last
// marked return_data; *result_id names the query whose series is the value. Throws
// adapters::OptionError naming the key at fault.
std::vector<MetricQuery> queries_from_options(const adapters::Options& options,
                                              std::string* result_id);

}  // namespace luascale::cloudwatch
