// adapters/actuators/aws_asg/asg_node_groups.hpp — an `aws-asg` target made of several Auto
// Scaling Groups, one per node group a decision names (target.groups): reads sum the groups'
// desired, ready, min and max; a decision's `groups` (ActuationInfo::groups) sets each group's
// own count; a decision without them moves only the first group, by the difference.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/adapter.hpp"

namespace luascale::aws {

// `members`: (node group name, that group's actuator), in config order; not empty.
std::unique_ptr<Actuator> make_node_groups_actuator(
    std::vector<std::pair<std::string, std::unique_ptr<Actuator>>> members);

}  // namespace luascale::aws
