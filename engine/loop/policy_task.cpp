// engine/loop/policy_task.cpp — see policy_task.hpp.
#include "engine/loop/policy_task.hpp"

#include <boost/asio/post.hpp>

#include <cstdio>

#include "engine/core/units.hpp"
#include "engine/loop/run_log.hpp"
#include "engine/shadow/shadow_log.hpp"

namespace luascale {

namespace asio = boost::asio;

// A signal's adapter as the tick sees it: the answer arrives on the task's strand, exactly once,
// within the signal's timeout ("timeout after Ns"), and its latency is recorded. The adapter's
// callback holds the task weakly: a source that never answers must not keep a retired task
// alive; the timeout completes the fetch instead.
class PolicyTask::LiveSource final : public Source {
 public:
  LiveSource(PolicyTask& task, std::size_t index) : task_(task), index_(index) {}

  void fetch(std::function<void(SampleOutcome)> done) override {
    struct Call {
      explicit Call(Strand& s) : guard(s) {}
      std::function<void(SampleOutcome)> done;
      asio::steady_timer guard;
      std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
      bool finished = false;
    };
    auto call = std::make_shared<Call>(task_.strand);
    call->done = std::move(done);
    std::weak_ptr<PolicyTask> weak = task_.shared_from_this();
    const std::size_t i = index_;
    auto complete = [weak, call, i](SampleOutcome out) {
      if (call->finished) return;
      call->finished = true;
      call->guard.cancel();
      auto self = weak.lock();
      if (!self) return;
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - call->t0).count();
      {
        std::lock_guard<std::mutex> lock(self->mu);
        self->signals[i].latency.observe(secs, kFetchBuckets);
      }
      call->done(std::move(out));
    };
    const double timeout = task_.signals[i].timeout;
    call->guard.expires_after(std::chrono::milliseconds(static_cast<long>(timeout * 1000)));
    call->guard.async_wait([complete, timeout](boost::system::error_code ec) {
      if (ec) return;
      char text[64];
      std::snprintf(text, sizeof text, "timeout after %gs", timeout);
      SampleOutcome out;
      out.error = text;
      complete(std::move(out));
    });
    task_.signals[i].adapter->fetch([strand = task_.strand, complete](SampleOutcome out) {
      asio::post(strand, [complete, out = std::move(out)]() mutable { complete(std::move(out)); });
    });
  }

 private:
  PolicyTask& task_;
  std::size_t index_;
};

// The actuator as the tick sees it: answers arrive on the task's strand; a call in flight keeps
// the task alive (actuators bound their own time).
class PolicyTask::LiveTarget final : public Actuator {
 public:
  explicit LiveTarget(PolicyTask& task) : task_(task) {}

  void read(std::function<void(ReadOutcome)> done) override {
    auto self = task_.shared_from_this();
    task_.actuator_->read([self, done = std::move(done)](ReadOutcome out) {
      asio::post(self->strand,
                 [self, done, out = std::move(out)]() mutable { done(std::move(out)); });
    });
  }
  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) override {
    auto self = task_.shared_from_this();
    if (task_.cfg.shadow) {  // the tick never asks; should it ever, the target stays untouched
      ApplyOutcome out;
      out.error = "a shadow policy never writes its target";
      asio::post(self->strand, [done = std::move(done), out = std::move(out)] { done(out); });
      return;
    }
    task_.actuator_->apply(desired, info, [self, done = std::move(done)](ApplyOutcome out) {
      asio::post(self->strand,
                 [self, done, out = std::move(out)]() mutable { done(std::move(out)); });
    });
  }

 private:
  PolicyTask& task_;
};

PolicyTask::PolicyTask(TaskHost& host, asio::io_context& io, PolicyConfig c,
                       std::unique_ptr<PolicyRuntime> runtime)
    : cfg(std::move(c)),
      rt(std::move(runtime)),
      strand(asio::make_strand(io)),
      host_(host),
      timer_(strand) {
  rt->set_shadow(cfg.shadow);
}

PolicyTask::~PolicyTask() = default;

