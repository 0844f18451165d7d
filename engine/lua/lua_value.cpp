// engine/lua/lua_value.cpp — see lua_value.hpp.
#include "engine/lua/lua_value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/core/units.hpp"

namespace luascale {
namespace {

constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxValues = 100'000;

void push_at(lua_State* L, const Value& v, int depth) {
  if (depth > kMaxDepth) luaL_error(L, "value nested deeper than %d levels", kMaxDepth);
  luaL_checkstack(L, 4, "value too deep");
  switch (v.kind()) {
    case Value::Kind::Null:
      lua_pushnil(L);
      break;
    case Value::Kind::Bool:
      lua_pushboolean(L, v.as_bool());
      break;
    case Value::Kind::Integer:
      lua_pushinteger(L, static_cast<lua_Integer>(v.as_int()));
      break;
    case Value::Kind::Number:
      lua_pushnumber(L, v.as_number());
      break;
    case Value::Kind::String:
      lua_pushlstring(L, v.as_string().data(), v.as_string().size());
      break;
    case Value::Kind::Array: {
      const auto& a = v.as_array();
      lua_createtable(L, static_cast<int>(a.size()), 0);
      for (std::size_t i = 0; i < a.size(); ++i) {
        push_at(L, a[i], depth + 1);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      break;
    }
    case Value::Kind::Object: {
      const auto& o = v.as_object();
      lua_createtable(L, 0, static_cast<int>(o.size()));
      for (const auto& [k, e] : o) {
        if (e.is_null()) continue;
        lua_pushlstring(L, k.data(), k.size());
        push_at(L, e, depth + 1);
        lua_rawset(L, -3);
      }
      break;
    }
  }
}

std::string number_text(lua_State* L, int idx) {
  char buf[64];
  if (lua_isinteger(L, idx))
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(lua_tointeger(L, idx)));
  else
    std::snprintf(buf, sizeof buf, "%.17g", lua_tonumber(L, idx));
  return buf;
}

struct Converter {
  lua_State* L;
  const LuaToValueOptions& opts;
  std::string* error;
  std::vector<const void*> seen;  // the tables being converted, outermost first
  std::size_t values = 0;

  bool fail(const std::string& path, const std::string& what) {
    if (error) *error = path + ": " + what;
    return false;
  }

  bool convert(int idx, Value& out, const std::string& path, int depth) {
    idx = lua_absindex(L, idx);
    if (++values > kMaxValues)
      return fail(path, "more than 100000 values (shared sub-tables count each time)");
    switch (lua_type(L, idx)) {
      case LUA_TNIL:
        out = Value();
        return true;
      case LUA_TBOOLEAN:
        out = Value(lua_toboolean(L, idx) != 0);
        return true;
      case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
          out = Value(static_cast<std::int64_t>(lua_tointeger(L, idx)));
          return true;
        }
        if (!opts.allow_non_finite && !std::isfinite(lua_tonumber(L, idx)))
          return fail(path, "a non-finite number cannot be kept");
        out = Value(static_cast<double>(lua_tonumber(L, idx)));
        return true;
      case LUA_TSTRING: {
        std::size_t n;
        const char* s = lua_tolstring(L, idx, &n);
        out = Value(std::string(s, n));
        return true;
      }
      case LUA_TTABLE:
        return convert_table(idx, out, path, depth);
      default:
        return fail(
            path,
            std::string("a ") + lua_typename(L, lua_type(L, idx)) +
                " is not allowed here (only data: nil, booleans, numbers, strings and tables)");
    }
  }

  bool convert_table(int idx, Value& out, const std::string& path, int depth) {
    if (depth > kMaxDepth) return fail(path, "nested deeper than 64 levels");
    const void* p = lua_topointer(L, idx);
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) return fail(path, "table cycle");
    if (!lua_checkstack(L, 4)) return fail(path, "nested too deeply");
    seen.push_back(p);
    // An array when the keys are exactly 1..n.
    lua_Integer count = 0;
    bool array = true;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      ++count;
      if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1) array = false;
      lua_pop(L, 1);
    }
    if (array && static_cast<lua_Integer>(lua_rawlen(L, idx)) != count) array = false;
    if (count == 0) array = opts.empty_table_is_array;
    bool ok = true;
    if (array) {
      Value::Array a(static_cast<std::size_t>(count));
      for (lua_Integer i = 1; i <= count && ok; ++i) {
        lua_rawgeti(L, idx, i);
        ok = convert(-1, a[static_cast<std::size_t>(i - 1)], path + "[" + std::to_string(i) + "]",
                     depth + 1);
        lua_pop(L, 1);
      }
      out = Value(std::move(a));
    } else {
      Value::Object o;
      lua_pushnil(L);
      while (ok && lua_next(L, idx)) {
        std::string key;
        if (lua_type(L, -2) == LUA_TSTRING) {
          std::size_t n;
          const char* s = lua_tolstring(L, -2, &n);  // a string key: no conversion in lua_next
          key.assign(s, n);
        } else if (lua_type(L, -2) == LUA_TNUMBER) {
          key = number_text(L, -2);
        } else {
          ok = fail(path, "keys must be strings or numbers");
          lua_pop(L, 2);
          break;
        }
        Value e;
        ok = convert(-1, e, path + "." + key, depth + 1);
        o.emplace_back(std::move(key), std::move(e));
        lua_pop(L, 1);
      }
      // Lua's table order depends on a per-state hash seed: sorted keys make every conversion
      // of a table the same from run to run.
      std::stable_sort(o.begin(), o.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      out = Value(std::move(o));
    }
    seen.pop_back();
    return ok;
  }
};

bool count_values(const Value& v, int depth, std::size_t& values) {
  if (++values > kMaxValues) return false;
  if (v.is_array()) {
    if (depth > kMaxDepth) return false;
    for (const auto& e : v.as_array())
      if (!count_values(e, depth + 1, values)) return false;
  } else if (v.is_object()) {
    if (depth > kMaxDepth) return false;
    for (const auto& [k, e] : v.as_object())
      if (!count_values(e, depth + 1, values)) return false;
  }
  return true;
}

}  // namespace

bool value_within_limits(const Value& v, const std::string& path, std::string* error) {
  std::size_t values = 0;
  if (count_values(v, 0, values)) return true;
  if (error)
    *error = path + ": " +
             (values > kMaxValues ? std::string("more than 100000 values")
                                  : "nested deeper than " + std::to_string(kMaxDepth) + " levels");
  return false;
}

void push_value(lua_State* L, const Value& v) {
  push_at(L, v, 0);
}

void push_number(lua_State* L, double v) {
  if (is_exact_integer(v))
    lua_pushinteger(L, static_cast<lua_Integer>(v));
  else
    lua_pushnumber(L, v);
}

bool lua_to_value(lua_State* L, int idx, Value& out, const std::string& path, std::string* error,
                  const LuaToValueOptions& opts) {
  const int top = lua_gettop(L);
  Converter c{L, opts, error, {}, 0};
  const bool ok = c.convert(idx, out, path, 0);
  lua_settop(L, top);
  return ok;
}

}  // namespace luascale
