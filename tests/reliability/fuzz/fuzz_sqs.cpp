// fuzz target: the SQS GetQueueAttributes answer parser (adapters/sources/sqs/sqs_api.cpp) and
// the AWS JSON 1.0 error reader (adapters/net/aws/aws_json.cpp). Contract: every count finite,
// at most 64; an error answer names a code.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "adapters/net/aws/aws_json.hpp"
#include "adapters/sources/sqs/sqs_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::map<std::string, double> counts;
  std::string error;
  if (luascale::sqs::parse_queue_attributes(body, &counts, &error)) {
    if (counts.size() > 64) __builtin_trap();
    for (const auto& [k, v] : counts)
      if (!std::isfinite(v)) __builtin_trap();
  } else if (error.empty()) {
    __builtin_trap();
  }
  const auto half = body.substr(0, body.size() / 2);
  if (auto e = luascale::aws::parse_json_error(body.substr(half.size()), half))
    if (e->code.empty()) __builtin_trap();
  (void)luascale::sqs::region_of_queue_url(body);
  return 0;
}
