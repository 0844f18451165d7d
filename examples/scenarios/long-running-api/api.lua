-- api.lua — the API tier: the HPA on CPU 70% where CPU is reported, and the plan's sizing rule
-- (requests per second / 20 per pod x 1.5 buffer) from the request rate; the larger wins.
local P = require "luascale.policies"
local combine = require "luascale.combine"
local sizing = require "luascale.sizing"

local function by_rate(ctx)
  local rps = ctx:signal("api_rps")
  if rps == nil then return nil end
  local n = sizing.pods_for_rate { rate = rps, per_pod = 20, buffer = 1.5 }
  return { replicas = n, reason = string.format("%.1f req/s / 20 per pod x 1.5", rps) }
end

return combine.max {
  hpa = P.hpa { metrics = { { signal = "cpu", type = "Utilization", target = 70 } } },
  rate = by_rate,
}
