// adapters/sources/prometheus/prometheus_source.hpp — the "prometheus" signal source: an instant
// query (through prometheus_api.hpp) whose result must be one number: a scalar or a one-sample
// vector.
#pragma once

#include "engine/adapter.hpp"

namespace luascale::prometheus {

// {"source": "prometheus", "url": "http://prometheus:9090", "query": "sum(rate(x[1m]))", ...}
SourceFactory prometheus_source_factory();

}  // namespace luascale::prometheus
