// engine/lua/budget.cpp — see budget.hpp.
#include "engine/lua/budget.hpp"

#include <cstdio>

#include "engine/lua/host.hpp"

namespace luascale {
namespace {

void budget_hook(lua_State* L, lua_Debug*);

void set_count_hook(lua_State* L) {
  lua_sethook(L, budget_hook, LUA_MASKCOUNT, kHookEvery);
}

// True once the budget or the deadline is used up (sets why).
bool exhausted(Budget& b) {
  if (b.tripped) return true;
  if (b.remaining < 0) {
    std::snprintf(b.why, sizeof b.why, "instruction budget exceeded (%lld instructions)",
                  static_cast<long long>(b.limit));
  } else if (std::chrono::steady_clock::now() > b.deadline) {
    std::snprintf(b.why, sizeof b.why, "timed out after %gs of wall-clock time", b.timeout_seconds);
  } else {
    return false;
  }
  b.tripped = true;
  return true;
}

// Makes the hook fire on every line and instruction of this thread and the policy's main thread
// (so a script's own pcall cannot swallow the abort), and raises.
int raise_budget(lua_State* L, PolicyScript::Impl* h) {
  lua_sethook(L, budget_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
  if (L != h->L) lua_sethook(h->L, budget_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
  return luaL_error(L, "%s", h->budget.why);
}

void budget_hook(lua_State* L, lua_Debug*) {
  PolicyScript::Impl* h = impl_of(L);
  if (!h || !h->budget.active) return;
  if (!h->budget.tripped) h->budget.remaining -= lua_gethookcount(L);
  if (exhausted(h->budget)) raise_budget(L, h);
}

}  // namespace

void arm_budget(lua_State* L, std::int64_t instructions, double timeout) {
  PolicyScript::Impl* h = impl_of(L);
  Budget& b = h->budget;
  b.active = true;
  b.tripped = false;
  b.limit = instructions;
  b.remaining = instructions;
  b.timeout_seconds = timeout;
  b.deadline = std::chrono::steady_clock::now() +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(timeout));
  b.why[0] = 0;
  AllocState& a = h->alloc();
  a.eval_cap = a.used + h->limits.memory_bytes;
  set_count_hook(h->L);  // also restarts the count: every evaluation counts from its first one
}

void disarm_budget(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  h->budget.active = false;
  h->alloc().eval_cap = SIZE_MAX;
  if (h->budget.tripped) set_count_hook(h->L);
}

void charge_work(lua_State* L, std::int64_t units) {
  PolicyScript::Impl* h = impl_of(L);
  if (!h || !h->budget.active) return;
  h->budget.remaining -= units;
  if (exhausted(h->budget)) raise_budget(L, h);
}

int message_handler(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  if (h && h->budget.tripped) {
    lua_pushstring(L, h->budget.why);
    return 1;
  }
  if (lua_type(L, 1) == LUA_TSTRING) return 1;
  lua_pushfstring(L, "error object is a %s value (errors must be strings)", luaL_typename(L, 1));
  return 1;
}

}  // namespace luascale
