-- media-asset-manager: each AWS rule of the group, and the workers, as figures.
local SAT = 1711195200   -- Saturday 2024-03-23 08:00 New York: no weekday action
local function rep(n, tick)
  local t = {}
  for i = 1, n do t[i] = tick end
  return t
end
local ticks_in = rep(9, { expect = "hold" })
ticks_in[10] = { expect = { replicas = 5, reason = "scale_in" } }
return {
  policy = "asg.lua",
  now = SAT,
  target = { replicas = 6 },
  cases = {
    { name = "target tracking: CPU 90% on 4 instances -> ceil(4 x 90 / 70) = 6 after 3 datapoints",
      target = { replicas = 4 }, signals = { cpu = 90, memory = 50, requests = 500 },
      ticks = { { expect = "hold" }, { expect = "hold" }, { expect = { replicas = 6, reason = "cpu" } } } },
    { name = "target tracking: memory 100% on 4 instances -> 5",
      target = { replicas = 4 }, signals = { cpu = 50, memory = 100, requests = 500 },
      ticks = { { expect = "hold" }, { expect = "hold" }, { expect = { replicas = 5, reason = "memory" } } } },
    { name = "step scaling: 1,050 requests (a 5% breach) -> +10% of 10 = 11",
      target = { replicas = 10 }, signals = { cpu = 50, memory = 50, requests = 1050 },
      expect = { replicas = 11, reason = "requests" } },
    { name = "step scaling: 1,200 requests (a 20% breach) -> +30% of 10 = 13",
      target = { replicas = 10 }, signals = { cpu = 50, memory = 50, requests = 1200 },
      expect = { replicas = 13 } },
    { name = "scale-in: CPU < 30% for 10 minutes removes one instance",
      interval = 60, signals = { cpu = 25, memory = 50, requests = 200 }, ticks = ticks_in },
    { name = "CPU between 30% and 70%: no change",
      signals = { cpu = 50, memory = 50, requests = 500 }, expect = "hold" },
    { name = "scheduled: 08:00 Monday New York sets desired 5",
      ticks = {
        { now = 1711367940, signals = { cpu = 50, memory = 50, requests = 500 }, expect = "hold" },
        { now = 1711368000, expect = { replicas = 5, reason = "weekday morning" } },
        { now = 1711368060, expect = "hold" },
      } },
    { name = "scheduled: 22:00 New York sets desired 2",
      ticks = {
        { now = 1711418340, signals = { cpu = 50, memory = 50, requests = 500 }, expect = "hold" },
        { now = 1711418400, expect = { replicas = 2, reason = "nightly" } },
      } },
    { name = "workers: 600 messages at 50 per worker -> 12",
      policy = "../../../policies/queue.lua", params = { signal = "messages", per_replica = 50, min = 1 },
      target = { replicas = 4 }, signals = { messages = 600 }, expect = { replicas = 12 } },
  },
}
