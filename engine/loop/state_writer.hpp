// engine/loop/state_writer.hpp — writes `run`'s state snapshots to the state file on a thread of
// its own: serialising and fsyncing a thousand policies' state takes tens of milliseconds, which
// on the loop thread would delay every tick due meanwhile. A newer snapshot supersedes one not
// yet written.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace luascale {

struct StateSnapshot {
  double saved_at = 0;  // unix seconds
  // Each policy's persisted form as JSON text, shared with the policy (not copied).
  std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> policies;
};

class StateWriter {
 public:
  StateWriter();
  ~StateWriter();  // writes what is pending, then joins
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  // Queues `snap` for `path`; with `wait`, returns once it (or a newer one) is on disk.
  void submit(const std::string& path, StateSnapshot snap, bool wait);

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::optional<StateSnapshot> pending_;
  std::string path_;
  std::uint64_t submitted_ = 0, written_ = 0;
  bool quit_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

// Hands memory freed by a large transient (a /metrics answer for thousands of policies, a state
// file) back to the system; glibc would otherwise keep the high-water mark.
void release_free_memory();

}  // namespace luascale
