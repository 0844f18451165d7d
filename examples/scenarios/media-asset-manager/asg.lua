-- asg.lua — the media asset manager's EC2 Auto Scaling group, as its AWS policies would run:
-- target tracking on CPU 70% and memory 80% (scale-out only; scale-in is the CPU alarm below),
-- step scaling on the request count per target (alarm at 1,000: +10% for a 0-10% breach, +30%
-- above), scale-in by one instance when CPU < 30% for 10 one-minute datapoints, and the
-- scheduled actions (08:00 Mon-Fri desired 5, 22:00 daily desired 2, New York time).
local P = require "luascale.policies"
local combine = require "luascale.combine"

return combine.max {
  cpu = P.target_tracking { signal = "cpu", target = 70, disable_scale_in = true, scale_out_datapoints = 3 },
  memory = P.target_tracking { signal = "memory", target = 80, disable_scale_in = true, scale_out_datapoints = 3 },
  requests = P.step_scaling { signal = "requests", threshold = 1000, comparison = ">=",
                              adjustment_type = "PercentChangeInCapacity",
                              steps = { { lower = 0, upper = 100, adjustment = 10 }, { lower = 100, adjustment = 30 } } },
  scale_in = P.step_scaling { signal = "cpu", threshold = 30, comparison = "<", datapoints = 10,
                              adjustment_type = "ChangeInCapacity", steps = { { upper = 0, adjustment = -1 } } },
  schedule = P.scheduled { zone = "America/New_York",
                           actions = { { at = "0 8 * * 1-5", replicas = 5, name = "weekday morning" },
                                       { at = "0 22 * * *", replicas = 2, name = "nightly" } } },
}
