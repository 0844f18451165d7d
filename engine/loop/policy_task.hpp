// engine/loop/policy_task.hpp — one policy of `luascale run`: its runtime, its live adapters as
// the tick sees them (answers on the policy's strand, at most once, a signal within its timeout),
// the timer that starts its ticks, and the record step that feeds /metrics, /decisions, the log
// and the state file. Ticks of one policy never overlap: a tick due while one runs is missed.
// Everything but the fields under `mu` lives on the policy's strand.
#pragma once

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/adapter.hpp"
#include "engine/config/config.hpp"
#include "engine/loop/policy_runtime.hpp"
#include "engine/loop/runner.hpp"
#include "engine/loop/tick.hpp"

namespace luascale {

inline constexpr std::array<double, 11> kEvalBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05,   0.1,   0.25,   0.5,   1.0};
inline constexpr std::array<double, 10> kLagBuckets = {0.001, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,   0.25,  0.5,  1.0,   2.5};
inline constexpr std::array<double, 10> kFetchBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                         0.25,  0.5,  1.0,   2.5,  5.0};

// A cumulative Prometheus histogram over fixed bucket bounds.
template <std::size_t N>
struct Histogram {
  std::array<std::uint64_t, N> counts{};
  std::uint64_t count = 0;
  double sum = 0;
  void observe(double v, const std::array<double, N>& bounds) {
    for (std::size_t i = 0; i < N; ++i)
      if (v <= bounds[i]) ++counts[i];
    ++count;
    sum += v;
  }
};

// What a task needs from the loop that runs it.
class TaskHost {
 public:
  virtual ~TaskHost() = default;
  virtual const RunOptions& run_options() const = 0;
  virtual double now() const = 0;  // unix seconds, the loop's clock
  virtual bool stopping() const = 0;
  virtual bool leader() const = 0;
  virtual void state_changed(bool urgent) = 0;  // the persisted form was refreshed
  virtual void tick_finished() = 0;
  // Queues a shadow log line (engine/shadow/shadow_log.hpp) for the file at `path`.
  virtual void shadow_append(const std::string& path, std::string line) = 0;
};

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

class PolicyTask : public std::enable_shared_from_this<PolicyTask>, public TickSink {
 public:
  struct Signal {
    std::string name;
    std::size_t slot = 0;
    std::unique_ptr<Source> adapter;
    std::unique_ptr<Source> live;  // the adapter as the tick sees it
    double timeout = 5;
    // Guarded by the task's mu:
    std::uint64_t fetch_errors = 0;
    Histogram<kFetchBuckets.size()> latency;
    std::string last_error;
    std::optional<double> value;
  };

  PolicyTask(TaskHost& host, boost::asio::io_context& io, PolicyConfig cfg,
             std::unique_ptr<PolicyRuntime> rt);
  ~PolicyTask() override;

  // Adds a signal fetched by `adapter` (before start).
  void add_signal(const std::string& name, std::unique_ptr<Source> adapter, double timeout);
  // The target; without one the task never ticks (a config `check` builds no actuator).
  void set_actuator(std::unique_ptr<Actuator> actuator);

  // Arms the first tick, delayed by up to `jitter_fraction` of the interval (manual ticks: none),
  // or at `first_due` (at most one interval away): a reloaded policy keeps its schedule, so
  // reloads never make it tick more often than its interval.
  void start(double jitter_fraction, std::mt19937_64& rng,
             std::optional<std::chrono::steady_clock::time_point> first_due = std::nullopt);
  // When the next tick was due; read once the task is retired and has handed over.
  std::chrono::steady_clock::time_point next_due() const { return next_due_; }
  // Stops the timer: no tick starts any more. A tick in flight finishes, its write included (the
  // decision it evaluated is committed, not lost); then the persisted form is refreshed and
  // handed to `done` (on the task's strand, exactly once): what a reloaded version restores, and
  // what the last save at shutdown writes.
  void retire(std::function<void(std::shared_ptr<const std::string>)> done = nullptr);
  // For a retired task whose last tick took too long to finish: that tick writes nothing.
  void abandon() { abandoned_ = true; }
  // Starts a tick now unless one is running (manual ticks and --once).
  void tick_now();
  // Takes over the counters, histograms, gauges and recent decisions of the task this one
  // replaces in a reload (same policy name), so /metrics and /readyz go on across it. Neither
  // task may be ticking.
  void inherit(PolicyTask& old);

