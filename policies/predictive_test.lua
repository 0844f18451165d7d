-- policies/predictive.lua: reactive until two full seasons are learned, then Holt-Winters
-- scales ahead of a repeating pattern, never below the reactive count.
local T0 = 1700000040   -- a multiple of the 60 s step
local pattern = { 10, 50, 90, 50 }
local function ticks(n, last_expect)
  local out = {}
  for k = 0, n - 1 do
    out[#out + 1] = { now = T0 + 60 * k, signals = { rps = pattern[k % 4 + 1] } }
  end
  out[#out].expect = last_expect
  return out
end
local p = { signal = "rps", per_replica = 10, season = 240, step = 60, lead = 120 }
return {
  policy = "predictive.lua",
  params = p,
  cases = {
    { name = "reactive while learning", signals = { rps = 42 }, expect = { replicas = 5, reason = "learning: 0 of 8" } },
    { name = "still reactive after one season", ticks = ticks(5, { replicas = 1, reason = "learning: 4 of 8" }) },
    { name = "after two seasons: forecast peak 90 within the lead -> 9 while demand is 10",
      ticks = ticks(9, { replicas = 9, reason = "forecast", state = { model = { L = 4 } } }) },
    { name = "never below the reactive count",
      ticks = ticks(11, { replicas = 9, reason = "reactive" }) },
    { name = "a later season keeps forecasting",
      ticks = ticks(17, { replicas = 9, reason = "forecast" }) },
    { name = "missing signal holds", expect = "hold" },
  },
}
