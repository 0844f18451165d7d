// engine/replay/demand_simulation.hpp — the replay's demand model, stepped once per tick with
// the ready count just read: utilization and queue against the capacity that is ready, whether
// the target is under-provisioned, and how many replicas it lacks. In a closed loop it also
// serves the utilization and queue it computes as the policy's signals.
#pragma once

#include <cstdint>
#include <limits>

#include "engine/adapter.hpp"
#include "engine/replay/demand_model.hpp"

namespace luascale {

class DemandSimulation {
 public:
  DemandSimulation(const DemandModel& model, double interval);

  // One tick at `now`: `demand` recorded at `demand_time` (NaN when none yet), `ready` replicas.
  void step(double now, double demand, double demand_time, std::int64_t ready);

  bool demand_known() const { return known_; }  // a recorded demand no older than 3 intervals
  double demand() const { return demand_; }
  double utilization() const { return utilization_; }  // percent; NaN without a capacity model
  bool under() const { return under_; }                // under-provisioned at this step
  double shortfall() const { return shortfall_; }      // replicas needed minus ready (may be < 0)
  // (capacity - demand) / capacity of the ready capacity at 100 %: < 0 when demand exceeds it;
  // NaN while the demand is unknown, without capacity_per_replica, or with no replica ready.
  double slack() const { return slack_; }

  // Closed-loop signals: this step's utilization (when capacity is ready), queue depth, and
  // pending pods (a list of one pod group).
  Source& utilization_source() { return utilization_source_; }
  Source& queue_source() { return queue_source_; }
  Source& pending_source() { return pending_source_; }
  std::int64_t pending() const { return pending_; }  // pods without room at this step

 private:
  class StepSource final : public Source {
   public:
    void fetch(std::function<void(SampleOutcome)> done) override;
    void set(double time, double v) { set(time, Value(v)); }
    void set(double time, Value v) { time_ = time, value_ = std::move(v), fresh_ = true; }
    void clear() { fresh_ = false; }

   private:
    double time_ = 0;
    Value value_;
    bool fresh_ = false;
  };

  DemandModel model_;
  double stale_after_;
  bool known_ = false, under_ = false;
  double demand_ = std::numeric_limits<double>::quiet_NaN();
  double utilization_ = std::numeric_limits<double>::quiet_NaN();
  double shortfall_ = -std::numeric_limits<double>::infinity();
  double slack_ = std::numeric_limits<double>::quiet_NaN();
  double queue_ = 0;
  double last_step_ = std::numeric_limits<double>::quiet_NaN();
  StepSource utilization_source_, queue_source_, pending_source_;
  std::int64_t pending_ = 0;
};

}  // namespace luascale
