-- agents.lua — the agentic backend: instances from the plan's formula (target req/s x response
-- time / 2 workers per instance, then workers / 2 per instance), or the HPA on CPU 70% /
-- memory 80% when those are reported; the larger wins.
local P = require "luascale.policies"
local combine = require "luascale.combine"
local sizing = require "luascale.sizing"

local function by_littles_law(ctx, p)
  local rate, latency = ctx:signal("rps"), ctx:signal("latency_seconds")
  if rate == nil or latency == nil then return nil end
  local workers = sizing.workers { rate = rate, latency = latency, per_worker = 2 }
  local instances = sizing.instances { workers = workers, per_instance = 2 }
  return { replicas = instances,
           reason = string.format("%.2f req/s x %.2f s / 2 -> %d workers -> %d instances", rate, latency, workers, instances) }
end

return combine.max {
  hpa = P.hpa { metrics = { { signal = "cpu", type = "Utilization", target = 70 },
                            { signal = "memory", type = "Utilization", target = 80 } } },
  littles_law = by_littles_law,
}
