// engine/loop/runner.cpp — the live evaluation loop behind `luascale run`.
#include "engine/loop/runner.hpp"

#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <unistd.h>

#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "engine/loop/policy_runtime.hpp"
#include "engine/replay/trace.hpp"
#include "engine/server/http_server.hpp"
#include "engine/state/state_file.hpp"

namespace luascale {

namespace asio = boost::asio;
using Strand = asio::strand<asio::io_context::executor_type>;

namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::atomic<bool> g_log_json{true};

// One log record: JSON Lines by default ({"ts","level","event","policy","msg"}), or text.
void log_event(const std::string& level, const std::string& policy, const char* event, const std::string& msg) {
  static std::mutex mu;
  std::string line;
  if (g_log_json) {
    Value o = Value::object();
    o.set("ts", format_timestamp(std::round(wall_now() * 1000) / 1000));
    o.set("level", level);
    o.set("event", event);
    if (!policy.empty()) o.set("policy", policy);
    o.set("msg", msg);
    line = to_json(o) + "\n";
  } else {
    line = format_timestamp(std::floor(wall_now())) + " " + level + " " + event;
    if (!policy.empty()) line += " policy=" + policy;
    line += " " + msg + "\n";
  }
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

const char* status_name(EvalOutcome::Status s) {
  switch (s) {
    case EvalOutcome::Status::Decision: return "decision";
    case EvalOutcome::Status::Hold: return "hold";
    case EvalOutcome::Status::Error: return "error";
  }
  return "?";
}

std::string label_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

double file_mtime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
}

constexpr std::array<double, 11> kEvalBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0};
constexpr std::array<double, 10> kLagBuckets = {0.001, 0.005, 0.01, 0.025, 0.05,
                                                0.1,   0.25,  0.5,  1.0,   2.5};
constexpr std::array<double, 10> kFetchBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                  0.25,  0.5,  1.0,   2.5,  5.0};

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

}  // namespace

// One running policy: its runtime, sources, actuator, timer and counters.
struct PolicyTask : std::enable_shared_from_this<PolicyTask> {
  struct Signal {
    std::string name;
    std::size_t slot = 0;
    std::unique_ptr<Source> source;
    double timeout = 5;
    // stats
    std::uint64_t fetch_errors = 0;
    Histogram<kFetchBuckets.size()> latency;
    std::string last_error;
    std::optional<double> value;
  };

  Runner::Impl* owner;
  PolicyConfig cfg;
  std::unique_ptr<PolicyRuntime> rt;
  std::vector<Signal> signals;
  std::unique_ptr<Actuator> actuator;
  Strand strand;
  asio::steady_timer timer;
  std::chrono::steady_clock::time_point next_due;
  std::atomic<bool> in_flight{false};
  bool retired = false;

  // Guarded by mu: everything the HTTP surface and the state saver read.
  mutable std::mutex mu;
  std::map<std::string, std::uint64_t> evaluations;  // by result
  std::map<std::string, std::uint64_t> bound_by;
  std::uint64_t missed_ticks = 0, actuations = 0, actuation_errors = 0, successful_ticks = 0, ticks = 0;
  Histogram<kEvalBuckets.size()> eval_seconds;
  Histogram<kLagBuckets.size()> tick_lag;  // how late a tick started against its schedule
  std::optional<std::int64_t> recommended, desired, current;
  double last_decision_time = 0;
  std::size_t lua_memory = 0;
  // Recent decisions for /decisions, kept compact (thousands of policies x dozens each).
  struct Recent {
    double time;
    EvalOutcome::Status status;
    BoundBy bound_by;
    std::int64_t current, desired, recommended;  // recommended -1 when none
    std::string reason, note;
    std::vector<std::string> logs;
  };
  std::deque<Recent> recent;
  // The last persisted form, as JSON text (refreshed after a scale, else every 10 s): a long
  // recommendation history as text is several times smaller than as values.
  std::shared_ptr<const std::string> saved_state;
  double last_snapshot = -1e300;
  std::vector<PlanStep> last_plan;  // the plan last accepted by the actuator
  std::string last_error;

  PolicyTask(Runner::Impl* o, asio::io_context& io, PolicyConfig c)
      : owner(o), cfg(std::move(c)), strand(asio::make_strand(io)), timer(strand) {}

  void start(double jitter_fraction, std::mt19937_64& rng);
  void retire() {
    auto self = shared_from_this();
    asio::post(strand, [self] {
      self->retired = true;
      self->timer.cancel();
    });
  }
  void schedule();
  void tick();
  void fetch_done(std::shared_ptr<struct TickState> ts);
  void evaluate(std::shared_ptr<struct TickState> ts, std::int64_t current, std::int64_t ready);
  void finish(std::shared_ptr<struct TickState> ts, DecisionRecord rec, const std::string& note);
};

bool same_plan(const std::vector<PlanStep>& a, const std::vector<PlanStep>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].time != b[i].time || a[i].capacity != b[i].capacity) return false;
  return true;
}

struct TickState {
  double now = 0;
  std::size_t remaining = 0;
  bool signal_failed = false;
  std::chrono::steady_clock::time_point started;
};

