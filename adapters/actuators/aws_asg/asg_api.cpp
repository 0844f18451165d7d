// adapters/actuators/aws_asg/asg_api.cpp — request parameters for the Auto Scaling calls (their
// responses are parsed in asg_parse.cpp).
#include "adapters/actuators/aws_asg/asg_api.hpp"

#include "adapters/net/aws/aws_xml.hpp"
#include "common/time/timestamp_text.hpp"

namespace luascale::aws {

void AsgApi::describe_group(const std::string& name, std::function<void(GroupOutcome)> done) {
  client_->call("DescribeAutoScalingGroups",
                {{"AutoScalingGroupNames.member.1", name}, {"IncludeInstances", "true"}},
                [name, done = std::move(done)](QueryOutcome q) {
                  GroupOutcome out;
                  if (q.ok()) {
                    std::string error;
                    auto groups = parse_describe_groups(q.body, nullptr, &error);
                    if (!error.empty()) {
                      q.error = error;
                    } else {
                      for (auto& g : groups) {
                        if (g.name == name) out.group = std::move(g);
                      }
                      if (!out.group) {
                        q.error = "auto scaling group \"" + name + "\" not found";
                        q.code = "NotFound";
                      }
                    }
                  }
                  out.query = std::move(q);
                  done(std::move(out));
                });
}

void AsgApi::set_desired_capacity(const std::string& name, std::int64_t desired,
                                  bool honor_cooldown, QueryCallback done) {
  client_->call("SetDesiredCapacity",
                {{"AutoScalingGroupName", name},
                 {"DesiredCapacity", std::to_string(desired)},
                 {"HonorCooldown", honor_cooldown ? "true" : "false"}},
                std::move(done));
}

namespace {

struct ScheduledPager : std::enable_shared_from_this<ScheduledPager> {
  std::shared_ptr<QueryClient> client;
  std::string group;
  ScheduledActionsOutcome collected;
  std::function<void(ScheduledActionsOutcome)> done;
  int pages = 0;

  void next(const std::string& token) {
    ParamList params = {{"AutoScalingGroupName", group}, {"MaxRecords", "100"}};
    if (!token.empty()) params.emplace_back("NextToken", token);
    auto self = shared_from_this();
    client->call("DescribeScheduledActions", std::move(params), [self](QueryOutcome q) {
      if (!q.ok()) {
        self->collected.query = std::move(q);
        return self->done(std::move(self->collected));
      }
      std::string token, error;
      auto page = parse_describe_scheduled_actions(q.body, &token, &error);
      if (!error.empty()) {
        q.error = error;
        self->collected.query = std::move(q);
        return self->done(std::move(self->collected));
      }
      for (auto& a : page) self->collected.actions.push_back(std::move(a));
      if (!token.empty() && ++self->pages < 100) return self->next(token);
      q.body.clear();
      self->collected.query = std::move(q);
      self->done(std::move(self->collected));
    });
  }
};

}  // namespace

void AsgApi::describe_scheduled_actions(const std::string& group,
                                        std::function<void(ScheduledActionsOutcome)> done) {
  auto pager = std::make_shared<ScheduledPager>();
  pager->client = client_;
  pager->group = group;
  pager->done = std::move(done);
  pager->next("");
}

void AsgApi::put_scheduled_action(const std::string& group, const ScheduledAction& action,
                                  QueryCallback done) {
  ParamList params = {{"AutoScalingGroupName", group}, {"ScheduledActionName", action.name}};
  if (action.start_time)
    params.emplace_back("StartTime", format_timestamp_text(from_system_clock(*action.start_time)));
  if (!action.recurrence.empty()) params.emplace_back("Recurrence", action.recurrence);
  if (!action.time_zone.empty()) params.emplace_back("TimeZone", action.time_zone);
  if (action.min_size) params.emplace_back("MinSize", std::to_string(*action.min_size));
  if (action.max_size) params.emplace_back("MaxSize", std::to_string(*action.max_size));
  if (action.desired) params.emplace_back("DesiredCapacity", std::to_string(*action.desired));
  client_->call("PutScheduledUpdateGroupAction", std::move(params), std::move(done));
}

void AsgApi::delete_scheduled_action(const std::string& group, const std::string& name,
                                     QueryCallback done) {
  client_->call("DeleteScheduledAction",
                {{"AutoScalingGroupName", group}, {"ScheduledActionName", name}}, std::move(done));
}

}  // namespace luascale::aws
