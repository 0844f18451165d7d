-- luascale.stats — small statistics for policies: mean, EWMA, percentiles, linear regression and
-- an additive Holt-Winters forecast (batch and incremental). Pure functions over Lua arrays.
local M = {}

function M.mean(xs)
  local n = #xs
  if n == 0 then return nil end
  local s = 0
  for i = 1, n do s = s + xs[i] end
  return s / n
end

-- ewma(xs, alpha) -> the exponentially weighted mean (first value seeds it); nil when empty.
-- ewma_update(prev, x, alpha) -> the next value (prev nil = x), for state kept in ctx.state.
function M.ewma_update(prev, x, alpha)
  if prev == nil then return x end
  return alpha * x + (1 - alpha) * prev
end

function M.ewma(xs, alpha)
  assert(alpha and alpha > 0 and alpha <= 1, "ewma: alpha must be in (0, 1]")
  local v
  for i = 1, #xs do v = M.ewma_update(v, xs[i], alpha) end
  return v
end

-- percentile(xs, p) with p in [0, 100], linear interpolation between closest ranks (the
-- "R-7" / numpy default). Does not modify xs.
function M.percentile(xs, p)
  local n = #xs
  if n == 0 then return nil end
  assert(p >= 0 and p <= 100, "percentile: p must be in [0, 100]")
  local s = {}
  for i = 1, n do s[i] = xs[i] end
  table.sort(s)
  local h = (n - 1) * p / 100 + 1
  local lo = math.floor(h)
  if lo >= n then return s[n] end
  return s[lo] + (h - lo) * (s[lo + 1] - s[lo])
end

-- linear_regression(xs, ys) -> slope, intercept (least squares); nil with fewer than 2 distinct xs.
-- With one argument, xs are 1..n.
function M.linear_regression(xs, ys)
  if ys == nil then
    ys = xs
    xs = {}
    for i = 1, #ys do xs[i] = i end
  end
  local n = #xs
  if n < 2 or #ys ~= n then return nil end
  local mx, my = M.mean(xs), M.mean(ys)
  local sxx, sxy = 0, 0
  for i = 1, n do
    local dx = xs[i] - mx
    sxx = sxx + dx * dx
    sxy = sxy + dx * (ys[i] - my)
  end
  if sxx == 0 then return nil end
  local slope = sxy / sxx
  return slope, my - slope * mx
end

-- Holt-Winters, additive seasonality, season length L (samples).
-- hw_init(xs, L) -> model from the first two seasons of xs (needs #xs >= 2L):
--   level = mean of season 1, trend = (mean season 2 - mean season 1) / L,
--   seasonal[i] = mean over both seasons of (x - that season's mean); then the model is run
--   over all of xs with hw_update. The model is plain data (persistable in ctx.state).
function M.hw_init(xs, L, alpha, beta, gamma)
  assert(L and L >= 2, "holt_winters: season length must be >= 2")
  if #xs < 2 * L then return nil end
  local m1, m2 = 0, 0
  for i = 1, L do m1, m2 = m1 + xs[i], m2 + xs[L + i] end
  m1, m2 = m1 / L, m2 / L
  local seasonal = {}
  for i = 1, L do seasonal[i] = ((xs[i] - m1) + (xs[L + i] - m2)) / 2 end
  -- The state at the end of season 1, then smoothing over season 2 onwards.
  local model = { L = L, level = m1, trend = (m2 - m1) / L, seasonal = seasonal, t = L,
                  alpha = alpha or 0.5, beta = beta or 0.1, gamma = gamma or 0.3 }
  model.level = m1 + model.trend * (L - 1) / 2
  for i = L + 1, #xs do M.hw_update(model, xs[i]) end
  return model
end

-- hw_start(xs, L) -> a model from any history of at least two samples: from two seasons on as
-- hw_init; before that the level is the mean so far, the trend zero, and each seasonal term the
-- first deviation seen at its place in the season (places not seen yet take their first
-- deviation when they come), so a forecast is available after hours, not days.
function M.hw_start(xs, L, alpha, beta, gamma)
  assert(L and L >= 2, "holt_winters: season length must be >= 2")
  if #xs >= 2 * L then return M.hw_init(xs, L, alpha, beta, gamma) end
  if #xs < 2 then return nil end
  local first = #xs < L and #xs or L
  local level = 0
  for i = 1, first do level = level + xs[i] end
  level = level / first
  local seasonal, fresh = {}, {}
  for i = 1, L do
    if i <= first then seasonal[i] = xs[i] - level else seasonal[i], fresh[i] = 0, true end
  end
  local model = { L = L, level = level, trend = 0, seasonal = seasonal, t = first, fresh = fresh,
                  alpha = alpha or 0.5, beta = beta or 0.1, gamma = gamma or 0.3 }
  for i = first + 1, #xs do M.hw_update(model, xs[i]) end
  return model
end

-- hw_update(model, x): one new observation (the sample after model.t).
function M.hw_update(model, x)
  local L, t = model.L, model.t + 1
  local si = (t - 1) % L + 1
  local s = model.seasonal[si]
  if model.fresh and model.fresh[si] then  -- a place in the season seen for the first time
    model.fresh[si] = nil
    s = x - model.level
  end
  local last_level = model.level
  model.level = model.alpha * (x - s) + (1 - model.alpha) * (model.level + model.trend)
  model.trend = model.beta * (model.level - last_level) + (1 - model.beta) * model.trend
  model.seasonal[si] = model.gamma * (x - model.level) + (1 - model.gamma) * s
  model.t = t
  return model
end

-- hw_forecast(model, h) -> the forecast h samples ahead (h >= 1).
function M.hw_forecast(model, h)
  local si = (model.t + h - 1) % model.L + 1
  return model.level + h * model.trend + model.seasonal[si]
end

-- holt_winters(xs, L, {alpha=, beta=, gamma=, horizon=}) -> list of forecasts for 1..horizon, or
-- nil when xs holds fewer than two seasons.
function M.holt_winters(xs, L, opts)
  opts = opts or {}
  local model = M.hw_init(xs, L, opts.alpha, opts.beta, opts.gamma)
  if not model then return nil end
  local out = {}
  for h = 1, opts.horizon or 1 do out[h] = M.hw_forecast(model, h) end
  return out, model
end

return M