// Hands memory freed by a large transient (a /metrics or /decisions answer for thousands of
// policies, a state file) back to the system; glibc would otherwise keep the high-water mark.
void release_free_memory() {
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

struct StateSnapshot {
  double saved_at = 0;
  std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> policies;
};

// A thread that writes the newest state snapshot (older unwritten ones are superseded).
class StateWriter {
 public:
  StateWriter() : thread_([this] { loop(); }) {}
  ~StateWriter() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void submit(const std::string& path, StateSnapshot snap, bool wait) {
    std::unique_lock<std::mutex> lk(mu_);
    path_ = path;
    pending_ = std::move(snap);
    const std::uint64_t mine = ++submitted_;
    cv_.notify_all();
    if (wait) done_cv_.wait(lk, [&] { return written_ >= mine; });
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return quit_ || pending_; });
      if (!pending_) return;  // quitting with nothing left to write
      StateSnapshot snap = std::move(*pending_);
      pending_.reset();
      const std::uint64_t upto = submitted_;
      const std::string path = path_;
      lk.unlock();
      std::vector<std::pair<std::string, std::string_view>> policies;  // views into snap
      policies.reserve(snap.policies.size());
      for (auto& [name, json] : snap.policies) policies.emplace_back(name, *json);
      std::string err;
      if (!save_state_file_json(path, policies, snap.saved_at, &err))
        log_event("error", "", "state", "state not saved: " + err);
      policies.clear();
      snap = StateSnapshot();
      release_free_memory();
      lk.lock();
      written_ = upto;
      done_cv_.notify_all();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::optional<StateSnapshot> pending_;
  std::string path_;
  std::uint64_t submitted_ = 0, written_ = 0;
  bool quit_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

struct Runner::Impl {
  asio::io_context& io;
  // Serialises the loop's own bookkeeping (reloads, state saves, stop, the --once countdown) when
  // `run --threads N` runs the io_context on several threads; policies have their own strands.
  Strand control;
  RunOptions opts;
  const std::vector<SourceFactory>& source_factories;
  const std::vector<ActuatorFactory>& actuator_factories;
  AdapterContext actx;
  Config config;
  std::vector<std::shared_ptr<PolicyTask>> tasks;
  mutable std::mutex tasks_mu;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<asio::signal_set> signals;
  std::unique_ptr<asio::steady_timer> poll_timer, save_timer;
  std::map<std::string, double> mtimes;
  std::string state_file;
  std::mt19937_64 rng{std::random_device{}()};
  std::atomic<std::uint64_t> reloads_ok{0}, reloads_failed{0};  // read by /metrics
  std::atomic<bool> stopped{false};  // read by policy strands
  std::size_t once_remaining = 0;
  double started_at = wall_now();

  LuaStatePool lua_states;  // policies running the same script share a Lua state
  StateWriter state_writer;  // writes state snapshots off the loop thread

  Impl(asio::io_context& i, RunOptions o, const std::vector<SourceFactory>& s, const std::vector<ActuatorFactory>& a)
      : io(i), control(asio::make_strand(i)), opts(std::move(o)), source_factories(s), actuator_factories(a), actx{i, ""} {}

  // Builds the tasks of a config; every problem goes to *problems.
  std::vector<std::shared_ptr<PolicyTask>> build(const Config& cfg, std::vector<std::string>& problems) {
    std::vector<std::shared_ptr<PolicyTask>> out;
    actx.config_dir = cfg.dir;
    for (const auto& pc : cfg.policies) {
      auto task = std::make_shared<PolicyTask>(this, io, pc);
      std::string err;
      task->rt = PolicyRuntime::create(pc, &err, &lua_states);
      if (!task->rt) {
        problems.push_back(err);
        continue;
      }
      const ActuatorFactory* af = nullptr;
      for (const auto& f : actuator_factories)
        if (pc.target.kind == f.kind) af = &f;
      if (pc.target.kind.empty()) {
        problems.push_back(cfg.path + ": " + pc.key_path + ".target.kind: required by run (the actuator: e.g. \"kubernetes\", \"aws-asg\", \"file\", \"log\")");
      } else if (!af) {
        problems.push_back(cfg.path + ": " + pc.key_path + ".target.kind: unknown target kind '" + pc.target.kind + "'");
      } else {
        try {
          task->actuator = af->make(actx, pc.name, pc.target.options);
          if (!task->actuator) problems.push_back(cfg.path + ": " + pc.key_path + ".target: the actuator could not be created");
        } catch (const std::exception& e) {
          problems.push_back(cfg.path + ": " + pc.key_path + ".target: " + e.what());
        }
      }
      for (const auto& sc : pc.signals) {
        const std::string sp = cfg.path + ": " + pc.key_path + ".signals." + sc.name;
        const SourceFactory* sf = nullptr;
        for (const auto& f : source_factories)
          if (sc.source == f.name) sf = &f;
        if (sc.source.empty()) {
          problems.push_back(sp + ".source: required by run (where the signal comes from, e.g. \"prometheus\", \"redis\")");
          continue;
        }
        if (!sf) {
          problems.push_back(sp + ".source: unknown source '" + sc.source + "'");
          continue;
        }
        PolicyTask::Signal s;
        s.name = sc.name;
        s.slot = task->rt->add_signal(sc.name);
        s.timeout = sc.timeout_seconds;
        SignalSpec spec{sc.name, sc.source, sc.options, sc.timeout_seconds};
        try {
          s.source = sf->make(actx, spec);
        } catch (const std::exception& e) {
          problems.push_back(sp + ": " + e.what());
          continue;
        }
        if (!s.source) {
          problems.push_back(sp + ": the source could not be created");
          continue;
        }
        task->signals.push_back(std::move(s));
      }
      out.push_back(std::move(task));
    }
    return out;
  }

  void watch_files() {
    mtimes.clear();
    mtimes[opts.config_path] = file_mtime(opts.config_path);
    for (const auto& p : config.policies) mtimes[p.script_path] = file_mtime(p.script_path);
  }

  void poll() {
    if (opts.reload_poll_seconds <= 0 || stopped) return;
    poll_timer->expires_after(std::chrono::milliseconds(static_cast<long>(opts.reload_poll_seconds * 1000)));
    poll_timer->async_wait([this](boost::system::error_code ec) {
      if (ec || stopped) return;
      bool changed = false;
      for (const auto& [path, t] : mtimes)
        if (file_mtime(path) != t) changed = true;
      if (changed) {
        log_event("info", "", "reload", "config or policy file changed; reloading");
        reload();
      }
      poll();
    });
  }

  void wait_signals() {
    signals->async_wait(asio::bind_executor(control, [this](boost::system::error_code ec, int sig) {
      if (ec || stopped) return;
      if (sig == SIGHUP) {
        log_event("info", "", "reload", "SIGHUP: reloading");
        reload();
        wait_signals();
      } else {
        log_event("info", "", "stop", std::string("signal ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping");
        stop();
      }
    }));
  }

  bool reload() {
    Config cfg;
    std::vector<std::string> problems;
    try {
      AdapterCatalog cat{&source_factories, &actuator_factories, true, opts.leader_election_keys};
      cfg = load_config(opts.config_path, cat);
    } catch (const ConfigError& e) {
      problems = e.problems;
    }
    std::vector<std::shared_ptr<PolicyTask>> fresh;
    if (problems.empty()) fresh = build(cfg, problems);
    if (!problems.empty()) {
      ++reloads_failed;
      for (const auto& p : problems) log_event("error", "", "reload_rejected", p);
      log_event("error", "", "reload_rejected", "reload rejected; the running version continues");
      watch_files();  // do not retry the same broken files every poll
      return false;
    }
    std::vector<std::shared_ptr<PolicyTask>> old;
    {
      std::lock_guard<std::mutex> lock(tasks_mu);
      old = tasks;
    }
    for (auto& t : fresh) {
      for (auto& o : old) {
        if (o->cfg.name != t->cfg.name) continue;
        std::lock_guard<std::mutex> lock(o->mu);
        std::string err;
        if (o->saved_state) {
          bool ok = false;
          try {
            ok = t->rt->restore_state(parse_json(*o->saved_state), &err);
          } catch (const std::exception& e) {
            err = e.what();
          }
          if (!ok) log_event("warn", t->cfg.name, "state", "state not carried over: " + err);
        }
        t->saved_state = o->saved_state;
      }
    }
    for (auto& o : old) o->retire();
    {
      std::lock_guard<std::mutex> lock(tasks_mu);
      tasks = fresh;
    }
    config = std::move(cfg);
    watch_files();
    for (auto& t : fresh) t->start(opts.jitter_fraction, rng);
    ++reloads_ok;
    log_event("info", "", "reloaded", "reloaded: " + std::to_string(fresh.size()) + " policies");
    return true;
  }

  // Collects every policy's last persisted form (shared, not copied) and hands the snapshot to
  // the writer thread: serialising and fsyncing 1,000 policies' state takes tens of
  // milliseconds, which on the loop thread would delay every tick due meanwhile. `wait` (stop)
  // returns once this snapshot is on disk.
  void save_state(bool wait = false) {
    if (state_file.empty()) return;
    StateSnapshot snap;
    snap.saved_at = wall_now();
    {
      std::lock_guard<std::mutex> lock(tasks_mu);
      for (auto& t : tasks) {
        std::lock_guard<std::mutex> l2(t->mu);
        if (t->saved_state) snap.policies.emplace_back(t->cfg.name, t->saved_state);
      }
    }
    state_writer.submit(state_file, std::move(snap), wait);
  }

  bool state_dirty = false, urgent_pending = false;
  // After a scale the state is written at once (coalesced within one turn of the loop), so a
  // crash right after an actuation cannot lose its scale event; otherwise within a second.
  void mark_dirty(bool urgent = false) {
    if (urgent) {
      asio::post(control, [this] {
        if (urgent_pending || stopped) return;
        urgent_pending = true;
        asio::post(control, [this] {
          urgent_pending = false;
          if (!stopped) save_state();
        });
      });
      return;
    }
    asio::post(control, [this] {
      if (state_dirty || stopped) return;
      state_dirty = true;
      save_timer->expires_after(std::chrono::seconds(2));
      save_timer->async_wait([this](boost::system::error_code ec) {
        state_dirty = false;
        if (!ec) save_state();
      });
    });
  }

  void tick_finished() {
    if (!opts.once) return;
    asio::post(control, [this] {
      if (once_remaining > 0 && --once_remaining == 0) stop();
    });
  }

  void stop() {
    if (stopped.exchange(true)) return;
    {
      std::lock_guard<std::mutex> lock(tasks_mu);
      for (auto& t : tasks) t->retire();
    }
    if (server) server->stop();
    if (opts.on_stop) opts.on_stop();
    if (signals) signals->cancel();
    if (poll_timer) poll_timer->cancel();
    if (save_timer) save_timer->cancel();
    save_state(true);
    // In-flight fetches and actuations finish on their own, but not for ever: poll until every
    // policy is idle (then the loop runs out of work and returns), giving up after 10 s.
    stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    stop_timer = std::make_unique<asio::steady_timer>(control);
    wait_idle();
  }
  std::chrono::steady_clock::time_point stop_deadline;
  void wait_idle() {
    bool busy = false;
    {
      std::lock_guard<std::mutex> lock(tasks_mu);
      for (auto& t : tasks) busy = busy || t->in_flight;
    }
    if (!busy) {
      save_state(true);  // whatever the last in-flight ticks changed
      return;
    }
    if (std::chrono::steady_clock::now() > stop_deadline) {
      log_event("warn", "", "stop", "in-flight work still running after 10s; exiting without it");
      save_state(true);
      io.stop();
      return;
    }
    stop_timer->expires_after(std::chrono::milliseconds(50));
    stop_timer->async_wait([this](boost::system::error_code ec) {
      if (!ec) wait_idle();
    });
  }
  std::unique_ptr<asio::steady_timer> stop_timer;

  HttpResponse handle(const std::string& target, Runner& runner);
};

// ---------------------------------------------------------------------------------------------

void PolicyTask::start(double jitter_fraction, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> d(0, std::max(0.0, jitter_fraction) * cfg.interval_seconds);
  double delay = owner->opts.once ? 0 : d(rng);
  next_due = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<long>(delay * 1e6));
  auto self = shared_from_this();
  timer.expires_at(next_due);
  timer.async_wait([self](boost::system::error_code ec) {
    if (!ec) self->tick();
  });
}

void PolicyTask::schedule() {
  if (retired || owner->opts.once) return;
  const auto interval = std::chrono::microseconds(static_cast<long>(cfg.interval_seconds * 1e6));
  next_due += interval;
  const auto now = std::chrono::steady_clock::now();
  if (next_due < now) {  // fell behind (a suspended process, a long tick): skip, do not queue
    std::uint64_t skipped = 0;
    while (next_due < now) {
      next_due += interval;
      ++skipped;
    }
    std::lock_guard<std::mutex> lock(mu);
    missed_ticks += skipped;
  }
  auto self = shared_from_this();
  timer.expires_at(next_due);
  timer.async_wait([self](boost::system::error_code ec) {
    if (!ec) self->tick();
  });
}

void PolicyTask::tick() {
  if (retired) return;
  {
    const double lag = std::chrono::duration<double>(std::chrono::steady_clock::now() - next_due).count();
    std::lock_guard<std::mutex> lock(mu);
    tick_lag.observe(std::max(0.0, lag), kLagBuckets);
  }
  schedule();
  if (in_flight) {
    std::lock_guard<std::mutex> lock(mu);
    ++missed_ticks;
    return;
  }
  in_flight = true;
  auto ts = std::make_shared<TickState>();
  ts->now = wall_now();
  ts->started = std::chrono::steady_clock::now();
  ts->remaining = signals.size();
  if (signals.empty()) {
    fetch_done(ts);
    return;
  }
  auto self = shared_from_this();
  for (std::size_t i = 0; i < signals.size(); ++i) {
    auto done = std::make_shared<bool>(false);
    auto guard = std::make_shared<asio::steady_timer>(strand);
    auto t0 = std::chrono::steady_clock::now();
    // The callbacks hold the task weakly: a source that never answers must not keep a retired
    // task (and itself) alive forever; the guard timer completes the fetch instead.
    std::weak_ptr<PolicyTask> weak = self;
    auto complete = [weak, ts, i, done, guard, t0](std::optional<Sample> sample, std::string error) {
      if (*done) return;
      *done = true;
      guard->cancel();
      auto self = weak.lock();
      if (!self) return;
      Signal& s = self->signals[i];
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      SignalTable& table = self->rt->signals();
      {
        std::lock_guard<std::mutex> lock(self->mu);
        s.latency.observe(secs, kFetchBuckets);
        if (sample) {
          double at = sample->timestamp > 0 ? sample->timestamp : ts->now;
          if (sample->value.is_number()) {
            double v = sample->value.as_number();
            if (std::isfinite(v)) {
              table.set_number(s.slot, at, v);
              s.value = v;
            } else {
              error = "not a finite number";
            }
          } else {
            table.set_structured(s.slot, at, std::move(sample->value));
            s.value.reset();
          }
        }
        if (!sample || !error.empty()) {
          ++s.fetch_errors;
          s.last_error = error;
          table.set_error(s.slot, error);
          ts->signal_failed = true;
        } else {
          s.last_error.clear();
        }
      }
      if (!error.empty()) log_event("warn", self->cfg.name, "signal_error", "signal " + s.name + ": " + error);
      if (--ts->remaining == 0) self->fetch_done(ts);
    };
    guard->expires_after(std::chrono::milliseconds(static_cast<long>(signals[i].timeout * 1000)));
    char timeout_text[64];
    std::snprintf(timeout_text, sizeof timeout_text, "timeout after %gs", signals[i].timeout);
    guard->async_wait([complete, msg = std::string(timeout_text)](boost::system::error_code ec) {
      if (ec) return;
      complete(std::nullopt, msg);
    });
    signals[i].source->fetch([strand = strand, complete](SampleOutcome out) {
      asio::post(strand, [complete, out = std::move(out)]() mutable {
        if (out.sample) complete(std::move(out.sample), "");
        else complete(std::nullopt, out.error.empty() ? "fetch failed" : out.error);
      });
    });
  }
}

void PolicyTask::fetch_done(std::shared_ptr<TickState> ts) {
  if (!actuator) {
    in_flight = false;
    return;
  }
  auto self = shared_from_this();
  actuator->read([self, ts](ReadOutcome out) {
    asio::post(self->strand, [self, ts, out = std::move(out)] {
      if (!out.state) {
        DecisionRecord rec;
        rec.time = ts->now;
        rec.status = EvalOutcome::Status::Error;
        rec.bound_by = BoundBy::Error;
        rec.reason = "reading the target failed: " + out.error;
        {
          std::lock_guard<std::mutex> lock(self->mu);
          ++self->actuation_errors;
          rec.current = rec.desired = self->current.value_or(0);
        }
        self->finish(ts, std::move(rec), "");
        return;
      }
      self->evaluate(ts, out.state->replicas, out.state->ready);
    });
  });
}

void PolicyTask::evaluate(std::shared_ptr<TickState> ts, std::int64_t current_count, std::int64_t ready) {
  auto t0 = std::chrono::steady_clock::now();
  DecisionRecord rec = rt->tick(ts->now, current_count, ready, ts->signal_failed);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    std::lock_guard<std::mutex> lock(mu);
    eval_seconds.observe(secs, kEvalBuckets);
    lua_memory = rt->script().memory_used();
  }
  bool leader = !owner->opts.is_leader || owner->opts.is_leader();
  // A changed plan is published even when the count stays (scheduled-action actuators).
  bool plan_changed = !rec.plan.empty() && !same_plan(rec.plan, last_plan);
  if ((rec.desired == current_count && !plan_changed) || owner->stopped || retired || !leader) {
    finish(ts, std::move(rec), leader ? "" : "not the leader: not actuated");
    return;
  }
  ActuationInfo info{cfg.name, rec.reason, bound_by_name(rec.bound_by), rec.recommended.value_or(rec.desired)};
  for (const auto& step : rec.plan) info.plan.push_back(PlannedCapacity{step.time, step.capacity});
  std::vector<PlanStep> plan = rec.plan;
  auto self = shared_from_this();
  std::int64_t want = rec.desired;
  actuator->apply(want, info, [self, ts, rec = std::move(rec), current_count, plan](ApplyOutcome out) mutable {
    asio::post(self->strand, [self, ts, rec = std::move(rec), out = std::move(out), current_count, plan]() mutable {
      std::string note = out.note;
      if (out.ok) {
        self->last_plan = plan;
        if (out.applied != current_count) self->rt->record_scale(ts->now, current_count, out.applied);
        std::lock_guard<std::mutex> lock(self->mu);
        ++self->actuations;
        rec.desired = out.applied;
      } else {
        note = "actuation failed: " + out.error;
        std::lock_guard<std::mutex> lock(self->mu);
        ++self->actuation_errors;
        rec.desired = current_count;
      }
      self->finish(ts, std::move(rec), note);
    });
  });
}

