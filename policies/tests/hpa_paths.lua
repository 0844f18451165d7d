-- policies/tests/hpa_paths.lua — checks that luascale.hpa's one-metric rule on a number
-- (hpa.replica, written out for speed) gives exactly what the general rule (hpa.replicas) gives,
-- proposal and reason, over a grid of metric types, values, targets, tolerances and counts.
-- Decides replicas = the number of disagreements; the reason names the first one.
local hpa = require "luascale.hpa"

return {
  decide = function(ctx, p)
    local values = { 0, 0.5, 1, 7, 35, 63, 69.9, 70, 77, 100, 140.25, 1e6, 123456789.5 }
    local targets = { 0.5, 1, 50, 70, 100, 250.5 }
    local tolerances = { 0.1, 0, 0.5, { scale_up = 0.2, scale_down = 0.05 } }
    local counts = { { 0, 0 }, { 1, 1 }, { 3, 3 }, { 3, 2 }, { 10, 7 } }
    local types = { "Utilization", "AverageValue", "Value" }
    local bad, first, cases = 0, nil, 0
    for _, t in ipairs(types) do
      for _, goal in ipairs(targets) do
        local m = { signal = "x", type = t, target = goal }
        for _, v in ipairs(values) do
          for _, tol in ipairs(tolerances) do
            for _, c in ipairs(counts) do
              local target = { replicas = c[1], ready = c[2] }
              local a, ar = hpa.replica(m, v, target, tol)
              local b, br = hpa.replicas({ m }, { x = v }, target, tol)
              cases = cases + 1
              if a ~= b or ar ~= br then
                bad = bad + 1
                first = first or string.format("%s target %s value %s replicas %d: %s (%s) vs %s (%s)",
                  t, goal, v, c[1], tostring(a), tostring(ar), tostring(b), tostring(br))
              end
            end
          end
        end
      end
    end
    return { replicas = bad, reason = first or string.format("%d cases agree", cases) }
  end,
}
