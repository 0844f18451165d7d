// adapters/actuators/aws_asg/asg_actuator.hpp — the `aws-asg` actuator (reads and sets an EC2
// Auto Scaling Group's desired capacity) and the `aws-asg-scheduled` actuator (also publishes the
// policy's capacity plan as the group's scheduled actions, so the capacity arrives on time even
// while luascale is down). Target config keys are listed in asg_target_keys().
//
// apply() of aws-asg:
//   DescribeAutoScalingGroups ──> clamp desired to [MinSize, MaxSize] (note "clamped to group
//   max 10") ──> equal to DesiredCapacity? done : SetDesiredCapacity(HonorCooldown)
//   Throttling / 5xx / timeouts: retried inside the call (backoff + jitter, bounded attempts).
//   ScalingActivityInProgress: not an error of the decision — held, the next tick retries.
//   ValidationError: reported with AWS's message, nothing retried.
//
// The plan interface of aws-asg-scheduled: ActuationInfo::plan, a list of {time (unix seconds),
// capacity} steps ascending by time (see engine/adapter.hpp). Each publish makes the group's
// scheduled actions named "<action_prefix><UTC time, YYYYMMDDTHHMMSSZ>" equal to the plan's future
// steps where the capacity changes: new/changed ones are Put, the previously published ones no
// longer in the plan are Deleted; actions not carrying the prefix are never touched.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/net/aws/aws_env.hpp"
#include "adapters/net/aws/service_client.hpp"
#include "adapters/net/aws/sigv4.hpp"
#include "engine/adapter.hpp"

namespace luascale::aws {

// A target block {"kind": "aws-asg" | "aws-asg-scheduled", ...} parsed once.
struct AsgTargetConfig {
  std::string group;  // AutoScalingGroupName, required unless node_groups is set
  // aws-asg only: a decision's node groups (its `groups`) and the Auto Scaling Group each one
  // is, instead of `group` (target.groups); the target is their sum.
  std::vector<std::pair<std::string, std::string>> node_groups;
  // region, endpoint (AWS_ENDPOINT_URL_AUTO_SCALING), profile, timeout, max_attempts,
  // retry_backoff; and for tests the environment, clock and jitter seed.
  ServiceSettings service;
  bool honor_cooldown = false;  // SetDesiredCapacity HonorCooldown
  // aws-asg-scheduled only:
  std::string time_zone = "UTC";       // TimeZone sent with each scheduled action (IANA name)
  std::string action_prefix;           // "" = "luascale-<policy>-"
  std::string plan_field = "desired";  // which size a step sets: "desired" or "min"
  int max_actions = 100;               // steps published at most (AWS allows 125 per group)
  bool set_desired = true;             // also SetDesiredCapacity for the current decision

  std::string config_error;  // set by parse_asg_target: reported by every call of the actuator
};

// Config keys besides "kind" and "replicas".
std::vector<ConfigKey> asg_target_keys(bool scheduled);
// Reads a target block; returns "" or every problem found, "; "-separated (also kept in
// out->config_error).
std::string parse_asg_target(const Value& target, AsgTargetConfig* out);

// An actuator for one group. A config that cannot be used (no group, no region) gives an
// actuator whose every call reports why.
std::unique_ptr<Actuator> make_asg_actuator(AdapterContext& ctx, const std::string& policy,
                                            AsgTargetConfig config, bool scheduled);

// Publishing a plan directly (aws-asg-scheduled also does it from apply()).
class PlanPublisher {
 public:
  virtual ~PlanPublisher() = default;
  // Replaces the previously published scheduled actions by the plan's future steps. done runs
  // once; ok with a note "published 4 scheduled actions (1 unchanged, 2 removed)".
  virtual void publish(std::vector<PlannedCapacity> plan,
                       std::function<void(ApplyOutcome)> done) = 0;
};

// The name -> factory entries for adapters/builtin_adapters.cpp: "aws-asg" and
// "aws-asg-scheduled". A bad target block still yields an actuator, one that reports the
// problem on every call (the loader has already rejected unknown keys).
ActuatorFactory asg_actuator_factory();
ActuatorFactory asg_scheduled_actuator_factory();

// Scheduled action name for a step: prefix + "20261123T100000Z" (UTC).
std::string scheduled_action_name(const std::string& prefix, Clock::time_point t);

}  // namespace luascale::aws