void PolicyTask::finish(std::shared_ptr<TickState>, DecisionRecord rec, const std::string& note) {
  // The persisted form is rebuilt after a scale (so the scale event reaches the state file at
  // once) and otherwise at most every 10 s: converting a long recommendation history on every
  // tick of every policy would cost more than the evaluations themselves.
  std::string err;
  const bool scaled = rec.desired != rec.current;
  Value st;
  bool snapshot = scaled || rec.time - last_snapshot >= 10 || !saved_state;
  std::shared_ptr<const std::string> st_json;
  if (snapshot) {
    st = rt->save_state(&err);
    if (err.empty()) st_json = std::make_shared<const std::string>(to_json(st));
    st = Value();
    last_snapshot = rec.time;
  }
  const std::string result = status_name(rec.status);
  Recent d{rec.time, rec.status, rec.bound_by, rec.current, rec.desired, rec.recommended.value_or(-1),
           rec.reason, note, std::move(rec.logs)};  // logs are not used after this
  {
    std::lock_guard<std::mutex> lock(mu);
    ++ticks;
    ++evaluations[result];
    if (rec.status != EvalOutcome::Status::Error) ++successful_ticks;
    if (rec.bound_by != BoundBy::None && rec.bound_by != BoundBy::Hold) ++bound_by[bound_by_name(rec.bound_by)];
    if (rec.recommended) recommended = rec.recommended;
    desired = rec.desired;
    current = rec.current;
    last_decision_time = rec.time;
    last_error = rec.status == EvalOutcome::Status::Error ? rec.reason : "";
    recent.push_back(std::move(d));
    while (recent.size() > owner->opts.decisions_kept) recent.pop_front();
    if (snapshot && err.empty()) saved_state = std::move(st_json);
  }
  if (rec.status == EvalOutcome::Status::Error)
    log_event("error", cfg.name, "evaluation_error", rec.reason + " (holding " + std::to_string(rec.desired) + ")");
  else if (rec.desired != rec.current)
    log_event("info", cfg.name, "scaled", "scaled " + std::to_string(rec.current) + " -> " + std::to_string(rec.desired) +
                                   " (" + bound_by_name(rec.bound_by) + "): " + rec.reason);
  if (!note.empty()) log_event(note.rfind("actuation failed", 0) == 0 ? "error" : "info", cfg.name, "actuation", note);
  if (!err.empty()) log_event("warn", cfg.name, "state", "state not persisted: " + err);
  in_flight = false;
  if (snapshot) owner->mark_dirty(scaled);
  owner->tick_finished();
}

