// engine/loop/runner.hpp — `luascale run`: every policy on its own timer against live sources and
// a real actuator, on Boost.Asio. A tick fetches the policy's signals concurrently (each with its
// own timeout), evaluates, applies guardrails, actuates when the count changes and records the
// decision. Ticks of one policy never overlap (a missed tick is counted, not queued); a slow
// source or actuator delays only its own policy. Also: hot reload (validate first, keep the old
// version on error; a policy that goes on is handed over once its tick in flight is committed),
// state persistence (one process per state file, restores checked as input), and the data
// behind /metrics, /readyz and /decisions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/adapter.hpp"
#include "engine/config/config.hpp"

namespace luascale {

struct TickRecord;

struct RunOptions {
  std::string config_path;
  std::string state_file;  // overrides the config's state_file when set
  std::string listen;      // overrides server.listen when set; "" = config; "off" = no server
  bool once = false;       // one tick per policy, then stop
  double reload_poll_seconds = 2;   // mtime polling of the config and scripts; 0 = off
  double jitter_fraction = 0.1;     // first tick delayed by up to this share of the interval
  std::size_t decisions_kept = 50;  // per policy, for /decisions
  bool log_json = true;             // JSON Lines logs on stderr; false = text
  // Whether this process may actuate (leader election); null = always.
  std::function<bool()> is_leader;
  // Called once when the runner stops (e.g. to stop a leader elector, whose timers would
  // otherwise keep the loop running).
  std::function<void()> on_stop;
  // Keys the "leader_election" block may hold (validated with the config); null = none.
  const std::vector<ConfigKey>* leader_election_keys = nullptr;
  // The clock ticks are stamped with (unix seconds); null = the system clock.
  std::function<double()> clock;
  // No timers: ticks start only when tick_all() is called (tests on a virtual clock).
  bool manual_ticks = false;
  // Told after every tick, on the policy's strand (tests recording what the loop did).
  std::function<void(const std::string& policy, const TickRecord& record)> on_tick;
  // A shadow log is rotated before it would pass this size (bytes).
  std::uint64_t shadow_log_max_bytes = 64ull << 20;
};

class Runner {
 public:
  Runner(boost::asio::io_context& io, RunOptions opts, const std::vector<SourceFactory>& sources,
         const std::vector<ActuatorFactory>& actuators);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Loads and validates the config, restores state, starts the timers, the signal handlers and
  // the HTTP server. False + *error (every problem, one per line) when nothing could start.
  bool start(std::string* error);
  // Re-reads the config; on any problem logs it and keeps the running version. True if swapped
  // (each policy that goes on is handed over once its tick in flight is done), or queued behind
  // a reload still handing over.
  bool reload();
  // Stops timers and the server, saves state; pending callbacks finish on their own.
  void stop();

  // Exposition for the HTTP surface.
  std::string metrics_text() const;
  std::string decisions_json(const std::string& policy) const;  // "" = every policy
  bool ready(std::string* why) const;
  std::size_t policy_count() const;
  // The address the HTTP server listens on ("" when off), with the real port when it was 0.
  std::string listen_address() const;
  // With manual_ticks: starts a tick of every policy not still in one, at the clock's time.
  void tick_all();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace luascale
