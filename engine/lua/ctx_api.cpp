// engine/lua/ctx_api.cpp — see ctx_api.hpp.
#include "engine/lua/ctx_api.hpp"

#include <cmath>
#include <optional>
#include <string_view>

#include "engine/core/units.hpp"
#include "engine/lua/host.hpp"
#include "engine/lua/lua_value.hpp"
#include "engine/lua/sandbox.hpp"

namespace luascale {
namespace {

// ctx:signal(name [, {window = "5m" | seconds, agg = "avg"}]): the latest value (nil when
// missing or stale; structured values as tables), or an aggregate over the window (nil when
// the window holds no samples).
// Remembers a name ctx:signal was asked for that no slot holds. Raises nothing: the vector is
// changed only between Lua calls that cannot fail, and an allocation failure is dropped.
void note_unknown_signal(PolicyScript::Impl* h, const char* name, std::size_t len) {
  auto& seen = h->unknown_signals;
  if (seen.size() >= PolicyScript::kMaxUnknownSignals) return;
  const std::string_view n(name, len);
  for (const auto& s : seen)
    if (s == n) return;
  try {
    seen.emplace_back(n);
  } catch (...) {
  }
}

int l_ctx_signal(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  std::size_t name_len = 0;
  const char* name = luaL_checklstring(L, 2, &name_len);
  if (!h->signals || h->sigindex_ref == LUA_NOREF) {
    note_unknown_signal(h, name, name_len);
    lua_pushnil(L);
    return 1;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->sigindex_ref);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  const lua_Integer found = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;
  lua_pop(L, 2);
  if (found < 0 || static_cast<std::size_t>(found) >= h->signals->size()) {
    note_unknown_signal(h, name, name_len);
    lua_pushnil(L);
    return 1;
  }
  const auto idx = static_cast<std::size_t>(found);
  const SignalSlot& s = h->signals->at(idx);
  if (lua_isnoneornil(L, 3)) {
    if (!h->signals->fresh(idx, h->now)) {
      lua_pushnil(L);
      return 1;
    }
    if (s.is_number) {
      push_number(L, s.number);
      return 1;
    }
    // Structured: one Lua table per version of the value, cached.
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->sigcache_ref);
    lua_rawgeti(L, -1, static_cast<lua_Integer>(2 * idx + 1));
    if (lua_isinteger(L, -1) && static_cast<std::uint64_t>(lua_tointeger(L, -1)) == s.version) {
      lua_rawgeti(L, -2, static_cast<lua_Integer>(2 * idx + 2));
      return 1;
    }
    lua_pop(L, 1);
    push_value(L, s.structured);
    lua_pushinteger(L, static_cast<lua_Integer>(s.version));
    lua_rawseti(L, -3, static_cast<lua_Integer>(2 * idx + 1));
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, static_cast<lua_Integer>(2 * idx + 2));
    return 1;
  }
  luaL_checktype(L, 3, LUA_TTABLE);
  double window = 1e18;
  lua_getfield(L, 3, "window");
  if (lua_type(L, -1) == LUA_TNUMBER) {
    window = lua_tonumber(L, -1);
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    std::size_t n;
    const char* w = lua_tolstring(L, -1, &n);
    const std::optional<double> d = parse_duration(std::string_view(w, n));
    if (!d)
      return luaL_error(L, "ctx:signal: bad window '%s' (use e.g. \"30s\", \"5m\", \"1h\")", w);
    window = *d;
  } else if (!lua_isnil(L, -1)) {
    return luaL_error(L, "ctx:signal: window must be a duration string or seconds");
  }
  Agg agg = Agg::Avg;
  lua_getfield(L, 3, "agg");
  if (lua_type(L, -1) == LUA_TSTRING) {
    std::size_t n;
    const char* a = lua_tolstring(L, -1, &n);
    const std::optional<Agg> parsed = parse_agg(std::string_view(a, n));
    if (!parsed)
      return luaL_error(L,
                        "ctx:signal: unknown agg '%s' (avg, min, max, sum, last, rate, count, "
                        "p50, p90, p95, p99)",
                        a);
    agg = *parsed;
  } else if (!lua_isnil(L, -1)) {
    return luaL_error(L, "ctx:signal: agg must be a string");
  }
  if (s.has_value && !s.is_number)
    return luaL_error(L, "ctx:signal: signal '%s' is a list; windows aggregate number signals",
                      lua_tostring(L, 2));
  std::optional<double> r;
  bool oom = false;
  try {
    r = s.history.aggregate(agg, h->now, window, h->scratch);
  } catch (...) {
    oom = true;
  }
  if (oom) return luaL_error(L, "ctx:signal: out of memory");
  if (r && std::isfinite(*r))
    push_number(L, *r);
  else
    lua_pushnil(L);
  return 1;
}

int l_ctx_log(lua_State* L) {
  return log_line(L, 2, ' ');
}

}  // namespace

void build_ctx(lua_State* L, int params) {
  PolicyScript::Impl* h = impl_of(L);
  params = lua_absindex(L, params);
  lua_createtable(L, 0, 16);
  const int ctx = lua_gettop(L);
  lua_pushvalue(L, params);
  lua_setfield(L, ctx, "params");
  lua_newtable(L);
  lua_setfield(L, ctx, "state");
  lua_createtable(L, 0, 8);
  lua_pushlstring(L, h->name.data(), h->name.size());
  lua_setfield(L, -2, "name");
  if (h->scale_up_tolerance) {
    push_number(L, *h->scale_up_tolerance);
    lua_setfield(L, -2, "scale_up_tolerance");
  }
  if (h->scale_down_tolerance) {
    push_number(L, *h->scale_down_tolerance);
    lua_setfield(L, -2, "scale_down_tolerance");
  }
  lua_pushvalue(L, -1);
  h->target_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_setfield(L, ctx, "target");
  lua_pushcfunction(L, l_ctx_signal);
  lua_setfield(L, ctx, "signal");
  lua_pushcfunction(L, l_ctx_log);
  lua_setfield(L, ctx, "log");
  // ctx and ctx.target share a hidden metatable, so the script cannot give them one.
  lua_createtable(L, 0, 1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pushvalue(L, -1);
  lua_setmetatable(L, ctx);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->target_ref);
  lua_insert(L, -2);
  lua_setmetatable(L, -2);
  lua_pop(L, 1);
  h->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  h->sigcache_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

int index_signals(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  lua_createtable(L, 0, static_cast<int>(h->signals->size()));
  for (std::size_t i = 0; i < h->signals->size(); ++i) {
    const std::string& n = h->signals->at(i).name;
    lua_pushlstring(L, n.data(), n.size());
    lua_pushinteger(L, static_cast<lua_Integer>(i));
    lua_rawset(L, -3);
  }
  if (h->sigindex_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, h->sigindex_ref);
  h->sigindex_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  lua_rawseti(L, LUA_REGISTRYINDEX, h->sigcache_ref);
  return 0;
}

}  // namespace luascale
