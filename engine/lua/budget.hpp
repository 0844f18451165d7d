// engine/lua/budget.hpp — an evaluation's limits while it runs: the instruction budget, counted
// by Lua's count hook from the first instruction (so the same policy and inputs always stop at
// the same point), and the wall-clock deadline, a safety net checked from the same hook.
#pragma once

#include <lua.hpp>

#include <chrono>
#include <cstdint>

namespace luascale {

struct Budget {
  bool active = false;   // an evaluation (or a load) is running under it
  bool tripped = false;  // used up: every hook call raises again until disarmed
  std::int64_t remaining = 0;
  std::int64_t limit = 0;
  std::chrono::steady_clock::time_point deadline;
  double timeout_seconds = 0;
  char why[160] = {0};  // "instruction budget exceeded (...)" once tripped
};

// Instructions between two hook calls: the budget is charged in these steps, so an evaluation
// stops within this many instructions past its budget, always at the same one.
inline constexpr int kHookEvery = 1000;

// Starts the budget of the policy `L` is running for: `instructions` counted from the next one,
// `timeout` seconds of wall clock; the memory the evaluation may add is capped too.
void arm_budget(lua_State* L, std::int64_t instructions, double timeout);
// Ends it. Counting stops; a tripped budget's every-line hook is reset to the normal one.
void disarm_budget(lua_State* L);
// Charges `units` of work a library function did in C (where the hook never fires) and checks
// the deadline; raises the budget error (a Lua error) when the budget is used up.
void charge_work(lua_State* L, std::int64_t units);
// The message handler of every protected call into a policy: a tripped budget's message wins;
// string errors pass; other error objects are named.
int message_handler(lua_State* L);

}  // namespace luascale
