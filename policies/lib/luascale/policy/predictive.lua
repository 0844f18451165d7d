-- luascale.policy.predictive — Holt-Winters forecast scaling, gated by its own recent backtest
-- (see policies/predictive.lua).
local stats = require "luascale.stats"
local floor, ceil, max, abs, sqrt, format, assert = math.floor, math.ceil, math.max, math.abs,
  math.sqrt, string.format, assert
local M = {}

M.defaults = {
  signal = "rps",       -- the demand signal
  per_replica = 10,     -- demand one replica serves
  season = 86400,       -- season length, seconds
  step = 300,           -- model resolution, seconds (season / step samples per season)
  lead = 600,           -- scale this far ahead (e.g. node provisioning time), seconds
  alpha = 0.5, beta = 0.05, gamma = 0.3,
  warmup = 3600,        -- history before the model starts, seconds
  checks = 6,           -- forecasts checked against what came before the policy trusts them
  max_error = 0.5,      -- scale ahead only while the recent forecast error is at most this
  error_window = 12,    -- the recent forecasts the error averages
  max_gap = nil,        -- a gap in the signal longer than this (seconds) restarts learning
}

-- The error of a forecast f of bucket value x, relative to the value (but at least one replica's
-- demand, so that errors near zero demand stay meaningful).
local function scaled_error(p, x, f) return abs(x - f) / max(abs(x), p.per_replica) end

-- Closes bucket b with its mean x: checks the forecast made for it, learns x, and records the
-- forecast of bucket b + horizon for its own check later.
local function close_bucket(st, p, b, x, horizon)
  local pending = st.pending or {}
  st.pending = pending
  for i = #pending, 1, -1 do
    local entry = pending[i]
    if entry[1] <= b then
      if entry[1] == b then
        local errs, sq = st.errs or {}, st.sq or {}
        errs[#errs + 1] = scaled_error(p, x, entry[2])
        sq[#sq + 1] = (x - entry[2]) ^ 2
        while #errs > p.error_window do table.remove(errs, 1) end
        while #sq > p.error_window do table.remove(sq, 1) end
        st.errs, st.sq = errs, sq
        st.checked = (st.checked or 0) + 1
      end
      table.remove(pending, i)
    end
  end
  -- The history is kept until it holds two seasons, when the model is fitted to it afresh; the
  -- model starts from the warm-up on and learns the season as it comes until then.
  local L = floor(p.season / p.step + 0.5)
  if not st.model or st.buf then
    st.buf = st.buf or {}
    st.buf[#st.buf + 1] = x
  end
  if st.buf and #st.buf >= 2 * L then
    st.model = stats.hw_init(st.buf, L, p.alpha, p.beta, p.gamma)
    st.buf = nil
  elseif st.model then
    stats.hw_update(st.model, x)
  elseif #st.buf >= max(2, ceil(p.warmup / p.step)) then
    st.model = stats.hw_start(st.buf, L, p.alpha, p.beta, p.gamma)
  end
  if st.model then pending[#pending + 1] = { b + horizon, stats.hw_forecast(st.model, horizon) } end
end

local function restart(st)
  st.model, st.buf, st.pending, st.errs, st.sq, st.checked = nil, nil, nil, nil, nil, nil
end

function M.decide(ctx, p)
  assert(p.per_replica and p.per_replica > 0, "per_replica must be > 0")
  assert(p.step and p.step > 0 and p.season >= 2 * p.step, "season must hold at least two steps")
  local st = ctx.state
  local demand = ctx:signal(p.signal)
  if demand == nil then return nil end
  -- The forecast covers the open bucket and the lead: horizon buckets after the last closed one.
  local horizon = max(1, ceil(p.lead / p.step)) + 1
  local bucket = floor(ctx.now / p.step)
  if st.bucket == nil then
    st.bucket, st.sum, st.n = bucket, 0, 0
  elseif bucket > st.bucket then
    local x = st.n > 0 and st.sum / st.n or demand
    local gap = bucket - st.bucket
    local L = floor(p.season / p.step + 0.5)
    if (p.max_gap and gap * p.step > p.max_gap) or gap > 2 * L then
      restart(st)
      gap = 1
    end
    -- Missing buckets repeat the last closed value, so the season stays aligned.
    for k = 1, gap do close_bucket(st, p, st.bucket + k - 1, x, horizon) end
    st.bucket, st.sum, st.n = bucket, 0, 0
  end
  st.sum, st.n = st.sum + demand, st.n + 1

  local reactive = ceil(demand / p.per_replica - 1e-9)
  if not st.model then
    return { replicas = reactive, reason = format("reactive: %s %.4g / %.4g (learning: %d of %d buckets)",
      p.signal, demand, p.per_replica, st.buf and #st.buf or 0, max(2, ceil(p.warmup / p.step))) }
  end
  -- The forecast of each bucket from the open one to the lead, with an interval of two recent
  -- root-mean-square errors once forecasts have been checked.
  local sq, errs = st.sq or {}, st.errs or {}
  local rmse
  if #sq > 0 then
    local s = 0
    for i = 1, #sq do s = s + sq[i] end
    rmse = sqrt(s / #sq)
  end
  local points, peak = {}, nil
  for h = 1, horizon do
    local f = stats.hw_forecast(st.model, h)
    local point = { time = (st.bucket + h - 1) * p.step, value = f }
    if rmse then point.lo, point.hi = f - 2 * rmse, f + 2 * rmse end
    points[h] = point
    peak = peak and max(peak, f) or f
  end
  local err
  if #errs > 0 then
    err = 0
    for i = 1, #errs do err = err + errs[i] end
    err = err / #errs
  end
  local checked = st.checked or 0
  if checked < p.checks then
    return { replicas = reactive, forecast = points, reason = format(
      "reactive: %s %.4g / %.4g (checking the forecast: %d of %d)", p.signal, demand, p.per_replica,
      checked, p.checks) }
  end
  if err > p.max_error then
    return { replicas = reactive, forecast = points, reason = format(
      "reactive: %s %.4g / %.4g (forecast error %.0f%% > %.0f%%)", p.signal, demand, p.per_replica,
      100 * err, 100 * p.max_error) }
  end
  local ahead = ceil(max(peak, 0) / p.per_replica - 1e-9)
  if ahead > reactive then
    return { replicas = ahead, forecast = points, reason = format(
      "forecast: peak %s %.4g within %ss -> %d (reactive %d; forecast error %.0f%%)", p.signal, peak,
      p.lead, ahead, reactive, 100 * err) }
  end
  return { replicas = reactive, forecast = points, reason = format(
    "reactive: %s %.4g / %.4g (forecast peak %.4g; forecast error %.0f%%)", p.signal, demand,
    p.per_replica, peak, 100 * err) }
end

return M
