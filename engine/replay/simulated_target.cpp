// engine/replay/simulated_target.cpp — see simulated_target.hpp.
#include "engine/replay/simulated_target.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace luascale {

SimulatedTarget::SimulatedTarget(const double& now, const Options& opts)
    : now_(now), opts_(opts), count_(opts.start) {
  if (has_nodes()) {
    nodes_ = nodes_ready_ =
        static_cast<std::int64_t>(std::ceil(static_cast<double>(opts.start) / opts.pods_per_node));
  }
}

std::int64_t SimulatedTarget::replicas_ready() {
  while (!starting_.empty() && starting_.front().first <= now_) {
    not_ready_ -= starting_.front().second;
    starting_.pop_front();
  }
  return count_ - not_ready_;
}

std::int64_t SimulatedTarget::room() {
  if (!has_nodes()) return std::numeric_limits<std::int64_t>::max();
  while (!booting_.empty() && booting_.front().first <= now_) {
    nodes_ready_ += booting_.front().second;
    booting_.pop_front();
  }
  return static_cast<std::int64_t>(
      std::floor(static_cast<double>(nodes_ready_) * opts_.pods_per_node));
}

std::int64_t SimulatedTarget::ready() {
  const std::int64_t ready = replicas_ready();  // replicas wait for room on a ready node
  return has_nodes() ? std::min(ready, room()) : ready;
}

void SimulatedTarget::read(std::function<void(ReadOutcome)> done) {
  ReadOutcome out;
  out.state = TargetState{count_, ready(), std::nullopt, std::nullopt};
  done(std::move(out));
}

void SimulatedTarget::apply(std::int64_t desired, const ActuationInfo&,
                            std::function<void(ApplyOutcome)> done) {
  set(desired);
  ApplyOutcome out;
  out.ok = true;
  out.applied = desired;
  done(std::move(out));
}

void SimulatedTarget::set(std::int64_t desired) {
  if (desired > count_) {
    if (opts_.ready_delay > 0) {
      starting_.emplace_back(now_ + opts_.ready_delay, desired - count_);
      not_ready_ += desired - count_;
    }
  } else {
    std::int64_t remove = count_ - desired;  // replicas still starting go first
    while (remove > 0 && !starting_.empty()) {
      auto& youngest = starting_.back();
      const std::int64_t k = std::min(remove, youngest.second);
      youngest.second -= k;
      not_ready_ -= k;
      remove -= k;
      if (youngest.second == 0) starting_.pop_back();
    }
  }
  count_ = desired;
}

void SimulatedTarget::set_nodes(std::int64_t want) {
  if (!has_nodes()) return;
  if (want > nodes_) {
    if (opts_.node_delay > 0)
      booting_.emplace_back(now_ + opts_.node_delay, want - nodes_);
    else
      nodes_ready_ += want - nodes_;
  } else if (want < nodes_) {
    std::int64_t remove = nodes_ - want;  // nodes still booting go first
    while (remove > 0 && !booting_.empty()) {
      auto& youngest = booting_.back();
      const std::int64_t k = std::min(remove, youngest.second);
      youngest.second -= k;
      remove -= k;
      if (youngest.second == 0) booting_.pop_back();
    }
    nodes_ready_ -= remove;
  }
  nodes_ = want;
}

}  // namespace luascale
