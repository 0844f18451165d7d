// fuzz target: the Prometheus instant-query response parser
// (adapters/sources/prometheus/api_response.cpp). The first byte picks the HTTP status, the rest
// is the body. Contract: a value is finite and comes without an error; an error comes without a
// value; the series count matches a one-sample answer.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/sources/prometheus/prometheus_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatus[] = {200, 200, 200, 200, 204, 400, 422, 429, 500, 503};
  const int status = kStatus[data[0] % (sizeof kStatus / sizeof kStatus[0])];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto r = luascale::prometheus::parse_instant_query(status, body);
  if (r.value && !std::isfinite(*r.value)) __builtin_trap();
  if (r.value && !r.error.empty()) __builtin_trap();
  if (r.value && r.series != 1) __builtin_trap();
  return 0;
}
