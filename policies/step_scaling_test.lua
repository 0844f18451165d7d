-- policies/step_scaling.lua against the AWS step scaling examples: scale-out at >= 50 with
-- +10% for [0, 10) above the threshold and +30% from 10 up; scale-in at <= 40 with -10% for
-- (-10, 0] and -30% below; on a group of 10.
local aws = {
  adjustment_type = "PercentChangeInCapacity",
  alarms = {
    { name = "high", signal = "cpu", threshold = 50, comparison = ">=",
      steps = { { lower = 0, upper = 10, adjustment = 10 }, { lower = 10, adjustment = 30 } } },
    { name = "low", signal = "cpu", threshold = 40, comparison = "<=",
      steps = { { lower = -10, upper = 0, adjustment = -10 }, { upper = -10, adjustment = -30 } } },
  },
}
return {
  policy = "step_scaling.lua",
  params = aws,
  target = { replicas = 10 },
  cases = {
    { name = "55% is in [0, 10) above 50: +10% -> 11", signals = { cpu = 55 }, expect = { replicas = 11, reason = "high" } },
    { name = "50% exactly breaches (lower bound inclusive): +10%", signals = { cpu = 50 }, expect = { replicas = 11 } },
    { name = "60% is in [10, inf): +30% -> 13", signals = { cpu = 60 }, expect = { replicas = 13 } },
    { name = "between the alarms: hold", signals = { cpu = 45 }, expect = "hold" },
    { name = "35% is in (-10, 0] below 40: -10% -> 9", signals = { cpu = 35 }, expect = { replicas = 9, reason = "low" } },
    { name = "30% is on the -10 bound (upper inclusive below): -30% -> 7", signals = { cpu = 30 }, expect = { replicas = 7 } },
    { name = "percent rounds toward zero: +30% of 5 is +1", target = { replicas = 5 }, signals = { cpu = 80 },
      expect = { replicas = 6 } },
    { name = "percent below 1 still changes by 1: +10% of 3", target = { replicas = 3 }, signals = { cpu = 55 },
      expect = { replicas = 4 } },
    { name = "MinAdjustmentMagnitude raises a small percent change",
      params = { min_adjustment_magnitude = 2 }, target = { replicas = 4 }, signals = { cpu = 55 },
      expect = { replicas = 6 } },
    { name = "ChangeInCapacity",
      params = { alarms = false, signal = "q", threshold = 100, comparison = ">", adjustment_type = "ChangeInCapacity",
                 steps = { { lower = 0, upper = 100, adjustment = 1 }, { lower = 100, adjustment = 3 } } },
      signals = { q = 250 }, expect = { replicas = 13 } },
    { name = "ExactCapacity",
      params = { alarms = false, signal = "q", threshold = 100, adjustment_type = "ExactCapacity",
                 steps = { { lower = 0, adjustment = 20 } } },
      signals = { q = 150 }, expect = { replicas = 20 } },
    { name = "evaluation periods: 3 consecutive breaches",
      params = { alarms = false, signal = "q", threshold = 100, datapoints = 3, adjustment_type = "ChangeInCapacity",
                 steps = { { lower = 0, adjustment = 2 } } },
      ticks = {
        { signals = { q = 150 }, expect = "hold" },
        { expect = "hold" },
        { expect = { replicas = 12 } },
        { signals = { q = 50 }, expect = "hold" },
      } },
    { name = "missing metric holds", expect = "hold" },
  },
}