void PolicyTask::add_signal(const std::string& name, std::unique_ptr<Source> adapter,
                            double timeout) {
  Signal s;
  s.name = name;
  s.slot = rt->add_signal(name);
  s.adapter = std::move(adapter);
  s.timeout = timeout;
  signals.push_back(std::move(s));
}

void PolicyTask::set_actuator(std::unique_ptr<Actuator> actuator) {
  actuator_ = std::move(actuator);
}

void PolicyTask::start(double jitter_fraction, std::mt19937_64& rng,
                       std::optional<std::chrono::steady_clock::time_point> first_due) {
  if (!actuator_) return;
  live_target_ = std::make_unique<LiveTarget>(*this);
  tick_ = std::make_unique<PolicyTick>(*rt, *live_target_, *this);
  tick_->set_timed(true);
  tick_->set_shadow(cfg.shadow);
  tick_->set_write_gate([this](std::string* why) { return may_write(why); });
  for (std::size_t i = 0; i < signals.size(); ++i) {
    signals[i].live = std::make_unique<LiveSource>(*this, i);
    tick_->add_source(signals[i].slot, *signals[i].live);
  }
  if (cfg.shadow && !first_due)
    log_event("info", cfg.name, "shadow",
              "shadow mode: the target is read, never written" +
                  (cfg.shadow_log.empty() ? std::string(" (no shadow_log: ticks are not recorded)")
                                          : "; ticks recorded in " + cfg.shadow_log));
  const RunOptions& opts = host_.run_options();
  if (opts.manual_ticks) return;
  std::uniform_real_distribution<double> d(0,
                                           std::max(0.0, jitter_fraction) * cfg.interval_seconds);
  const double delay = opts.once ? 0 : d(rng);
  const auto now = std::chrono::steady_clock::now();
  next_due_ = now + std::chrono::microseconds(static_cast<long>(delay * 1e6));
  if (first_due && !opts.once)
    next_due_ = std::min(
        *first_due, now + std::chrono::microseconds(static_cast<long>(cfg.interval_seconds * 1e6)));
  auto self = shared_from_this();
  timer_.expires_at(next_due_);
  timer_.async_wait([self](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void PolicyTask::retire(std::function<void(std::shared_ptr<const std::string>)> done) {
  auto self = shared_from_this();
  asio::post(strand, [self, done = std::move(done)]() mutable {
    self->retired_ = true;
    self->timer_.cancel();
    if (done) self->handovers_.push_back(std::move(done));
    if (!self->in_flight_) self->hand_over();  // else when the tick in flight is done
  });
}

std::shared_ptr<const std::string> PolicyTask::snapshot() {
  std::string err;
  auto st = std::make_shared<const std::string>(rt->persisted_json(&err));
  if (err != state_error_) {
    state_error_ = err;
    if (!err.empty())
      log_event("warn", cfg.name, "state",
                "ctx.state not persisted (the last one that could be is kept, with the "
                "guardrail history): " +
                    err);
  }
  std::lock_guard<std::mutex> lock(mu);
  saved_state = st;
  return st;
}

void PolicyTask::hand_over() {
  if (handovers_.empty()) return;
  auto waiting = std::move(handovers_);
  handovers_.clear();
  auto final = snapshot();
  for (auto& done : waiting) done(final);
}

void PolicyTask::inherit(PolicyTask& old) {
  std::lock_guard<std::mutex> lock_old(old.mu);
  std::lock_guard<std::mutex> lock(mu);
  evaluations = old.evaluations;
  bound_by = old.bound_by;
  scale_events = old.scale_events;
  missed_ticks = old.missed_ticks;
  actuations = old.actuations;
  actuation_errors = old.actuation_errors;
  successful_ticks = old.successful_ticks;
  ticks = old.ticks;
  eval_seconds = old.eval_seconds;
  tick_lag = old.tick_lag;
  recommended = old.recommended;
  desired = old.desired;
  current = old.current;
  shadow_desired = old.shadow_desired;
  shadow_higher = old.shadow_higher;
  shadow_lower = old.shadow_lower;
  shadow_same = old.shadow_same;
  last_decision_time = old.last_decision_time;
  recent = old.recent;
  last_error = old.last_error;
  for (Signal& s : signals)
    for (const Signal& o : old.signals)
      if (o.name == s.name) {
        s.fetch_errors = o.fetch_errors;
        s.latency = o.latency;
        s.last_error = o.last_error;
        s.value = o.value;
      }
}

void PolicyTask::schedule() {
  if (retired_ || host_.run_options().once) return;
  const auto interval = std::chrono::microseconds(static_cast<long>(cfg.interval_seconds * 1e6));
  next_due_ += interval;
  const auto now = std::chrono::steady_clock::now();
  if (next_due_ < now) {  // fell behind (a suspended process, a long tick): skip, do not queue
    std::uint64_t skipped = 0;
    while (next_due_ < now) {
      next_due_ += interval;
      ++skipped;
    }
    std::lock_guard<std::mutex> lock(mu);
    missed_ticks += skipped;
  }
  auto self = shared_from_this();
  timer_.expires_at(next_due_);
  timer_.async_wait([self](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void PolicyTask::on_timer() {
  if (retired_) return;
  {
    const double lag =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - next_due_).count();
    std::lock_guard<std::mutex> lock(mu);
    tick_lag.observe(std::max(0.0, lag), kLagBuckets);
  }
  schedule();
  tick_now();
}

void PolicyTask::tick_now() {
  if (retired_ || !tick_) return;
  if (in_flight_) {
    std::lock_guard<std::mutex> lock(mu);
    ++missed_ticks;
    return;
  }
  in_flight_ = true;
  tick_->start(host_.now());
}

bool PolicyTask::may_write(std::string* why) {
  // A retired task's last tick still writes (a reload or a stop commits it), unless it took so
  // long that the loop went on without it.
  if (abandoned_) {
    *why = "superseded while in flight: not actuated";
    return false;
  }
  if (!host_.leader()) {
    *why = "not the leader: not actuated";
    return false;
  }
  return true;
}

void PolicyTask::record_shadow(const TickRecord& t) {
  // Only the leader records: instances on standby would repeat its ticks.
  if (cfg.shadow_log.empty() || !host_.leader()) return;
  const DecisionRecord& rec = t.decision;
  const bool read = !t.read_failed;
  ShadowRow row;
  row.time = rec.time;
  row.recommended = rec.recommended;
  if (read) row.replicas = rec.desired;
  row.bound_by = bound_by_name(rec.bound_by);
  row.reason = rec.reason;
  row.policy = cfg.name;
  row.status = status_name(rec.status);
  if (read) {
    row.ready = t.ready;
    row.live = rec.current;
  }
  row.interval = cfg.interval_seconds;
  if (!shadow_demand.empty()) {
    row.demand_signal = shadow_demand;
    std::lock_guard<std::mutex> lock(mu);
    for (const Signal& s : signals)
      if (s.name == shadow_demand && s.value && s.last_error.empty()) row.demand = *s.value;
  }
  host_.shadow_append(cfg.shadow_log, shadow_log_line(row));
}

void PolicyTask::tick_done(TickRecord& t) {
  DecisionRecord& rec = t.decision;
  const bool read = !t.read_failed;
  // An actuation changed the count (a shadow tick changes none).
  const bool scaled = !t.shadow && read && rec.desired != rec.current;
  // A shadow tick whose decision is not the previous one's (logged, and saved at once).
  std::optional<std::int64_t> shadow_before;
  if (t.shadow) {
    std::lock_guard<std::mutex> lock(mu);
    shadow_before = shadow_desired;
  }
  const bool shadow_moved = t.shadow && read && shadow_before != rec.desired;
  std::string signal_failure;  // the first failed signal and its error
  std::vector<std::pair<std::string, std::string>> failed_signals;
  for (std::size_t i = 0; i < signals.size(); ++i)
    if (!t.signal_errors[i].empty()) {
      failed_signals.emplace_back(signals[i].name, t.signal_errors[i]);
      if (signal_failure.empty())
        signal_failure = "signal " + signals[i].name + ": " + t.signal_errors[i];
    }
  const bool success =
      read && !t.apply_failed && failed_signals.empty() && rec.status != EvalOutcome::Status::Error;
  std::string failure;
  if (!read || t.apply_failed)
    failure = t.note;
  else if (rec.status == EvalOutcome::Status::Error)
    failure = rec.reason;
  else if (!failed_signals.empty())
    failure = signal_failure;

  // The persisted form is rebuilt after a scale (so the scale event reaches the state file at
  // once) and otherwise at most every 10 s: converting a long recommendation history on every
  // tick of every policy would cost more than the evaluations themselves.
  const bool refresh = scaled || shadow_moved || rec.time - last_snapshot_ >= 10 || !saved_state;
  if (refresh) {
    snapshot();
    last_snapshot_ = rec.time;
  }
  const SignalTable& table = rt->signals();
  const std::string result = status_name(rec.status);
  {
    std::lock_guard<std::mutex> lock(mu);
    for (std::size_t i = 0; i < signals.size(); ++i) {
      Signal& s = signals[i];
      if (!t.signal_errors[i].empty()) {
        ++s.fetch_errors;
        s.last_error = t.signal_errors[i];
      } else {
        s.last_error.clear();
        const SignalSlot& slot = table.at(s.slot);
        if (slot.has_value && slot.is_number)
          s.value = slot.number;
        else
          s.value.reset();
      }
    }
    ++ticks;
    if (t.read_failed || t.apply_failed) ++actuation_errors;
    if (t.applied) ++actuations;
    if (read) {
      eval_seconds.observe(t.eval_seconds, kEvalBuckets);
      lua_memory = rt->script().memory_used();
    }
    ++evaluations[result];
    if (success) ++successful_ticks;
    if (rec.bound_by != BoundBy::None && rec.bound_by != BoundBy::Hold)
      ++bound_by[bound_by_name(rec.bound_by)];
    if (scaled)
      ++scale_events[{rec.desired > rec.current ? "up" : "down", bound_by_name(rec.bound_by)}];
    if (rec.recommended) recommended = rec.recommended;
    if (read) {  // a target that could not be read has no known count
      if (t.shadow) {
        shadow_desired = rec.desired;
        ++(rec.desired > rec.current   ? shadow_higher
           : rec.desired < rec.current ? shadow_lower
                                       : shadow_same);
      } else {
        desired = rec.desired;
      }
      current = rec.current;
    }
    last_decision_time = rec.time;
    last_error = failure;
    recent.push_back(Recent{rec.time, rec.status, rec.bound_by, read ? rec.current : -1,
                            read ? rec.desired : -1, rec.recommended.value_or(-1), rec.reason,
                            read ? t.note : "", std::move(rec.logs), std::move(failed_signals)});
    while (recent.size() > host_.run_options().decisions_kept) recent.pop_front();
  }
  for (std::size_t i = 0; i < signals.size(); ++i)
    if (!t.signal_errors[i].empty())
      log_event("warn", cfg.name, "signal_error",
                "signal " + signals[i].name + ": " + t.signal_errors[i]);
  if (rec.status == EvalOutcome::Status::Error)
    log_event("error", cfg.name, "evaluation_error",
              rec.reason + (!read    ? " (the target is left as it is)"
                            : scaled ? ""
                                     : " (holding " + std::to_string(rec.desired) + ")"));
  if (shadow_moved)
    log_event("info", cfg.name, "shadow",
              "would set " + std::to_string(rec.desired) + " (" + bound_by_name(rec.bound_by) +
                  "), live " + std::to_string(rec.current) + ": " + rec.reason);
  if (t.shadow) record_shadow(t);
  if (scaled)  // every change of count, whatever rule made it (fallback included)
    log_event("info", cfg.name, "scaled",
              "scaled " + std::to_string(rec.current) + " -> " + std::to_string(rec.desired) +
                  " (" + bound_by_name(rec.bound_by) + "): " + rec.reason);
  if (read && !t.note.empty())
    log_event(t.apply_failed ? "error" : "info", cfg.name, "actuation", t.note);
  if (const auto& hook = host_.run_options().on_tick) hook(cfg.name, t);
  in_flight_ = false;
  if (refresh) host_.state_changed(scaled);
  host_.tick_finished();
  if (retired_) hand_over();
}

}  // namespace luascale