// ---------------------------------------------------------------------------------------------

Runner::Runner(asio::io_context& io, RunOptions opts, const std::vector<SourceFactory>& sources,
               const std::vector<ActuatorFactory>& actuators)
    : impl_(std::make_shared<Impl>(io, std::move(opts), sources, actuators)) {
  g_log_json = impl_->opts.log_json;
}

Runner::~Runner() {
  if (impl_ && !impl_->stopped) impl_->stop();
}

bool Runner::start(std::string* error) {
  Impl& m = *impl_;
  std::vector<std::string> problems;
  try {
    AdapterCatalog cat{&m.source_factories, &m.actuator_factories, true, m.opts.leader_election_keys};
    m.config = load_config(m.opts.config_path, cat);
  } catch (const ConfigError& e) {
    problems = e.problems;
  }
  std::vector<std::shared_ptr<PolicyTask>> tasks;
  if (problems.empty()) tasks = m.build(m.config, problems);
  if (!problems.empty()) {
    if (error) {
      error->clear();
      for (const auto& p : problems) *error += (error->empty() ? "" : "\n") + p;
    }
    return false;
  }
  m.state_file = m.opts.state_file.empty() ? m.config.state_file : m.opts.state_file;
  if (!m.state_file.empty()) {
    // Temp files a killed process left behind (".state.json.tmp.<pid>").
    std::error_code ec;
    std::filesystem::path sp(m.state_file);
    std::filesystem::path dir = sp.parent_path().empty() ? std::filesystem::path(".") : sp.parent_path();
    const std::string prefix = "." + sp.filename().string() + ".tmp.";
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().filename().string().rfind(prefix, 0) == 0) std::filesystem::remove(e.path(), ec);
    Value saved;
    std::string err;
    if (!load_state_file(m.state_file, saved, &err)) {
      // A corrupt state file must not stop scaling: start fresh, keep the file for inspection.
      log_event("error", "", "state", "state file unreadable, starting without state: " + err);
      std::error_code ec;
      std::filesystem::rename(m.state_file, m.state_file + ".corrupt", ec);
    } else {
      for (auto& t : tasks) {
        if (const Value* s = saved.find(t->cfg.name)) {
          if (!t->rt->restore_state(*s, &err)) log_event("warn", t->cfg.name, "state", "state not restored: " + err);
          else t->saved_state = std::make_shared<const std::string>(to_json(*s));
        }
      }
    }
  }
  std::string listen = m.opts.listen.empty() ? m.config.server.listen : m.opts.listen;
  if (listen != "off") {
    HttpServerOptions so;
    so.listen = listen;
    so.token = m.config.server.token;
    if (!m.config.server.token_file.empty()) {
      std::ifstream in(m.config.server.token_file);
      std::string tok;
      std::getline(in, tok);
      while (!tok.empty() && (tok.back() == '\r' || tok.back() == ' ')) tok.pop_back();
      if (tok.empty()) {
        if (error) *error = m.config.path + ": server.token_file: cannot read a token from " + m.config.server.token_file;
        return false;
      }
      so.token = tok;
    }
    m.server = std::make_unique<HttpServer>(m.io, so, [this](const std::string&, const std::string& target) {
      return impl_->handle(target, *this);
    });
    std::string err;
    if (!m.server->start(&err)) {
      if (error) *error = err;
      return false;
    }
    log_event("info", "", "serve", "serving /metrics /healthz /readyz /decisions on " + m.server->address());
  }
  m.tasks = tasks;
  m.watch_files();
  m.poll_timer = std::make_unique<asio::steady_timer>(m.control);
  m.save_timer = std::make_unique<asio::steady_timer>(m.control);
  m.signals = std::make_unique<asio::signal_set>(m.io, SIGHUP, SIGTERM, SIGINT);
  m.wait_signals();
  m.poll();
  m.once_remaining = tasks.size();
  for (auto& t : tasks) t->start(m.opts.jitter_fraction, m.rng);
  log_event("info", "", "start", "running " + std::to_string(tasks.size()) + " policies from " + m.opts.config_path);
  if (tasks.empty() && m.opts.once) m.stop();
  return true;
}

