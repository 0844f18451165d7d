-- luascale.policies — constructors for the ready-made policies, for composing them in Lua:
--   local P = require "luascale.policies"
--   return P.hpa{ metrics = { {signal="cpu", type="Utilization", target=70} } }
-- Each constructor returns a policy table { name, params, decide [, bounds] }: the defaults of
-- that policy overlaid (shallowly) with the given params. `bounds(ctx, p)` (scheduled) returns
-- { min=, max=, replicas=, reason= } for luascale.combine to apply as floor / ceiling / exact.
local M = {}

local names = { "hpa", "queue", "target_tracking", "step_scaling", "scheduled", "predictive", "nodes" }

local function shallow_merge(defaults, params)
  local out = {}
  for k, v in pairs(defaults or {}) do out[k] = v end
  for k, v in pairs(params or {}) do out[k] = v end
  return out
end
M.merge = shallow_merge

for _, name in ipairs(names) do
  M[name] = function(params)
    if params ~= nil and type(params) ~= "table" then
      error("luascale.policies." .. name .. ": params must be a table", 2)
    end
    local impl = require("luascale.policy." .. name)
    return {
      name = name,
      params = shallow_merge(impl.defaults, params),
      decide = impl.decide,
      bounds = impl.bounds,
    }
  end
end

return M
