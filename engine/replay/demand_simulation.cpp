// engine/replay/demand_simulation.cpp — see demand_simulation.hpp.
#include "engine/replay/demand_simulation.hpp"

#include <algorithm>
#include <cmath>

namespace luascale {

void DemandSimulation::StepSource::fetch(std::function<void(SampleOutcome)> done) {
  SampleOutcome out;
  if (fresh_) out.sample = Sample{value_, time_};
  fresh_ = false;
  done(std::move(out));
}

DemandSimulation::DemandSimulation(const DemandModel& model, double interval)
    : model_(model), stale_after_(3 * interval) {}

void DemandSimulation::step(double now, double demand, double demand_time, std::int64_t ready) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const double since_last = std::isnan(last_step_) ? 0 : now - last_step_;
  last_step_ = now;
  known_ = !std::isnan(demand) && now - demand_time <= stale_after_;
  demand_ = demand;
  utilization_ = std::numeric_limits<double>::quiet_NaN();
  under_ = false;
  shortfall_ = -kInf;
  slack_ = std::numeric_limits<double>::quiet_NaN();
  utilization_source_.clear();
  queue_source_.clear();
  pending_source_.clear();
  pending_ = 0;
  if (!known_) return;
  const auto r = static_cast<double>(ready);
  if (model_.capacity_per_replica > 0) {
    const double cap = r * model_.capacity_per_replica;
    utilization_ = cap > 0 ? 100.0 * demand / cap : (demand > 0 ? kInf : 0);
    under_ = utilization_ > model_.target_utilization + model_.margin;
    const double needed =
        std::ceil(demand / (model_.capacity_per_replica * model_.target_utilization / 100.0));
    shortfall_ = needed - r;
    if (cap > 0) {
      utilization_source_.set(now, utilization_);
      slack_ = (cap - demand) / cap;
    }
  }
  if (!model_.pending_signal.empty()) {
    const double room = r * model_.pending_pods_per_node;
    pending_ = static_cast<std::int64_t>(std::max(0.0, std::ceil(demand - room - 1e-9)));
    Value group = Value::object();
    group.set("name", Value(model_.pod_name));
    group.set("cpu", Value(model_.pod_cpu));
    group.set("memory", Value(model_.pod_memory));
    group.set("count", Value(pending_));
    Value::Array list;
    if (pending_ > 0) list.push_back(std::move(group));
    pending_source_.set(now, Value(std::move(list)));
    under_ = under_ || pending_ > 0;
  }
  if (!model_.queue_signal.empty()) {
    const double service = r * model_.service_rate_per_replica;
    queue_ = std::max(0.0, queue_ + (demand - service) * since_last);
    queue_source_.set(now, queue_);
    if (model_.queue_slo_seconds > 0) {
      const double wait = service > 0 ? queue_ / service : (queue_ > 0 ? kInf : 0);
      under_ = under_ || wait > model_.queue_slo_seconds;
    }
  }
}

}  // namespace luascale
