-- policies/target_tracking.lua against AWS target tracking: ceil(current x metric / target),
-- 3 datapoints to scale out, 15 to scale in, disable_scale_in, instance warm-up.
local function repeat_ticks(n, tick, last)
  local out = {}
  for i = 1, n - 1 do out[i] = tick end
  out[n] = last
  return out
end
return {
  policy = "target_tracking.lua",
  params = { signal = "cpu", target = 50 },
  cases = {
    { name = "AWS example: 10 instances at 70% with target 50% -> 14 after 3 datapoints",
      target = { replicas = 10 },
      ticks = {
        { signals = { cpu = 70 }, expect = "hold" },
        { expect = "hold" },
        { expect = { replicas = 14, reason = "10 in service" } },
      } },
    { name = "scale-out with datapoints = 1",
      params = { scale_out_datapoints = 1 }, target = { replicas = 4 }, signals = { cpu = 90 },
      expect = { replicas = 8 } },
    { name = "a dip resets the datapoint count",
      params = { scale_out_datapoints = 2 }, target = { replicas = 4 },
      ticks = {
        { signals = { cpu = 90 }, expect = "hold" },
        { signals = { cpu = 40 }, expect = "hold" },
        { signals = { cpu = 90 }, expect = "hold" },
        { expect = { replicas = 8 } },
      } },
    { name = "scale-in only after 15 datapoints below target",
      target = { replicas = 10 },
      signals = { cpu = 25 },
      ticks = repeat_ticks(15, { expect = "hold" }, { expect = { replicas = 5 } }) },
    { name = "disable_scale_in never scales in",
      params = { disable_scale_in = true, scale_in_datapoints = 1 }, target = { replicas = 10 },
      signals = { cpu = 10 }, expect = "hold" },
    { name = "warm-up: new instances do not count and block scale-in",
      params = { scale_out_datapoints = 1, scale_in_datapoints = 1, warmup = 300 },
      target = { replicas = 10 },
      ticks = {
        { signals = { cpu = 70 }, expect = { replicas = 14 } },
        -- 4 instances warming; metric over the 10 in service
        { dt = 60, signals = { cpu = 40 }, expect = "hold" },
        { dt = 60, signals = { cpu = 80 }, expect = { replicas = 16, reason = "10 in service" } },
        { dt = 300, signals = { cpu = 40 }, expect = "hold" },
        { dt = 300, signals = { cpu = 25 }, expect = { replicas = 8 } },
      } },
    { name = "missing metric holds", target = { replicas = 3 }, expect = "hold" },
  },
}
