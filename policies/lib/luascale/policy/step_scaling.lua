-- luascale.policy.step_scaling — AWS step scaling (see policies/step_scaling.lua for params).
local M = {}
local ipairs, type, assert, tostring, error = ipairs, type, assert, tostring, error
M.defaults = {
  -- One alarm given inline (signal, threshold, comparison, steps, adjustment_type...) or a list
  -- `alarms = { {...}, {...} }`; when several are in alarm, the largest resulting capacity wins.
  signal = "cpu",
  comparison = ">=",                      -- ">=", ">", "<=", "<"
  adjustment_type = "ChangeInCapacity",   -- or "PercentChangeInCapacity", "ExactCapacity"
  datapoints = 1,                         -- consecutive breaching evaluations to be in alarm
}
local floor, ceil, abs, max, format = math.floor, math.ceil, math.abs, math.max, string.format
local OPS = {
  [">="] = function(a, b) return a >= b end, [">"] = function(a, b) return a > b end,
  ["<="] = function(a, b) return a <= b end, ["<"] = function(a, b) return a < b end,
  GreaterThanOrEqualToThreshold = function(a, b) return a >= b end,
  GreaterThanThreshold = function(a, b) return a > b end,
  LessThanOrEqualToThreshold = function(a, b) return a <= b end,
  LessThanThreshold = function(a, b) return a < b end,
}

-- The step whose bounds (relative to the threshold) hold `diff`. Above the threshold the lower
-- bound is inclusive and the upper exclusive; below it, the other way round.
local function find_step(steps, diff)
  for _, s in ipairs(steps) do
    local lo, hi = s.lower, s.upper
    local ok
    if diff >= 0 then
      ok = (lo == nil or diff >= lo) and (hi == nil or diff < hi)
    else
      ok = (lo == nil or diff > lo) and (hi == nil or diff <= hi)
    end
    if ok then return s end
  end
  return nil
end

-- PercentChangeInCapacity rounding: toward zero, but at least 1 in magnitude; then
-- MinAdjustmentMagnitude.
local function percent_change(current, pct, min_mag)
  local raw = current * pct / 100
  local change
  if raw > 0 then change = raw < 1 and 1 or floor(raw)
  elseif raw < 0 then change = raw > -1 and -1 or ceil(raw)
  else change = 0 end
  if min_mag and change ~= 0 and abs(change) < min_mag then
    change = change > 0 and min_mag or -min_mag
  end
  return change
end
M.percent_change = percent_change

-- capacity(alarm, current, metric) -> new capacity, or nil when no step matches.
function M.capacity(a, current, metric)
  local s = find_step(a.steps, metric - a.threshold)
  if not s then return nil end
  local t = a.adjustment_type or "ChangeInCapacity"
  if t == "ExactCapacity" then return s.adjustment, s end
  if t == "PercentChangeInCapacity" then
    return current + percent_change(current, s.adjustment, a.min_adjustment_magnitude), s
  end
  if t == "ChangeInCapacity" then return current + s.adjustment, s end
  error("adjustment_type must be ChangeInCapacity, PercentChangeInCapacity or ExactCapacity")
end

function M.decide(ctx, p)
  local alarms = p.alarms
  if not alarms then
    alarms = { { signal = p.signal, threshold = p.threshold, comparison = p.comparison, steps = p.steps,
                 adjustment_type = p.adjustment_type, min_adjustment_magnitude = p.min_adjustment_magnitude,
                 datapoints = p.datapoints } }
  end
  ctx.state.breaches = ctx.state.breaches or {}
  local current = ctx.target.replicas
  local best, why
  for i, a in ipairs(alarms) do
    local name = a.name or ("alarm " .. i)
    assert(type(a.threshold) == "number", name .. ": threshold must be a number")
    assert(type(a.steps) == "table" and #a.steps > 0, name .. ": steps must be a non-empty list")
    local op = OPS[a.comparison or p.comparison or ">="]
    assert(op, name .. ": unknown comparison " .. tostring(a.comparison))
    local metric = ctx:signal(a.signal or p.signal)
    local key = tostring(i)
    if metric == nil then
      ctx.state.breaches[key] = 0
    elseif op(metric, a.threshold) then
      ctx.state.breaches[key] = (ctx.state.breaches[key] or 0) + 1
      if ctx.state.breaches[key] >= (a.datapoints or p.datapoints or 1) then
        local cap, step = M.capacity({ threshold = a.threshold, steps = a.steps,
          adjustment_type = a.adjustment_type or p.adjustment_type,
          min_adjustment_magnitude = a.min_adjustment_magnitude or p.min_adjustment_magnitude },
          current, metric)
        if cap and (best == nil or cap > best) then
          best = max(cap, 0)
          why = format("%s: %s = %.4g breaches %s %.4g, step [%s, %s) adjustment %s", name,
            a.signal or p.signal, metric, a.comparison or p.comparison or ">=", a.threshold,
            tostring(step.lower or "-inf"), tostring(step.upper or "+inf"), tostring(step.adjustment))
        end
      end
    else
      ctx.state.breaches[key] = 0
    end
  end
  if best == nil or best == current then return nil end
  return { replicas = best, reason = why }
end

return M
