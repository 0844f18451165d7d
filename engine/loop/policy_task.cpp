// engine/loop/policy_task.cpp — see policy_task.hpp.
#include "engine/loop/policy_task.hpp"

#include <boost/asio/post.hpp>

#include <cstdio>

#include "engine/core/units.hpp"
#include "engine/loop/run_log.hpp"

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
      timer_(strand) {}

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

void PolicyTask::start(double jitter_fraction, std::mt19937_64& rng) {
  if (!actuator_) return;
  live_target_ = std::make_unique<LiveTarget>(*this);
  tick_ = std::make_unique<PolicyTick>(*rt, *live_target_, *this);
  tick_->set_timed(true);
  tick_->set_write_gate([this](std::string* why) { return may_write(why); });
  for (std::size_t i = 0; i < signals.size(); ++i) {
    signals[i].live = std::make_unique<LiveSource>(*this, i);
    tick_->add_source(signals[i].slot, *signals[i].live);
  }
  const RunOptions& opts = host_.run_options();
  if (opts.manual_ticks) return;
  std::uniform_real_distribution<double> d(0,
                                           std::max(0.0, jitter_fraction) * cfg.interval_seconds);
  const double delay = opts.once ? 0 : d(rng);
  next_due_ =
      std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<long>(delay * 1e6));
  auto self = shared_from_this();
  timer_.expires_at(next_due_);
  timer_.async_wait([self](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void PolicyTask::retire() {
  auto self = shared_from_this();
  asio::post(strand, [self] {
    self->retired_ = true;
    self->timer_.cancel();
  });
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
  if (retired_ || host_.stopping()) return false;
  if (!host_.leader()) {
    *why = "not the leader: not actuated";
    return false;
  }
  return true;
}

void PolicyTask::tick_done(TickRecord& t) {
  DecisionRecord& rec = t.decision;
  // The persisted form is rebuilt after a scale (so the scale event reaches the state file at
  // once) and otherwise at most every 10 s: converting a long recommendation history on every
  // tick of every policy would cost more than the evaluations themselves.
  std::string err;
  const bool scaled = rec.desired != rec.current;
  const bool snapshot = scaled || rec.time - last_snapshot_ >= 10 || !saved_state;
  std::shared_ptr<const std::string> st_json;
  if (snapshot) {
    Value st = rt->save_state(&err);
    if (err.empty()) st_json = std::make_shared<const std::string>(to_json(st));
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
    if (!t.read_failed) {
      eval_seconds.observe(t.eval_seconds, kEvalBuckets);
      lua_memory = rt->script().memory_used();
    }
    ++evaluations[result];
    if (rec.status != EvalOutcome::Status::Error) ++successful_ticks;
    if (rec.bound_by != BoundBy::None && rec.bound_by != BoundBy::Hold)
      ++bound_by[bound_by_name(rec.bound_by)];
    if (rec.recommended) recommended = rec.recommended;
    desired = rec.desired;
    current = rec.current;
    last_decision_time = rec.time;
    last_error = rec.status == EvalOutcome::Status::Error ? rec.reason : "";
    recent.push_back(Recent{rec.time, rec.status, rec.bound_by, rec.current, rec.desired,
                            rec.recommended.value_or(-1), rec.reason, t.read_failed ? "" : t.note,
                            std::move(rec.logs)});
    while (recent.size() > host_.run_options().decisions_kept) recent.pop_front();
    if (snapshot && err.empty()) saved_state = std::move(st_json);
  }
  for (std::size_t i = 0; i < signals.size(); ++i)
    if (!t.signal_errors[i].empty())
      log_event("warn", cfg.name, "signal_error",
                "signal " + signals[i].name + ": " + t.signal_errors[i]);
  if (rec.status == EvalOutcome::Status::Error)
    log_event("error", cfg.name, "evaluation_error",
              rec.reason + " (holding " + std::to_string(rec.desired) + ")");
  else if (rec.desired != rec.current)
    log_event("info", cfg.name, "scaled",
              "scaled " + std::to_string(rec.current) + " -> " + std::to_string(rec.desired) +
                  " (" + bound_by_name(rec.bound_by) + "): " + rec.reason);
  if (!t.read_failed && !t.note.empty())
    log_event(t.apply_failed ? "error" : "info", cfg.name, "actuation", t.note);
  if (!err.empty()) log_event("warn", cfg.name, "state", "state not persisted: " + err);
  if (const auto& hook = host_.run_options().on_tick) hook(cfg.name, t);
  in_flight_ = false;
  if (snapshot) host_.state_changed(scaled);
  host_.tick_finished();
}

}  // namespace luascale
