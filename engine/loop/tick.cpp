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
    rec.groups.clear();
    rec.logs.clear();
    rec.reason = record_.note;
    rec.current = rec.desired = last;
    record_.ready = 0;
    finish();
    return;
  }
  if (shadow_) runtime_.observe_shadow(now_, state_.replicas);
  const auto t0 =
      timed_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  runtime_.tick(now_, state_, rec, signal_failed_);
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
    finish();
    return;
  }
  const std::int64_t current = state_.replicas;
  // A changed plan is published even when the count stays (scheduled-action actuators).
  const bool plan_changed = !rec.plan.empty() && !same_plan(rec.plan, last_plan_);
  // So are new group counts with the same sum (nodes moved from one group to another).
  const bool groups_changed = !rec.groups.empty() && rec.desired == rec.recommended.value_or(-1) &&
                              rec.groups != last_groups_;
  if (rec.desired == current && !plan_changed && !groups_changed) {
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
  // Group counts go with a decision the guardrails left as the script gave it.
  groups_sent_ = !rec.groups.empty() && rec.desired == rec.recommended.value_or(-1);
  if (groups_sent_)
    for (const auto& g : rec.groups) info.groups.emplace_back(g.name, g.count);
  target_.apply(rec.desired, info,
                [this, current](ApplyOutcome&& out) { apply_done(out, current); });
}

void PolicyTick::apply_done(ApplyOutcome& out, std::int64_t current) {
  DecisionRecord& rec = record_.decision;
  if (out.ok) {
    record_.applied = true;
    record_.note = std::move(out.note);
    last_plan_ = rec.plan;
    if (groups_sent_) last_groups_ = rec.groups;
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
