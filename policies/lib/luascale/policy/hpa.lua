-- luascale.policy.hpa — the HPA policy body (see policies/hpa.lua for params).
local hpa = require "luascale.hpa"
local type, ipairs, assert = type, ipairs, assert

local M = {}

M.defaults = {
  metrics = { { signal = "cpu", type = "Utilization", target = 70 } },
  tolerance = 0.1,
}

function M.decide(ctx, p)
  assert(type(p.metrics) == "table" and #p.metrics > 0,
    "params.metrics must be a list like { {signal=\"cpu\", type=\"Utilization\", target=70} }")
  local t = ctx.target
  -- Upstream gate: outside [min, max] the count is clamped before any metric is read.
  if t.max and t.replicas > t.max then
    return { replicas = t.max, reason = "current above maxReplicas" }
  end
  if t.min and t.replicas < t.min and t.replicas > 0 then
    return { replicas = t.min, reason = "current below minReplicas" }
  end
  local values = {}
  for _, m in ipairs(p.metrics) do
    if m.signal and values[m.signal] == nil then values[m.signal] = ctx:signal(m.signal) end
  end
  local n, reason = hpa.replicas(p.metrics, values, t, p.tolerance)
  if n == nil then
    ctx:log("hpa: hold: " .. reason)
    return nil
  end
  return { replicas = n, reason = reason }
end

return M