bool Runner::reload() { return impl_->reload(); }
void Runner::stop() { impl_->stop(); }

std::size_t Runner::policy_count() const {
  std::lock_guard<std::mutex> lock(impl_->tasks_mu);
  return impl_->tasks.size();
}

std::string Runner::listen_address() const { return impl_->server ? impl_->server->address() : ""; }

bool Runner::ready(std::string* why) const {
  std::lock_guard<std::mutex> lock(impl_->tasks_mu);
  for (const auto& t : impl_->tasks) {
    std::lock_guard<std::mutex> l2(t->mu);
    if (t->successful_ticks == 0) {
      if (why) *why = "policy " + t->cfg.name + " has no successful tick yet" +
                      (t->last_error.empty() ? "" : " (last error: " + t->last_error + ")");
      return false;
    }
  }
  return true;
}

std::string Runner::decisions_json(const std::string& policy) const {
  // One policy's list at a time becomes text: with 1,000 policies x 50 decisions a value tree of
  // all of them would take ten times the memory of the answer.
  std::string out = "{";
  bool first = true;
  std::lock_guard<std::mutex> lock(impl_->tasks_mu);
  for (const auto& t : impl_->tasks) {
    if (!policy.empty() && t->cfg.name != policy) continue;
    std::lock_guard<std::mutex> l2(t->mu);
    Value list = Value::array();
    for (auto it = t->recent.rbegin(); it != t->recent.rend(); ++it) {
      Value d = Value::object();
      d.set("time", format_timestamp(it->time));
      d.set("status", status_name(it->status));
      d.set("current", it->current);
      d.set("recommended", it->recommended >= 0 ? Value(it->recommended) : Value());
      d.set("desired", it->desired);
      d.set("bound_by", bound_by_name(it->bound_by));
      d.set("reason", it->reason);
      if (!it->note.empty()) d.set("note", it->note);
      if (!it->logs.empty()) {
        Value logs = Value::array();
        for (const auto& l : it->logs) logs.as_array().push_back(l);
        d.set("logs", logs);
      }
      list.as_array().push_back(std::move(d));
    }
    out += first ? "\n " : ",\n ";
    first = false;
    out += to_json(Value(t->cfg.name));
    out += ": ";
    const std::string text = to_json(list, 1);
    for (char c : text) {  // nested one level deeper than the list's own indentation
      out += c;
      if (c == '\n') out += ' ';
    }
  }
  out += first ? "}\n" : "\n}\n";
  return out;
}

