// adapters/actuators/aws_asg/asg_api.cpp — request parameters and response parsing for the
// Auto Scaling calls.
#include "adapters/actuators/aws_asg/asg_api.hpp"

#include "adapters/net/aws/aws_xml.hpp"

namespace luascale::aws {

std::int64_t AsgGroup::ready() const {
  std::int64_t n = 0;
  for (const auto& i : instances) {
    if (i.lifecycle_state == "InService" && i.health_status == "Healthy") ++n;
  }
  return n;
}

std::vector<AsgGroup> parse_describe_groups(std::string_view body, std::string* next_token,
                                            std::string* error) {
  std::vector<AsgGroup> out;
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) {
    if (error) *error = "DescribeAutoScalingGroups: response is not XML";
    return out;
  }
  const pugi::xml_node root = doc.document_element();
  const pugi::xml_node result = child(root, "DescribeAutoScalingGroupsResult");
  if (local_name(root) != "DescribeAutoScalingGroupsResponse" || !result) {
    if (error) *error = "DescribeAutoScalingGroups: unexpected response element";
    return out;
  }
  if (next_token) *next_token = text_at(result, "NextToken");
  for (const pugi::xml_node m : children(child(result, "AutoScalingGroups"), "member")) {
    AsgGroup g;
    g.name = text_at(m, "AutoScalingGroupName");
    const auto min = int_at(m, "MinSize"), max = int_at(m, "MaxSize"),
               desired = int_at(m, "DesiredCapacity");
    if (g.name.empty() || !min || !max || !desired) {
      if (error) *error = "DescribeAutoScalingGroups: a group lacks its name, MinSize, MaxSize or DesiredCapacity";
      return {};
    }
    g.min_size = *min;
    g.max_size = *max;
    g.desired = *desired;
    g.status = text_at(m, "Status");
    g.desired_capacity_type = text_at(m, "DesiredCapacityType");
    for (const pugi::xml_node i : children(child(m, "Instances"), "member")) {
      g.instances.push_back(
          {text_at(i, "InstanceId"), text_at(i, "LifecycleState"), text_at(i, "HealthStatus")});
    }
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<ScheduledAction> parse_describe_scheduled_actions(std::string_view body,
                                                              std::string* next_token,
                                                              std::string* error) {
  std::vector<ScheduledAction> out;
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) {
    if (error) *error = "DescribeScheduledActions: response is not XML";
    return out;
  }
  const pugi::xml_node result = child(doc.document_element(), "DescribeScheduledActionsResult");
  if (!result) {
    if (error) *error = "DescribeScheduledActions: unexpected response element";
    return out;
  }
  if (next_token) *next_token = text_at(result, "NextToken");
  for (const pugi::xml_node m : children(child(result, "ScheduledUpdateGroupActions"), "member")) {
    ScheduledAction a;
    a.name = text_at(m, "ScheduledActionName");
    const std::string start = text_at(m, "StartTime");
    if (!start.empty()) a.start_time = parse_iso8601(start);
    a.recurrence = text_at(m, "Recurrence");
    a.time_zone = text_at(m, "TimeZone");
    a.min_size = int_at(m, "MinSize");
    a.max_size = int_at(m, "MaxSize");
    a.desired = int_at(m, "DesiredCapacity");
    out.push_back(std::move(a));
  }
  return out;
}

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
  if (action.start_time) params.emplace_back("StartTime", format_iso8601(*action.start_time));
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
