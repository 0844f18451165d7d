-- luascale.policy.hpa — the HPA policy body (see policies/hpa.lua for params).
local hpa = require "luascale.hpa"
local type, ipairs, error = type, ipairs, error

local M = {}

M.defaults = {
  metrics = { { signal = "cpu", type = "Utilization", target = 70 } },
  tolerance = 0.1,
}
function M.decide(ctx, p)
  local metrics = p.metrics
  if not (type(metrics) == "table" and #metrics > 0) then error( -- line 13, as the former assert
    "params.metrics must be a list like { {signal=\"cpu\", type=\"Utilization\", target=70} }") end
  local t = ctx.target
  -- Upstream gate: outside [min, max] the count is clamped before any metric is read.
  local current, max, min = t.replicas, t.max, t.min
  if max and current > max then
    return { replicas = max, reason = "current above maxReplicas" }
  end
  if min and current < min and current > 0 then
    return { replicas = min, reason = "current below minReplicas" }
  end
  -- behavior.scaleUp / scaleDown.tolerance in the config replace the policy's tolerance for
  -- their direction, as they replace the controller's flag upstream.
  local tolerance = p.tolerance
  local tol_up, tol_down = t.scale_up_tolerance, t.scale_down_tolerance
  if tol_up ~= nil or tol_down ~= nil then
    local up, down = hpa.tolerances(tolerance)
    tolerance = { scale_up = tol_up or up, scale_down = tol_down or down }
  end
  local n, reason
  local first = metrics[1]
  if first ~= nil and metrics[2] == nil then
    -- One metric (the common case): no values table.
    local sig = first.signal
    local v
    if sig then v = ctx:signal(sig) end
    n, reason = hpa.replica(first, v, t, tolerance)
  else
    local values = {}
    for _, m in ipairs(metrics) do
      if m.signal and values[m.signal] == nil then values[m.signal] = ctx:signal(m.signal) end
    end
    n, reason = hpa.replicas(metrics, values, t, tolerance)
  end
  if n == nil then
    ctx:log("hpa: hold: " .. reason)
    return nil
  end
  return { replicas = n, reason = reason }
end

return M
