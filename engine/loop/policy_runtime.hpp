// engine/loop/policy_runtime.hpp — one policy, ready to tick: its script, its signal table with
// history, and its guardrails. The same object serves replay (virtual clock) and run (real clock).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/adapter.hpp"
#include "engine/config/config.hpp"
#include "engine/guard/guardrails.hpp"
#include "engine/lua/policy_script.hpp"
#include "engine/signals/history.hpp"

namespace luascale {

// Everything one evaluation produced: the raw recommendation, the guarded count and why.
struct DecisionRecord {
  double time = 0;
  EvalOutcome::Status status = EvalOutcome::Status::Hold;
  std::optional<std::int64_t>
      recommended;  // the script's count for this target (replicas, else nodes)
  std::optional<std::int64_t> replicas_out;  // the script's replicas, if any
  std::optional<std::int64_t> nodes_out;     // the script's nodes, if any
  std::int64_t current = 0;                  // the target's count before the decision
  std::int64_t desired = 0;                  // the guarded count
  BoundBy bound_by = BoundBy::None;
  std::string reason;                   // the script's reason, or the error
  std::vector<PlanStep> plan;           // the script's planned capacity, if any
  std::vector<ForecastPoint> forecast;  // the script's forecast of its demand, if any
  std::vector<GroupCount> groups;       // the script's count per node group, if any
  std::vector<std::string> logs;
};

class PolicyRuntime {
 public:
  // Loads the script and sets up signals for every configured signal. nullptr + *error on failure.
  // With a pool, the policy shares the pool's Lua state for its script unless its config says
  // limits.shared_state = false.
  static std::unique_ptr<PolicyRuntime> create(const PolicyConfig& cfg, std::string* error,
                                               LuaStatePool* pool = nullptr);

  // Adds a signal not in the config (replay columns, eval inputs); returns its index.
  std::size_t add_signal(const std::string& name);
  SignalTable& signals() { return signals_; }

  // One evaluation + guardrails against the target as read. `signal_failed`: a source failed
  // this tick (counts as a failure for the guardrails). ctx.target's min and max are the
  // guardrails' (the target's own bounds when the guardrails are off).
  void tick(double now, const TargetState& target, DecisionRecord& rec, bool signal_failed = false);
  // The same with a bare count (tests).
  DecisionRecord tick(double now, std::int64_t current, std::int64_t ready,
                      bool signal_failed = false);
  // Tells the guardrails a scale actually happened.
  void record_scale(double now, std::int64_t from, std::int64_t to) {
    guard_.record_scale(now, from, to);
  }

  // Shadow mode. A shadow policy never writes its target; its guardrails decide as if it were
  // live, from the observed count: the target's count as read is their current count (rate
  // limits, min/max, pause and fallback act on it), and the scale events they count
  // (cooldown, rate-limit periods) are the changes of the observed count between ticks,
  // whoever made them. Called at each shadow tick that read the target, before tick().
  void observe_shadow(double now, std::int64_t observed);
  // The observed count of the last shadow tick that read the target; unset before it.
  std::optional<std::int64_t> observed() const { return observed_; }
  // Marks this runtime as a shadow policy's: its persisted state carries "shadow" (the last
  // observed count), and restoring a state saved in the other mode starts a fresh guardrail
  // history.
  void set_shadow(bool on) { shadow_ = on; }
  bool shadow() const { return shadow_; }

  // Persisted state: guardrails history + ctx.state.
  Value save_state(std::string* error = nullptr) const;
  // The same as compact JSON text, for `run`'s state file: the guardrails' history always, and
  // ctx.state as last converted successfully; *ctx_error says why the current ctx.state could
  // not be converted (the previous one is kept then, so the history is still saved).
  std::string persisted_json(std::string* ctx_error);
  // Restores what save_state wrote, checked as input: GuardrailState::restore (types, ranges;
  // entries stamped after `latest`, unix seconds, dropped or clamped, one line each in
  // `warnings`), and a ctx.state that a save could convert back (an object or array, at most
  // 100,000 values, 64 levels). False + *error naming the field when the entry cannot be used;
  // nothing is restored then. `guardrails` false restores ctx.state alone (a new target starts a
  // fresh guardrail history). A state saved in the other mode (shadow or not: the "shadow" key)
  // restores ctx.state alone too, with a warning: a shadow policy's history is of scale events
  // the policy never made, a live policy's of scales it made.
  bool restore_state(const Value& v, double latest, std::vector<std::string>& warnings,
                     std::string* error, bool guardrails = true);

  const PolicyConfig& config() const { return cfg_; }
  PolicyScript& script() { return *script_; }
  Guardrails& guardrails() { return guard_; }
  double stale_after_default() const { return 3 * cfg_.interval_seconds; }

 private:
  PolicyRuntime(const PolicyConfig& cfg, std::unique_ptr<PolicyScript> script);
  PolicyConfig cfg_;
  std::unique_ptr<PolicyScript> script_;
  SignalTable signals_;
  Guardrails guard_;
  TargetView view_;
  EvalOutcome out_;  // reused by tick()
  std::size_t attached_count_ = 0;
  std::string last_ctx_json_;  // the last ctx.state converted (or restored), compact JSON
  bool shadow_ = false;
  std::optional<std::int64_t> observed_;  // shadow mode: the count the last tick read
};

// The display path of a script for messages: relative to the working directory when below it.
std::string display_path(const std::string& path);

}  // namespace luascale
