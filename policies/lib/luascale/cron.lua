-- luascale.cron — 5-field cron expressions evaluated in an IANA time zone (via luascale.time).
--   minute hour day-of-month month day-of-week
-- Fields: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b,c`; month names
-- jan..dec and weekday names sun..sat (case-insensitive); weekday 0 and 7 are Sunday. Macros:
-- @yearly @annually @monthly @weekly @daily @midnight @hourly. As in Vixie cron, when both
-- day-of-month and day-of-week are restricted, a day matches if either does.
-- DST: a local time that does not exist (spring-forward gap) does not fire; a repeated local
-- time (fall-back overlap) fires once, at its first occurrence.
local time = require "luascale.time"

local M = {}

local MONTHS = { jan = 1, feb = 2, mar = 3, apr = 4, may = 5, jun = 6, jul = 7, aug = 8, sep = 9,
                 oct = 10, nov = 11, dec = 12 }
local DAYS = { sun = 0, mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6 }
local MACROS = { ["@yearly"] = "0 0 1 1 *", ["@annually"] = "0 0 1 1 *", ["@monthly"] = "0 0 1 * *",
                 ["@weekly"] = "0 0 * * 0", ["@daily"] = "0 0 * * *", ["@midnight"] = "0 0 * * *",
                 ["@hourly"] = "0 * * * *" }
local FIELDS = {
  { name = "minute", lo = 0, hi = 59 },
  { name = "hour", lo = 0, hi = 23 },
  { name = "day of month", lo = 1, hi = 31 },
  { name = "month", lo = 1, hi = 12, names = MONTHS },
  { name = "day of week", lo = 0, hi = 7, names = DAYS },
}

local function parse_value(s, f, expr)
  local n = tonumber(s)
  if not n and f.names then n = f.names[s:lower()] end
  if not n or n ~= math.floor(n) or n < f.lo or n > f.hi then
    error(string.format("cron '%s': %s value '%s' out of range %d-%d", expr, f.name, s, f.lo, f.hi), 0)
  end
  return math.tointeger(n)
end

local function parse_field(text, f, expr)
  local set, any = {}, text == "*" or text == "?"
  for part in text:gmatch("[^,]+") do
    local range, step = part:match("^([^/]+)/(%d+)$")
    if not range then range = part end
    step = step and tonumber(step) or 1
    if step < 1 then error(string.format("cron '%s': %s step must be >= 1", expr, f.name), 0) end
    local a, b
    if range == "*" or range == "?" then
      a, b = f.lo, f.hi
    else
      local x, y = range:match("^([%w]+)%-([%w]+)$")
      if x then
        a, b = parse_value(x, f, expr), parse_value(y, f, expr)
      else
        a = parse_value(range, f, expr)
        b = part:find("/") and f.hi or a
      end
    end
    if a > b then error(string.format("cron '%s': %s range %d-%d is backwards", expr, f.name, a, b), 0) end
    for v = a, b, step do set[v] = true end
  end
  if f.name == "day of week" and set[7] then set[0] = true end
  return set, any
end

-- parse(expr) -> spec (raises with a message naming the expression on bad input).
function M.parse(expr)
  if type(expr) == "table" and expr.fields then return expr end
  if type(expr) ~= "string" then error("cron: expression must be a string", 2) end
  local text = MACROS[expr:lower()] or expr
  local parts = {}
  for p in text:gmatch("%S+") do parts[#parts + 1] = p end
  if #parts ~= 5 then
    error(string.format("cron '%s': expected 5 fields (minute hour day month weekday)", expr), 2)
  end
  local spec = { expr = expr, fields = {}, any = {} }
  for i, f in ipairs(FIELDS) do spec.fields[i], spec.any[i] = parse_field(parts[i], f, expr) end
  return spec
end

local function day_matches(spec, c)
  if not spec.fields[4][c.month] then return false end
  local dom, dow = spec.fields[3][c.day] == true, spec.fields[5][c.wday - 1] == true
  if spec.any[3] or spec.any[5] then return dom and dow end
  return dom or dow
end

-- matches(spec, unix_seconds, zone) -> true when the minute containing that instant matches.
function M.matches(spec, t, zone)
  spec = M.parse(spec)
  local c = time.civil(math.floor(t), zone)
  return spec.fields[1][c.min] == true and spec.fields[2][c.hour] == true and day_matches(spec, c)
end

local function sorted_keys(set, lo, hi, desc)
  local out = {}
  if desc then
    for v = hi, lo, -1 do if set[v] then out[#out + 1] = v end end
  else
    for v = lo, hi do if set[v] then out[#out + 1] = v end end
  end
  return out
end

-- The firings of one local day (ascending or descending), as unix seconds; skips gap times.
local function day_firings(spec, y, m, d, zone, desc)
  local out = {}
  local hours = sorted_keys(spec.fields[2], 0, 23, desc)
  local mins = sorted_keys(spec.fields[1], 0, 59, desc)
  for _, h in ipairs(hours) do
    for _, mi in ipairs(mins) do
      local u = time.unix { year = y, month = m, day = d, hour = h, min = mi, zone = zone }
      local c = time.civil(u, zone)
      if c.hour == h and c.min == mi and c.day == d then
        -- In an overlap time.unix gives the earlier instant: one firing.
        out[#out + 1] = u
      end
    end
  end
  return out
end

local MAX_DAYS = 366 * 5

-- prev(spec, t, zone) -> the latest firing at or before t (unix seconds), or nil if none within
-- five years.
function M.prev(spec, t, zone)
  spec = M.parse(spec)
  t = math.floor(t)
  local c = time.civil(t, zone)
  for k = 0, MAX_DAYS do
    local noon = time.unix { year = c.year, month = c.month, day = c.day - k, hour = 12, zone = zone }
    local dc = time.civil(noon, zone)
    if day_matches(spec, dc) then
      for _, u in ipairs(day_firings(spec, dc.year, dc.month, dc.day, zone, true)) do
        if u <= t then return u end
      end
    end
  end
  return nil
end

-- next(spec, t, zone) -> the first firing strictly after t, or nil if none within five years.
function M.next(spec, t, zone)
  spec = M.parse(spec)
  t = math.floor(t)
  local c = time.civil(t, zone)
  for k = 0, MAX_DAYS do
    local noon = time.unix { year = c.year, month = c.month, day = c.day + k, hour = 12, zone = zone }
    local dc = time.civil(noon, zone)
    if day_matches(spec, dc) then
      for _, u in ipairs(day_firings(spec, dc.year, dc.month, dc.day, zone, false)) do
        if u > t then return u end
      end
    end
  end
  return nil
end

return M
