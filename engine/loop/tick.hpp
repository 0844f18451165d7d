// engine/loop/tick.hpp — the one per-tick path every command drives: read the target → fetch
// the signals → decide → guardrails → actuate → record.
//
//   start(now) ──> target.read ──> every source.fetch ──> decide + guardrails ──> target.apply ──>
//   sink
//                      │ (fails: no evaluation; the count is held)       (only when the count
//                      └──────────────────────────────────────────>       or the plan changes)
//
// `run` drives it on real timers with live adapters, `replay` on a virtual clock with the trace
// served as sources and a simulated target, `eval` and `test` with in-memory sources and a
// target in memory. Adapters may answer at once (a tick then finishes inside start()) or later,
// on the executor the driver runs them on; one tick of a policy runs at a time.
// In shadow mode (a `run` policy with "shadow": true) the same tick never writes: the guardrails
// decide as if live from the observed count (PolicyRuntime::observe_shadow), and the decision is
// recorded beside the live count read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/adapter.hpp"
#include "engine/loop/policy_runtime.hpp"

namespace luascale {

// What one tick did.
struct TickRecord {
  // decision.desired: the count the target has after the tick (shadow: the count the policy
  // would have set; decision.current is the live count read); decision.reason: the script's or
  // the error, led by the first failed signal's error ("signal q: ...; the script: ...") when one
  // failed, and by "fallback after N consecutive failed evaluations: " when the fallback count
  // was chosen.
  DecisionRecord decision;
  std::int64_t ready = 0;    // the target's ready count as read
  bool read_failed = false;  // the target could not be read: nothing was evaluated
  bool applied = false;      // the target accepted a new count or plan
  bool apply_failed = false;
  bool shadow = false;      // a shadow tick: nothing was or could be written
  double eval_seconds = 0;  // wall time of decide + guardrails, when timed (set_timed)
  std::string note;         // the actuator's note, why nothing was written, or the failure
  // One entry per source, in add_source order: the fetch's error ("" when it delivered or had
  // nothing new).
  std::vector<std::string> signal_errors;
};

// The record step: told once per tick, on the executor the tick finished on.
class TickSink {
 public:
  virtual ~TickSink() = default;
  virtual void tick_done(TickRecord& record) = 0;
};

class PolicyTick {
 public:
  // None of the three is owned; all must outlive the tick.
  PolicyTick(PolicyRuntime& runtime, Actuator& target, TickSink& sink);
  PolicyTick(const PolicyTick&) = delete;
  PolicyTick& operator=(const PolicyTick&) = delete;

  // A source whose samples go to `slot` of the runtime's signal table.
  void add_source(std::size_t slot, Source& source);
  // Asked before each write; false leaves the target as it is (e.g. not the leader, stopping),
  // with `why` as the record's note. Unset: every tick may write.
  void set_write_gate(std::function<bool(std::string* why)> gate) { gate_ = std::move(gate); }

  // Measures each evaluation's wall time into TickRecord::eval_seconds (default off).
  void set_timed(bool on) { timed_ = on; }
  // Shadow mode: the target is read and never written (neither a count nor a plan), whatever
  // the gate says; the guardrails weigh the observed count (default off).
  void set_shadow(bool on) {
    shadow_ = on;
    record_.shadow = on;
  }

  // Runs one tick at `now` (unix seconds). Must not be called while one is running.
  void start(double now);
  bool running() const { return running_; }

 private:
  void read_done(ReadOutcome& out);
  void fetch_done(std::size_t i, SampleOutcome& out);
  void decide();
  void apply_done(ApplyOutcome& out, std::int64_t current);
  void finish();

  PolicyRuntime& runtime_;
  Actuator& target_;
  TickSink& sink_;
  std::function<bool(std::string*)> gate_;
  struct Feed {
    std::size_t slot;
    Source* source;
  };
  std::vector<Feed> feeds_;
  bool running_ = false;
  bool timed_ = false;
  bool shadow_ = false;
  double now_ = 0;
  std::size_t pending_ = 0;  // fetches not answered yet
  bool signal_failed_ = false;
  TargetState state_;
  std::vector<PlanStep> last_plan_;      // the plan the target last accepted
  std::vector<GroupCount> last_groups_;  // the group counts the target last accepted
  bool groups_sent_ = false;             // this tick's apply carries the group counts
  TickRecord record_;                    // reused: its strings and vectors keep their capacity
};

}  // namespace luascale
