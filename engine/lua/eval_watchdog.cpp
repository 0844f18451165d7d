// engine/lua/eval_watchdog.cpp — see eval_watchdog.hpp.
#include "engine/lua/eval_watchdog.hpp"

#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) && !defined(__SANITIZE_THREAD__)
#define __SANITIZE_THREAD__ 1
#endif
#endif

namespace luascale {
namespace {

// SIGURG: ignored by default, so a late delivery to a thread with no evaluation does nothing.
constexpr int kSignal = SIGURG;
// Polls without a started evaluation before the watchdog goes to sleep.
constexpr int kIdlePolls = 100;
// A sleeping watchdog still looks this often, in case a wake-up was missed.
constexpr auto kSleepCheck = std::chrono::milliseconds(50);

// One per evaluating thread. Only the owner writes seq, L and arm; only the watchdog writes
// arm_seq and seen.
struct Slot {
  std::atomic<std::uint64_t> seq{0};      // odd while an evaluation runs
  std::atomic<std::uint64_t> arm_seq{0};  // the evaluation the watchdog signalled
  std::atomic<lua_State*> L{nullptr};
  std::atomic<WatchArm> arm{nullptr};
  pthread_t thread{};
  std::uint64_t seen = 0;  // seq at the watchdog's last poll
};

struct Watchdog {
  std::mutex mu;
  std::condition_variable wake;
  std::vector<Slot*> slots;
  std::atomic<bool> sleeping{false};
  bool started = false;
  bool forked = false;  // in a forked child the watchdog thread does not exist
  // The kernel's membarrier: the watchdog, about to sleep, puts a full barrier on every running
  // thread, so an evaluation's start needs only a compiler barrier where it would otherwise need
  // a fence. Set once, under `mu`, before the first slot registers.
  bool asymmetric = false;
};

bool membarrier(int cmd) { return syscall(__NR_membarrier, cmd, 0, 0) == 0; }

// Never destroyed: the detached watchdog thread may still run while the process exits.
Watchdog& dog() {
  static Watchdog* d = new Watchdog;
  return *d;
}

thread_local Slot* tl_slot = nullptr;

void on_signal(int) {
  const int saved = errno;
  if (Slot* s = tl_slot) {
    const std::uint64_t q = s->seq.load(std::memory_order_relaxed);
    if ((q & 1) && s->arm_seq.load(std::memory_order_relaxed) == q) {
      lua_State* L = s->L.load(std::memory_order_relaxed);
      WatchArm arm = s->arm.load(std::memory_order_relaxed);
      if (L && arm) arm(L);
    }
  }
  errno = saved;
}

void run_watchdog() {
  Watchdog& d = dog();
  int idle = 0;
  std::unique_lock<std::mutex> lk(d.mu);
  for (;;) {
    bool active = false;
    for (Slot* s : d.slots) {
      const std::uint64_t q = s->seq.load(std::memory_order_seq_cst);
      if (q != s->seen) active = true;
      if ((q & 1) && q == s->seen && s->arm_seq.load(std::memory_order_relaxed) != q) {
        // The same evaluation as at the last poll: it has run for at least a poll period.
        s->arm_seq.store(q, std::memory_order_seq_cst);
        pthread_kill(s->thread, kSignal);
      }
      if (q & 1) active = true;
      s->seen = q;
    }
    idle = active ? 0 : idle + 1;
    if (idle < kIdlePolls) {
      lk.unlock();
      std::this_thread::sleep_for(std::chrono::microseconds(kWatchPollMicroseconds));
      lk.lock();
      continue;
    }
    // Sleep until an evaluation starts. Publish `sleeping` before the last look at the slots; an
    // evaluation publishes its start before looking at `sleeping` (both sequentially
    // consistent), so one of the two sees the other.
    d.sleeping.store(true, std::memory_order_seq_cst);
    // With membarrier, every thread that is running an evaluation's start passes a full barrier
    // here: either its start is visible below, or it sees `sleeping` and wakes the watchdog.
    bool started = d.asymmetric && !membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    for (Slot* s : d.slots)
      if (s->seq.load(std::memory_order_seq_cst) != s->seen) started = true;
    if (!started) d.wake.wait_for(lk, kSleepCheck);
    d.sleeping.store(false, std::memory_order_seq_cst);
    idle = 0;
  }
}

void after_fork_in_child() { dog().forked = true; }

// Unregisters the thread's slot when the thread ends.
struct SlotOwner {
  Slot slot;
  bool registered = false;
  ~SlotOwner() {
    if (!registered) return;
    Watchdog& d = dog();
    std::lock_guard<std::mutex> lk(d.mu);
    for (auto it = d.slots.begin(); it != d.slots.end(); ++it)
      if (*it == &slot) {
        d.slots.erase(it);
        break;
      }
    tl_slot = nullptr;
  }
};

thread_local SlotOwner tl_owner;
thread_local bool tl_unwatchable = false;

Slot* register_thread() noexcept {
  if (tl_unwatchable) return nullptr;
  sigset_t blocked;
  if (pthread_sigmask(SIG_SETMASK, nullptr, &blocked) != 0 || sigismember(&blocked, kSignal) == 1) {
    tl_unwatchable = true;
    return nullptr;
  }
  Watchdog& d = dog();
  try {
    std::lock_guard<std::mutex> lk(d.mu);
    if (d.forked) {
      tl_unwatchable = true;
      return nullptr;
    }
    if (!d.started) {
      struct sigaction sa {};
      sa.sa_handler = on_signal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_RESTART;
      if (sigaction(kSignal, &sa, nullptr) != 0) {
        tl_unwatchable = true;
        return nullptr;
      }
      pthread_atfork(nullptr, nullptr, after_fork_in_child);
      d.asymmetric = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
      std::thread(run_watchdog).detach();
      d.started = true;
    }
    tl_owner.slot.thread = pthread_self();
    d.slots.push_back(&tl_owner.slot);
    tl_owner.registered = true;
    tl_slot = &tl_owner.slot;
    return tl_slot;
  } catch (...) {  // no memory or no thread: count from the start
    tl_unwatchable = true;
    return nullptr;
  }
}

}  // namespace

bool watch_begin(lua_State* L, WatchArm arm) noexcept {
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer holds asynchronous signals back until the thread reaches instrumented code,
  // which a loop inside the (uninstrumented) Lua VM never does: count from the start instead.
  (void)L;
  (void)arm;
  return false;
#endif
  Slot* s = tl_slot;
  if (!s && !(s = register_thread())) return false;
  Watchdog& d = dog();
  if (d.forked) return false;
  s->L.store(L, std::memory_order_relaxed);
  s->arm.store(arm, std::memory_order_relaxed);
  const std::uint64_t next = s->seq.load(std::memory_order_relaxed) + 1;
  if (d.asymmetric) {
    // The store and the load below are ordered by the watchdog's membarrier (see run_watchdog).
    s->seq.store(next, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    s->seq.store(next, std::memory_order_seq_cst);
  }
  if (d.sleeping.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> lk(d.mu);
    d.wake.notify_one();
  }
  return true;
}

void watch_end() noexcept {
  Slot* s = tl_slot;
  s->seq.store(s->seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

}  // namespace luascale
