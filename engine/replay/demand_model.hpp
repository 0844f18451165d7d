// engine/replay/demand_model.hpp — the replay's model of demand and capacity (config "replay").
#pragma once

#include <string>

namespace luascale {

// How demand relates to capacity (config "replay" block). With a demand column and a capacity
// per replica the replay measures under-provisioning; with closed_loop it also recomputes the
// utilization (and queue) signals from the demand and the simulated ready capacity.
struct DemandModel {
  std::string demand_column;        // "" = no demand model
  double capacity_per_replica = 0;  // demand units one ready replica serves at 100 %
  double target_utilization = 100;  // percent
  double margin = 0;                // under-provisioned when utilization > target + margin
  bool closed_loop = false;
  std::string utilization_signal;       // closed loop: the signal fed with utilization percent
  std::string queue_signal;             // queue model: the signal fed with the queue depth
  double service_rate_per_replica = 0;  // tasks per ready replica per second (queue model)
  double queue_slo_seconds = 0;         // under-provisioned when the queue wait is above this
  double price_per_replica_hour = 0;    // cost, when > 0
  // Nodes: when pods_per_node > 0 nodes are provisioned for the replicas (cluster-autoscaler
  // style) after node_provisioning_seconds; replicas wait for room on a ready node.
  double pods_per_node = 0;
  double node_provisioning_seconds = 0;
  double price_per_node_hour = 0;
};

}  // namespace luascale
