// adapters/builtin_adapters.cpp — the one explicit table from adapter name to factory.
#include "adapters/actuators/file/file_actuator.hpp"
#include "adapters/actuators/kubernetes/kubernetes_actuator.hpp"
#include "adapters/actuators/log/log_actuator.hpp"
#include "adapters/sources/http_json/http_json_source.hpp"
#include "adapters/sources/kubernetes/kubernetes_source.hpp"
#include "adapters/sources/prometheus/prometheus_source.hpp"
#include "adapters/sources/redis/redis_source.hpp"
#include "engine/adapter.hpp"

#include "adapters/actuators/aws_asg/asg_actuator.hpp"

namespace luascale {
namespace {

// aws-asg / aws-asg-scheduled: a bad target block still yields an actuator, one that reports
// the problem on every call (the loader has already rejected unknown keys).
template <bool Scheduled>
std::unique_ptr<Actuator> make_aws_asg(AdapterContext& ctx, const std::string& policy,
                                       const Value& target) {
  aws::AsgTargetConfig config;
  aws::parse_asg_target(target, &config);
  return aws::make_asg_actuator(ctx, policy, std::move(config), Scheduled);
}

}  // namespace

const std::vector<SourceFactory>& builtin_sources() {
  static const std::vector<SourceFactory> table = {
      prometheus::prometheus_source_factory(),
      redis::redis_source_factory(),
      http_json::http_json_source_factory(),
      kube::kubernetes_source_factory(),
  };
  return table;
}

const std::vector<ActuatorFactory>& builtin_actuators() {
  static const std::vector<ActuatorFactory> table = {
      actuators::log_actuator_factory(),
      actuators::file_actuator_factory(),
      kube::kubernetes_actuator_factory(),
      {"aws-asg", aws::asg_target_keys(false), &make_aws_asg<false>},
      {"aws-asg-scheduled", aws::asg_target_keys(true), &make_aws_asg<true>},
  };
  return table;
}

}  // namespace luascale
