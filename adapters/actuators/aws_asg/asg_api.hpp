// adapters/actuators/aws_asg/asg_api.hpp — the EC2 Auto Scaling Query API calls luascale makes
// (Version 2011-01-01), as typed requests and parsed responses over a QueryClient.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/net/aws/query_client.hpp"

namespace luascale::aws {

struct AsgInstance {
  std::string id;
  std::string lifecycle_state;  // "InService", "Pending", ...
  std::string health_status;    // "Healthy" | "Unhealthy"
};

struct AsgGroup {
  std::string name;
  std::int64_t min_size = 0;
  std::int64_t max_size = 0;
  std::int64_t desired = 0;
  std::string status;                 // non-empty (e.g. "Delete in progress") = unusable
  std::string desired_capacity_type;  // "" or "units" = instances
  std::vector<AsgInstance> instances;

  // Instances InService and Healthy.
  std::int64_t ready() const;
};

// Parses a DescribeAutoScalingGroups response; the groups in document order. error set when
// the body is not such a response.
std::vector<AsgGroup> parse_describe_groups(std::string_view body, std::string* next_token,
                                            std::string* error);

// One scheduled action as PutScheduledUpdateGroupAction takes it and DescribeScheduledActions
// returns it. Times are UTC instants; time_zone names the IANA zone of a recurrence.
struct ScheduledAction {
  std::string name;  // ScheduledActionName, unique per group
  std::optional<Clock::time_point> start_time;
  std::string recurrence;  // cron, "" for a one-time action
  std::string time_zone;   // IANA zone, e.g. "Europe/Paris"; "" = UTC
  std::optional<std::int64_t> min_size, max_size, desired;
};

std::vector<ScheduledAction> parse_describe_scheduled_actions(std::string_view body,
                                                              std::string* next_token,
                                                              std::string* error);

struct GroupOutcome {
  std::optional<AsgGroup> group;
  QueryOutcome query;  // the call's outcome; error also set when the group does not exist
};

struct ScheduledActionsOutcome {
  std::vector<ScheduledAction> actions;
  QueryOutcome query;
};

// The calls; each done runs exactly once on the io_context.
class AsgApi {
 public:
  explicit AsgApi(std::shared_ptr<QueryClient> client) : client_(std::move(client)) {}

  // DescribeAutoScalingGroups for one group name. A missing group is an error naming it.
  void describe_group(const std::string& name, std::function<void(GroupOutcome)> done);
  // SetDesiredCapacity (absolute, so idempotent).
  void set_desired_capacity(const std::string& name, std::int64_t desired, bool honor_cooldown,
                            QueryCallback done);
  // DescribeScheduledActions of one group, following NextToken through every page.
  void describe_scheduled_actions(const std::string& group,
                                  std::function<void(ScheduledActionsOutcome)> done);
  void put_scheduled_action(const std::string& group, const ScheduledAction& action,
                            QueryCallback done);
  void delete_scheduled_action(const std::string& group, const std::string& name,
                               QueryCallback done);

  QueryClient& client() { return *client_; }

 private:
  std::shared_ptr<QueryClient> client_;
};

}  // namespace luascale::aws
