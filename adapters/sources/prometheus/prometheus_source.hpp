// adapters/sources/prometheus/prometheus_source.hpp — the "prometheus" signal source: an instant
// query (GET /api/v1/query) whose result must be one number: a scalar or a one-sample vector.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/adapter.hpp"

namespace luascale::prometheus {

// {"source": "prometheus", "url": "http://prometheus:9090", "query": "sum(rate(x[1m]))", ...}
SourceFactory prometheus_source_factory();

struct QueryResult {
  std::optional<double> value;  // finite; empty on error or an empty result
  double timestamp = 0;         // unix seconds of the sample
  std::size_t series = 0;       // how many series the result held (vector results)
  std::string error;            // "" unless the response is unusable
};

// Reads an /api/v1/query response. An empty vector gives neither value nor error; several
// series, NaN, ±Inf, a matrix or string result, an error status or a non-JSON body give an error.
QueryResult parse_instant_query(int http_status, std::string_view body);

}  // namespace luascale::prometheus
