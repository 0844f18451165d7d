// engine/replay/simulated_target.hpp — the target a replay scales, behind the same Actuator
// interface as the live adapters: a count whose new replicas become ready after a delay and,
// with a node model, nodes that boot after their provisioning delay and give replicas room.
// It answers at once, on the replay's virtual clock.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "engine/adapter.hpp"

namespace luascale {

class SimulatedTarget final : public Actuator {
 public:
  struct Options {
    std::int64_t start = 0;    // the count at the first tick (ready from the start)
    double ready_delay = 0;    // seconds until a new replica is ready
    double pods_per_node = 0;  // > 0: nodes are simulated
    double node_delay = 0;     // seconds until a new node is ready
  };
  // `now` is the replay's virtual clock (unix seconds), read at every call.
  SimulatedTarget(const double& now, const Options& opts);

  // {replicas, ready}: ready counts the replicas past their delay that fit on ready nodes.
  void read(std::function<void(ReadOutcome)> done) override;
  // Sets the count: new replicas start their delay, removed ones go youngest first.
  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) override;

  // Takes a real target's count as its own (replay --actuate).
  void mirror(std::int64_t count) { set(count); }
  // Provisions or removes nodes (new ones boot for node_delay); no-op without a node model.
  void set_nodes(std::int64_t want);

  std::int64_t count() const { return count_; }
  std::int64_t replicas_ready();  // at now: the replicas past their ready delay
  std::int64_t ready();           // at now: those of them with room on a ready node
  std::int64_t room();            // at now: the replicas ready nodes hold (no node model: all)
  bool has_nodes() const { return opts_.pods_per_node > 0; }
  std::int64_t nodes() const { return nodes_; }

 private:
  void set(std::int64_t desired);

  const double& now_;
  Options opts_;
  std::int64_t count_;
  std::int64_t not_ready_ = 0;
  std::deque<std::pair<double, std::int64_t>> starting_;  // (ready at, replicas), oldest first
  std::int64_t nodes_ = 0, nodes_ready_ = 0;
  std::deque<std::pair<double, std::int64_t>> booting_;  // (ready at, nodes), oldest first
};

}  // namespace luascale
