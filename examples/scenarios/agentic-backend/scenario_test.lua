-- agentic-backend: the plan's instance formula and HPA bounds, as figures.
return {
  policy = "agents.lua",
  guardrails = { minReplicas = 3, maxReplicas = 10 },
  target = { replicas = 3 },
  cases = {
    { name = "10 req/s x 5 s / 2 -> 25 workers -> 13 instances (the plan's figure)",
      guardrails = false,
      signals = { rps = 10, latency_seconds = 5 },
      expect = { replicas = 13, reason = "25 workers -> 13 instances" } },
    { name = "13 instances exceed the HPA's maxReplicas 10: the engine caps at 10",
      target = { replicas = 8 }, signals = { rps = 10, latency_seconds = 5 },
      expect = { replicas = 10, recommended = 13, bound_by = "maxReplicas" } },
    { name = "2 req/s x 5 s -> 5 workers -> 3 instances",
      signals = { rps = 2, latency_seconds = 5 }, expect = { replicas = 3 } },
    { name = "CPU 90% on 6 instances -> 8 (HPA wins over the formula)",
      target = { replicas = 6 }, signals = { rps = 2, latency_seconds = 5, cpu = 90, memory = 50 },
      expect = { replicas = 8, reason = "hpa" } },
    { name = "quiet: the floor of 3",
      target = { replicas = 3 }, signals = { rps = 0.5, latency_seconds = 5 },
      expect = { replicas = 3, recommended = 1 } },
  },
}
