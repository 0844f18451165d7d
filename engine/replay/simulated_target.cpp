// engine/replay/simulated_target.cpp — see simulated_target.hpp.
#include "engine/replay/simulated_target.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace luascale {
namespace {

// Takes up to n from the youngest entries of (ready at, count) first; returns what is left of n.
std::int64_t remove_youngest(std::deque<std::pair<double, std::int64_t>>& q, std::int64_t n) {
  while (n > 0 && !q.empty()) {
    auto& youngest = q.back();
    const std::int64_t k = std::min(n, youngest.second);
    youngest.second -= k;
    n -= k;
    if (youngest.second == 0) q.pop_back();
  }
  return n;
}

}  // namespace

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
    const std::int64_t remove = count_ - desired;  // replicas still starting go first
    not_ready_ -= remove - remove_youngest(starting_, remove);
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
    nodes_ready_ -= remove_youngest(booting_, nodes_ - want);  // nodes still booting go first
  }
  nodes_ = want;
}

}  // namespace luascale
