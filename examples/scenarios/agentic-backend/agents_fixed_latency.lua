-- agents_fixed_latency.lua — agents.lua's formula with the plan's fixed 5 s response time, for
-- traces that carry only a request rate.
local sizing = require "luascale.sizing"
return {
  params = { latency = 5 },
  decide = function(ctx, p)
    local rate = ctx:signal("rps", { window = "1m", agg = "avg" })
    if rate == nil then return nil end
    local workers = sizing.workers { rate = rate, latency = p.latency, per_worker = 2 }
    local instances = sizing.instances { workers = workers, per_instance = 2 }
    return { replicas = instances, reason = string.format("%.2f req/s (1 min avg) x %g s -> %d workers -> %d instances",
      rate, p.latency, workers, instances) }
  end,
}
