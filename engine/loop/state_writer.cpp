// engine/loop/state_writer.cpp — see state_writer.hpp.
#include "engine/loop/state_writer.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <string_view>

#include "engine/loop/run_log.hpp"
#include "engine/state/state_file.hpp"

namespace luascale {

void release_free_memory() {
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

StateWriter::StateWriter() : thread_([this] { loop(); }) {}

StateWriter::~StateWriter() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void StateWriter::submit(const std::string& path, StateSnapshot snap, bool wait) {
  std::unique_lock<std::mutex> lk(mu_);
  path_ = path;
  pending_ = std::move(snap);
  const std::uint64_t mine = ++submitted_;
  cv_.notify_all();
  if (wait) done_cv_.wait(lk, [&] { return written_ >= mine; });
}

void StateWriter::loop() {
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

}  // namespace luascale
