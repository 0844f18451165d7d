// fuzz target: the EC2 Auto Scaling response parsers (adapters/actuators/aws_asg/asg_parse.cpp,
// adapters/net/aws/aws_xml.cpp): DescribeAutoScalingGroups, DescribeScheduledActions and the
// ErrorResponse document. Contract: an error leaves no groups; every group has a name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/actuators/aws_asg/asg_api.hpp"
#include "adapters/net/aws/aws_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string next, error;
  auto groups = luascale::aws::parse_describe_groups(body, &next, &error);
  if (!error.empty() && !groups.empty()) __builtin_trap();
  for (const auto& g : groups) {
    if (g.name.empty()) __builtin_trap();
    if (g.ready() < 0 || g.ready() > static_cast<std::int64_t>(g.instances.size()))
      __builtin_trap();
  }
  std::string next2, error2;
  (void)luascale::aws::parse_describe_scheduled_actions(body, &next2, &error2);
  (void)luascale::aws::parse_error_response(body);
  return 0;
}
