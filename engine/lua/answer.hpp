// engine/lua/answer.hpp — checking what decide returned: nil (hold) or a decision
// {replicas=N, nodes=N, reason="...", plan={{time=T, capacity=N}, ...}}, counts integers in
// 0..kMaxCount; anything else is an error naming what was wrong.
#pragma once

#include <lua.hpp>

#include <string>

namespace luascale {

// Interns the decision's field names for the current policy (keys_ref and the *_key pointers).
// Run protected, at load.
void intern_answer_keys(lua_State* L);

// Checks the answer on the top of the stack and fills the current policy's RawDecision; false
// with `err` set when the answer is not a valid decision. Uses only calls that cannot raise (no
// allocation, no metamethods), so it runs after the protected call has returned.
bool read_answer(lua_State* L, std::string& err);

}  // namespace luascale
