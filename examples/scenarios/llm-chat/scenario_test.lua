-- llm-chat: the plan's capacity formula and behavior, as figures.
local metrics = {
  { signal = "cpu", type = "Utilization", target = 70 },
  { signal = "memory", type = "Utilization", target = 80 },
  { signal = "rps", type = "AverageValue", target = 50 },
}
local behavior = {
  scaleUp = { selectPolicy = "Max", policies = { { type = "Percent", value = 100, periodSeconds = 15 },
                                                 { type = "Pods", value = 4, periodSeconds = 15 } } },
  scaleDown = { stabilizationWindowSeconds = 300, policies = { { type = "Percent", value = 50, periodSeconds = 60 } } },
}
local probe = "../../../policies/tests/probe.lua"
return {
  policy = "../../../policies/hpa.lua",
  params = { metrics = metrics },
  cases = {
    { name = "1,000 users x 3 req/min = 50 req/s", policy = probe,
      params = { module = "luascale.sizing", fn = "rate_from_users", args = { { users = 1000, per_user = 3 } } },
      expect = { reason = "result=50;" } },
    { name = "50 req/s at 50 per pod, +30% -> min 2, x3 -> max 6", policy = probe,
      params = { module = "luascale.sizing", fn = "replica_range",
                 args = { { rate = 50, per_pod = 50, headroom = 0.3, burst = 3 } } },
      expect = { reason = "result=2|6;" } },
    { name = "rps is the binding metric: 250 req/s on 2 pods -> 5",
      target = { replicas = 2 }, signals = { cpu = 50, memory = 60, rps = 250 },
      expect = { replicas = 5, reason = "rps" } },
    { name = "memory 100% of 80% on 4 pods -> 5",
      target = { replicas = 4 }, signals = { cpu = 50, memory = 100, rps = 150 },
      expect = { replicas = 5, reason = "memory" } },
    { name = "scale-up: max(100%, 4 pods) per 15 s: 2 -> 6 -> 12 -> 20",
      guardrails = { minReplicas = 2, maxReplicas = 40, behavior = behavior },
      target = { replicas = 2 }, signals = { cpu = 50, memory = 60, rps = 1000 },
      ticks = {
        { expect = { recommended = 20, replicas = 6, bound_by = "scaleUpLimit" } },
        { dt = 15, signals = { rps = 1000 }, expect = { recommended = 20, replicas = 12 } },
        { dt = 15, expect = { replicas = 20 } },
      } },
    { name = "scale-down: held for the 300 s window, then 50% per 60 s",
      guardrails = { minReplicas = 2, maxReplicas = 6, behavior = behavior },
      target = { replicas = 6 }, signals = { cpu = 50, memory = 60, rps = 300 },
      ticks = {
        { expect = { replicas = 6 } },
        { dt = 15, signals = { rps = 50, cpu = 20, memory = 20 }, expect = { recommended = 2, replicas = 6 } },
        { dt = 300, expect = { replicas = 3, bound_by = "scaleDownLimit" } },
        { dt = 30, expect = { replicas = 3 } },
        { dt = 30, expect = { replicas = 2 } },
      } },
  },
}
