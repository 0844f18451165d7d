// engine/lua/sandbox.hpp — what a policy's Lua code can reach: the libraries opened one by one,
// a read-only table of safe globals per state, a fresh environment per policy and per module
// whose undeclared-global reads are errors, text-only `load`, and a `require` that finds only the
// stdlib and the policy's own folder. Chunks are compiled once per state.
#pragma once

#include <lua.hpp>

#include <string>

namespace luascale {

// Opens the allowed libraries and builds the safe globals (a lua_CFunction: run it protected,
// once per state, with a policy's Impl current).
int setup_sandbox(lua_State* L);

// Pushes a fresh environment holding the safe globals; other reads raise the undeclared-global
// error; writes stay in the environment.
void push_new_env(lua_State* L);

// Pushes the compiled chunk of (source, chunkname), compiled once per state and shared by the
// policies of the state. Raises on syntax errors (file:line) and memory.
void push_compiled_chunk(lua_State* L, const std::string& source, const std::string& chunkname);

// Gives the function at `f` a fresh _ENV upvalue holding the table on top of the stack
// (popped). Closures made by earlier runs of the chunk keep their own _ENV.
void bind_env(lua_State* L, int f);

// print and ctx:log: the arguments from `first` on, as tostring shows them, separated by `sep`,
// become one log line of the evaluation (at most kMaxLogLines per evaluation, each cut at
// kMaxLogLine bytes; none kept when the policy does not collect logs).
int log_line(lua_State* L, int first, char sep);

}  // namespace luascale
