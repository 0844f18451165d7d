// engine/loop/runner_impl.hpp — internal to engine/loop: the state of a running `luascale run`
// (Runner::Impl), shared by runner.cpp (start, reload, state, stop) and runner_surface.cpp
// (/metrics, /decisions, /readyz).
#pragma once

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "engine/loop/policy_task.hpp"
#include "engine/loop/runner.hpp"
#include "engine/loop/state_writer.hpp"
#include "engine/server/http_server.hpp"
#include "engine/shadow/shadow_log_writer.hpp"
#include "engine/state/state_lock.hpp"

namespace luascale {

struct Runner::Impl final : TaskHost {
  Impl(boost::asio::io_context& io, RunOptions opts, const std::vector<SourceFactory>& sources,
       const std::vector<ActuatorFactory>& actuators);

  // TaskHost
  const RunOptions& run_options() const override { return opts; }
  double now() const override;
  bool stopping() const override { return stopped; }
  bool leader() const override { return !opts.is_leader || opts.is_leader(); }
  void state_changed(bool urgent) override;
  void tick_finished() override;
  void shadow_append(const std::string& path, std::string line) override {
    shadow_writer.append(path, std::move(line));
  }

  // Builds the tasks of a config; every problem goes to `problems`.
  std::vector<std::shared_ptr<PolicyTask>> build(const Config& cfg,
                                                 std::vector<std::string>& problems);
  // Takes the state file's lock and restores what it holds into `tasks` (checked; rejected
  // entries set aside). False + *error when the state file cannot be used at all.
  bool open_state(std::string* error);
  void watch_files();
  void poll();
  void wait_signals();
  // Re-reads the config; on any problem logs it and keeps the running version. While an earlier
  // reload is still handing over, the request is queued (many make one) and true returned.
  bool reload();
  // Retires `before` and, once its tick in flight is done (or after 10 s), calls adopt.
  void hand_over(std::shared_ptr<PolicyTask> before, std::shared_ptr<PolicyTask> after);
  // `after` restores `final` (the state `before` left), takes over its counters and its place in
  // the task list, and starts.
  void adopt(PolicyTask& before, std::shared_ptr<PolicyTask> after,
             std::shared_ptr<const std::string> final);
  // Hands every policy's last persisted form to the writer; `wait`: returns once on disk.
  void save_state(bool wait = false);
  void stop();
  void finish_stop(bool late);
  HttpResponse handle(const std::string& target, Runner& runner);

  boost::asio::io_context& io;
  // Serialises the loop's own bookkeeping (reloads, state saves, stop, the --once countdown)
  // when `run --threads N` runs the io_context on several threads; policies have their strands.
  Strand control;
  RunOptions opts;
  const std::vector<SourceFactory>& source_factories;
  const std::vector<ActuatorFactory>& actuator_factories;
  AdapterContext actx;
  Config config;
  std::vector<std::shared_ptr<PolicyTask>> tasks;
  mutable std::mutex tasks_mu;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<boost::asio::signal_set> signals;
  std::unique_ptr<boost::asio::steady_timer> poll_timer, save_timer, stop_timer;
  std::chrono::steady_clock::time_point stop_deadline;
  std::map<std::string, std::string> watched;  // file -> file_signature when last read
  std::string state_file;
  std::unique_ptr<StateLock> state_lock;  // held from start to exit
  std::mt19937_64 rng{std::random_device{}()};
  std::atomic<std::uint64_t> reloads_ok{0}, reloads_failed{0};  // read by /metrics
  std::atomic<bool> stopped{false};                             // read by policy strands
  std::size_t once_remaining = 0;
  std::size_t handovers_pending = 0, stop_pending = 0;  // on the control strand
  bool reload_queued = false, stop_finished = false;
  bool state_dirty = false, urgent_pending = false;
  double started_at;

  LuaStatePool lua_states;        // policies running the same script share a Lua state
  StateWriter state_writer;       // writes state snapshots off the loop thread
  ShadowLogWriter shadow_writer;  // appends shadow policies' ticks off the loop thread
};

}  // namespace luascale
