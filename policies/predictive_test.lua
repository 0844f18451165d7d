-- policies/predictive.lua: reactive while it learns and while its own forecasts have not proven
-- themselves; from one season of history on (not two) Holt-Winters scales ahead of a repeating
-- pattern, never below the reactive count, as long as the recent forecast error stays low; an
-- unpredictable signal keeps it reactive. Every reason says which mode it is in.
local T0 = 1700000040   -- a multiple of the 60 s step
local pattern = { 10, 50, 90, 50 }
local erratic = { 5, 95, 20, 70, 90, 10, 60, 30, 80, 15, 45, 99 }
local function ticks(n, last_expect, values)
  values = values or pattern
  local out = {}
  for k = 0, n - 1 do
    out[#out + 1] = { now = T0 + 60 * k, signals = { rps = values[k % #values + 1] } }
  end
  out[#out].expect = last_expect
  return out
end
local p = { signal = "rps", per_replica = 10, season = 240, step = 60, lead = 120, warmup = 240,
            checks = 2, max_error = 0.2 }
return {
  policy = "predictive.lua",
  params = p,
  cases = {
    { name = "reactive while learning", signals = { rps = 42 },
      expect = { replicas = 5, reason = "reactive: rps 42 / 10 (learning: 0 of 4 buckets)" } },
    { name = "after the warm-up, reactive until its forecasts are checked",
      ticks = ticks(8, { replicas = 5, reason = "checking the forecast: 1 of 2", state = { model = { L = 4 } } }) },
    { name = "after one season and two good checks: forecast peak 90 within the lead -> 9 while demand is 10",
      ticks = ticks(9, { replicas = 9, reason = "forecast: peak rps 90 within 120s -> 9 (reactive 1; forecast error 0%)",
                         state = { checked = 2 } }) },
    { name = "never below the reactive count",
      ticks = ticks(11, { replicas = 9, reason = "reactive: rps 90 / 10 (forecast peak 90" }) },
    { name = "a later season keeps forecasting, refitted on two seasons of history",
      ticks = ticks(17, { replicas = 9, reason = "forecast", state = { model = { L = 4 } } }) },
    { name = "an unpredictable signal keeps it reactive, the error in the reason",
      ticks = ticks(24, { replicas = 10, reason = "reactive: rps 99 / 10 (forecast error 144% > 20%)" }, erratic) },
    { name = "missing signal holds", expect = "hold" },
  },
}
