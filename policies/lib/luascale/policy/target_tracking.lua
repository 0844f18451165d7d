-- luascale.policy.target_tracking — AWS target tracking (see policies/target_tracking.lua).
local M = {}
local ipairs, type, assert, ceil, max, format = ipairs, type, assert, math.ceil, math.max, string.format
M.defaults = {
  signal = "cpu",             -- the tracked metric (average across the group)
  target = 50,                -- target value of the metric
  scale_out_datapoints = 3,   -- consecutive evaluations above target before scaling out
  scale_in_datapoints = 15,   -- consecutive evaluations below target before scaling in
  disable_scale_in = false,
  warmup = 300,               -- seconds a new instance is warming up (not counted, no scale-in)
}

local function fmt(x) return format("%.4g", x) end

-- Instances launched less than `warmup` seconds ago, from ctx.state.launches.
local function warming(ctx, p)
  local keep, n = {}, 0
  for _, l in ipairs(ctx.state.launches or {}) do
    if ctx.now - l.t < p.warmup then
      keep[#keep + 1] = l
      n = n + l.n
    end
  end
  ctx.state.launches = keep
  return n
end

function M.decide(ctx, p)
  assert(type(p.target) == "number" and p.target > 0, "target must be a number > 0")
  local st = ctx.state
  local current = ctx.target.replicas
  -- An increase of the count since the last evaluation is a launch; it warms up from now.
  if st.last_seen and current > st.last_seen then
    st.launches = st.launches or {}
    st.launches[#st.launches + 1] = { t = ctx.now, n = current - st.last_seen }
  end
  st.last_seen = current
  local warm = warming(ctx, p)
  local metric = ctx:signal(p.signal)
  if metric == nil then return nil end
  st.above = metric > p.target and (st.above or 0) + 1 or 0
  st.below = metric < p.target and (st.below or 0) + 1 or 0
  local in_service = max(current - warm, 0)
  if in_service == 0 then
    if current == 0 and metric > 0 then return { replicas = 1, reason = "no capacity and load > 0" } end
    return nil
  end
  local desired = ceil(in_service * metric / p.target - 1e-9)
  if desired > current then
    if st.above < p.scale_out_datapoints then return nil end
    return { replicas = desired, reason = format("%s %s > target %s for %d datapoints: %d in service x %s / %s",
      p.signal, fmt(metric), fmt(p.target), st.above, in_service, fmt(metric), fmt(p.target)) }
  end
  if desired < current then
    if p.disable_scale_in or warm > 0 then return nil end
    if st.below < p.scale_in_datapoints then return nil end
    return { replicas = max(desired, 1), reason = format("%s %s < target %s for %d datapoints",
      p.signal, fmt(metric), fmt(p.target), st.below) }
  end
  return nil
end

return M
