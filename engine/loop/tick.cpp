// engine/loop/tick.cpp — see tick.hpp.
#include "engine/loop/tick.hpp"

#include <chrono>
#include <cmath>
#include <string>

namespace luascale {
namespace {

bool same_plan(const std::vector<PlanStep>& a, const std::vector<PlanStep>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].time != b[i].time || a[i].capacity != b[i].capacity) return false;
  return true;
}

}  // namespace

PolicyTick::PolicyTick(PolicyRuntime& runtime, Actuator& target, TickSink& sink)
    : runtime_(runtime), target_(target), sink_(sink) {}

void PolicyTick::add_source(std::size_t slot, Source& source) {
  feeds_.push_back({slot, &source});
  record_.signal_errors.resize(feeds_.size());
}

void PolicyTick::start(double now) {
  running_ = true;
  now_ = now;
  signal_failed_ = false;
  record_.read_failed = record_.applied = record_.apply_failed = false;
  record_.note.clear();
  for (auto& e : record_.signal_errors) e.clear();
  target_.read([this](ReadOutcome&& out) { read_done(out); });
}

void PolicyTick::read_done(ReadOutcome& out) {
  if (out.state) {
    state_ = *out.state;
  } else {
    record_.read_failed = true;
    record_.note = "reading the target failed: " + out.error;
  }
  // The signals are fetched even when the target could not be read: their history stays whole.
  pending_ = feeds_.size();
  if (pending_ == 0) {
    decide();
    return;
  }
  for (std::size_t i = 0; i < feeds_.size(); ++i)
    feeds_[i].source->fetch([this, i](SampleOutcome&& s) { fetch_done(i, s); });
}

void PolicyTick::fetch_done(std::size_t i, SampleOutcome& out) {
  SignalTable& table = runtime_.signals();
  const std::size_t slot = feeds_[i].slot;
  std::string& error = record_.signal_errors[i];
  auto put = [&](Sample& s) {
    const double at = s.timestamp > 0 ? s.timestamp : now_;
    if (!s.value.is_number()) {
      table.set_structured(slot, at, std::move(s.value));
    } else if (std::isfinite(s.value.as_number())) {
      table.set_number(slot, at, s.value.as_number());
    } else {
      error = "not a finite number";
    }
  };
  for (Sample& s : out.earlier) put(s);
  if (out.sample)
    put(*out.sample);
  else if (!out.error.empty())
    error = std::move(out.error);
  if (!error.empty()) {
    table.set_error(slot, error);
    signal_failed_ = true;
  }
  if (--pending_ == 0) decide();
}

void PolicyTick::decide() {
  DecisionRecord& rec = record_.decision;
  if (record_.read_failed) {
    // Nothing is known about the target: hold what it was last seen at.
    const std::int64_t last = rec.desired;
    rec.time = now_;
    rec.status = EvalOutcome::Status::Error;
    rec.bound_by = BoundBy::Error;
    rec.recommended.reset();
    rec.replicas_out.reset();
    rec.nodes_out.reset();
    rec.plan.clear();
    rec.logs.clear();
    rec.reason = record_.note;
    rec.current = rec.desired = shadow_ ? runtime_.shadow_count().value_or(last) : last;
    record_.ready = 0;
    finish();
    return;
  }
  const auto t0 =
      timed_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  std::optional<std::int64_t> guard_current;
  if (shadow_) guard_current = runtime_.shadow_current(state_.replicas);
  runtime_.tick(now_, state_, rec, signal_failed_, guard_current);
  if (timed_)
    record_.eval_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // A failed signal leads the reason (the script's own, if any, follows): the guardrails counted
  // the tick as failed because of it. A switch to the fallback count says so, with the failures
  // that led to it.
  if (signal_failed_)
    for (std::size_t i = 0; i < feeds_.size(); ++i)
      if (!record_.signal_errors[i].empty()) {
        std::string why = "signal " + runtime_.signals().at(feeds_[i].slot).name + ": " +
                          record_.signal_errors[i];
        if (!rec.reason.empty()) why += "; the script: " + rec.reason;
        rec.reason = std::move(why);
        break;
      }
  if (rec.bound_by == BoundBy::Fallback)
    rec.reason = "fallback after " +
                 std::to_string(runtime_.guardrails().state().consecutive_failures) +
                 " consecutive failed evaluations" + (rec.reason.empty() ? "" : ": " + rec.reason);
  record_.ready = state_.ready;
  if (shadow_) {  // recorded beside the live count; nothing is written
    record_.shadow_from = *guard_current;
    runtime_.shadow_done(now_, *guard_current, rec);
    finish();
    return;
  }
  const std::int64_t current = state_.replicas;
  // A changed plan is published even when the count stays (scheduled-action actuators).
  const bool plan_changed = !rec.plan.empty() && !same_plan(rec.plan, last_plan_);
  if (rec.desired == current && !plan_changed) {
    finish();
    return;
  }
  if (gate_ && !gate_(&record_.note)) {
    rec.desired = current;
    finish();
    return;
  }
  ActuationInfo info{runtime_.config().name, rec.reason, bound_by_name(rec.bound_by),
                     rec.recommended.value_or(rec.desired)};
  for (const auto& step : rec.plan) info.plan.push_back(PlannedCapacity{step.time, step.capacity});
  target_.apply(rec.desired, info,
                [this, current](ApplyOutcome&& out) { apply_done(out, current); });
}

void PolicyTick::apply_done(ApplyOutcome& out, std::int64_t current) {
  DecisionRecord& rec = record_.decision;
  if (out.ok) {
    record_.applied = true;
    record_.note = std::move(out.note);
    last_plan_ = rec.plan;
    if (out.applied != current) runtime_.record_scale(now_, current, out.applied);
    rec.desired = out.applied;
  } else {
    record_.apply_failed = true;
    record_.note = "actuation failed: " + out.error;
    rec.desired = current;
  }
  finish();
}

void PolicyTick::finish() {
  running_ = false;
  sink_.tick_done(record_);
}

}  // namespace luascale