std::string Runner::metrics_text() const {
  std::ostringstream o;
  auto help = [&](const char* name, const char* type, const char* text) {
    o << "# HELP " << name << ' ' << text << "\n# TYPE " << name << ' ' << type << '\n';
  };
  std::vector<std::shared_ptr<PolicyTask>> tasks;
  {
    std::lock_guard<std::mutex> lock(impl_->tasks_mu);
    tasks = impl_->tasks;
  }
  struct Row {
    std::string labels;
    std::shared_ptr<PolicyTask> t;
  };
  std::vector<Row> rows;
  for (auto& t : tasks) rows.push_back({"policy=\"" + label_escape(t->cfg.name) + "\"", t});
  std::vector<std::unique_lock<std::mutex>> locks;
  for (auto& r : rows) locks.emplace_back(r.t->mu);

  help("luascale_evaluations_total", "counter", "Policy evaluations by result (decision, hold, error).");
  for (auto& r : rows)
    for (const char* res : {"decision", "hold", "error"}) {
      auto it = r.t->evaluations.find(res);
      o << "luascale_evaluations_total{" << r.labels << ",result=\"" << res << "\"} "
        << (it == r.t->evaluations.end() ? 0 : it->second) << '\n';
    }
  help("luascale_recommended_replicas", "gauge", "The count the script last recommended.");
  for (auto& r : rows)
    if (r.t->recommended) o << "luascale_recommended_replicas{" << r.labels << "} " << *r.t->recommended << '\n';
  help("luascale_desired_replicas", "gauge", "The count after guardrails and actuation (applied).");
  for (auto& r : rows)
    if (r.t->desired) o << "luascale_desired_replicas{" << r.labels << "} " << *r.t->desired << '\n';
  help("luascale_current_replicas", "gauge", "The target's count read before the last decision.");
  for (auto& r : rows)
    if (r.t->current) o << "luascale_current_replicas{" << r.labels << "} " << *r.t->current << '\n';
  help("luascale_last_decision_timestamp_seconds", "gauge", "Unix time of the last decision.");
  for (auto& r : rows) o << "luascale_last_decision_timestamp_seconds{" << r.labels << "} " << num(r.t->last_decision_time) << '\n';
  help("luascale_guardrail_interventions_total", "counter", "Decisions a guardrail changed, by rule.");
  for (auto& r : rows)
    for (auto& [rule, n] : r.t->bound_by)
      o << "luascale_guardrail_interventions_total{" << r.labels << ",rule=\"" << rule << "\"} " << n << '\n';
  help("luascale_evaluation_duration_seconds", "histogram", "Time to evaluate the policy script and guardrails.");
  for (auto& r : rows) {
    const auto& h = r.t->eval_seconds;
    for (std::size_t i = 0; i < kEvalBuckets.size(); ++i)
      o << "luascale_evaluation_duration_seconds_bucket{" << r.labels << ",le=\"" << num(kEvalBuckets[i]) << "\"} " << h.counts[i] << '\n';
    o << "luascale_evaluation_duration_seconds_bucket{" << r.labels << ",le=\"+Inf\"} " << h.count << '\n';
    o << "luascale_evaluation_duration_seconds_sum{" << r.labels << "} " << num(h.sum) << '\n';
    o << "luascale_evaluation_duration_seconds_count{" << r.labels << "} " << h.count << '\n';
  }
  help("luascale_tick_lag_seconds", "histogram", "How late each tick started against its schedule.");
  for (auto& r : rows) {
    const auto& h = r.t->tick_lag;
    for (std::size_t i = 0; i < kLagBuckets.size(); ++i)
      o << "luascale_tick_lag_seconds_bucket{" << r.labels << ",le=\"" << num(kLagBuckets[i]) << "\"} " << h.counts[i] << '\n';
    o << "luascale_tick_lag_seconds_bucket{" << r.labels << ",le=\"+Inf\"} " << h.count << '\n';
    o << "luascale_tick_lag_seconds_sum{" << r.labels << "} " << num(h.sum) << '\n';
    o << "luascale_tick_lag_seconds_count{" << r.labels << "} " << h.count << '\n';
  }
  help("luascale_lua_memory_bytes", "gauge", "Memory held by the policy's Lua state.");
  for (auto& r : rows) o << "luascale_lua_memory_bytes{" << r.labels << "} " << r.t->lua_memory << '\n';
  help("luascale_missed_ticks_total", "counter", "Ticks skipped because the previous one was still running or the loop fell behind.");
  for (auto& r : rows) o << "luascale_missed_ticks_total{" << r.labels << "} " << r.t->missed_ticks << '\n';
  help("luascale_actuations_total", "counter", "Successful changes of the target's count.");
  for (auto& r : rows) o << "luascale_actuations_total{" << r.labels << "} " << r.t->actuations << '\n';
  help("luascale_actuation_errors_total", "counter", "Failed reads or changes of the target.");
  for (auto& r : rows) o << "luascale_actuation_errors_total{" << r.labels << "} " << r.t->actuation_errors << '\n';
  help("luascale_signal_value", "gauge", "The last fetched value of each numeric signal.");
  for (auto& r : rows)
    for (auto& s : r.t->signals)
      if (s.value) o << "luascale_signal_value{" << r.labels << ",signal=\"" << label_escape(s.name) << "\"} " << num(*s.value) << '\n';
  help("luascale_signal_fetch_errors_total", "counter", "Failed signal fetches (errors and timeouts).");
  for (auto& r : rows)
    for (auto& s : r.t->signals)
      o << "luascale_signal_fetch_errors_total{" << r.labels << ",signal=\"" << label_escape(s.name) << "\"} " << s.fetch_errors << '\n';
  help("luascale_signal_fetch_duration_seconds", "histogram", "Signal fetch latency.");
  for (auto& r : rows)
    for (auto& s : r.t->signals) {
      std::string l = r.labels + ",signal=\"" + label_escape(s.name) + "\"";
      for (std::size_t i = 0; i < kFetchBuckets.size(); ++i)
        o << "luascale_signal_fetch_duration_seconds_bucket{" << l << ",le=\"" << num(kFetchBuckets[i]) << "\"} " << s.latency.counts[i] << '\n';
      o << "luascale_signal_fetch_duration_seconds_bucket{" << l << ",le=\"+Inf\"} " << s.latency.count << '\n';
      o << "luascale_signal_fetch_duration_seconds_sum{" << l << "} " << num(s.latency.sum) << '\n';
      o << "luascale_signal_fetch_duration_seconds_count{" << l << "} " << s.latency.count << '\n';
    }
  locks.clear();

  help("luascale_leader", "gauge", "1 when this process may actuate (leader, or no leader election).");
  o << "luascale_leader " << ((!impl_->opts.is_leader || impl_->opts.is_leader()) ? 1 : 0) << '\n';
  help("luascale_config_reloads_total", "counter", "Config reloads by result.");
  o << "luascale_config_reloads_total{result=\"success\"} " << impl_->reloads_ok << '\n';
  o << "luascale_config_reloads_total{result=\"rejected\"} " << impl_->reloads_failed << '\n';
  help("luascale_policies", "gauge", "Policies running.");
  o << "luascale_policies " << tasks.size() << '\n';
  help("luascale_build_info", "gauge", "Build information.");
  o << "luascale_build_info{version=\"" << LUASCALE_VERSION << "\"} 1\n";
  long pages = 0, rss_pages = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &rss_pages) != 2) rss_pages = 0;
    std::fclose(f);
  }
  help("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  o << "process_resident_memory_bytes " << rss_pages * ::sysconf(_SC_PAGESIZE) << '\n';
  help("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
  o << "process_start_time_seconds " << num(std::floor(impl_->started_at)) << '\n';
  return o.str();
}

HttpResponse Runner::Impl::handle(const std::string& target, Runner& runner) {
  std::string path = target.substr(0, target.find('?'));
  std::string query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/readyz") {
    std::string why;
    if (runner.ready(&why)) return {200, "text/plain; charset=utf-8", "ready\n"};
    return {503, "text/plain; charset=utf-8", "not ready: " + why + "\n"};
  }
  if (path == "/metrics") {
    HttpResponse r{200, "text/plain; version=0.0.4; charset=utf-8", runner.metrics_text()};
    release_free_memory();
    return r;
  }
  if (path == "/decisions") {
    std::string policy;
    if (query.rfind("policy=", 0) == 0) policy = query.substr(7);
    HttpResponse r{200, "application/json", runner.decisions_json(policy)};
    release_free_memory();
    return r;
  }
  return {404, "text/plain; charset=utf-8", "not found; try /metrics, /healthz, /readyz, /decisions\n"};
}

}  // namespace luascale