  void tick_done(TickRecord& record) override;

  const PolicyConfig cfg;
  // A shadow policy's signal written to its shadow log as the demand ("" = none); set before
  // start.
  std::string shadow_demand;
  const std::unique_ptr<PolicyRuntime> rt;
  std::vector<Signal> signals;
  Strand strand;

  // Guarded by mu: everything the HTTP surface and the state saver read.
  mutable std::mutex mu;
  std::map<std::string, std::uint64_t> evaluations;  // by result
  std::map<std::string, std::uint64_t> bound_by;
  // Changes of the target's count by (direction "up"/"down", rule: the decision's bound_by).
  std::map<std::pair<std::string, std::string>, std::uint64_t> scale_events;
  // successful_ticks: ticks that read the target, fetched every signal, evaluated without error
  // and (when they wrote) wrote; since this process started (reloads carry it over).
  std::uint64_t missed_ticks = 0, actuations = 0, actuation_errors = 0, successful_ticks = 0,
                ticks = 0;
  Histogram<kEvalBuckets.size()> eval_seconds;
  Histogram<kLagBuckets.size()> tick_lag;  // how late a tick started against its schedule
  // unset until the target is read; a shadow policy has no desired (it sets nothing)
  std::optional<std::int64_t> recommended, desired, current;
  // Shadow: the count the policy would have set, and its ticks by how that count compared with
  // the live one read at the same tick.
  std::optional<std::int64_t> shadow_desired;
  std::uint64_t shadow_higher = 0, shadow_lower = 0, shadow_same = 0;
  double last_decision_time = 0;
  std::size_t lua_memory = 0;
  // Recent decisions for /decisions, kept compact (thousands of policies x dozens each).
  struct Recent {
    double time;
    EvalOutcome::Status status;
    BoundBy bound_by;
    // -1 when unknown: no recommendation, or (current, desired) the target could not be read
    std::int64_t current, desired, recommended;
    std::string reason, note;
    std::vector<std::string> logs;
    std::vector<std::pair<std::string, std::string>> signal_errors;  // (signal, error)
  };
  std::deque<Recent> recent;
  // The last persisted form, as JSON text (refreshed after a scale, else every 10 s): a long
  // recommendation history as text is several times smaller than as values.
  std::shared_ptr<const std::string> saved_state;
  std::string last_error;  // why the last tick did not succeed ("" when it did)

 private:
  class LiveSource;
  class LiveTarget;
  void schedule();
  void on_timer();
  bool may_write(std::string* why);
  // Refreshes saved_state (under mu); returns it.
  std::shared_ptr<const std::string> snapshot();
  void hand_over();
  // Appends a shadow tick to the policy's shadow log (when it has one).
  void record_shadow(const TickRecord& t);

  TaskHost& host_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point next_due_;
  std::unique_ptr<Actuator> actuator_;
  std::unique_ptr<Actuator> live_target_;
  std::unique_ptr<PolicyTick> tick_;
  bool in_flight_ = false;
  bool retired_ = false;
  std::atomic<bool> abandoned_{false};  // set from the loop's control strand
  // Told the final persisted form once the task is retired and idle (a reload, a stop).
  std::vector<std::function<void(std::shared_ptr<const std::string>)>> handovers_;
  double last_snapshot_ = -1e300;
  std::string state_error_;  // the last ctx.state conversion error logged (logged once)
};

}  // namespace luascale
