// engine/replay/demand_model.hpp — the replay's model of demand and capacity (config "replay").
#pragma once

#include <map>
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
  // Pending pods (closed loop, for node policies whose target is the node count): the demand
  // column is the pods wanted; those without room on the target's ready nodes
  // (pending_pods_per_node each) are fed to pending_signal as one pod group {cpu, memory, count,
  // name}.
  std::string pending_signal;
  double pending_pods_per_node = 0;  // > 0 with pending_signal
  double pod_cpu = 0;                // cores per pod
  double pod_memory = 0;             // bytes per pod
  std::string pod_name = "pod";
  // Node groups (a decision's `groups`): price per node-hour of each group by name; a group
  // not listed is priced at price_per_node_hour.
  std::map<std::string, double> group_price_per_hour;
};

}  // namespace luascale
