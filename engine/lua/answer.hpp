// engine/lua/answer.hpp — checking what decide returned: nil (hold) or a decision
// {replicas=N, nodes=N, reason="...", plan={{time=T, capacity=N}, ...}}, counts integers in
// 0..kMaxCount; anything else is an error naming what was wrong.
#pragma once

#include <lua.hpp>

namespace luascale {

// Interns the decision's field names for the current policy (keys_ref and the *_key pointers).
// Run protected, at load.
void intern_answer_keys(lua_State* L);

// Checks the answer on the top of the stack and fills the current policy's RawDecision; false
// with the reason in the policy's errbuf when the answer is not a valid decision. Raw reads only:
// no metamethod of the script's runs.
bool read_answer(lua_State* L);

}  // namespace luascale
