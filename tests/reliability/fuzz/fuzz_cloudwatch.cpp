// fuzz target: the CloudWatch GetMetricData answer parser
// (adapters/sources/cloudwatch/cloudwatch_parse.cpp). Contract: within the limits it states,
// every point finite, no series without an id set twice; an error leaves what was parsed before.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "adapters/sources/cloudwatch/cloudwatch_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::vector<luascale::cloudwatch::MetricSeries> series;
  std::string next, error;
  const bool ok = luascale::cloudwatch::parse_get_metric_data(body, &series, &next, &error);
  if (ok != error.empty()) __builtin_trap();
  if (series.size() > luascale::cloudwatch::kMaxSeries) __builtin_trap();
  std::size_t points = 0;
  std::set<std::string> ids;
  for (const auto& s : series) {
    if (!ids.insert(s.id).second) __builtin_trap();
    for (const auto& [t, v] : s.points)
      if (!std::isfinite(t) || !std::isfinite(v)) __builtin_trap();
    points += s.points.size();
  }
  if (points > luascale::cloudwatch::kMaxPoints) __builtin_trap();
  return 0;
}
