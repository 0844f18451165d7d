// engine/lua/ctx_api.hpp — the `ctx` a policy's decide receives: its fields (now, interval,
// target, params, state) and methods (ctx:signal over the engine's signal table, ctx:log).
#pragma once

#include <lua.hpp>

namespace luascale {

// Builds the policy's ctx and ctx.target over the params at `params` and registers them in the
// current policy's Impl (ctx_ref, target_ref). Run protected, at load.
void build_ctx(lua_State* L, int params);

// Indexes the current policy's signal table by name for ctx:signal (sigindex_ref) and clears
// the structured-signal cache. Run protected, whenever the table gained signals.
int index_signals(lua_State* L);

}  // namespace luascale
