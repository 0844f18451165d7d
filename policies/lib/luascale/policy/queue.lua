-- luascale.policy.queue — KEDA-style queue scaling (see policies/queue.lua for params).
local hpa = require "luascale.hpa"
local ipairs, type, assert, max, format = ipairs, type, assert, math.max, string.format
local M = {}

M.defaults = {
  signal = "queue_depth",   -- one queue; or queues = { {signal=, per_replica=, activation=} }
  per_replica = 5,          -- target messages per replica (KEDA queueLength / value)
  activation = 0,           -- active when some queue is above this (activationValue)
  combine = "max",          -- several queues: "max" of proposals (KEDA/HPA) or "sum" of load
  min = 0,                  -- minReplicaCount
  idle = nil,               -- idleReplicaCount: count while inactive (below min)
  cooldown = 300,           -- seconds inactive before scaling to idle/min (cooldownPeriod)
  tolerance = 0.1,          -- HPA tolerance on the 1<->N part
}

local function queues_of(p)
  if p.queues then return p.queues end
  return { { signal = p.signal, per_replica = p.per_replica, activation = p.activation } }
end

function M.decide(ctx, p)
  local qs = queues_of(p)
  local total, values, missing = 0, {}, 0  -- missing: how many queues have no value
  local active = false
  for i, q in ipairs(qs) do
    local per = q.per_replica or p.per_replica
    assert(type(per) == "number" and per > 0, "queue " .. i .. ": per_replica must be > 0")
    local v = ctx:signal(q.signal)
    if v == nil then
      if q.signal ~= nil then missing = missing + 1 end
    else
      assert(type(v) == "number", "queue signal " .. q.signal .. " must be a number")
      values[i] = v
      total = total + v / per
      if v > (q.activation or p.activation or 0) then active = true end
    end
  end
  if missing == #qs then return nil end
  local current = ctx.target.replicas
  local min = p.min or 0
  if active then ctx.state.last_active = ctx.now end

  if not active then
    if missing > 0 then return nil end  -- an unknown queue may be active: never scale in on it
    local inactive_count = p.idle or min
    if current <= inactive_count then return nil end
    local since = ctx.state.last_active
    if since and ctx.now - since < p.cooldown then
      -- Within the cooldown the HPA part still runs, floored at max(min, 1).
    else
      return { replicas = inactive_count,
               reason = format("inactive (all queues <= activation) for %ss: scale to %d",
                 since and hpa.fmt(ctx.now - since) or "ever", inactive_count) }
    end
  end
  if current == 0 or (p.idle and current <= p.idle and current < max(min, 1)) then
    -- Activation: KEDA scales 0 -> max(min, 1); the HPA takes over on the next evaluation.
    local n = max(min, 1)
    return { replicas = n, reason = "activated: queue above activation threshold" }
  end

  -- 1 <-> N: the HPA on an External AverageValue metric per queue.
  local best, why
  if p.combine == "sum" then
    best, why = hpa.average_value_total(total, 1, current, p.tolerance)
    why = format("%s queued replica-loads summed (%s)", hpa.fmt(total), why.reason)
  else
    for i, q in ipairs(qs) do
      if values[i] then
        local n, info = hpa.average_value_total(values[i], q.per_replica or p.per_replica, current, p.tolerance)
        if best == nil or n > best then best, why = n, q.signal .. " " .. info.reason end
      end
    end
  end
  if missing > 0 and best < current then return nil end
  best = max(best, min, 1)
  return { replicas = best, reason = why }
end

return M
