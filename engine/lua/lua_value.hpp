// engine/lua/lua_value.hpp — the one conversion between Lua values and Value, used for params,
// signals, ctx.state and `luascale test` files.
#pragma once

#include <lua.hpp>

#include <string>

#include "engine/core/value.hpp"

namespace luascale {

// Pushes v: null as nil, arrays as sequences, objects as string-keyed tables (null members
// left out). Raises (a Lua error) past 64 levels of nesting or on memory; call it protected.
void push_value(lua_State* L, const Value& v);

// Pushes a number as an integer when it is one exactly (so it prints and compares as the script
// expects), else as a float.
void push_number(lua_State* L, double v);

struct LuaToValueOptions {
  bool allow_non_finite = false;      // NaN and infinities convert (JSON cannot hold them)
  bool empty_table_is_array = false;  // {} becomes [] instead of an empty object
};

// Converts the value at idx. Tables whose keys are exactly 1..n become arrays, others objects
// with their keys sorted (number keys as text), so the result is the same on every run.
// Refused, with `*error` = "<path>: ...": functions, userdata and threads, cycles, nesting past
// 64 levels, more than 100,000 values (a shared sub-table counts each time it is reached), and
// non-finite numbers unless allowed. Raw reads only: it never raises and runs no metamethod, so
// it may be called outside a protected call.
bool lua_to_value(lua_State* L, int idx, Value& out, const std::string& path, std::string* error,
                  const LuaToValueOptions& opts = {});

// Whether v stays within what lua_to_value converts back (nesting up to 64 levels, at most
// 100,000 values, each container counted): a value past them could go into Lua but never come
// out again. False + *error = "<path>: ..." otherwise.
bool value_within_limits(const Value& v, const std::string& path, std::string* error);

}  // namespace luascale
