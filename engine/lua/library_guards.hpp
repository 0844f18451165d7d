// engine/lua/library_guards.hpp — guards on the few library functions that could run unbounded in
// C, where the instruction hook never fires: pattern matching, string.rep, table.move, the
// table functions that trust __len; and on two base functions a policy could use to escape its
// limits (setmetatable with __gc, xpcall with a looping handler).
//
// A guard runs in its function's own call frame: it checks, then calls the library's C function
// directly (not through lua_call), so the library behaves and fails exactly as stock Lua's does,
// with the policy's file:line and the function's name in the message; the guard's own refusals
// are ordinary Lua errors with the same location.
#pragma once

#include <lua.hpp>

#include <cstddef>

namespace luascale {

// Worst-case number of steps Lua's backtracking matcher may take for `pattern` over a subject of
// n bytes (plain: a plain find).
double pattern_cost(const char* pattern, std::size_t plen, std::size_t n, bool plain);
inline constexpr double kMaxPatternCost = 2e8;  // about a second of matching in the worst case

// Guards string.find/match/gmatch/gsub/rep in the string library table at `string_lib`.
void guard_string_library(lua_State* L, int string_lib);
// Guards table.move/insert/remove/sort in the table library table at `table_lib`.
void guard_table_library(lua_State* L, int table_lib);
// Guards setmetatable and xpcall in the globals table at `globals`.
void guard_base_library(lua_State* L, int globals);

}  // namespace luascale
