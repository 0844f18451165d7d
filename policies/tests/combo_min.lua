-- policies/tests/combo_min.lua — min and priority combinations of plain functions (for combine_test).
local combine = require "luascale.combine"
local function from(signal)
  return function(ctx)
    local v = ctx:signal(signal)
    if v == nil then return nil end
    ctx.state.calls = (ctx.state.calls or 0) + 1
    return { replicas = v, reason = signal }
  end
end
return {
  params = { mode = "min" },
  decide = function(ctx, p)
    local c = combine[p.mode] { a = from("a"), b = from("b") }
    return c.decide(ctx, c.params)
  end,
}
