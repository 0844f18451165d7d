-- policies/hpa.lua — the Kubernetes HPA replica calculation on plain-number signals.
--
-- For each metric: ratio = usage / target; within the tolerance of 1.0 the count holds,
-- otherwise desired = ceil(ratio * base), where base is the ready replica count for a
-- Utilization/Value metric and the current count for an AverageValue total. Several metrics:
-- the largest proposal wins. A missing signal holds that metric; all missing holds the count.
--
-- params:
--   metrics   = { {signal="rps", type="AverageValue", target=50}, ... }
--               type "Utilization": the signal is the average utilization (percent) across pods
--               type "AverageValue": the signal is a total shared across replicas
--               type "Value": the signal is one value compared with the target
--   tolerance = 0.1, or { scale_up = 0.1, scale_down = 0.1 }
return {
  params = {
    metrics = { { signal = "cpu", type = "Utilization", target = 70 } },
    tolerance = 0.1,
  },

  decide = function(ctx, p)
    local up_tol, down_tol = p.tolerance, p.tolerance
    if type(p.tolerance) == "table" then
      up_tol, down_tol = p.tolerance.scale_up or 0.1, p.tolerance.scale_down or 0.1
    end
    local current = ctx.target.replicas
    local best, why = nil, nil
    for _, m in ipairs(p.metrics) do
      local usage = ctx:signal(m.signal)
      if usage ~= nil then
        assert(type(usage) == "number", "signal " .. m.signal .. " must be a number")
        assert(m.target and m.target > 0, "metric " .. m.signal .. ": target must be > 0")
        local proposal, ratio
        if m.type == "AverageValue" then
          -- A total shared across replicas: usage per current replica vs target.
          ratio = usage / (m.target * math.max(current, 1))
          proposal = math.ceil(usage / m.target)
        elseif m.type == "Utilization" or m.type == "Value" then
          ratio = usage / m.target
          proposal = math.ceil(ratio * math.max(ctx.target.ready, 1))
        else
          error("metric " .. m.signal .. ": unknown type " .. tostring(m.type))
        end
        if current > 0 and ratio <= 1 + up_tol and ratio >= 1 - down_tol then
          proposal = current
        end
        if best == nil or proposal > best then
          best = proposal
          why = string.format("%s %s %.4g vs target %.4g (ratio %.2f)", m.signal, m.type, usage, m.target, ratio)
        end
      end
    end
    if best == nil then return nil end
    return { replicas = best, reason = why }
  end,
}
