// adapters/builtin_adapters.cpp — the one explicit table from adapter name to factory.
#include "adapters/actuators/aws_asg/asg_actuator.hpp"
#include "adapters/actuators/file/file_actuator.hpp"
#include "adapters/actuators/kubernetes/kubernetes_actuator.hpp"
#include "adapters/actuators/log/log_actuator.hpp"
#include "adapters/sources/cloudwatch/cloudwatch_source.hpp"
#include "adapters/sources/http_json/http_json_source.hpp"
#include "adapters/sources/kubernetes/kubernetes_source.hpp"
#include "adapters/sources/prometheus/prometheus_source.hpp"
#include "adapters/sources/redis/redis_source.hpp"
#include "adapters/sources/sqs/sqs_source.hpp"
#include "engine/adapter.hpp"

namespace luascale {

const std::vector<SourceFactory>& builtin_sources() {
  static const std::vector<SourceFactory> table = {
      prometheus::prometheus_source_factory(), redis::redis_source_factory(),
      http_json::http_json_source_factory(),   kube::kubernetes_source_factory(),
      cloudwatch::cloudwatch_source_factory(), sqs::sqs_source_factory(),
  };
  return table;
}

const std::vector<ActuatorFactory>& builtin_actuators() {
  static const std::vector<ActuatorFactory> table = {
      actuators::log_actuator_factory(),     actuators::file_actuator_factory(),
      kube::kubernetes_actuator_factory(),   aws::asg_actuator_factory(),
      aws::asg_scheduled_actuator_factory(),
  };
  return table;
}

}  // namespace luascale
