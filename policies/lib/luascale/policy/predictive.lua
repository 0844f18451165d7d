-- luascale.policy.predictive — Holt-Winters forecast scaling (see policies/predictive.lua).
local stats = require "luascale.stats"
local floor, ceil, max, huge, format, assert = math.floor, math.ceil, math.max, math.huge, string.format, assert
local M = {}

M.defaults = {
  signal = "rps",       -- the demand signal
  per_replica = 10,     -- demand one replica serves
  season = 86400,       -- season length, seconds
  step = 300,           -- model resolution, seconds (season / step samples per season)
  lead = 600,           -- scale this far ahead (e.g. node provisioning time), seconds
  alpha = 0.5, beta = 0.05, gamma = 0.3,
  max_gap = nil,        -- a gap in the signal longer than this (seconds) restarts learning
}

local function close_bucket(st, p, x)
  if st.model then
    stats.hw_update(st.model, x)
    return
  end
  st.buf = st.buf or {}
  st.buf[#st.buf + 1] = x
  local L = floor(p.season / p.step + 0.5)
  if #st.buf >= 2 * L then
    st.model = stats.hw_init(st.buf, L, p.alpha, p.beta, p.gamma)
    st.buf = nil
  end
end

function M.decide(ctx, p)
  assert(p.per_replica and p.per_replica > 0, "per_replica must be > 0")
  assert(p.step and p.step > 0 and p.season >= 2 * p.step, "season must hold at least two steps")
  local st = ctx.state
  local demand = ctx:signal(p.signal)
  if demand == nil then return nil end
  local bucket = floor(ctx.now / p.step)
  if st.bucket == nil then
    st.bucket, st.sum, st.n = bucket, 0, 0
  elseif bucket > st.bucket then
    local x = st.n > 0 and st.sum / st.n or demand
    local gap = bucket - st.bucket
    local L = floor(p.season / p.step + 0.5)
    if (p.max_gap and gap * p.step > p.max_gap) or gap > 2 * L then
      st.model, st.buf = nil, nil
      gap = 1
    end
    -- Missing buckets repeat the last closed value, so the season stays aligned.
    for _ = 1, gap do close_bucket(st, p, x) end
    st.bucket, st.sum, st.n = bucket, 0, 0
  end
  st.sum, st.n = st.sum + demand, st.n + 1

  local reactive = ceil(demand / p.per_replica - 1e-9)
  if not st.model then
    local L = floor(p.season / p.step + 0.5)
    return { replicas = reactive, reason = format("reactive: %s %.4g / %.4g (learning: %d of %d samples)",
      p.signal, demand, p.per_replica, st.buf and #st.buf or 0, 2 * L) }
  end
  -- The current bucket is still open: forecasts start one step after the last closed one.
  local steps = max(1, ceil(p.lead / p.step)) + 1
  local peak = -huge
  for h = 1, steps do peak = max(peak, stats.hw_forecast(st.model, h)) end
  local forecast = ceil(max(peak, 0) / p.per_replica - 1e-9)
  if forecast > reactive then
    return { replicas = forecast, reason = format("forecast: peak %s %.4g within %ss -> %d (reactive %d)",
      p.signal, peak, p.lead, forecast, reactive) }
  end
  return { replicas = reactive, reason = format("reactive: %s %.4g / %.4g (forecast %.4g)",
    p.signal, demand, p.per_replica, peak) }
end

return M
