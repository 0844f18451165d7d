-- policies/step_scaling.lua — AWS step scaling policies.
--
-- An alarm compares a metric with a threshold; once it breaches for `datapoints` consecutive
-- evaluations, the step whose bounds (relative to the threshold) contain metric - threshold
-- adjusts the capacity. Above the threshold a step's lower bound is inclusive and its upper bound
-- exclusive; below it, the reverse. Adjustment types: ChangeInCapacity (+/- N),
-- PercentChangeInCapacity (+/- N% of current, rounded toward zero but at least 1, then raised to
-- min_adjustment_magnitude), ExactCapacity (= N). With several alarms in alarm, the largest
-- resulting capacity wins (as AWS does across policies).
--
-- params (one alarm inline, or alarms = { {...}, {...} } with the same keys plus `name`):
--   signal = "cpu", threshold = 50, comparison = ">="  (">", "<=", "<", or the AWS names)
--   adjustment_type = "ChangeInCapacity"
--   steps = { {lower=0, upper=10, adjustment=10}, {lower=10, adjustment=30} }
--   min_adjustment_magnitude = nil
--   datapoints = 1
return require("luascale.policies").step_scaling {
  threshold = 50,
  steps = { { lower = 0, adjustment = 1 } },
}
