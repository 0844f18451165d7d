-- luascale.cron: fields, names, steps, macros, and firings across DST changes in named zones.
local function c(name, fn, args, want)
  return { name = name, params = { module = "luascale.cron", fn = fn, args = args },
           expect = { reason = "result=" .. want .. ";" } }
end
local function err(name, expr, want)
  return { name = name, params = { module = "luascale.cron", fn = "parse", args = { expr } },
           expect = { error = want } }
end
local B = "Europe/Berlin"
return {
  policy = "probe.lua",
  cases = {
    c("matches a weekday business hour in Berlin", "matches", { "0 9 * * mon-fri", 1711353600, B }, "true"),
    c("does not match a minute later", "matches", { "0 9 * * mon-fri", 1711353660, B }, "false"),
    c("weekday names and numbers agree", "matches", { "0 9 * * 1-5", 1711353600, B }, "true"),
    c("Sunday is 0 and 7", "matches", { "0 4 * * 7", 1711850400, B }, "true"),
    c("saturday is not mon-fri", "matches", { "0 10 * * 1-5", 1711789200, B }, "false"),
    c("steps: */15 matches :00", "matches", { "*/15 * * * *", 1711353600, B }, "true"),
    c("range steps: 0-30/10 does not match :45", "matches", { "0-30/10 * * * *", 1711353600 + 45 * 60, B }, "false"),
    c("month names", "matches", { "0 9 25 mar *", 1711353600, B }, "true"),
    c("dom OR dow when both restricted", "matches", { "0 9 1 * mon", 1711353600, B }, "true"),
    c("dom AND any dow", "matches", { "0 9 1 * *", 1711353600, B }, "false"),
    c("macro @daily", "prev", { "@daily", 1711353600, B }, "1711321200"),
    c("prev of 08:00 weekdays from 09:00 Monday", "prev", { "0 8 * * 1-5", 1711353600, B }, "1711350000"),
    c("prev is inclusive", "prev", { "0 8 * * 1-5", 1711350000, B }, "1711350000"),
    c("prev skips the weekend: Friday 18:00 from Saturday", "prev", { "0 18 * * 1-5", 1711789200, B }, "1711731600"),
    c("next from 22:00 is 08:00 Tuesday", "next", { "0 8 * * 1-5", 1711400400, B }, "1711436400"),
    c("spring forward: 02:30 does not exist on 2024-03-31 in Berlin", "prev", { "30 2 * * *", 1711850400, B }, "1711762200"),
    c("spring forward: next 02:30 after Saturday's is Monday's", "next", { "30 2 * * *", 1711762200, B }, "1711931400"),
    c("fall back: 02:30 fires once, at the first occurrence", "prev", { "30 2 * * *", 1729998000, B }, "1729989000"),
    c("fall back: the second 02:30 is not a firing", "next", { "30 2 * * *", 1729989000, B }, "1730079000"),
    c("New York 09:00 on the DST day", "prev", { "0 9 * * *", 1710075600 + 60, "America/New_York" }, "1710075600"),
    c("UTC by default", "prev", { "0 0 * * *", 86400 * 10 + 5 }, "864000"),
    err("bad field count", "0 8 * *", "expected 5 fields"),
    err("out of range", "61 * * * *", "minute value '61' out of range"),
    err("bad name", "0 8 * * funday", "day of week value 'funday'"),
    err("backwards range", "0 8 * * 5-1", "backwards"),
    { name = "unknown zone is an error",
      params = { module = "luascale.cron", fn = "prev", args = { "0 8 * * *", 1711353600, "Mars/Olympus" } },
      expect = { error = "unknown time zone" } },
  },
}
