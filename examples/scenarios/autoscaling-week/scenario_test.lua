-- autoscaling-week: the load-test scenarios and the job queue, as figures.
local api = { metrics = {
  { signal = "cpu", type = "Utilization", target = 70 },
  { signal = "memory", type = "Utilization", target = 80 },
  { signal = "rps", type = "AverageValue", target = 200 } } }
local workers_behavior = {
  scaleUp = { selectPolicy = "Max", policies = { { type = "Percent", value = 200, periodSeconds = 30 },
                                                 { type = "Pods", value = 10, periodSeconds = 30 } } },
  scaleDown = { stabilizationWindowSeconds = 600, policies = { { type = "Percent", value = 25, periodSeconds = 60 } } },
}
local queue = "../../../policies/queue.lua"
return {
  policy = "../../../policies/hpa.lua",
  params = api,
  guardrails = { minReplicas = 2, maxReplicas = 50 },
  cases = {
    { name = "sustained: 1,000 req/s -> 5 API pods",
      target = { replicas = 2 }, signals = { rps = 1000 },
      ticks = { { expect = { recommended = 5, replicas = 4 } }, { expect = { replicas = 5 } } } },
    { name = "spike: 100 -> 10,000 req/s reaches the 50-pod max in 5 evaluations (75 s at 15 s)",
      target = { replicas = 2 }, signals = { rps = 10000 },
      ticks = {
        { expect = { replicas = 4, recommended = 50 } }, { expect = { replicas = 8 } },
        { expect = { replicas = 16 } }, { expect = { replicas = 32 } },
        { expect = { replicas = 50, bound_by = "none" } },
      } },
    { name = "spike: back to 100 req/s holds 50 pods for the 300 s downscale window",
      target = { replicas = 50 }, signals = { rps = 100, cpu = 2, memory = 2 },
      ticks = {
        { expect = { replicas = 50, recommended = 2 } },
        { dt = 285, expect = { replicas = 50 } },
        { dt = 30, expect = { replicas = 2 } },
      } },
    { name = "ramp: 5,000 req/s -> 25 pods",
      target = { replicas = 25 }, signals = { rps = 5000 }, expect = { replicas = 25 } },
    { name = "CPU at 140% of target on 10 pods -> 14",
      target = { replicas = 10 }, signals = { cpu = 98, memory = 50, rps = 100 },
      expect = { replicas = 14, reason = "cpu" } },
    { name = "queue: 5,000 jobs from 20 pods reach 50 in one evaluation (200% per 30 s allows 60)",
      policy = queue, params = { signal = "jobs", per_replica = 100, min = 2 },
      guardrails = { minReplicas = 2, maxReplicas = 100, behavior = workers_behavior },
      target = { replicas = 20 }, signals = { jobs = 5000 },
      expect = { replicas = 50, bound_by = "none" } },
    { name = "queue: with selectPolicy Min (10 pods per 30 s) 50 pods take 60 s",
      policy = queue, params = { signal = "jobs", per_replica = 100, min = 2 },
      guardrails = { minReplicas = 2, maxReplicas = 100,
                     behavior = { scaleUp = { selectPolicy = "Min", policies = workers_behavior.scaleUp.policies } } },
      target = { replicas = 20 }, signals = { jobs = 5000 },
      ticks = {
        { expect = { replicas = 30, bound_by = "scaleUpLimit" } },
        { dt = 30, expect = { replicas = 40 } },
        { dt = 30, expect = { replicas = 50 } },
      } },
    { name = "queue: drained, scale-down waits 10 min then 25% per 60 s (truncating: 50 -> 37 -> 27)",
      policy = queue, params = { signal = "jobs", per_replica = 100, min = 2, cooldown = 0 },
      guardrails = { minReplicas = 2, maxReplicas = 100, behavior = workers_behavior },
      target = { replicas = 50 }, signals = { jobs = 5000 },
      ticks = {
        { expect = { replicas = 50 } },
        { dt = 15, signals = { jobs = 200 }, expect = { replicas = 50, recommended = 2 } },
        { dt = 600, expect = { replicas = 37, bound_by = "scaleDownLimit" } },
        { dt = 60, expect = { replicas = 27 } },
      } },
  },
}
