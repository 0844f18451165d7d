// engine/guard/guardrails.hpp — what the engine enforces after the script, per target:
// min/max, Kubernetes HPA normalization (the legacy path without `behavior`, and autoscaling/v2
// `behavior` with upstream semantics and defaults), AWS-style cooldown and KEDA-style fallback.
// Holds the recommendation and scale-event history that stabilization and rate limits need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/value.hpp"

namespace luascale {

struct HpaScalingPolicy {
  enum class Type { Pods, Percent };
  Type type = Type::Pods;
  std::int64_t value = 0;            // > 0
  std::int64_t period_seconds = 15;  // 1..1800
};

struct HpaScalingRules {
  enum class Select { Max, Min, Disabled };
  std::optional<std::int64_t> stabilization_window_seconds;  // 0..3600; unset = direction default
  Select select = Select::Max;
  std::vector<HpaScalingPolicy> policies;
  // behavior.scaleUp|scaleDown.tolerance (KEP-4951): the metric ratio tolerance of this
  // direction, >= 0. The engine does not use it; it hands it to the policy (ctx.target), where it
  // replaces the policy's own tolerance for that direction, as it replaces the controller flag.
  std::optional<double> tolerance;
};

struct GuardrailConfig {
  // false: the script's recommendation goes to the target as it is (a `luascale test` case
  // without guardrails); every other field is then ignored.
  bool enabled = true;
  std::int64_t min = 1;           // minReplicas (HPA default 1)
  std::int64_t max = 2147483647;  // maxReplicas
  bool has_behavior = false;
  HpaScalingRules scale_up;  // defaulted as the API does when has_behavior
  HpaScalingRules scale_down;
  double downscale_window_seconds = 300;  // legacy path and unset scaleDown window
  double cooldown_up_seconds = 0;         // no scale-up within this time after a scale event
  double cooldown_down_seconds = 0;       // no scale-down within this time after a scale event
  // KEDA fallback: after fallback_failure_threshold consecutive failed evaluations the count
  // comes from `fallback_behavior` (KEDA's names): Static = fallback_replicas; CurrentReplicas =
  // the current count; CurrentReplicasIfHigher = max(current, fallback_replicas);
  // CurrentReplicasIfLower = min(current, fallback_replicas). Fallback is on when
  // fallback_replicas is set, or for CurrentReplicas alone.
  enum class FallbackBehavior {
    Static,
    CurrentReplicas,
    CurrentReplicasIfHigher,
    CurrentReplicasIfLower
  };
  std::optional<std::int64_t> fallback_replicas;  // KEDA fallback count, >= 0
  std::int64_t fallback_failure_threshold = 3;    // consecutive failed evaluations before it, >= 1
  FallbackBehavior fallback_behavior = FallbackBehavior::Static;
  bool fallback_enabled() const {
    return fallback_replicas.has_value() || fallback_behavior == FallbackBehavior::CurrentReplicas;
  }
  // The fallback count for a target at `current` replicas.
  std::int64_t fallback_count(std::int64_t current) const;

  // Fills the autoscaling/v2 API defaults for omitted behavior fields.
  void apply_behavior_defaults();
};

// Which rule produced the guarded count (stable identifiers; shown in decisions and metrics).
enum class BoundBy {
  None,      // the recommendation went through unchanged
  Hold,      // the script returned nil
  Error,     // the evaluation failed; the count is held
  Fallback,  // fallback count after repeated failures
  Paused,    // replicas 0 with min > 0: autoscaling disabled (HPA semantics)
  MinReplicas,
  MaxReplicas,
  ScaleUpLimit,
  ScaleDownLimit,
  ScaleUpStabilization,
  ScaleDownStabilization,
  Cooldown,
};
const char* bound_by_name(BoundBy b);

struct GuardResult {
  std::int64_t desired = 0;
  BoundBy bound_by = BoundBy::None;
};

struct TimedCount {
  double time = 0;         // unix seconds
  std::int64_t count = 0;  // a recommendation, or a scale event's change (> 0)
};

// The persisted part of the guardrails (survives restarts via the state file). Its conversions
// live in guardrail_state.cpp.
struct GuardrailState {
  bool initialized = false;
  std::vector<TimedCount> recommendations;
  std::vector<TimedCount> scale_up_events;
  std::vector<TimedCount> scale_down_events;
  std::optional<double> last_scale_time;
  std::int64_t consecutive_failures = 0;

  Value to_value() const;
  // Reads what to_value wrote, checked, as a restore from a state file must: a missing field is
  // empty; a field of the wrong type, a time that is not a finite number, a count that is not an
  // integer in 0..2147483647 (scale events from 1) reject the whole state: false + *error naming
  // the field ("guardrails.recommendations[3]: count 1e+300 is not an integer in
  // 0..2147483647"). Entries stamped later than `latest` (unix seconds: the restore's now, or the
  // file's saved_at when earlier) cannot be trusted: recommendations and scale events are
  // dropped; last_scale_time is clamped to `latest` (a scale happened, when is unknown: the
  // cooldown counts from then). Each adds one line to `warnings` naming the field.
  static bool restore(const Value& v, double latest, GuardrailState& out,
                      std::vector<std::string>& warnings, std::string* error);
};

class Guardrails {
 public:
  explicit Guardrails(GuardrailConfig cfg);

  // One reconcile: `current` is the target's count, `recommendation` the script's raw proposal
  // (nullopt = hold), `failed` whether the evaluation failed (script error, invalid result,
  // signal error). Records the recommendation as upstream HPA does.
  //
  // A failed evaluation with a recommendation is a decision the script made from the signals
  // that did not fail (only a signal failed). Such a partial recommendation never scales down
  // (upstream HPA: no scale-down on partial data) but may scale up; and once the fallback
  // fires, the count is max(fallback count, partial recommendation): a failing signal never
  // overrides a higher count the healthy signals give (KEDA #6659).
  GuardResult decide(double now, std::int64_t current, std::optional<std::int64_t> recommendation,
                     bool failed);
  // Records a scale that actually happened (after a successful actuation).
  void record_scale(double now, std::int64_t from, std::int64_t to);

  const GuardrailConfig& config() const { return cfg_; }
  GuardrailState& state() { return state_; }
  const GuardrailState& state() const { return state_; }

 private:
  GuardResult normalize_legacy(double now, std::int64_t current, std::int64_t desired);
  GuardResult normalize_behavior(double now, std::int64_t current, std::int64_t desired);
  std::int64_t change_in_period(const std::vector<TimedCount>& events, double now,
                                std::int64_t period) const;
  void store_recommendation(double now, std::int64_t desired, double keep_seconds);
  void prune_events(double now);

  GuardrailConfig cfg_;
  GuardrailState state_;
};

}  // namespace luascale
