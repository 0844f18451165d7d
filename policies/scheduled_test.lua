-- policies/scheduled.lua: business-hours floors, nightly ceilings, exact counts and AWS-style
-- scheduled actions in Europe/Berlin, including the 2024-03-31 spring-forward day.
local MON_0900 = 1711353600  -- Monday 2024-03-25 09:00 CET
local business = { start = "0 8 * * mon-fri", stop = "0 18 * * mon-fri", min = 4, name = "business hours" }
return {
  policy = "scheduled.lua",
  params = { zone = "Europe/Berlin", windows = { business } },
  target = { replicas = 2 },
  cases = {
    { name = "business hours raise the floor", now = MON_0900,
      expect = { replicas = 4, reason = "business hours" } },
    { name = "above the floor: hold", now = MON_0900, target = { replicas = 6 }, expect = "hold" },
    { name = "after 18:00 nothing applies", now = 1711389600, expect = "hold" },
    { name = "Saturday is outside mon-fri", now = 1711789200, expect = "hold" },
    { name = "default count when nothing applies", now = 1711789200, params = { default = 1 },
      expect = { replicas = 1, reason = "default" } },
    { name = "nightly ceiling with a duration", now = 1711332000, target = { replicas = 5 },
      params = { windows = { { start = "0 1 * * *", duration = "4h", max = 2 } } },
      expect = { replicas = 2 } },
    { name = "exact count window", now = MON_0900,
      params = { windows = { business, { start = "30 8 * * *", duration = 3600, replicas = 10 } } },
      expect = { replicas = 10 } },
    { name = "DST day: 08:00 local is 06:00 UTC on 2024-03-31, window active at 08:30 CEST",
      now = 1711866600, params = { windows = { { start = "0 8 * * *", duration = "1h", min = 3 } } },
      expect = { replicas = 3 } },
    { name = "DST day: not active at 07:30 CEST",
      now = 1711863000, params = { windows = { { start = "0 8 * * *", duration = "1h", min = 3 } } },
      expect = "hold" },
    { name = "a window's own zone",
      now = MON_0900, params = { windows = { { start = "0 8 * * *", duration = "1h", min = 3, zone = "America/New_York" } } },
      expect = "hold" },
    { name = "AWS scheduled actions: 08:00 Mon-Fri desired 5, 22:00 daily desired 2",
      params = { windows = {}, actions = { { at = "0 8 * * 1-5", replicas = 5 }, { at = "0 22 * * *", replicas = 2 } } },
      target = { replicas = 3 },
      ticks = {
        { now = 1711349940, expect = "hold" },
        { now = 1711350000, expect = { replicas = 5, reason = "0 8 * * 1-5" } },
        { now = 1711350060, target = { replicas = 9 }, expect = "hold" },
        { now = 1711400340, expect = "hold" },
        { now = 1711400400, expect = { replicas = 2 } },
      } },
    { name = "actions setting min stay in force until the next one",
      params = { windows = {}, actions = { { at = "0 8 * * *", min = 4 }, { at = "0 20 * * *", min = 1 } } },
      now = MON_0900 + 3 * 3600, target = { replicas = 2 },
      expect = { replicas = 4 } },
    { name = "a window over a day of ticks opens and closes on time (cached firings)",
      target = { replicas = 2 },
      ticks = {
        { now = 1711349940, expect = "hold" },                                -- Mon 07:59
        { now = 1711350000, expect = { replicas = 4 } },                      -- 08:00
        { now = 1711350000 + 9 * 3600 + 3540, expect = "hold" },              -- 17:59, at 4
        { now = 1711386000, target = { replicas = 3 }, expect = "hold" },     -- 18:00: no floor
        { now = 1711436400, expect = { replicas = 4, state = { cron = { w1 = { prev = 1711436400 } } } } },
      } },
    { name = "bad cron is an error",
      params = { windows = { { start = "0 25 * * *", duration = 60, min = 1 } } }, now = MON_0900,
      expect = { error = "hour value '25' out of range" } },
  },
}
