// engine/lua/library_guards.cpp — see library_guards.hpp.
#include "engine/lua/library_guards.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "engine/lua/budget.hpp"
#include "engine/lua/host.hpp"

namespace luascale {

double pattern_cost(const char* p, std::size_t plen, std::size_t n, bool plain) {
  // Start positions x pattern items x the ways k variable-length quantifiers (*, +, -, %b) can
  // split the subject, C(n+k, k), x 2 per optional item (?). Plain searches cost n x m.
  const double nn = static_cast<double>(n) + 1;
  if (plain) return nn * static_cast<double>(plen > 0 ? plen : 1);
  std::size_t i = 0;
  const bool anchored = plen > 0 && p[0] == '^';
  if (anchored) i = 1;
  double items = 1, optional = 1;
  int k = 0;
  bool specials = false;
  auto skip_set = [&] {  // i at the character after '['
    if (i < plen && p[i] == '^') ++i;
    do {
      if (i >= plen) break;
      if (p[i++] == '%' && i < plen) ++i;
    } while (i < plen && p[i] != ']');
    ++i;
  };
  while (i < plen) {
    const char c = p[i];
    if (c == '(' || c == ')') {
      ++i;
      specials = true;
      continue;
    }
    if (c == '$' && i + 1 == plen) {
      ++i;
      continue;
    }
    if (c == '%') {
      specials = true;
      if (i + 1 >= plen) break;
      const char d = p[i + 1];
      if (d == 'b') {
        i += 4;
        ++k;
        items += 1;
        continue;
      }
      if (d == 'f') {
        i += 2;
        if (i < plen && p[i] == '[') {
          ++i;
          skip_set();
        }
        continue;
      }
      if (d >= '0' && d <= '9') {  // a back-reference: O(n)
        i += 2;
        items += nn;
        continue;
      }
      i += 2;
    } else if (c == '[') {
      specials = true;
      ++i;
      skip_set();
    } else {
      if (c == '.' || c == '^' || c == '$') specials = true;
      ++i;
    }
    items += 1;
    if (i < plen) {
      const char q = p[i];
      if (q == '*' || q == '+' || q == '-') {
        ++k;
        ++i;
        specials = true;
      } else if (q == '?') {
        optional *= 2;
        ++i;
        specials = true;
      }
    }
  }
  if (!specials && !anchored) return nn * static_cast<double>(plen > 0 ? plen : 1);
  double splits = 1;
  for (int j = 1; j <= k && splits < 1e30; ++j) splits *= (static_cast<double>(n) + j) / j;
  return (anchored ? 1.0 : nn) * items * optional * splits;
}

namespace {

// The library function a guard wraps (its upvalue 1), run in the guard's frame with the
// arguments as they came.
inline int call_library(lua_State* L) {
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

inline const char* guarded_name(lua_State* L) {
  return lua_tostring(L, lua_upvalueindex(2));
}

// string.find/match/gmatch/gsub: refuses a pattern whose worst-case backtracking over this
// subject is out of bounds, then matches and charges the work to the budget.
int l_pattern_guard(lua_State* L) {
  std::size_t n = 0, plen = 0;
  luaL_checklstring(L, 1, &n);
  const char* pat = luaL_checklstring(L, 2, &plen);
  const char* fname = guarded_name(L);
  const bool plain = std::strcmp(fname, "find") == 0 && lua_toboolean(L, 4);
  const double cost = pattern_cost(pat, plen, n, plain);
  if (cost > kMaxPatternCost) {
    char msg[384];  // trivially destructible: luaL_error longjmps over it
    std::snprintf(msg, sizeof msg,
                  "string.%s: pattern '%.64s' is too costly for a %zu-byte subject (worst-case "
                  "backtracking of %.3g steps exceeds the sandbox limit of %.3g); anchor it "
                  "with ^ or use fewer *, +, - items",
                  fname, pat, n, cost, kMaxPatternCost);
    return luaL_error(L, "%s", msg);
  }
  const int results = call_library(L);
  charge_work(L, static_cast<std::int64_t>(cost / 1e4));
  return results;
}

// string.rep: the library loops n times even when the result is empty.
int l_string_rep(lua_State* L) {
  std::size_t l = 0, lsep = 0;
  luaL_checklstring(L, 1, &l);
  const lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0 || l + lsep == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  return call_library(L);
}

// table.move(a1, f, e, t [, a2]) copies e - f + 1 elements in C: charged to the budget.
int l_table_move(lua_State* L) {
  const lua_Integer f = luaL_checkinteger(L, 2);
  const lua_Integer e = luaL_checkinteger(L, 3);
  if (e >= f) {
    const lua_Unsigned count = static_cast<lua_Unsigned>(e) - static_cast<lua_Unsigned>(f);
    charge_work(L, count >= static_cast<lua_Unsigned>(INT64_MAX / 2)
                       ? INT64_MAX / 2
                       : static_cast<std::int64_t>(count) + 1);
  }
  return call_library(L);
}

// table.insert/remove/sort shift or sort #t elements in C; a __len metamethod could claim any
// length, so the sandbox refuses it there (plain tables are bounded by the memory cap).
int l_table_len_guard(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (luaL_getmetafield(L, 1, "__len") != LUA_TNIL)
    return luaL_error(L,
                      "table.%s on a table with a __len metamethod is not allowed in the "
                      "policy sandbox",
                      guarded_name(L));
  return call_library(L);
}

// setmetatable refuses __gc: finalizers run at arbitrary points, including outside any
// evaluation budget (state saving, lua_close), where an endless loop would hang the engine.
int l_setmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    const bool has_gc = lua_rawget(L, 2) != LUA_TNIL;
    lua_pop(L, 1);
    if (has_gc) return luaL_error(L, "__gc metamethods are not allowed in the policy sandbox");
  }
  return call_library(L);
}

// The message handler xpcall installs. When the budget trips, the hook raises from inside
// itself and Lua runs the handler with hooks disabled: a looping handler would run forever. So
// once the budget is spent, the script's handler is skipped.
int l_xpcall_handler(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  if (h && h->budget.tripped) {
    lua_settop(L, 1);
    return 1;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// xpcall(f, msgh, ...): msgh wrapped by l_xpcall_handler.
int l_xpcall(lua_State* L) {
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, l_xpcall_handler, 1);
  lua_replace(L, 2);
  return call_library(L);
}

// Replaces table[field] (table at index t) by `guard` with upvalues (library function, name).
// The library function must be a plain C function: it then runs in the guard's frame.
void guard_field(lua_State* L, int t, const char* field, lua_CFunction guard) {
  t = lua_absindex(L, t);
  lua_getfield(L, t, field);
  if (!lua_iscfunction(L, -1) || lua_getupvalue(L, -1, 1) != nullptr)
    luaL_error(L, "cannot guard %s: not a plain C function", field);
  lua_pushstring(L, field);
  lua_pushcclosure(L, guard, 2);
  lua_setfield(L, t, field);
}

}  // namespace

void guard_string_library(lua_State* L, int string_lib) {
  for (const char* f : {"find", "match", "gmatch", "gsub"})
    guard_field(L, string_lib, f, l_pattern_guard);
  guard_field(L, string_lib, "rep", l_string_rep);
}

void guard_table_library(lua_State* L, int table_lib) {
  guard_field(L, table_lib, "move", l_table_move);
  for (const char* f : {"insert", "remove", "sort"})
    guard_field(L, table_lib, f, l_table_len_guard);
}

void guard_base_library(lua_State* L, int globals) {
  guard_field(L, globals, "setmetatable", l_setmetatable);
  guard_field(L, globals, "xpcall", l_xpcall);
}

}  // namespace luascale
