// adapters/actuators/aws_asg/asg_parse.cpp — parsing the Auto Scaling responses (declared in
// asg_api.hpp). No client here, so it links alone for fuzzing.
#include "adapters/actuators/aws_asg/asg_api.hpp"
#include "adapters/net/aws/aws_xml.hpp"
#include "common/time/timestamp_text.hpp"

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
      if (error)
        *error =
            "DescribeAutoScalingGroups: a group lacks its name, MinSize, MaxSize or "
            "DesiredCapacity";
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
    if (auto t = parse_timestamp_text(start)) a.start_time = to_system_clock(*t);
    a.recurrence = text_at(m, "Recurrence");
    a.time_zone = text_at(m, "TimeZone");
    a.min_size = int_at(m, "MinSize");
    a.max_size = int_at(m, "MaxSize");
    a.desired = int_at(m, "DesiredCapacity");
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace luascale::aws
