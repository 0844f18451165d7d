// engine/lua/eval_watchdog.hpp — arms an evaluation's instruction counting once it runs long.
//
// Lua 5.4 counts instructions only through a count hook, and while any hook is set the VM stops
// at every instruction to run its bookkeeping: 8–25% of a typical evaluation. Evaluations that
// finish within a millisecond do not need counting, so an evaluation may start without the hook:
// a watchdog thread polls every millisecond, and an evaluation it finds still running at two
// consecutive polls is sent a signal whose handler (on the evaluating thread, the way the Lua
// interpreter handles Ctrl-C) calls `arm(L)`, which sets the hook. lua_sethook is safe to call
// from a signal handler.
//
// The watchdog sleeps when no evaluation has started for a while and is woken by the next one.
// A thread that blocks the signal, a forked child, and ThreadSanitizer builds (which delay
// signals) cannot be watched: watch_begin then returns false and the caller sets the hook from
// the start.
#pragma once

struct lua_State;

namespace luascale {

using WatchArm = void (*)(lua_State* L);

// Starts watching an evaluation of L on this thread. False when it cannot be watched.
bool watch_begin(lua_State* L, WatchArm arm) noexcept;
// Ends it (after watch_begin returned true); the handler no longer arms L.
void watch_end() noexcept;

// How long an evaluation runs unwatched: between one and two polls of this many microseconds.
inline constexpr int kWatchPollMicroseconds = 1000;

}  // namespace luascale
