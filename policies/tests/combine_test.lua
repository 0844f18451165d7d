-- luascale.combine: max / min / priority across policies, schedules as floor and ceiling,
-- per-child ctx.state.
local MON_0900 = 1711353600   -- Monday 09:00 Berlin
local SAT_1000 = 1711789200   -- Saturday 10:00 Berlin
local SUN_1000 = 1711789200 + 86400
return {
  policy = "combo.lua",
  target = { replicas = 3 },
  cases = {
    { name = "max: the queue wins over the HPA", now = SAT_1000,
      signals = { cpu = 70, jobs = 100 }, expect = { replicas = 10, reason = "queue" } },
    { name = "max: the HPA wins over the queue", now = SAT_1000,
      signals = { cpu = 140, jobs = 30 }, expect = { replicas = 6, reason = "hpa" } },
    { name = "business hours floor lifts the combined proposal", now = MON_0900,
      signals = { cpu = 35, jobs = 10 }, expect = { replicas = 4, reason = "business" } },
    { name = "the floor does not cap a larger proposal", now = MON_0900,
      signals = { cpu = 70, jobs = 100 }, expect = { replicas = 10 } },
    { name = "Sunday ceiling caps the proposal", now = SUN_1000,
      signals = { cpu = 70, jobs = 100 }, expect = { replicas = 2 } },
    { name = "bounds alone clamp the current count", now = SUN_1000, target = { replicas = 5 },
      expect = { replicas = 2 } },
    { name = "nothing proposes and no bounds apply: hold", now = SAT_1000, expect = "hold" },
    { name = "children keep their own state", now = SAT_1000, signals = { cpu = 70, jobs = 100 },
      expect = { state = { queue = { last_active = SAT_1000 } } } },
    { name = "config params under a child's name replace its params", now = SAT_1000,
      params = { queue = { signal = "jobs", per_replica = 50, min = 1 } },
      signals = { jobs = 100 }, expect = { replicas = 2 } },
    { name = "min of two", policy = "combo_min.lua", signals = { a = 5, b = 3 },
      expect = { replicas = 3, reason = "b", state = { a = { calls = 1 }, b = { calls = 1 } } } },
    { name = "min ignores a holding child", policy = "combo_min.lua", signals = { a = 5 },
      expect = { replicas = 5 } },
    { name = "priority takes the first that decides", policy = "combo_min.lua", params = { mode = "priority" },
      signals = { a = 5, b = 3 }, expect = { replicas = 5, reason = "a" } },
    { name = "priority falls through a hold", policy = "combo_min.lua", params = { mode = "priority" },
      signals = { b = 3 }, expect = { replicas = 3 } },
    { name = "max of two", policy = "combo_min.lua", params = { mode = "max" },
      signals = { a = 5, b = 3 }, expect = { replicas = 5 } },
  },
}
